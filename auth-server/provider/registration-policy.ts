import { errors } from 'oidc-provider';
import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { nonPublicUrlReason } from './public-urls.js';
import type { HostResolver } from './public-urls.js';

/** The name Chirp's initial access tokens carry; their registration access tokens inherit it. */
export const THIRD_PARTY_POLICY = 'chirp-third-party';

/** What a dynamically registered (third-party) app may ask users for. */
export const THIRD_PARTY_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'profile',
  'offline_access',
  'users:read',
  'users:write',
  'tweets:read',
  'tweets:write',
  'feeds:read',
]);

/**
 * The scope an app registered without one gets: sign-in and read-only access, plus
 * offline_access when it registered the refresh_token grant. Writing is asked for explicitly.
 */
export const DEFAULT_THIRD_PARTY_SCOPE = 'openid profile users:read tweets:read feeds:read';

export const REGISTRATION_LIMITS = {
  redirectUris: 10,
  uriLength: 2048,
  clientName: 100,
  contacts: 10,
  /** The whole JSON body; a larger declared body is refused with 413 before it is read. */
  bodyBytes: 16 * 1024,
} as const;

/** Metadata the server may fetch or show: https on a public host only. */
const PUBLIC_URI_FIELDS = [
  'jwks_uri',
  'logo_uri',
  'client_uri',
  'policy_uri',
  'tos_uri',
  'sector_identifier_uri',
  'initiate_login_uri',
] as const;

/** Set only by an operator through the CLI, never through registration. */
const OPERATOR_ONLY_FIELDS = ['first_party', 'resource_server'] as const;

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

export interface RegistrationPolicyOptions {
  readonly resolve: HostResolver;
  /** Deletes an initial access token; true only for the one caller that deleted it. */
  readonly claimInitialAccessToken: (id: string) => Promise<boolean>;
}

/**
 * The registration policy of third-party apps (RFC 7591, and RFC 7592 updates through the
 * registration access token). oidc-provider runs it before its own validation; it normalises
 * defaults and refuses what a third-party app may not have. On creation it spends the initial
 * access token last, once the metadata is known to be valid, so a typo costs no token.
 */
export function thirdPartyPolicy(options: RegistrationPolicyOptions) {
  return async function chirpThirdPartyPolicy(
    ctx: KoaContextWithOIDC,
    metadata: ClientMetadata,
  ): Promise<void> {
    checkSize(ctx.oidc.body);
    refuseOperatorFields(metadata);
    applyGrantRules(metadata);
    applyScopeRules(metadata);
    checkRedirectUris(metadata.redirect_uris, 'redirect_uris');
    checkRedirectUris(metadata.post_logout_redirect_uris, 'post_logout_redirect_uris');
    checkClientName(metadata.client_name);
    await checkPublicUris(metadata, options.resolve);
    const iat = ctx.oidc.entities.InitialAccessToken;
    if (iat?.jti !== undefined) {
      // oidc-provider's own validation, before the token is spent.
      await ctx.oidc.provider.Client.validate(metadata);
      if (!(await options.claimInitialAccessToken(iat.jti))) {
        throw new errors.InvalidToken('initial access token already used');
      }
    }
  };
}

function invalid(description: string): never {
  throw new errors.InvalidClientMetadata(description);
}

function checkSize(body: unknown): void {
  if (Buffer.byteLength(JSON.stringify(body ?? {})) > REGISTRATION_LIMITS.bodyBytes) {
    invalid(`the registration request must be at most ${REGISTRATION_LIMITS.bodyBytes} bytes`);
  }
}

function refuseOperatorFields(metadata: ClientMetadata): void {
  for (const field of OPERATOR_ONLY_FIELDS) {
    if (metadata[field] !== undefined) {
      invalid(`${field} cannot be set through dynamic registration`);
    }
  }
}

/** Only the code flow (with refresh tokens): no client_credentials, implicit or device grants. */
function applyGrantRules(metadata: ClientMetadata): void {
  metadata.grant_types ??= ['authorization_code'];
  metadata.response_types ??= ['code'];
  const grants = metadata.grant_types;
  const refused = grants.find((g) => g !== 'authorization_code' && g !== 'refresh_token');
  if (refused !== undefined) {
    invalid(`grant_types: ${refused} is not available to third-party apps`);
  }
  if (!grants.includes('authorization_code')) {
    invalid('grant_types must include authorization_code');
  }
  if (metadata.response_types.some((t) => t !== 'code')) {
    invalid('response_types may only contain code');
  }
}

function applyScopeRules(metadata: ClientMetadata): void {
  if (metadata.scope === undefined) {
    const refresh = metadata.grant_types?.includes('refresh_token') === true;
    metadata.scope = refresh
      ? `${DEFAULT_THIRD_PARTY_SCOPE} offline_access`
      : DEFAULT_THIRD_PARTY_SCOPE;
    return;
  }
  if (typeof metadata.scope !== 'string') {
    invalid('scope must be a space-separated string');
  }
  const refused = metadata.scope.split(' ').find((s) => !THIRD_PARTY_SCOPES.has(s));
  if (refused !== undefined) {
    invalid(`scope ${refused} is not available to third-party apps`);
  }
}

/** https anywhere, or http on a loopback host (native apps, RFC 8252); never a fragment. */
function checkRedirectUris(uris: unknown, field: string): void {
  if (uris === undefined) {
    return;
  }
  if (!Array.isArray(uris) || uris.length > REGISTRATION_LIMITS.redirectUris) {
    invalid(`${field} must be an array of at most ${REGISTRATION_LIMITS.redirectUris} URIs`);
  }
  for (const uri of uris) {
    const reason = redirectUriProblem(uri);
    if (reason !== undefined) {
      invalid(`${field} ${reason}`);
    }
  }
}

function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string' || uri.length > REGISTRATION_LIMITS.uriLength) {
    return `must be strings of at most ${REGISTRATION_LIMITS.uriLength} characters`;
  }
  const url = URL.parse(uri);
  if (url === null) {
    return 'must only contain valid URIs';
  }
  if (uri.includes('#')) {
    return 'must not contain fragments';
  }
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname)) {
    return 'may use http only on a loopback host (127.0.0.1, [::1], localhost)';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `must not use the ${url.protocol.slice(0, -1)} scheme`;
  }
  return undefined;
}

function checkClientName(name: unknown): void {
  if (typeof name === 'string' && [...name].length > REGISTRATION_LIMITS.clientName) {
    invalid(`client_name must be at most ${REGISTRATION_LIMITS.clientName} characters`);
  }
}

async function checkPublicUris(metadata: ClientMetadata, resolve: HostResolver): Promise<void> {
  if (Array.isArray(metadata.contacts) && metadata.contacts.length > REGISTRATION_LIMITS.contacts) {
    invalid(`contacts may list at most ${REGISTRATION_LIMITS.contacts} addresses`);
  }
  for (const field of PUBLIC_URI_FIELDS) {
    const value = metadata[field];
    if (value === undefined) {
      continue;
    }
    if (typeof value !== 'string' || value.length > REGISTRATION_LIMITS.uriLength) {
      invalid(`${field} must be a URI of at most ${REGISTRATION_LIMITS.uriLength} characters`);
    }
    const reason = await nonPublicUrlReason(value, resolve);
    if (reason !== undefined) {
      invalid(`${field} ${reason}`);
    }
  }
}
