import type Koa from 'koa';
import type { JWTVerifyGetKey } from 'jose';
import type { Logger } from 'pino';
import { listen } from './lifecycle.js';
import { issuerJwks } from './auth/jwks.js';
import { createAccessTokenVerifier } from './auth/verify-access-token.js';
import type { AccessTokenVerifier } from './auth/verify-access-token.js';

/** What a component's composition root builds: its public and internal apps, and its cleanup. */
export interface ComponentApps {
  readonly app: Koa;
  readonly internalApp: Koa;
  readonly logger: Logger;
  /** Releases what the component holds (database, timers) once no request is in flight. */
  close(): Promise<void>;
}

export interface ListenConfig {
  readonly host: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly shutdownTimeoutSeconds: number;
}

/** A started component: where it listens, and `stop` to drain both ports and release it. */
export interface RunningComponent<A extends ComponentApps = ComponentApps> {
  readonly url: string;
  readonly metricsUrl: string;
  readonly apps: A;
  stop(): Promise<void>;
}

/** Listens on the public port and on the internal port (127.0.0.1) of a component. */
export async function startComponent<A extends ComponentApps>(
  apps: A,
  config: ListenConfig,
): Promise<RunningComponent<A>> {
  const pub = await listen(apps.app.callback(), config.host, config.port);
  const internal = await listen(apps.internalApp.callback(), '127.0.0.1', config.metricsPort);
  const deadlineMs = config.shutdownTimeoutSeconds * 1000;
  return {
    url: pub.url,
    metricsUrl: internal.url,
    apps,
    async stop() {
      await Promise.all([pub.close(deadlineMs), internal.close(deadlineMs)]);
      await apps.close();
    },
  };
}

/**
 * The verifier a resource service checks every token with: its own audience, the issuer's
 * keys (tests pass a local key set instead).
 */
export function serviceVerifier(
  issuer: string,
  audience: string,
  getKey: JWTVerifyGetKey = issuerJwks(issuer),
): AccessTokenVerifier {
  return createAccessTokenVerifier({ issuer, audience, getKey });
}
