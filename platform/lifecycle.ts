import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** A listening HTTP server and the way to stop it gracefully. */
export interface Listening {
  readonly url: string;
  readonly port: number;
  close(deadlineMs: number): Promise<void>;
}

/** Listens on host:port (0 picks a free port) and resolves once the socket is bound. */
/** A request handler; Koa's callback returns a promise that settles once it has responded. */
export type Handler = (req: IncomingMessage, res: ServerResponse) => unknown;

export async function listen(handler: Handler, host: string, port: number): Promise<Listening> {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    void handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}`,
    port: bound,
    close: (deadlineMs) => closeGracefully(server, deadlineMs),
  };
}

/**
 * Stops accepting, lets in-flight requests finish, and after the deadline cuts what is left,
 * so shutdown never hangs on a slow client.
 */
function closeGracefully(server: Server, deadlineMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), deadlineMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Something a process must stop before it exits. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Runs a started component until SIGINT or SIGTERM, then stops it within the deadline and exits
 * 0 (1 when stopping failed or overran). A second signal exits at once.
 */
export function stopOnSignals(component: Stoppable, logger: Logger, deadlineMs: number): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    const hardStop = setTimeout(() => {
      logger.error('shutdown overran its deadline');
      process.exit(1);
    }, deadlineMs + 2000);
    hardStop.unref();
    component.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
