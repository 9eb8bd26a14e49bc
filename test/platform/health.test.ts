import { expect } from 'chai';
import Koa from 'koa';
import { pino } from 'pino';
import sinon from 'sinon';
import request from 'supertest';
import type { Response } from 'supertest';
import { healthRoutes } from '../../platform/observability/health.js';
import type { ReadinessCheck } from '../../platform/observability/health.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { createInternalApp, createService } from '../../platform/service.js';

interface ReadyBody {
  status: string;
  checks: Record<string, string>;
}

/** The internal app: the only one whose /readyz says why a check fails. */
function serviceWith(readiness: Record<string, ReadinessCheck>): Koa {
  return createInternalApp({
    logger: pino({ level: 'silent' }),
    metrics: createMetrics('health-test'),
    readiness,
  });
}

/** A check that never settles, and a promise that resolves once the check has been called. */
function hangingCheck(): { check: ReadinessCheck; called: Promise<void> } {
  let markCalled: () => void = () => undefined;
  const called = new Promise<void>((resolve) => {
    markCalled = resolve;
  });
  return {
    called,
    check: () => {
      markCalled();
      return new Promise<void>(() => undefined);
    },
  };
}

describe('health endpoints', function () {
  describe('GET /healthz', function () {
    it('answers 200 while the process runs, even when a dependency is down', async function () {
      const app = serviceWith({ database: () => Promise.reject(new Error('down')) });
      const res = await request(app.callback()).get('/healthz').expect(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
      expect(res.headers['cache-control']).to.equal('no-store');
    });
  });

  describe('GET /readyz', function () {
    it('answers 200 when every check passes', async function () {
      const app = serviceWith({
        database: () => Promise.resolve(),
        users: () => Promise.resolve(),
      });
      const res = await request(app.callback()).get('/readyz').expect(200);
      expect(res.body).to.deep.equal({ status: 'ready', checks: { database: 'ok', users: 'ok' } });
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('answers 503 naming the failing check and why', async function () {
      const app = serviceWith({
        database: () => Promise.resolve(),
        users: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:4101')),
      });
      const res = await request(app.callback()).get('/readyz').expect(503);
      const body = res.body as ReadyBody;
      expect(body.status).to.equal('not ready');
      expect(body.checks['database']).to.equal('ok');
      expect(body.checks['users']).to.match(/^failing: .*ECONNREFUSED/);
    });

    describe('with a check that never answers', function () {
      let clock: sinon.SinonFakeTimers;

      beforeEach(function () {
        clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      });

      afterEach(function () {
        clock.restore();
      });

      /** Sends GET /readyz and resolves once every hanging check has been called. */
      async function startReadyz(app: Koa, hanging: readonly { called: Promise<void> }[]) {
        let settled = false;
        const response = request(app.callback())
          .get('/readyz')
          .then((res: Response) => {
            settled = true;
            return res;
          });
        await Promise.all(hanging.map((h) => h.called));
        return { response, isSettled: () => settled };
      }

      it('reports it failing once the 2-second default deadline passes, not later', async function () {
        const database = hangingCheck();
        const app = serviceWith({ database: database.check, users: () => Promise.resolve() });
        const { response, isSettled } = await startReadyz(app, [database]);

        await clock.tickAsync(1_999);
        expect(isSettled(), 'answered before the deadline').to.equal(false);
        await clock.tickAsync(1);
        const res = await response;

        expect(res.status).to.equal(503);
        expect(res.body).to.deep.equal({
          status: 'not ready',
          checks: { database: 'failing: no answer within 2000 ms', users: 'ok' },
        });
      });

      it('runs the checks side by side, so two hanging checks share one deadline', async function () {
        const first = hangingCheck();
        const second = hangingCheck();
        const app = new Koa();
        app.use(healthRoutes({ first: first.check, second: second.check }, 50));
        const { response } = await startReadyz(app, [first, second]);

        await clock.tickAsync(50);
        const res = await response;

        expect(res.status).to.equal(503);
        expect((res.body as ReadyBody).checks).to.deep.equal({
          first: 'failing: no answer within 50 ms',
          second: 'failing: no answer within 50 ms',
        });
      });
    });
  });

  it('says only "failing" on the public port, without the reason', async function () {
    const app = createService({
      logger: pino({ level: 'silent' }),
      metrics: createMetrics('health-test'),
      readiness: {
        database: () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.5:5432')),
      },
    });
    const res = await request(app.callback()).get('/readyz').expect(503);
    expect((res.body as ReadyBody).checks).to.deep.equal({ database: 'failing' });
    expect(res.text).not.to.include('ECONNREFUSED');
  });
});
