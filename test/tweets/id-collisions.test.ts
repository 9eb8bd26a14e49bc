import { expect } from 'chai';
import { DATABASE_KINDS, useMigratedDatabase } from '../helpers/postgres.js';
import { createIdGenerator, TWEET_ID_EPOCH_MS } from '../../resource-services/tweets/ids.js';
import type { IdGenerator } from '../../resource-services/tweets/ids.js';
import { tweetsMigrations } from '../../resource-services/tweets/migrations/index.js';
import { createTweetsRepository } from '../../resource-services/tweets/repository.js';
import { createTweets } from '../../resource-services/tweets/tweets.js';
import type { Tweets } from '../../resource-services/tweets/tweets.js';

/** Two instances that drew the same random worker id, with clocks in the same millisecond. */
function twinGenerators(): [IdGenerator, IdGenerator] {
  const now = () => TWEET_ID_EPOCH_MS + 1_000_000;
  return [createIdGenerator({ workerId: 42, now }), createIdGenerator({ workerId: 42, now })];
}

for (const kind of DATABASE_KINDS) {
  describe(`creating tweets when another instance made the same id (${kind})`, function () {
    const database = useMigratedDatabase(kind, {
      label: 'tweets_ids',
      migrations: tweetsMigrations,
      tables: ['tweets', 'idempotency_keys'],
    });

    const twins = (): [Tweets, Tweets] => {
      const repository = createTweetsRepository(database.db);
      const [a, b] = twinGenerators();
      return [
        createTweets({ repository, ids: a, now: Date.now }),
        createTweets({ repository, ids: b, now: Date.now }),
      ];
    };

    it('retries with a fresh id instead of failing or overwriting', async function () {
      const [first, second] = twins();
      const a = await first.create({ authorId: 'alice', text: 'first' });
      const b = await second.create({ authorId: 'bob', text: 'second' });
      const idA = (a.body as { id: string }).id;
      const idB = (b.body as { id: string }).id;
      expect(idB).not.to.equal(idA);
      expect((await first.get(idA)).text).to.equal('first');
      expect((await first.get(idB)).text).to.equal('second');
    });

    it('retries with a fresh id under an Idempotency-Key, storing the key once', async function () {
      const [first, second] = twins();
      await first.create({ authorId: 'alice', text: 'first' });
      const b = await second.create({ authorId: 'bob', text: 'keyed', idempotencyKey: 'k' });
      const replay = await second.create({ authorId: 'bob', text: 'keyed', idempotencyKey: 'k' });
      expect(replay.replayed).to.equal(true);
      expect(replay.body).to.deep.equal(b.body);
      const page = await first.listByAuthor('bob', { limit: 10 });
      expect(page.items.map((t) => t.id)).to.deep.equal([(b.body as { id: string }).id]);
    });

    it('gives up with an error after five clashing ids, having stored nothing more', async function () {
      const repository = createTweetsRepository(database.db);
      const [a] = twinGenerators();
      const taken = a.next();
      await createTweets({
        repository,
        ids: { workerId: 42, next: () => taken },
        now: Date.now,
      }).create({ authorId: 'alice', text: 'holds the id' });
      const stuck = createTweets({
        repository,
        ids: { workerId: 42, next: () => taken },
        now: Date.now,
      });
      let error: unknown;
      try {
        await stuck.create({ authorId: 'bob', text: 'never stored', idempotencyKey: 'k' });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(Error);
      expect((await stuck.listByAuthor('bob', { limit: 10 })).items).to.deep.equal([]);
      expect(await repository.findResponse('bob', 'k')).to.equal(undefined);
    });
  });
}
