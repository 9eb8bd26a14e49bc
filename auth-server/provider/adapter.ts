import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Knex } from '../../platform/db/knex.js';
import type { SecretBox } from '../storage/secret-box.js';
import { cachingClients } from './client-cache.js';
import type { RefreshGrace } from './refresh-grace.js';

const TABLE = 'oidc_payloads';
const COUNTERS = 'change_counters';

interface Row {
  payload: string;
  expires_at: number | string | null;
  consumed_at: number | string | null;
}

export interface AdapterOptions {
  /** Serve clients from memory until storage says they changed (see client-cache.ts). */
  readonly cacheClients?: boolean;
  /** When a rotated refresh token may still be exchanged (see refresh-grace.ts). */
  readonly refreshGrace?: RefreshGrace;
}

/**
 * The knex storage of every oidc-provider model in one table keyed by (model, id). Client
 * secrets are sealed before they are written, so the table holds none in plain text.
 */
export function createAdapterFactory(db: Knex, box: SecretBox, options: AdapterOptions = {}) {
  return (model: string): Adapter => {
    const adapter = new KnexAdapter(db, box, model, options.refreshGrace);
    return model === 'Client' && options.cacheClients
      ? cachingClients(adapter, () => clientsVersion(db))
      : adapter;
  };
}

/**
 * Deletes one stored payload and answers whether this call was the one that deleted it: of
 * concurrent callers exactly one gets true, which makes a single-use token single-use.
 */
export async function takeOnce(db: Knex, model: string, id: string): Promise<boolean> {
  const deleted = await db(TABLE).where({ model, id }).delete();
  return deleted === 1;
}

/** The counter every client write bumps; instances compare it to drop cached clients. */
export async function clientsVersion(db: Knex): Promise<number> {
  const row = await db<{ name: string; value: number | string }>(COUNTERS)
    .where({ name: 'clients' })
    .first('value');
  return Number(row?.value ?? 0);
}

class KnexAdapter implements Adapter {
  constructor(
    private readonly db: Knex,
    private readonly box: SecretBox,
    private readonly model: string,
    private readonly refreshGrace?: RefreshGrace,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const row = {
      model: this.model,
      id,
      payload: JSON.stringify(this.sealSecret(id, payload)),
      grant_id: payload.grantId ?? null,
      account_id: typeof payload.accountId === 'string' ? payload.accountId : null,
      user_code: payload.userCode ?? null,
      uid: payload.uid ?? null,
      expires_at: expiresIn ? Date.now() + expiresIn * 1000 : null,
    };
    await this.db(TABLE).insert(row).onConflict(['model', 'id']).merge();
    await this.clientsChanged();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.first({ model: this.model, id }, id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.first({ model: this.model, uid });
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.first({ model: this.model, user_code: userCode });
  }

  /**
   * Marks the payload consumed, in milliseconds, and only once: the first consumption's time is
   * what a refresh token's grace window counts from. An authorization code consumed by a
   * concurrent exchange first fails here, and its grant is revoked (RFC 6749 section 4.1.2), so
   * two parallel redemptions of one code never both get tokens.
   */
  async consume(id: string): Promise<void> {
    const changed = await this.db(TABLE)
      .where({ model: this.model, id })
      .whereNull('consumed_at')
      .update({ consumed_at: Date.now() });
    if (changed === 0 && this.model === 'AuthorizationCode') {
      const grantId = await this.grantIdOf(id);
      if (grantId) {
        await this.revokeByGrantId(grantId);
      }
      throw new errors.InvalidGrant('authorization code already consumed');
    }
  }

  private async grantIdOf(id: string): Promise<string | null | undefined> {
    const row: { grant_id: string | null } | undefined = await this.db(TABLE)
      .where({ model: this.model, id })
      .first('grant_id');
    return row?.grant_id;
  }

  async destroy(id: string): Promise<void> {
    await this.db(TABLE).where({ model: this.model, id }).delete();
    await this.clientsChanged();
  }

  private async clientsChanged(): Promise<void> {
    if (this.model === 'Client') {
      await this.db(COUNTERS).where({ name: 'clients' }).increment('value', 1);
    }
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.db(TABLE).where({ grant_id: grantId }).delete();
  }

  private async first(where: Record<string, string>, id?: string) {
    const row = (await this.db(TABLE)
      .select('payload', 'expires_at', 'consumed_at')
      .where(where)
      .first()) as Row | undefined;
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= Date.now())) {
      return undefined;
    }
    const payload = JSON.parse(row.payload) as AdapterPayload;
    const opened = id === undefined ? payload : this.openSecret(id, payload);
    if (row.consumed_at === null) {
      return opened;
    }
    const consumedAtMs = Number(row.consumed_at);
    if (this.model === 'RefreshToken' && this.refreshGrace?.forgives(consumedAtMs)) {
      return opened;
    }
    // oidc-provider's models keep times in epoch seconds.
    return { ...opened, consumed: Math.floor(consumedAtMs / 1000) };
  }

  private sealSecret(id: string, payload: AdapterPayload): AdapterPayload {
    if (this.model !== 'Client' || typeof payload.client_secret !== 'string') {
      return payload;
    }
    const { client_secret: secret, ...rest } = payload;
    return { ...rest, client_secret_sealed: this.box.seal(secret, `client_secret:${id}`) };
  }

  private openSecret(id: string, payload: AdapterPayload): AdapterPayload {
    const sealed = payload['client_secret_sealed'];
    if (this.model !== 'Client' || typeof sealed !== 'string') {
      return payload;
    }
    const { client_secret_sealed: _, ...rest } = payload;
    return { ...rest, client_secret: this.box.open(sealed, `client_secret:${id}`) };
  }
}

/** Every stored payload of a model (the CLI lists clients with it), secrets left sealed. */
export async function listPayloads(db: Knex, model: string): Promise<AdapterPayload[]> {
  const rows = (await db(TABLE).select('payload').where({ model }).orderBy('id')) as Row[];
  return rows.map((r) => JSON.parse(r.payload) as AdapterPayload);
}

/**
 * Deletes rows that expired at least `graceMs` ago; the grace covers oidc-provider's clock
 * tolerance, so a token it would still accept is never deleted under it.
 */
export async function purgeExpired(db: Knex, graceMs: number): Promise<number> {
  return db(TABLE)
    .where('expires_at', '<', Date.now() - graceMs)
    .delete();
}
