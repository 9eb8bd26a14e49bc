import { createServer, request as httpRequest } from 'node:http';
import { expect } from 'chai';
import request from 'supertest';
import type { Gateway } from '../../gateway/app.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';
import {
  FEEDS,
  TWEETS,
  USERS,
  roundRobinResolver,
  startEchoUpstream,
  testGateway,
} from './support.js';
import type { EchoUpstream } from './support.js';

describe('gateway routing (echo upstreams)', function () {
  let issuer: TestIssuer;
  let echo: EchoUpstream;
  let gateway: Gateway;
  let tweetsToken: string;

  before(async function () {
    issuer = await createTestIssuer();
    echo = await startEchoUpstream();
    const resolver = roundRobinResolver({
      users: [echo.url],
      tweets: [echo.url],
      feeds: [echo.url],
    });
    gateway = testGateway(
      issuer,
      {
        CHIRP_GATEWAY_CORS_ORIGINS: 'https://app.example',
        // This suite sends many requests with one client's tokens; limits have their own suite.
        CHIRP_GATEWAY_ANON_RATE_LIMIT: '100000',
        CHIRP_GATEWAY_ANON_RATE_LIMIT_BURST: '100000',
        CHIRP_GATEWAY_RATE_LIMIT: '100000',
        CHIRP_GATEWAY_RATE_LIMIT_BURST: '100000',
      },
      { resolver },
    );
    tweetsToken = await issuer.mint({ aud: TWEETS, scope: 'tweets:read' });
  });
  after(async function () {
    await gateway.close();
    await echo.close();
  });
  beforeEach(function () {
    echo.seen.length = 0;
  });

  const api = () => request(gateway.app.callback());
  const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

  it('forwards each DESIGN route with a token for its audience, path and query unchanged', async function () {
    const cases: [string, string, string][] = [
      ['get', '/tweets/123', TWEETS],
      ['get', '/tweets?author=u1&limit=5', TWEETS],
      ['delete', '/tweets/123', TWEETS],
      ['get', '/users/u1', USERS],
      ['get', '/users/by-handle/alice', USERS],
      ['get', '/users/u1/followers?cursor=abc', USERS],
      ['get', '/me', USERS],
      ['put', '/me/following/u2', USERS],
      ['get', '/feeds/home?limit=3', FEEDS],
    ];
    for (const [method, path, aud] of cases) {
      const token = await issuer.mint({ aud, scope: 'x' });
      const res = await api()[method as 'get'](path).set(bearer(token));
      expect(res.status, `${method} ${path}`).to.equal(200);
      expect(res.headers['x-upstream']).to.equal('echo');
      expect(echo.seen.at(-1)?.url).to.equal(path);
      expect(echo.seen.at(-1)?.method).to.equal(method.toUpperCase());
    }
  });

  it('answers 401 invalid_token for a token of another audience, without calling the service', async function () {
    const usersToken = await issuer.mint({ aud: USERS, scope: 'users:read' });
    const res = await api().get('/tweets/1').set(bearer(usersToken));
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.match(/error="invalid_token"/);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(echo.seen).to.have.length(0);
  });

  it('answers 401 with a bare challenge when no token is sent', async function () {
    const res = await api().get('/tweets/1');
    expect(res.status).to.equal(401);
    expect(res.headers['www-authenticate']).to.equal('Bearer realm="chirp"');
    expect(echo.seen).to.have.length(0);
  });

  it('never reaches internal routes, however the path is spelt', async function () {
    const paths = [
      '/internal/timelines',
      '/internal/users/u1/following-ids',
      '/internal/password-checks',
      '/%2e%2e/internal/timelines',
      '/tweets/%2e%2e/internal/timelines',
      '/tweets/..%2Finternal%2Ftimelines',
      '/tweets/%2E%2E%2Finternal%2Ftimelines',
      '//internal/timelines',
      '/tweets//internal/timelines',
      '/tweets/1/../../internal/timelines',
      '/users/u1%2F..%2F..%2Finternal%2Fusers%2Fbatch',
      '/./internal/timelines',
      '/metrics',
      '/openapi.json',
      '/registry/services/tweets/instances',
    ];
    for (const path of paths) {
      for (const method of ['get', 'post'] as const) {
        const res = await rawRequest(method.toUpperCase(), path, tweetsToken);
        expect(res.status, `${method} ${path}`).to.be.oneOf([400, 404, 405]);
        expect(res.contentType, `${method} ${path}`).to.match(/^application\/problem\+json/);
      }
    }
    expect(echo.seen.map((s) => s.url)).to.deep.equal([]);
  });

  it('strips spoofed forwarding, identity and hop-by-hop headers and sets its own', async function () {
    const res = await api()
      .post('/tweets')
      .set(bearer(await issuer.mint({ aud: TWEETS, scope: 'tweets:write', user: 'u1' })))
      .set('Content-Type', 'application/json')
      .set('X-Forwarded-For', '6.6.6.6')
      .set('X-Forwarded-Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .set('Forwarded', 'for=6.6.6.6')
      .set('X-Real-IP', '6.6.6.6')
      .set('X-User-Id', 'admin')
      .set('X-Client-Id', 'admin')
      .set('X-Secret', 'named by Connection')
      .set('Connection', 'X-Secret')
      .set('Idempotency-Key', 'k-1')
      .set('X-Request-Id', 'client-chosen.id_1')
      .send({ text: 'hello' });
    expect(res.status).to.equal(200);
    expect(res.headers['x-request-id']).to.equal('client-chosen.id_1');
    const seen = echo.seen.at(-1);
    expect(seen?.headers['x-forwarded-for']).to.equal('127.0.0.1');
    expect(seen?.headers['x-forwarded-proto']).to.equal('http');
    expect(seen?.headers['x-forwarded-host']).to.match(/^127\.0\.0\.1:\d+$/);
    for (const name of ['forwarded', 'x-real-ip', 'x-user-id', 'x-client-id', 'x-secret']) {
      expect(seen?.headers[name], name).to.equal(undefined);
    }
    expect(seen?.headers['x-request-id']).to.equal('client-chosen.id_1');
    expect(seen?.headers['traceparent']).to.match(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(seen?.headers['idempotency-key']).to.equal('k-1');
    expect(seen?.headers['content-length']).to.equal(String(Buffer.byteLength('{"text":"hello"}')));
    expect(seen?.body).to.equal('{"text":"hello"}');
  });

  it('replaces an invalid X-Request-Id and echoes it on errors too', async function () {
    const res = await api().get('/nowhere').set('X-Request-Id', 'bad id with spaces');
    expect(res.status).to.equal(404);
    expect(res.headers['x-request-id']).to.match(/^[A-Za-z0-9._-]{1,128}$/);
    expect((res.body as { requestId: string }).requestId).to.equal(res.headers['x-request-id']);
  });

  it('sends RateLimit headers on answers, errors included', async function () {
    for (const res of [
      await api().get('/tweets/1').set(bearer(tweetsToken)),
      await api().get('/nowhere'),
      await api().get('/tweets/1'),
    ]) {
      expect(res.headers['ratelimit-limit']).to.match(/^\d+$/);
      expect(res.headers['ratelimit-remaining']).to.match(/^\d+$/);
      expect(res.headers['ratelimit-reset']).to.match(/^\d+$/);
      expect(res.headers['ratelimit-policy']).to.match(/^\d+;w=60;burst=\d+$/);
    }
  });

  it('answers bad input with problem+json, never a 500', async function () {
    const writer = bearer(await issuer.mint({ aud: TWEETS, scope: 'tweets:write', user: 'u1' }));
    const answers = [
      await api().get('/tweets/%zz').set(bearer(tweetsToken)),
      await api().get('/tweets/a.b').set(bearer(tweetsToken)),
      await api().patch('/tweets/1').set(bearer(tweetsToken)),
      await api()
        .post('/tweets')
        .set(writer)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ text: 'x'.repeat(70 * 1024) })),
      await api().get('/tweets/1?access_token=abc'),
      await api().get('/tweets/1').set('Authorization', 'Basic abc'),
    ];
    expect(answers.map((r) => r.status)).to.deep.equal([400, 400, 405, 413, 400, 401]);
    for (const r of answers) {
      expect(r.headers['content-type']).to.match(/^application\/problem\+json/);
    }
    expect(answers[0]?.body).to.include({
      detail: 'id: must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -',
    });
    expect(answers[2]?.headers['allow']).to.equal('GET, DELETE, HEAD');
    expect(echo.seen).to.have.length(0);
  });

  it('refuses a chunked body over the limit with 413 before forwarding anything', async function () {
    const writer = await issuer.mint({ aud: TWEETS, scope: 'tweets:write', user: 'u1' });
    const status = await chunkedPost('/tweets', writer, 70 * 1024);
    expect(status).to.equal(413);
    expect(echo.seen).to.have.length(0);
  });

  it('answers CORS for a configured origin only, never with credentials', async function () {
    const allowed = await api()
      .options('/tweets/1')
      .set('Origin', 'https://app.example')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'authorization');
    expect(allowed.status).to.equal(204);
    expect(allowed.headers['access-control-allow-origin']).to.equal('https://app.example');
    expect(allowed.headers['access-control-allow-headers']).to.match(/Authorization/);
    expect(allowed.headers['access-control-allow-credentials']).to.equal(undefined);
    const other = await api()
      .get('/tweets/1')
      .set(bearer(tweetsToken))
      .set('Origin', 'https://evil.example');
    expect(other.status).to.equal(200);
    expect(other.headers['access-control-allow-origin']).to.equal(undefined);
    expect(other.headers['access-control-allow-credentials']).to.equal(undefined);
  });

  it('serves /healthz publicly and /metrics only on the internal app', async function () {
    expect((await api().get('/healthz')).status).to.equal(200);
    const metrics = await request(gateway.internalApp.callback()).get('/metrics');
    expect(metrics.status).to.equal(200);
    expect(metrics.text).to.match(/gateway_rate_limited_total/);
  });

  /** Sends a path byte for byte (supertest would normalise it). */
  async function rawRequest(method: string, path: string, token: string) {
    const handle = gateway.app.callback();
    const srv = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      return await new Promise<{ status: number; contentType: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${token}` } },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                contentType: res.headers['content-type'] ?? '',
              }),
            );
          },
        );
        req.on('error', reject);
        req.end();
      });
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }

  async function chunkedPost(path: string, token: string, bytes: number): Promise<number> {
    const handle = gateway.app.callback();
    const srv = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      return await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path,
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        const chunk = Buffer.alloc(1024, 'a');
        for (let sent = 0; sent < bytes; sent += chunk.length) {
          req.write(chunk);
        }
        req.end();
      });
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  }
});
