import { expect } from 'chai';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { firstError, newUserId, problemOf, tweetOf, useTweetsService } from './service.js';
import type { TweetsHarness } from './service.js';

const DAY_MS = 24 * 60 * 60 * 1000;

for (const kind of DATABASE_KINDS) {
  describe(`POST /tweets with an Idempotency-Key (${kind})`, function () {
    const h = useTweetsService(kind, 'idempotency');

    it('replays the first response for a repeated key and body, creating one tweet', async function () {
      const user = newUserId();
      const first = await post(h, user, 'key-1', { text: 'only once' });
      const again = await post(h, user, 'key-1', { text: 'only once' });
      expect(first.status).to.equal(201);
      expect(first.headers['idempotent-replayed']).to.equal(undefined);
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers['idempotent-replayed']).to.equal('true');
      expect(again.headers['location']).to.equal(`/tweets/${tweetOf(first).id}`);
      expect(await tweetIds(h, user)).to.deep.equal([tweetOf(first).id]);
    });

    it('treats a body that differs only in Unicode normalisation as the same body', async function () {
      const user = newUserId();
      const first = await post(h, user, 'nfc', { text: 'caf\u00e9' });
      const again = await post(h, user, 'nfc', { text: 'cafe\u0301' });
      expect(again.status).to.equal(201);
      expect(tweetOf(again).id).to.equal(tweetOf(first).id);
    });

    it('answers 422 for a key reused with a different body, and stores nothing more', async function () {
      const user = newUserId();
      const first = await post(h, user, 'key-2', { text: 'first' });
      const other = await post(h, user, 'key-2', { text: 'second' });
      expect(other.status).to.equal(422);
      expect(other.headers['content-type']).to.include('application/problem+json');
      expect(problemOf(other).detail).to.include('Idempotency-Key');
      expect(await tweetIds(h, user)).to.deep.equal([tweetOf(first).id]);
    });

    it('creates exactly one tweet for concurrent requests with the same key', async function () {
      const user = newUserId();
      const token = await h.userToken(user);
      const responses = await Promise.all(
        Array.from({ length: 8 }, () =>
          h
            .http()
            .post('/tweets')
            .set('Authorization', `Bearer ${token}`)
            .set('Idempotency-Key', 'race')
            .send({ text: 'racing' }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses).to.deep.equal(Array<number>(8).fill(201));
      const ids = new Set(responses.map((r) => (r.body as { id: string }).id));
      expect(ids.size).to.equal(1);
      expect(
        responses.filter((r) => r.headers['idempotent-replayed'] === undefined),
      ).to.have.length(1);
      expect(await tweetIds(h, user)).to.deep.equal([...ids]);
    });

    it('keeps keys per author: the same key from another author is independent', async function () {
      const alice = newUserId();
      const bob = newUserId();
      const a = await post(h, alice, 'shared-key', { text: 'same text' });
      const b = await post(h, bob, 'shared-key', { text: 'other text' });
      expect(a.status).to.equal(201);
      expect(b.status).to.equal(201);
      expect(tweetOf(b).id).not.to.equal(tweetOf(a).id);
      expect(tweetOf(b).authorId).to.equal(bob);
    });

    it('creates separate tweets for different keys with the same body', async function () {
      const user = newUserId();
      const a = await post(h, user, 'k-a', { text: 'twice' });
      const b = await post(h, user, 'k-b', { text: 'twice' });
      expect(tweetOf(b).id).not.to.equal(tweetOf(a).id);
      expect(await tweetIds(h, user)).to.have.length(2);
    });

    for (const [what, key] of [
      ['an empty key', ''],
      ['a key over 255 characters', 'k'.repeat(256)],
      ['a key with a non-ASCII character', 'clé'],
    ] as const) {
      it(`answers 400 naming Idempotency-Key for ${what}`, async function () {
        const user = newUserId();
        const res = await post(h, user, key, { text: 'bad key' });
        expect(res.status).to.equal(400);
        expect(firstError(res).field).to.equal('Idempotency-Key');
        expect(await tweetIds(h, user)).to.deep.equal([]);
      });
    }

    it('does not remember a key whose request was refused', async function () {
      const user = newUserId();
      const refused = await post(h, user, 'after-400', { text: '' });
      const accepted = await post(h, user, 'after-400', { text: 'now valid' });
      expect(refused.status).to.equal(400);
      expect(accepted.status).to.equal(201);
      expect(accepted.headers['idempotent-replayed']).to.equal(undefined);
    });

    it('forgets a key after 24 hours: the same key then creates a new tweet', async function () {
      const user = newUserId();
      const first = await post(h, user, 'old-key', { text: 'yesterday' });
      h.advanceClock(DAY_MS + 1);
      try {
        const next = await post(h, user, 'old-key', { text: 'today' });
        expect(next.status).to.equal(201);
        expect(tweetOf(next).id).not.to.equal(tweetOf(first).id);
        const replay = await post(h, user, 'old-key', { text: 'today' });
        expect(tweetOf(replay).id).to.equal(tweetOf(next).id);
      } finally {
        h.advanceClock(-(DAY_MS + 1));
      }
    });

    it('purges keys older than 24 hours and keeps younger ones', async function () {
      const user = newUserId();
      const old = await post(h, user, 'purge-old', { text: 'old' });
      h.advanceClock(DAY_MS / 2);
      try {
        await post(h, user, 'purge-young', { text: 'young' });
        h.advanceClock(DAY_MS / 2 + 1);
        // Other tests' keys are as old, so only a lower bound holds on this shared database.
        expect(await h.service.purgeExpiredKeys()).to.be.at.least(1);
        // The young key still replays; the old one is free again.
        const young = await post(h, user, 'purge-young', { text: 'young' });
        expect(young.headers['idempotent-replayed']).to.equal('true');
        const reused = await post(h, user, 'purge-old', { text: 'different now' });
        expect(reused.status).to.equal(201);
        expect(tweetOf(reused).id).not.to.equal(tweetOf(old).id);
      } finally {
        h.advanceClock(-(DAY_MS + 1));
      }
    });
  });
}

async function post(h: TweetsHarness, user: string, key: string, body: object) {
  return h
    .http()
    .post('/tweets')
    .set('Authorization', `Bearer ${await h.userToken(user)}`)
    .set('Idempotency-Key', key)
    .send(body);
}

async function tweetIds(h: TweetsHarness, user: string): Promise<string[]> {
  const res = await h
    .http()
    .get('/tweets')
    .query({ author: user, limit: 100 })
    .set('Authorization', `Bearer ${await h.userToken(user)}`);
  expect(res.status).to.equal(200);
  return (res.body as { items: { id: string }[] }).items.map((t) => t.id);
}
