import { errors } from 'oidc-provider';
import type {
  Adapter,
  Client,
  Configuration,
  FindAccount,
  KoaContextWithOIDC,
} from 'oidc-provider';
import type { JWK } from 'jose';
import { isResourceId, serviceScopes } from '../../config/resources.js';
import { defaultResource, resourceServerInfo } from './resource-indicators.js';

export interface ProviderSettings {
  readonly adapter: (model: string) => Adapter;
  readonly signingKeys: readonly JWK[];
  readonly signingKid: string;
  readonly cookieKeys: readonly string[];
  readonly accessTokenTtlSeconds: number;
  readonly findAccount?: FindAccount | undefined;
  /**
   * Adds the end-user half (interaction URL, pages rendered by the provider, grant loading),
   * which lives with the interaction pages rather than here.
   */
  readonly configure?: ((base: Configuration) => Configuration) | undefined;
}

/** ID tokens live an hour; a retiring ID-token key stays published at least this long. */
export const ID_TOKEN_TTL_SECONDS = 3600;
/** oidc-provider's default clock tolerance, which verifiers of our tokens should not exceed. */
export const CLOCK_TOLERANCE_SECONDS = 15;

/** Client metadata beyond RFC 7591 that Chirp reads. */
const EXTRA_CLIENT_METADATA = ['resources', 'resource_server'] as const;

/**
 * The whole oidc-provider configuration, in one reviewed place. Every choice that differs from
 * the library's default is deliberate; see ../shared/OIDC-PROVIDER-NOTES.md.
 */
export function providerConfiguration(s: ProviderSettings): Configuration {
  const base = baseConfiguration(s);
  return s.configure ? s.configure(base) : base;
}

function baseConfiguration(s: ProviderSettings): Configuration {
  return {
    adapter: s.adapter,
    clients: [],
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    jwks: { keys: [...s.signingKeys] },
    cookies: {
      keys: [...s.cookieKeys],
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    scopes: ['openid', 'offline_access', 'profile', ...serviceScopes],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
    },
    extraClientMetadata: {
      properties: [...EXTRA_CLIENT_METADATA],
      validator: validateExtraMetadata,
    },
    ttl: {
      AccessToken: s.accessTokenTtlSeconds,
      ClientCredentials: s.accessTokenTtlSeconds,
      IdToken: ID_TOKEN_TTL_SECONDS,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: tokenVisibleTo },
      revocation: { enabled: true, allowedPolicy: tokenVisibleTo },
      resourceIndicators: {
        enabled: true,
        defaultResource,
        getResourceServerInfo: resourceServerInfo({
          accessTokenTtlSeconds: s.accessTokenTtlSeconds,
          signingKid: () => s.signingKid,
        }),
        useGrantedResource: () => true,
      },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: s.findAccount ?? (() => undefined),
  };
}

interface TokenLike {
  readonly clientId?: string | undefined;
  readonly aud?: string | readonly string[] | undefined;
}

/**
 * Introspection and revocation policy: a client sees only its own tokens and tokens issued for
 * the resource it serves (`resource_server`); for any other it learns nothing.
 */
function tokenVisibleTo(_ctx: KoaContextWithOIDC, client: Client, token: TokenLike): boolean {
  if (token.clientId === client.clientId) {
    return true;
  }
  const served = client['resource_server'];
  const audiences = typeof token.aud === 'string' ? [token.aud] : (token.aud ?? []);
  return typeof served === 'string' && audiences.includes(served);
}

function validateExtraMetadata(
  _ctx: KoaContextWithOIDC | undefined,
  key: string,
  value: unknown,
): void {
  if (value === undefined) {
    return;
  }
  if (key === 'resources') {
    const ok = Array.isArray(value) && value.every((v) => typeof v === 'string' && isResourceId(v));
    if (!ok) {
      throw new errors.InvalidClientMetadata(
        'resources must be an array of known resource indicators',
      );
    }
  }
  if (key === 'resource_server' && !(typeof value === 'string' && isResourceId(value))) {
    throw new errors.InvalidClientMetadata('resource_server must be a known resource indicator');
  }
}
