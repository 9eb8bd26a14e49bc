import { randomBytes } from 'node:crypto';
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
import { IMPLIED_CONSENT_PARAM } from './offline-access.js';
import { defaultResource, resourceServerInfo } from './resource-indicators.js';
import { THIRD_PARTY_POLICY, thirdPartyPolicy } from './registration-policy.js';
import { publicOnlyFetch } from './public-urls.js';
import type { HostResolver } from './public-urls.js';

export interface ProviderSettings {
  readonly adapter: (model: string) => Adapter;
  readonly signingKeys: readonly JWK[];
  readonly signingKid: string;
  readonly cookieKeys: readonly string[];
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  /** Resolves host names in registration metadata and before the provider fetches a URL. */
  readonly resolveHost: HostResolver;
  /** Spends an initial access token; true only for the one registration that spent it. */
  readonly claimInitialAccessToken: (id: string) => Promise<boolean>;
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
const EXTRA_CLIENT_METADATA = ['resources', 'resource_server', 'first_party'] as const;
/** Set by an operator through the CLI; a registration request may not carry them. */
const OPERATOR_ONLY_METADATA: ReadonlySet<string> = new Set(['resource_server', 'first_party']);
/** Largest JWK Set or sector identifier document the provider will read from a client's URL. */
const FETCHED_DOCUMENT_LIMIT_BYTES = 64 * 1024;

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
    // oidc-provider 9 knows only S256, so `plain` is refused; PKCE is required of every client.
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Refresh tokens for apps granted offline_access that registered the refresh_token grant
    // (offline-access.ts makes sure the user is asked).
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    fetch: publicOnlyFetch(s.resolveHost),
    fetchResponseBodyLimits: {
      jwks_uri: FETCHED_DOCUMENT_LIMIT_BYTES,
      sector_identifier_uri: FETCHED_DOCUMENT_LIMIT_BYTES,
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'],
    },
    // Kept on the interaction so the consent step can tell an implied prompt from the app's own.
    extraParams: [IMPLIED_CONSENT_PARAM],
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
      RefreshToken: s.refreshTokenTtlSeconds,
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
      registration: {
        enabled: true,
        initialAccessToken: true,
        issueRegistrationAccessToken: true,
        idFactory: () => `chirp_${randomBytes(12).toString('base64url')}`,
        secretFactory: () => randomBytes(32).toString('base64url'),
        policies: {
          [THIRD_PARTY_POLICY]: thirdPartyPolicy({
            resolve: s.resolveHost,
            claimInitialAccessToken: s.claimInitialAccessToken,
          }),
        },
      },
      // RFC 7592; every update answers with a new registration access token, the old one dies.
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
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

/**
 * Checks Chirp's own client metadata. oidc-provider passes a request context only when the
 * metadata comes from a registration request, never when it loads a stored client.
 */
function validateExtraMetadata(
  ctx: KoaContextWithOIDC | undefined,
  key: string,
  value: unknown,
): void {
  if (value === undefined) {
    return;
  }
  if (ctx !== undefined && OPERATOR_ONLY_METADATA.has(key)) {
    throw new errors.InvalidClientMetadata(`${key} cannot be set through dynamic registration`);
  }
  if (key === 'first_party' && typeof value !== 'boolean') {
    throw new errors.InvalidClientMetadata('first_party must be a boolean');
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
