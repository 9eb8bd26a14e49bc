import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientMetadata } from 'oidc-provider';
import { isResourceId, resourceOfScope } from '../../config/resources.js';
import type { ResourceId } from '../../config/resources.js';
import { createAdapterFactory, listPayloads } from '../provider/adapter.js';
import { AdminError } from './errors.js';
import type { AdminContext } from './context.js';

const GRANTS = ['client_credentials', 'authorization_code', 'refresh_token'] as const;
const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
] as const;
const OPENID_SCOPES = new Set(['openid', 'profile', 'offline_access']);

export interface CreateClientInput {
  readonly name: string;
  readonly grants?: readonly string[];
  readonly scope?: string;
  readonly resources?: readonly string[];
  readonly authMethod?: string;
  readonly redirectUris?: readonly string[];
  readonly jwksFile?: string;
  /** The resource this client serves: it may introspect tokens issued for it. */
  readonly serves?: string;
  /** An app of the platform itself: its users are not asked for consent. */
  readonly firstParty?: boolean;
}

/** A client as the CLI shows it; the secret appears only in the answer to `create`. */
export interface ClientView {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly client_name: string;
  readonly grant_types: readonly string[];
  readonly scope: string;
  readonly resources: readonly string[];
  readonly token_endpoint_auth_method: string;
  readonly redirect_uris: readonly string[];
  readonly resource_server?: string;
  readonly first_party: boolean;
}

/**
 * Registers a client. Secrets carry 256 bits of randomness and are sealed at rest by the adapter;
 * the provider validates the metadata exactly as it will when the client authenticates.
 */
export async function clientsCreate(
  ctx: AdminContext,
  input: CreateClientInput,
): Promise<ClientView> {
  const metadata = buildMetadata(input);
  try {
    await ctx.provider.Client.validate(metadata);
  } catch (e) {
    const err = e as { error_description?: string; message: string };
    throw new AdminError(`invalid client: ${err.error_description ?? err.message}`);
  }
  await clientAdapter(ctx).upsert(metadata.client_id, metadata);
  return present(metadata, true);
}

export async function clientsList(ctx: AdminContext): Promise<ClientView[]> {
  const payloads = await listPayloads(ctx.db, 'Client');
  return payloads.map((p) => present(p as ClientMetadata, false));
}

export async function clientsShow(ctx: AdminContext, clientId: string): Promise<ClientView> {
  const payload = await clientAdapter(ctx).find(clientId);
  if (!payload) {
    throw new AdminError(`no client ${clientId}`);
  }
  return present(payload as ClientMetadata, false);
}

/** Deletes a client; tokens it already holds stop at their expiry, refresh tokens at once. */
export async function clientsDelete(
  ctx: AdminContext,
  clientId: string,
): Promise<{ deleted: string }> {
  await clientsShow(ctx, clientId);
  await clientAdapter(ctx).destroy(clientId);
  return { deleted: clientId };
}

function clientAdapter(ctx: AdminContext) {
  return createAdapterFactory(ctx.db, ctx.box)('Client');
}

function buildMetadata(input: CreateClientInput): ClientMetadata & { client_id: string } {
  const grants = checkedGrants(input.grants ?? ['client_credentials']);
  const authMethod = oneOf(input.authMethod ?? 'client_secret_basic', AUTH_METHODS, 'auth method');
  const scopes = checkedScopes(input.scope ?? '');
  const resources = checkedResources(input.resources, scopes);
  if (input.name.trim() === '') {
    throw new AdminError('--name must not be empty');
  }
  if (authMethod === 'none' && grants.includes('client_credentials')) {
    throw new AdminError(
      'a client_credentials client must authenticate (auth method "none" refused)',
    );
  }
  const metadata: ClientMetadata & { client_id: string } = {
    client_id: `chirp_${randomBytes(12).toString('base64url')}`,
    client_name: input.name.trim(),
    grant_types: grants,
    response_types: grants.includes('authorization_code') ? ['code'] : [],
    redirect_uris: [...(input.redirectUris ?? [])],
    token_endpoint_auth_method: authMethod,
    scope: scopes.join(' ') || undefined,
    resources,
    ...(input.serves === undefined ? {} : { resource_server: checkedResource(input.serves) }),
    ...(input.firstParty === true ? { first_party: true } : {}),
    ...(input.jwksFile === undefined ? {} : { jwks: readJwks(input.jwksFile) }),
  };
  if (authMethod === 'client_secret_basic' || authMethod === 'client_secret_post') {
    metadata.client_secret = randomBytes(32).toString('base64url');
  }
  if (authMethod === 'private_key_jwt' && metadata.jwks === undefined) {
    throw new AdminError("private_key_jwt needs --jwks-file with the client's public keys");
  }
  return metadata;
}

function checkedGrants(grants: readonly string[]): string[] {
  return [...new Set(grants.map((g) => oneOf(g, GRANTS, 'grant')))];
}

function checkedScopes(scope: string): string[] {
  const scopes = [...new Set(scope.split(/\s+/).filter((s) => s !== ''))];
  for (const s of scopes) {
    if (!OPENID_SCOPES.has(s) && resourceOfScope(s) === undefined) {
      throw new AdminError(`unknown scope ${s}`);
    }
  }
  return scopes;
}

/** Without --resource, a client may use the resources its scopes belong to. */
function checkedResources(
  listed: readonly string[] | undefined,
  scopes: readonly string[],
): ResourceId[] {
  if (listed !== undefined && listed.length > 0) {
    return [...new Set(listed.map(checkedResource))];
  }
  return [...new Set(scopes.map(resourceOfScope).filter((r) => r !== undefined))];
}

function checkedResource(r: string): ResourceId {
  if (!isResourceId(r)) {
    throw new AdminError(`unknown resource ${r}`);
  }
  return r;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new AdminError(`unknown ${what} ${value}; use one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function readJwks(file: string): { keys: object[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AdminError(`cannot read JWKS from ${file}: ${(e as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new AdminError(`${file} must hold a JWK Set: {"keys": [...]}`);
  }
  for (const k of keys as Record<string, unknown>[]) {
    if (['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((p) => p in k)) {
      throw new AdminError(`${file} holds a private or symmetric key; give only public keys`);
    }
  }
  return { keys: keys as object[] };
}

function present(m: ClientMetadata, withSecret: boolean): ClientView {
  const resources = Array.isArray(m['resources']) ? (m['resources'] as string[]) : [];
  const served = m['resource_server'];
  return {
    client_id: m.client_id,
    ...(withSecret && typeof m.client_secret === 'string'
      ? { client_secret: m.client_secret }
      : {}),
    client_name: typeof m.client_name === 'string' ? m.client_name : '',
    grant_types: m.grant_types ?? [],
    scope: m.scope ?? '',
    resources,
    token_endpoint_auth_method: m.token_endpoint_auth_method ?? 'client_secret_basic',
    redirect_uris: m.redirect_uris ?? [],
    ...(typeof served === 'string' ? { resource_server: served } : {}),
    first_party: m['first_party'] === true,
  };
}
