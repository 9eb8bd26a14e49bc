import type { IncomingMessage } from 'node:http';
import { ProblemError } from '../../platform/errors.js';
import { readBodyAtMost } from '../../platform/http/read-body.js';
import type { Step } from '../pipeline.js';
import '../state.js';

/** Methods whose body is forwarded; a body on GET or HEAD is never read nor sent on. */
const WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Reads the request body into `ctx.state.requestBody` before anything is forwarded: 413 for a
 * declared Content-Length over the limit before a byte is read, 413 as soon as a chunked body
 * passes it, 408 when the body has not arrived by the request's deadline. Buffering also means
 * a service always gets a Content-Length, never the client's chunked framing.
 */
export function bufferBody(limitBytes: number): Step {
  return function bufferBodyStep(ctx) {
    if (!WITH_BODY.has(ctx.method) || !hasBody(ctx.req)) {
      return undefined;
    }
    const declared = Number(ctx.req.headers['content-length'] ?? Number.NaN);
    if (declared > limitBytes) {
      throw ProblemError.contentTooLarge(limitBytes);
    }
    const deadline = ctx.state.deadline ?? Date.now() + 30_000;
    return readAtMost(ctx.req, limitBytes, deadline).then((body) => {
      ctx.state.requestBody = body;
    });
  };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function tooSlow(): ProblemError {
  return new ProblemError({
    status: 408,
    title: 'Request Timeout',
    detail: 'The request body did not arrive in time.',
    headers: { Connection: 'close' },
  });
}

/** Collects the body, or rejects at the limit, when cut short, or once the deadline passes. */
function readAtMost(req: IncomingMessage, limit: number, deadline: number): Promise<Buffer> {
  return readBodyAtMost(req, limit, {
    tooLarge: () => ProblemError.contentTooLarge(limit),
    cut: () => ProblemError.badRequest('The request body ended before it was complete.'),
    late: { at: deadline, error: tooSlow },
  });
}
