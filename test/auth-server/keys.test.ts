import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sinon from 'sinon';
import { calculateJwkThumbprint } from 'jose';
import {
  currentAccessKid,
  ensureKeys,
  keySetFingerprint,
  listKeys,
  loadSigningKeys,
  purgeRetiredKeys,
  rotateKeys,
} from '../../auth-server/provider/keys.js';
import type { KeyInfo, KeyPurpose, KeyState } from '../../auth-server/provider/keys.js';
import { authMigrations } from '../../auth-server/migrations/index.js';
import { createSecretBox } from '../../auth-server/storage/secret-box.js';
import type { SecretBox } from '../../auth-server/storage/secret-box.js';
import { DATABASE_KINDS, useMigratedDatabase } from '../helpers/postgres.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const KEEP_RETIRING: Readonly<Record<KeyPurpose, number>> = { access: 600_000, id: 3_600_000 };

/** The columns of signing_keys these tests read raw. */
interface KeyRow {
  kid: string;
  private_jwk: string;
}

/** The one key of a purpose in a state; fails the test when there is not exactly one. */
function only(keys: readonly KeyInfo[], purpose: KeyPurpose, state: KeyState): KeyInfo {
  const found = keys.filter((k) => k.purpose === purpose && k.state === state);
  expect(found, `${purpose} keys in state ${state}`).to.have.length(1);
  const [key] = found;
  if (key === undefined) {
    expect.fail(`no ${purpose} key in state ${state}`);
  }
  return key;
}

for (const kind of DATABASE_KINDS) {
  describe(`signing keys on ${kind}`, function () {
    const storage = useMigratedDatabase(kind, {
      label: 'keys',
      migrations: authMigrations,
      tables: ['signing_keys'],
    });
    let clock: sinon.SinonFakeTimers;
    let box: SecretBox;

    beforeEach(function () {
      clock = sinon.useFakeTimers({ now: T0, toFake: ['Date'] });
      box = createSecretBox(randomBytes(32));
    });

    afterEach(function () {
      clock.restore();
    });

    async function storedKids(): Promise<string[]> {
      const rows = await storage.db<KeyRow>('signing_keys').select('kid').orderBy('kid');
      return rows.map((r) => r.kid);
    }

    describe('ensureKeys', function () {
      it('creates a current and a next key per purpose: ES256 for access, RS256 for id', async function () {
        await ensureKeys(storage.db, box);
        const keys = await listKeys(storage.db);

        expect(keys).to.have.length(4);
        for (const [purpose, alg] of [
          ['access', 'ES256'],
          ['id', 'RS256'],
        ] as const) {
          for (const state of ['current', 'next'] as const) {
            const key = only(keys, purpose, state);
            expect(key.alg).to.equal(alg);
            expect(key.use).to.equal('sig');
            expect(key.retireAfter).to.equal(null);
            expect(key.createdAt).to.equal(new Date(T0).toISOString());
          }
        }
        expect(new Set(keys.map((k) => k.kid)).size).to.equal(4);
      });

      it('creates nothing when the keys exist', async function () {
        await ensureKeys(storage.db, box);
        const first = await storedKids();
        await ensureKeys(storage.db, box);
        expect(await storedKids()).to.deep.equal(first);
      });

      it('creates one set of keys when two instances start at once', async function () {
        await Promise.all([ensureKeys(storage.db, box), ensureKeys(storage.db, box)]);
        expect(await storedKids()).to.have.length(4);
      });
    });

    describe('rotateKeys', function () {
      it('makes next current, current retiring until its last token expires, and adds a next', async function () {
        await ensureKeys(storage.db, box);
        const before = await listKeys(storage.db);

        const after = await rotateKeys(storage.db, box, KEEP_RETIRING);

        expect(after).to.have.length(6);
        for (const purpose of ['access', 'id'] as const) {
          const retiring = only(after, purpose, 'retiring');
          expect(retiring.kid).to.equal(only(before, purpose, 'current').kid);
          expect(retiring.retireAfter).to.equal(
            new Date(T0 + KEEP_RETIRING[purpose]).toISOString(),
          );
          expect(only(after, purpose, 'current').kid).to.equal(only(before, purpose, 'next').kid);
          expect(before.map((k) => k.kid)).not.to.include(only(after, purpose, 'next').kid);
        }
        expect(await listKeys(storage.db)).to.deep.equal(after);
      });

      it('changes the key set fingerprint', async function () {
        await ensureKeys(storage.db, box);
        const before = keySetFingerprint(await listKeys(storage.db));
        expect(keySetFingerprint(await listKeys(storage.db))).to.equal(before);
        await rotateKeys(storage.db, box, KEEP_RETIRING);
        expect(keySetFingerprint(await listKeys(storage.db))).not.to.equal(before);
      });

      it('moves the access-token signing key to the former next key', async function () {
        await ensureKeys(storage.db, box);
        const next = only(await listKeys(storage.db), 'access', 'next');
        await rotateKeys(storage.db, box, KEEP_RETIRING);
        expect(await currentAccessKid(storage.db)).to.equal(next.kid);
      });
    });

    describe('listKeys', function () {
      it('lists a retiring key until its retire_after, then no longer', async function () {
        await ensureKeys(storage.db, box);
        await rotateKeys(storage.db, box, KEEP_RETIRING);
        const retiringKids = async () =>
          (await listKeys(storage.db)).filter((k) => k.state === 'retiring').map((k) => k.purpose);

        clock.tick(KEEP_RETIRING.access - 1);
        expect(await retiringKids()).to.have.members(['access', 'id']);
        clock.tick(1);
        expect(await retiringKids()).to.deep.equal(['id']);
        clock.tick(KEEP_RETIRING.id - KEEP_RETIRING.access);
        expect(await retiringKids()).to.deep.equal([]);
        expect(await listKeys(storage.db)).to.have.length(4);
      });

      it('shows no private key material', async function () {
        await ensureKeys(storage.db, box);
        for (const key of await listKeys(storage.db)) {
          expect(key).to.have.all.keys(
            'kid',
            'alg',
            'use',
            'purpose',
            'state',
            'createdAt',
            'retireAfter',
          );
        }
      });
    });

    describe('purgeRetiredKeys', function () {
      it('deletes retiring keys past retire_after and keeps every other key', async function () {
        await ensureKeys(storage.db, box);
        const rotated = await rotateKeys(storage.db, box, KEEP_RETIRING);
        expect(await purgeRetiredKeys(storage.db)).to.equal(0);

        clock.tick(KEEP_RETIRING.access);
        expect(await purgeRetiredKeys(storage.db)).to.equal(1);

        const expected = rotated
          .filter((k) => !(k.purpose === 'access' && k.state === 'retiring'))
          .map((k) => k.kid)
          .sort();
        expect(await storedKids()).to.deep.equal(expected);
      });
    });

    describe('loadSigningKeys', function () {
      it('returns private JWKs with the current key first for each algorithm', async function () {
        await ensureKeys(storage.db, box);
        const keys = await rotateKeys(storage.db, box, KEEP_RETIRING);

        const jwks = await loadSigningKeys(storage.db, box);

        expect(jwks).to.have.length(6);
        for (const [purpose, alg] of [
          ['access', 'ES256'],
          ['id', 'RS256'],
        ] as const) {
          const ofAlg = jwks.filter((j) => j.alg === alg);
          expect(ofAlg.map((j) => j.kid)).to.deep.equal([
            only(keys, purpose, 'current').kid,
            only(keys, purpose, 'next').kid,
            only(keys, purpose, 'retiring').kid,
          ]);
          for (const jwk of ofAlg) {
            expect(jwk.use).to.equal('sig');
            expect(jwk.kty).to.equal(alg === 'ES256' ? 'EC' : 'RSA');
            expect(jwk.d, 'private exponent').to.be.a('string');
            expect(await calculateJwkThumbprint(jwk)).to.equal(jwk.kid);
          }
        }
      });

      it('leaves out retiring keys past retire_after', async function () {
        await ensureKeys(storage.db, box);
        await rotateKeys(storage.db, box, KEEP_RETIRING);
        clock.tick(KEEP_RETIRING.id);
        expect(await loadSigningKeys(storage.db, box)).to.have.length(4);
      });

      it('cannot open the keys with another master key', async function () {
        await ensureKeys(storage.db, box);
        const error = await loadSigningKeys(storage.db, createSecretBox(randomBytes(32))).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(Error);
      });
    });

    describe('private keys at rest', function () {
      it('stores the private_jwk column sealed, not as a JSON JWK', async function () {
        await ensureKeys(storage.db, box);
        const jwks = await loadSigningKeys(storage.db, box);
        const rows = await storage.db<KeyRow>('signing_keys').select('kid', 'private_jwk');

        expect(rows).to.have.length(4);
        for (const row of rows) {
          const privatePart = jwks.find((j) => j.kid === row.kid)?.d;
          if (privatePart === undefined) {
            expect.fail(`loadSigningKeys returned no private key for ${row.kid}`);
          }
          expect(() => {
            JSON.parse(row.private_jwk);
          }).to.throw(SyntaxError);
          expect(row.private_jwk).not.to.include(privatePart);
        }
      });
    });

    describe('currentAccessKid', function () {
      it('fails with a hint when no key was ever created', async function () {
        const error = await currentAccessKid(storage.db).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error)
          .to.be.instanceOf(Error)
          .with.property('message')
          .that.includes('run the auth server');
      });
    });
  });
}
