import { generateKeyPair, exportJWK, calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import type { Knex } from '../../platform/db/knex.js';
import type { SecretBox } from '../storage/secret-box.js';

/** What a key signs: access tokens (ES256, RFC 9068) or ID tokens (RS256, what clients expect). */
export type KeyPurpose = 'access' | 'id';
/** `next` is published but does not sign yet; `retiring` no longer signs but still verifies. */
export type KeyState = 'next' | 'current' | 'retiring';

export interface KeyInfo {
  readonly kid: string;
  readonly alg: string;
  readonly use: 'sig';
  readonly purpose: KeyPurpose;
  readonly state: KeyState;
  readonly createdAt: string;
  readonly retireAfter: string | null;
}

const ALG: Readonly<Record<KeyPurpose, 'ES256' | 'RS256'>> = { access: 'ES256', id: 'RS256' };
const PURPOSES: readonly KeyPurpose[] = ['access', 'id'];
const STATE_ORDER: Readonly<Record<KeyState, number>> = { current: 0, next: 1, retiring: 2 };

interface KeyRow {
  kid: string;
  purpose: KeyPurpose;
  alg: string;
  state: KeyState;
  private_jwk: string;
  created_at: number | string;
  retire_after: number | string | null;
}

/** Creates a current and a next key for every purpose that has none (first start). */
export async function ensureKeys(db: Knex, box: SecretBox): Promise<void> {
  await db.transaction(async (trx) => {
    await lockKeys(trx);
    for (const purpose of PURPOSES) {
      const existing = await trx<KeyRow>('signing_keys').where({ purpose }).first('kid');
      if (!existing) {
        await insertKey(trx, box, purpose, 'current');
        await insertKey(trx, box, purpose, 'next');
      }
    }
  });
}

/**
 * Rotates every purpose: next becomes current, current becomes retiring until the longest token
 * it may have signed has expired (`keepRetiringMs` from now), and a new next key is created.
 */
export async function rotateKeys(
  db: Knex,
  box: SecretBox,
  keepRetiringMs: Readonly<Record<KeyPurpose, number>>,
): Promise<KeyInfo[]> {
  await ensureKeys(db, box);
  await db.transaction(async (trx) => {
    await lockKeys(trx);
    for (const purpose of PURPOSES) {
      await trx('signing_keys')
        .where({ purpose, state: 'current' })
        .update({ state: 'retiring', retire_after: Date.now() + keepRetiringMs[purpose] });
      await trx('signing_keys').where({ purpose, state: 'next' }).update({ state: 'current' });
      await insertKey(trx, box, purpose, 'next');
    }
  });
  return listKeys(db);
}

/** Every key that may still verify a live token, current first. Never a private part. */
export async function listKeys(db: Knex): Promise<KeyInfo[]> {
  return (await liveRows(db)).map(toInfo);
}

/**
 * The private JWKs for oidc-provider, current before next before retiring within each algorithm,
 * because the provider signs ID tokens with the first key that fits the algorithm.
 */
export async function loadSigningKeys(db: Knex, box: SecretBox): Promise<JWK[]> {
  return (await liveRows(db)).map(
    (r) => JSON.parse(box.open(r.private_jwk, `jwk:${r.kid}`)) as JWK,
  );
}

/** The kid that signs access tokens now. */
export async function currentAccessKid(db: Knex): Promise<string> {
  const row = await db<KeyRow>('signing_keys')
    .where({ purpose: 'access', state: 'current' })
    .first('kid');
  if (!row) {
    throw new Error('no current access-token signing key: run the auth server once to create one');
  }
  return row.kid;
}

/** Deletes retiring keys whose last token has expired. */
export async function purgeRetiredKeys(db: Knex): Promise<number> {
  return db('signing_keys')
    .where({ state: 'retiring' })
    .andWhere('retire_after', '<=', Date.now())
    .delete();
}

/** Changes whenever the published key set or the signing key changes. */
export function keySetFingerprint(keys: readonly KeyInfo[]): string {
  return keys.map((k) => `${k.kid}:${k.state}`).join(',');
}

async function liveRows(db: Knex): Promise<KeyRow[]> {
  const rows = (await db('signing_keys').select()) as KeyRow[];
  const now = Date.now();
  return rows
    .filter((r) => r.retire_after === null || Number(r.retire_after) > now)
    .sort(
      (a, b) =>
        a.purpose.localeCompare(b.purpose) ||
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        Number(b.created_at) - Number(a.created_at),
    );
}

async function insertKey(trx: Knex, box: SecretBox, purpose: KeyPurpose, state: KeyState) {
  const alg = ALG[purpose];
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
  });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk);
  const full: JWK = { ...jwk, kid, alg, use: 'sig' };
  await trx('signing_keys').insert({
    kid,
    purpose,
    alg,
    state,
    private_jwk: box.seal(JSON.stringify(full), `jwk:${kid}`),
    created_at: Date.now(),
    retire_after: null,
  });
}

function toInfo(r: KeyRow): KeyInfo {
  return {
    kid: r.kid,
    alg: r.alg,
    use: 'sig',
    purpose: r.purpose,
    state: r.state,
    createdAt: new Date(Number(r.created_at)).toISOString(),
    retireAfter: r.retire_after === null ? null : new Date(Number(r.retire_after)).toISOString(),
  };
}

/**
 * Serialises key writers: two instances starting at once (or two rotations) would otherwise both
 * see no keys and both insert. SQLite already serialises writers per database file.
 */
async function lockKeys(trx: Knex.Transaction): Promise<void> {
  if ((trx.client as Knex.Client).config.client === 'pg') {
    await trx.raw('lock table signing_keys in share row exclusive mode');
  }
}
