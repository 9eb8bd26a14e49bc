import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import request from 'supertest';
import sinon from 'sinon';
import { KEY_PURGE_INTERVAL_MS } from '../../resource-services/tweets/app.js';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { newUserId, postTweet, useTweetsService } from './service.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A logger whose lines a test can wait for. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString()) as Record<string, unknown>;
      lines.push(line);
      for (const w of waiters.filter((w) => w.match(line))) {
        w.resolve();
      }
      done();
    },
  });
  return {
    logger: pino({ level: 'info' }, stream),
    lines,
    waitFor(match: (l: Record<string, unknown>) => boolean): Promise<void> {
      if (lines.some(match)) {
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

for (const kind of DATABASE_KINDS) {
  describe(`tweets service composition (${kind})`, function () {
    describe('with a configured worker id', function () {
      const h = useTweetsService(kind, 'lifecycle', { workerId: 77 });

      it('puts CHIRP_TWEETS_WORKER_ID into every tweet id', async function () {
        const tweet = await postTweet(h, newUserId(), 'worker');
        expect(h.service.workerId).to.equal(77);
        expect(Number((BigInt(tweet.id) >> 12n) & 1023n)).to.equal(77);
      });

      it('serves /openapi.json without a token', async function () {
        const res = await h.http().get('/openapi.json');
        expect(res.status).to.equal(200);
        expect((res.body as { openapi: string }).openapi).to.equal('3.1.0');
      });

      it('answers /healthz and /readyz (the database is reachable) on both apps', async function () {
        for (const app of [h.service.app, h.service.internalApp]) {
          expect((await request(app.callback()).get('/healthz')).status).to.equal(200);
          const ready = await request(app.callback()).get('/readyz');
          expect(ready.status).to.equal(200);
          expect(ready.body).to.deep.include({ checks: { database: 'ok' } });
        }
      });

      it('serves /metrics on the internal app only', async function () {
        expect((await request(h.service.internalApp.callback()).get('/metrics')).status).to.equal(
          200,
        );
        expect((await h.http().get('/metrics')).status).to.equal(404);
      });

      it('answers 405 with Allow for a known path and another method', async function () {
        const res = await h.http().put('/tweets');
        expect(res.status).to.equal(405);
        expect(res.headers['allow']).to.include('POST');
      });
    });

    describe('without a configured worker id', function () {
      const h = useTweetsService(kind, 'lifecycle_random');

      it('picks a worker id from 0 to 1023 at start', function () {
        expect(h.service.workerId).to.be.within(0, 1023);
      });
    });

    describe('purging expired idempotency keys on its timer', function () {
      let clock: sinon.SinonFakeTimers;
      const log = capturingLogger();
      // Only the interval timers are faked: the database driver keeps its real timeouts.
      before(function () {
        clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      });
      after(function () {
        clock.restore();
      });
      const h = useTweetsService(kind, 'lifecycle_purge', { logger: log.logger });

      it('runs the purge every interval and stops the timer on close', async function () {
        const user = newUserId();
        await h
          .http()
          .post('/tweets')
          .set('Authorization', `Bearer ${await h.userToken(user)}`)
          .set('Idempotency-Key', 'expires')
          .send({ text: 'soon forgotten' });
        h.advanceClock(DAY_MS + 1);
        // Ours and the connection pool's reaper; both must be gone after close().
        expect(clock.countTimers()).to.be.at.least(1);
        clock.tick(KEY_PURGE_INTERVAL_MS);
        await log.waitFor((l) => l['msg'] === 'purged expired idempotency keys');
        expect(log.lines.find((l) => l['purged'] !== undefined)?.['purged']).to.equal(1);
        await h.service.close();
        expect(clock.countTimers()).to.equal(0);
      });
    });
  });
}
