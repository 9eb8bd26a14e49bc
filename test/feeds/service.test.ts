import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import { isConfigError, loadConfig } from '../../config/index.js';
import { createFeedsService, startFeedsService } from '../../resource-services/feeds/app.js';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { useTempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';
import { mintingTokenSource, pageOf, useWorld } from './world.js';

for (const kind of DATABASE_KINDS) {
  describe(`feeds service health and metrics [${kind}]`, function () {
    const world = useWorld(kind, { per: 'all' });

    it('is ready when its database answers, on the public and the internal port', async function () {
      for (const app of [world.feeds.app, world.feeds.internalApp]) {
        const res = await request(app.callback()).get('/readyz');
        expect(res.status, res.text).to.equal(200);
        expect(res.body).to.deep.equal({ status: 'ready', checks: { database: 'ok' } });
      }
    });

    it('exports the breaker state of users and tweets, closed at first', async function () {
      const res = await request(world.feeds.internalApp.callback()).get('/metrics');
      expect(res.text).to.match(/^dependency_circuit_state\{[^}]*dependency="users"[^}]*\} 0$/m);
      expect(res.text).to.match(/^dependency_circuit_state\{[^}]*dependency="tweets"[^}]*\} 0$/m);
    });

    it('echoes the caller X-Request-Id', async function () {
      const me = await world.createUser();
      const res = await request(world.feeds.app.callback())
        .get('/feeds/home')
        .set({ Authorization: `Bearer ${await world.feedsToken(me)}`, 'X-Request-Id': 'abc-123' });
      expect(res.status).to.equal(200);
      expect(res.headers['x-request-id']).to.equal('abc-123');
    });

    it('counts each answer served degraded in feeds_home_fallbacks_total', async function () {
      const me = await world.createUser();
      await world.post(me, 'cached');
      await world.home(me);
      await world.stopTweets();
      try {
        expect(pageOf(await world.home(me)).degraded).to.equal(true);
      } finally {
        await world.startTweets();
      }
      const res = await request(world.feeds.internalApp.callback()).get('/metrics');
      const line = res.text.split('\n').find((l) => l.startsWith('feeds_home_fallbacks_total{'));
      expect(line).to.include('outcome="degraded"').and.include('dependency="tweets"');
      expect(line).to.match(/\} 1$/);
    });
  });
}

describe('feeds service start-up', function () {
  const dir = useTempDir('feeds-start');

  function config(env: Record<string, string> = {}) {
    return loadConfig('feeds', {
      CHIRP_DATA_DIR: dir.path,
      CHIRP_LOG_LEVEL: 'silent',
      CHIRP_FEEDS_PORT: '0',
      CHIRP_FEEDS_METRICS_PORT: '0',
      ...env,
    });
  }

  it('refuses to start without client credentials, naming both variables', async function () {
    const e = await createFeedsService(config()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isConfigError(e)).to.equal(true);
    const problems = isConfigError(e) ? e.problems.join('\n') : '';
    expect(problems).to.include('CHIRP_FEEDS_CLIENT_ID: required');
    expect(problems).to.include('CHIRP_FEEDS_CLIENT_SECRET: required');
  });

  it('names only the missing secret when the client id is set', async function () {
    const e = await createFeedsService(config({ CHIRP_FEEDS_CLIENT_ID: 'feeds' })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(isConfigError(e) ? e.problems : []).to.have.length(1);
    expect(isConfigError(e) ? e.problems[0] : '').to.match(/^CHIRP_FEEDS_CLIENT_SECRET: /);
  });

  it('starts with client credentials and no token source, without reaching the issuer yet', async function () {
    const env = {
      CHIRP_FEEDS_CLIENT_ID: 'feeds',
      CHIRP_FEEDS_CLIENT_SECRET: 'secret',
      // Nothing listens here: start-up must not need the authorization server.
      CHIRP_ISSUER: 'http://127.0.0.1:9',
    };
    const service = await createFeedsService(config(env), { logger: pino({ level: 'silent' }) });
    await service.close();
  });

  it('listens on both ports and stops cleanly', async function () {
    const issuer = await createTestIssuer();
    const running = await startFeedsService(config({ CHIRP_ISSUER: issuer.issuer }), {
      getKey: issuer.getKey,
      tokenSource: mintingTokenSource(issuer),
      logger: pino({ level: 'silent' }),
    });
    try {
      const doc = await fetch(`${running.url}/openapi.json`);
      expect(doc.status).to.equal(200);
      const health = await fetch(`${running.metricsUrl}/healthz`);
      expect(health.status).to.equal(200);
    } finally {
      await running.stop();
    }
  });
});
