import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import request from 'supertest';
import type { Gateway } from '../../gateway/app.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';
import {
  REDIS_SKIP_REASON,
  TWEETS,
  redisUrl,
  roundRobinResolver,
  startEchoUpstream,
  testGateway,
} from './support.js';
import type { EchoUpstream } from './support.js';

/** Small limits so a test spends them quickly: 60 a minute (1 a second), bursts of 5. */
const LIMITS = {
  CHIRP_GATEWAY_RATE_LIMIT: '60',
  CHIRP_GATEWAY_RATE_LIMIT_BURST: '5',
  CHIRP_GATEWAY_ANON_RATE_LIMIT: '60',
  CHIRP_GATEWAY_ANON_RATE_LIMIT_BURST: '3',
};

describe('gateway rate limits', function () {
  let issuer: TestIssuer;
  let echo: EchoUpstream;
  const gateways: Gateway[] = [];

  before(async function () {
    issuer = await createTestIssuer();
    echo = await startEchoUpstream();
  });
  after(async function () {
    await echo.close();
  });
  afterEach(async function () {
    await Promise.all(gateways.splice(0).map((g) => g.close()));
  });

  const gatewayWith = (env: Record<string, string> = {}): Gateway => {
    const resolver = roundRobinResolver({ tweets: [echo.url] });
    const g = testGateway(issuer, { ...LIMITS, ...env }, { resolver });
    gateways.push(g);
    return g;
  };
  const clientToken = (clientId: string) =>
    issuer.mint({ aud: TWEETS, scope: 'tweets:read', clientId });

  it('lets a client burst, then answers 429 problem+json with Retry-After', async function () {
    const api = request(gatewayWith().app.callback());
    const token = await clientToken('burst-client');
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 8; i += 1) {
      last = await api.get('/tweets/1').set('Authorization', `Bearer ${token}`);
      statuses.push(last.status);
    }
    // 5 at once (the burst), possibly one more if a new second began meanwhile.
    expect(statuses.filter((s) => s === 200).length).to.be.within(5, 6);
    expect(statuses.at(-1)).to.equal(429);
    expect(last?.headers['retry-after']).to.match(/^[1-9]\d*$/);
    expect(last?.headers['ratelimit-remaining']).to.equal('0');
    expect(last?.headers['ratelimit-limit']).to.equal('5');
    expect(last?.headers['content-type']).to.match(/^application\/problem\+json/);
  });

  it('limits each client and each user on its own', async function () {
    const api = request(gatewayWith().app.callback());
    const a = await clientToken('client-a');
    for (let i = 0; i < 7; i += 1) {
      await api.get('/tweets/1').set('Authorization', `Bearer ${a}`);
    }
    expect((await api.get('/tweets/1').set('Authorization', `Bearer ${a}`)).status).to.equal(429);
    const b = await clientToken('client-b');
    expect((await api.get('/tweets/1').set('Authorization', `Bearer ${b}`)).status).to.equal(200);
    const user = await issuer.mint({
      aud: TWEETS,
      scope: 'tweets:read',
      clientId: 'client-a',
      user: 'u1',
    });
    expect((await api.get('/tweets/1').set('Authorization', `Bearer ${user}`)).status).to.equal(
      200,
    );
  });

  it('limits requests without a valid token per IP, and a spoofed X-Forwarded-For does not dodge it', async function () {
    const api = request(gatewayWith().app.callback());
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await api.get('/tweets/1').set('X-Forwarded-For', `10.0.0.${i}`);
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 3)).to.deep.equal([401, 401, 401]);
    expect(statuses.at(-1)).to.equal(429);
    // Bad tokens count against the IP too.
    const bad = await api.get('/tweets/1').set('Authorization', 'Bearer not.a.token');
    expect(bad.status).to.equal(429);
  });

  it('believes X-Forwarded-For from a trusted proxy only', async function () {
    const api = request(
      gatewayWith({ CHIRP_GATEWAY_TRUSTED_PROXIES: '127.0.0.1,::1' }).app.callback(),
    );
    for (let i = 0; i < 5; i += 1) {
      await api.get('/tweets/1').set('X-Forwarded-For', '203.0.113.7');
    }
    const spent = await api.get('/tweets/1').set('X-Forwarded-For', '203.0.113.7');
    expect(spent.status).to.equal(429);
    const other = await api.get('/tweets/1').set('X-Forwarded-For', '203.0.113.8');
    expect(other.status).to.equal(401);
    // The trusted hop's own client cannot prepend a fake address to escape: the right-most
    // untrusted entry is the client.
    const prepended = await api.get('/tweets/1').set('X-Forwarded-For', '1.1.1.1, 203.0.113.7');
    expect(prepended.status).to.equal(429);
  });

  describe('shared through Redis', function () {
    before(function () {
      if (redisUrl() === undefined) {
        console.log(`    ${REDIS_SKIP_REASON}`);
        this.skip();
      }
    });

    it('two gateways spend one limit per client', async function () {
      // A fresh client id per run keeps runs from sharing counters.
      const clientId = `redis-${randomBytes(6).toString('hex')}`;
      const env = { CHIRP_REDIS_URL: redisUrl() ?? '' };
      const one = request(gatewayWith(env).app.callback());
      const two = request(gatewayWith(env).app.callback());
      const token = await clientToken(clientId);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i += 1) {
        const api = i % 2 === 0 ? one : two;
        statuses.push((await api.get('/tweets/1').set('Authorization', `Bearer ${token}`)).status);
      }
      expect(statuses.filter((s) => s === 200).length).to.be.within(5, 6);
      expect(statuses.at(-1)).to.equal(429);
      expect(statuses.at(-2)).to.equal(429);
    });
  });
});
