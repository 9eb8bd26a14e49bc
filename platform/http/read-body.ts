import type { IncomingMessage } from 'node:http';

/** What a caller throws for each way a body can fail to arrive whole. */
export interface BodyFailures {
  /** The body passed the limit. */
  readonly tooLarge: () => Error;
  /** The client went away (or the stream failed) before the body ended. */
  readonly cut: () => Error;
  /** When given: the body has not ended by `at` (epoch ms), a slow client holding the request. */
  readonly late?: { readonly at: number; readonly error: () => Error };
}

/**
 * Collects a request body until it ends, or rejects the moment it passes `limit` bytes. At the
 * limit the stream is paused rather than destroyed: destroying it would take the socket, and
 * the error answer with it; that answer's `Connection: close` then closes the socket once sent.
 */
export function readBodyAtMost(
  req: IncomingMessage,
  limit: number,
  failures: BodyFailures,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const { late } = failures;
    const timer =
      late === undefined
        ? undefined
        : setTimeout(
            () => {
              stop();
              req.pause();
              reject(late.error());
            },
            Math.max(0, late.at - Date.now()),
          );
    const stop = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onCut);
      req.off('close', onCut);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limit) {
        stop();
        req.pause();
        reject(failures.tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks, received));
    };
    // 'close' without 'end' (or an 'error') means the client went away mid-body.
    const onCut = (): void => {
      stop();
      reject(failures.cut());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onCut);
    req.on('close', onCut);
    if (req.destroyed) {
      onCut();
    }
  });
}
