import type { Knex } from '../../platform/db/knex.js';

/** A grant as the connected-apps page lists it. */
export interface StoredGrant {
  readonly grantId: string;
  readonly clientId: string;
  readonly accountId: string;
  /** Every scope granted: OpenID scopes and each resource's scopes. */
  readonly scope: string;
  /** When the grant was first made (epoch seconds). */
  readonly issuedAt: number;
}

interface GrantPayload {
  readonly jti?: string;
  readonly accountId?: string;
  readonly clientId?: string;
  readonly iat?: number;
  readonly openid?: { readonly scope?: string };
  readonly resources?: Readonly<Record<string, string>>;
}

const TABLE = 'oidc_payloads';

/**
 * The live grants of an account, newest first, read from the provider's storage by the
 * payload's accountId: a user's grants may come from several sessions (or none still alive),
 * so the session alone cannot list them.
 */
export async function grantsOfAccount(db: Knex, accountId: string): Promise<StoredGrant[]> {
  const rows = await db<{ payload: string; account_id: string; model: string }>(TABLE)
    .select('payload')
    .where({ model: 'Grant', account_id: accountId })
    .andWhere((q) => {
      void q.whereNull('expires_at').orWhere('expires_at', '>', Date.now());
    });
  return rows
    .map((row) => toStoredGrant(JSON.parse(row.payload) as GrantPayload))
    .filter((g): g is StoredGrant => g !== undefined && g.accountId === accountId)
    .sort((a, b) => b.issuedAt - a.issuedAt);
}

/** The newest live grant of `accountId` to `clientId`, whichever session made it. */
export async function latestGrantId(
  db: Knex,
  accountId: string,
  clientId: string,
): Promise<string | undefined> {
  const grants = await grantsOfAccount(db, accountId);
  return grants.find((g) => g.clientId === clientId)?.grantId;
}

function toStoredGrant(p: GrantPayload): StoredGrant | undefined {
  if (p.jti === undefined || p.accountId === undefined || p.clientId === undefined) {
    return undefined;
  }
  const scopes = [p.openid?.scope ?? '', ...Object.values(p.resources ?? {})];
  return {
    grantId: p.jti,
    clientId: p.clientId,
    accountId: p.accountId,
    scope: scopes.join(' ').trim(),
    issuedAt: p.iat ?? 0,
  };
}
