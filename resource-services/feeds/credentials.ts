import { ConfigError, feedsSettings } from '../../config/index.js';
import type { FeedsConfig } from '../../config/index.js';

/** The client feeds authenticates as when it asks for tokens to call users and tweets. */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * The configured client credentials. Both are optional in config/ because tests inject a token
 * source instead; a running feeds service cannot do without them.
 *
 * @throws ConfigError naming each missing variable.
 */
export function requireClientCredentials(config: FeedsConfig): ClientCredentials {
  const { clientId, clientSecret } = config;
  if (clientId !== undefined && clientSecret !== undefined) {
    return { clientId, clientSecret };
  }
  const missing = [
    clientId === undefined ? feedsSettings.clientId.env : undefined,
    clientSecret === undefined ? feedsSettings.clientSecret.env : undefined,
  ].filter((env) => env !== undefined);
  throw new ConfigError(
    missing.map(
      (env) =>
        `${env}: required: feeds calls users and tweets with client_credentials tokens ` +
        '(create a client with `chirp clients create --scope "users:read tweets:read" ' +
        '--resource urn:chirp:users --resource urn:chirp:tweets`)',
    ),
  );
}
