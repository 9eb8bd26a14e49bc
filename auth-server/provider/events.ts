import type { EventEmitter } from 'node:events';
import type { Counter } from 'prom-client';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { Logger } from 'pino';
import type { Metrics } from '../../platform/observability/metrics.js';

const ISSUED = [
  'client_credentials.issued',
  'client_credentials.saved',
  'access_token.issued',
  'access_token.saved',
  'refresh_token.saved',
  'authorization_code.saved',
] as const;

const ERRORS = [
  'grant.error',
  'authorization.error',
  'introspection.error',
  'revocation.error',
  'registration_create.error',
  'registration_read.error',
  'registration_update.error',
  'registration_delete.error',
  'jwks.error',
  'discovery.error',
  'end_session.error',
  'userinfo.error',
] as const;

interface OidcError {
  readonly error?: string;
  readonly error_description?: string;
  readonly error_detail?: string;
}

interface IssuedToken {
  readonly clientId?: string;
  readonly gty?: string;
  readonly kind?: string;
}

/**
 * Turns provider events into log lines and counters. `error_detail` is logged because the wire
 * error alone rarely says what went wrong; it never reaches the client.
 */
export function observeProvider(provider: Provider, logger: Logger, counters: ProviderCounters) {
  // The typings overload `on` per event name; these loops subscribe by name, so use the emitter.
  const emitter = provider as unknown as EventEmitter;
  for (const event of ISSUED) {
    emitter.on(event, (token: IssuedToken) => {
      counters.issued.inc({ kind: token.kind ?? event.split('.')[0] ?? 'unknown' });
    });
  }
  for (const event of ERRORS) {
    emitter.on(event, (ctx: KoaContextWithOIDC, err: OidcError) => {
      counters.errors.inc({ event, error: err.error ?? 'unknown' });
      logger.info({ ...requestIds(ctx), event, error: err.error, detail: detailOf(err) }, event);
    });
  }
  emitter.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    counters.errors.inc({ event: 'server_error', error: 'server_error' });
    logger.error({ ...requestIds(ctx), err }, 'server_error');
  });
}

export interface ProviderCounters {
  readonly issued: Counter<'kind'>;
  readonly errors: Counter<'event' | 'error'>;
}

export function providerCounters(metrics: Metrics): ProviderCounters {
  return {
    issued: metrics.counter('oauth_tokens_issued_total', 'Tokens issued, by kind.', ['kind']),
    errors: metrics.counter('oauth_errors_total', 'OAuth errors, by event and error code.', [
      'event',
      'error',
    ]),
  };
}

function detailOf(err: OidcError): string | undefined {
  return err.error_detail ?? err.error_description;
}

function requestIds(ctx: KoaContextWithOIDC): { requestId?: string; path?: string } {
  return { requestId: ctx.get('x-request-id') || undefined, path: ctx.path };
}
