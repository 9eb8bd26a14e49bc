import type { ServerResponse } from 'node:http';
import { expect } from 'chai';
import sinon from 'sinon';
import { createDependencyPolicy } from '../../../platform/http/policies.js';
import type { DependencyPolicy, DependencyPolicyOptions } from '../../../platform/http/policies.js';
import {
  createResilientClient,
  isDependencyError,
} from '../../../platform/http/resilient-client.js';
import type {
  DependencyError,
  ResilientClient,
  ResilientClientOptions,
} from '../../../platform/http/resilient-client.js';
import { createTokenSource } from '../../../platform/http/token-source.js';
import { createMetrics } from '../../../platform/observability/metrics.js';
import type { Metrics } from '../../../platform/observability/metrics.js';
import { memoryLogger, sendJson, startStub } from './stub-server.js';
import type { SeenRequest, StubHandler, StubServer } from './stub-server.js';

type Step = (req: SeenRequest, res: ServerResponse) => void;

const respond =
  (status: number, headers: Record<string, string> = {}): Step =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end();
  };
const ok =
  (body: unknown = { ok: true }): Step =>
  (_req, res) =>
    sendJson(res, 200, body);
const hang: Step = () => undefined;

/** Plays `steps` in order, one per request; the last one repeats. */
function script(...steps: Step[]): StubHandler {
  let i = 0;
  return (req, res) => {
    const step = steps[Math.min(i, steps.length - 1)] ?? hang;
    i += 1;
    step(req, res);
  };
}

async function failureOf(promise: Promise<unknown>): Promise<DependencyError> {
  const e = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isDependencyError(e)) {
    throw new Error(`expected a DependencyError, got ${String(e)}`);
  }
  return e;
}

/** Fast backoff so retries do not slow the suite; each test overrides what it exercises. */
const FAST: DependencyPolicyOptions = { initialDelayMs: 1, maxDelayMs: 5 };

describe('createResilientClient', function () {
  let stub: StubServer;
  let answer: StubHandler;
  let metrics: Metrics;
  let log: ReturnType<typeof memoryLogger>;
  let policy: DependencyPolicy;
  let client: ResilientClient;
  let clock: sinon.SinonFakeTimers | undefined;

  beforeEach(async function () {
    answer = script(ok());
    stub = await startStub((req, res) => answer(req, res));
    metrics = createMetrics('http-test');
    log = memoryLogger();
  });

  afterEach(async function () {
    clock?.restore();
    clock = undefined;
    sinon.restore();
    client.close();
    await stub.close();
  });

  function build(
    options: DependencyPolicyOptions = {},
    extra: Partial<ResilientClientOptions> = {},
  ): ResilientClient {
    const observe = { logger: log.logger, metrics };
    policy = createDependencyPolicy('x', { ...FAST, ...options }, observe);
    client = createResilientClient({
      name: 'x',
      baseUrl: () => stub.url,
      policy,
      logger: log.logger,
      ...extra,
    });
    return client;
  }

  async function metricLine(name: string): Promise<string[]> {
    const text = await metrics.registry.metrics();
    return text.split('\n').filter((l) => l.startsWith(name));
  }

  describe('retries', function () {
    it('retries a GET that fails twice with 503 and returns the third answer', async function () {
      answer = script(respond(503), respond(503), ok({ id: '1' }));
      const res = await build().request<{ id: string }>({ method: 'GET', path: '/users/1' });
      expect(res.status).to.equal(200);
      expect(res.data).to.deep.equal({ id: '1' });
      expect(stub.requests).to.have.length(3);
      expect(await metricLine('dependency_retries_total{dependency="x"')).to.have.length(1);
      expect((await metricLine('dependency_retries_total{dependency="x"'))[0]).to.match(/ 2$/);
    });

    it('does not retry a POST without an Idempotency-Key', async function () {
      answer = script(respond(503), ok());
      const e = await failureOf(build().request({ method: 'POST', path: '/t', body: { a: 1 } }));
      expect(e).to.include({ dependency: 'x', kind: 'unavailable', status: 503 });
      expect(stub.requests).to.have.length(1);
    });

    it('retries a POST the caller marks read-only, such as a batch lookup', async function () {
      answer = script(respond(503), ok({ items: [] }));
      const res = await build().request({
        method: 'POST',
        path: '/batch',
        body: { ids: ['a'] },
        readOnly: true,
      });
      expect(res.status).to.equal(200);
      expect(stub.requests).to.have.length(2);
    });

    it('retries a POST carrying an Idempotency-Key, with the same key each time', async function () {
      answer = script(respond(503), respond(502), ok({ id: 't1' }));
      const res = await build().request({
        method: 'POST',
        path: '/tweets',
        body: { text: 'hi' },
        idempotencyKey: 'key-123',
      });
      expect(res.status).to.equal(200);
      expect(stub.requests.map((r) => r.headers['idempotency-key'])).to.deep.equal([
        'key-123',
        'key-123',
        'key-123',
      ]);
      expect(stub.requests.map((r) => r.body)).to.deep.equal(Array(3).fill('{"text":"hi"}'));
    });

    it('stops after maxAttempts and reports the last failure', async function () {
      answer = script(respond(500));
      const e = await failureOf(build({ maxAttempts: 2 }).request({ method: 'GET', path: '/' }));
      expect(e).to.include({ kind: 'unavailable', status: 500 });
      expect(stub.requests).to.have.length(2);
      expect(log.lines.some((l) => l['msg'] === 'giving up' && l['dependency'] === 'x')).to.equal(
        true,
      );
    });

    it('does not retry a 429 whose Retry-After is longer than the longest backoff', async function () {
      answer = script(respond(429, { 'retry-after': '7' }), ok());
      const e = await failureOf(build().request({ method: 'GET', path: '/' }));
      expect(e).to.include({ kind: 'unavailable', status: 429, retryAfterSeconds: 7 });
      expect(stub.requests).to.have.length(1);
    });
  });

  describe('answers that are not failures', function () {
    it('returns a 404 and does not count it against the breaker', async function () {
      answer = script((_req, res) => sendJson(res, 404, { title: 'Not Found' }, problem()));
      build({ breakAfter: 5, maxAttempts: 1 });
      for (let i = 0; i < 6; i += 1) {
        const res = await client.request({ method: 'GET', path: '/users/nobody' });
        expect(res.status).to.equal(404);
        expect(res.data).to.deep.equal({ title: 'Not Found' });
      }
      expect(stub.requests).to.have.length(6);
      expect(policy.circuitState()).to.equal('closed');
      expect(await metricLine('dependency_circuit_state{dependency="x"')).to.deep.equal([
        'dependency_circuit_state{dependency="x",component="http-test"} 0',
      ]);
    });

    it('sends the body as JSON, the query without undefined values, and returns headers', async function () {
      answer = script((_req, res) => sendJson(res, 201, { id: '9' }, { 'x-extra': 'yes' }));
      const res = await build().request({
        method: 'PUT',
        path: '/me/following/9',
        query: { limit: 20, cursor: undefined, q: 'a b' },
        body: { note: 'é' },
      });
      expect(res).to.deep.include({ status: 201, data: { id: '9' } });
      expect(res.headers['x-extra']).to.equal('yes');
      expect(stub.requests[0]?.url).to.equal('/me/following/9?limit=20&q=a+b');
      expect(stub.requests[0]?.headers['content-type']).to.equal('application/json');
      expect(stub.requests[0]?.body).to.equal('{"note":"é"}');
    });

    it('reports a malformed JSON body as bad-response', async function () {
      answer = script((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id":');
      });
      const e = await failureOf(build().request({ method: 'GET', path: '/' }));
      expect(e).to.include({ kind: 'bad-response', status: 200 });
      expect(stub.requests).to.have.length(1);
    });
  });

  describe('timeouts and deadlines', function () {
    it('fails with kind timeout once the policy timeout passes', async function () {
      answer = script(hang);
      build({ timeoutMs: 100, maxAttempts: 1 });
      const started = performance.now();
      const e = await failureOf(client.request({ method: 'GET', path: '/slow' }));
      const elapsed = performance.now() - started;
      expect(e).to.include({ dependency: 'x', kind: 'timeout' });
      expect(elapsed).to.be.at.least(90).and.lessThan(1000);
    });

    it('retries a GET that timed out', async function () {
      answer = script(hang, ok({ late: false }));
      const res = await build({ timeoutMs: 100 }).request({ method: 'GET', path: '/' });
      expect(res.data).to.deep.equal({ late: false });
      expect(stub.requests).to.have.length(2);
    });

    it('cuts an attempt short at the deadline, without retrying or counting a fault', async function () {
      answer = script(hang);
      build({ timeoutMs: 5000, breakAfter: 1 });
      const started = performance.now();
      const e = await failureOf(
        client.request({ method: 'GET', path: '/', deadline: Date.now() + 150 }),
      );
      const elapsed = performance.now() - started;
      expect(e.kind).to.equal('timeout');
      expect(elapsed).to.be.at.least(120).and.lessThan(1000);
      expect(stub.requests).to.have.length(1);
      expect(policy.circuitState()).to.equal('closed');
    });

    it('does not start an attempt once the deadline has passed', async function () {
      const baseUrl = sinon.spy(() => stub.url);
      build({}, { baseUrl });
      const e = await failureOf(
        client.request({ method: 'GET', path: '/', deadline: Date.now() - 1 }),
      );
      expect(e.kind).to.equal('timeout');
      // The attempt resolves the base URL first, so an attempt never started never asked.
      expect(baseUrl.called).to.equal(false);
      expect(stub.requests).to.have.length(0);
    });

    it("rejects with the caller's abort reason and does not count it as a fault", async function () {
      let reached: () => void = () => undefined;
      const requestSeen = new Promise<void>((resolve) => (reached = resolve));
      answer = () => reached();
      build({ timeoutMs: 5000, breakAfter: 1 });
      const controller = new AbortController();
      const pending = client
        .request({ method: 'GET', path: '/', signal: controller.signal })
        .catch((e: unknown) => e);
      await requestSeen;
      controller.abort();
      const e = await pending;
      expect(isDependencyError(e)).to.equal(false);
      expect(e).to.have.property('name', 'AbortError');
      expect(stub.requests).to.have.length(1);
      expect(policy.circuitState()).to.equal('closed');
    });
  });

  describe('circuit breaker', function () {
    async function failFiveTimes(): Promise<void> {
      for (let i = 0; i < 5; i += 1) {
        const e = await failureOf(client.request({ method: 'GET', path: '/' }));
        expect(e.kind).to.equal('unavailable');
      }
    }

    it('opens after 5 consecutive failures and then fails fast without calling', async function () {
      answer = script(respond(503));
      build({ maxAttempts: 1, halfOpenAfterMs: 5000 });
      await failFiveTimes();
      const started = performance.now();
      const e = await failureOf(client.request({ method: 'GET', path: '/' }));
      expect(performance.now() - started).to.be.lessThan(50);
      expect(e).to.include({ dependency: 'x', kind: 'circuit-open', retryAfterSeconds: 5 });
      expect(stub.requests).to.have.length(5);
      expect(policy.circuitState()).to.equal('open');
    });

    it('shows the open circuit in metrics and logs', async function () {
      answer = script(respond(503));
      build({ maxAttempts: 1 });
      await failFiveTimes();
      await failureOf(client.request({ method: 'GET', path: '/' }));
      const text = await metrics.registry.metrics();
      expect(text).to.contain('dependency_circuit_state{dependency="x",component="http-test"} 1');
      expect(text).to.contain(
        'dependency_failures_total{dependency="x",kind="unavailable",component="http-test"} 5',
      );
      expect(text).to.contain(
        'dependency_failures_total{dependency="x",kind="circuit-open",component="http-test"} 1',
      );
      const opened = log.lines.find((l) => l['msg'] === 'circuit opened');
      expect(opened).to.include({ dependency: 'x', level: 40 });
    });

    it('half-opens after halfOpenAfterMs and closes again on a success', async function () {
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      answer = script(respond(503), respond(503), respond(503), respond(503), respond(503), ok());
      build({ maxAttempts: 1, halfOpenAfterMs: 200 });
      await failFiveTimes();
      clock.tick(199);
      expect((await failureOf(client.request({ method: 'GET', path: '/' }))).kind).to.equal(
        'circuit-open',
      );
      clock.tick(1);
      const res = await client.request({ method: 'GET', path: '/' });
      expect(res.status).to.equal(200);
      expect(stub.requests).to.have.length(6);
      expect(policy.circuitState()).to.equal('closed');
      expect(await metricLine('dependency_circuit_state{dependency="x"')).to.deep.equal([
        'dependency_circuit_state{dependency="x",component="http-test"} 0',
      ]);
      const messages = log.lines.map((l) => l['msg']);
      expect(messages).to.include.members([
        'circuit opened',
        'circuit half-open: letting one test call through',
        'circuit closed',
      ]);
    });

    it('opens again when the half-open test call fails', async function () {
      clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
      answer = script(respond(503));
      build({ maxAttempts: 1, halfOpenAfterMs: 200 });
      await failFiveTimes();
      clock.tick(200);
      expect((await failureOf(client.request({ method: 'GET', path: '/' }))).kind).to.equal(
        'unavailable',
      );
      expect(policy.circuitState()).to.equal('open');
      expect(stub.requests).to.have.length(6);
    });

    it('stops retrying once the circuit opens mid-call', async function () {
      answer = script(respond(503));
      build({ maxAttempts: 3, breakAfter: 2 });
      const e = await failureOf(client.request({ method: 'GET', path: '/' }));
      expect(e.kind).to.equal('circuit-open');
      expect(stub.requests).to.have.length(2);
    });
  });

  describe('leased instances', function () {
    /** A base URL handed out as a lease, recording each release's outcome. */
    function leasing(url: () => string): {
      releases: (boolean | undefined)[];
      baseUrl: ResilientClientOptions['baseUrl'];
    } {
      const releases: (boolean | undefined)[] = [];
      return {
        releases,
        baseUrl: () => ({
          baseUrl: url(),
          release: (outcome) => releases.push(outcome?.failed),
        }),
      };
    }

    it('releases each attempt once, as failed after a 5xx and not after an answer', async function () {
      answer = script(respond(503), ok());
      const lease = leasing(() => stub.url);
      await build({}, { baseUrl: lease.baseUrl }).request({ method: 'GET', path: '/' });
      expect(lease.releases).to.deep.equal([true, false]);
    });

    it('releases as failed when the instance cannot be reached', async function () {
      const lease = leasing(() => 'http://127.0.0.1:1');
      await failureOf(
        build({ maxAttempts: 1 }, { baseUrl: lease.baseUrl }).request({ method: 'GET', path: '/' }),
      );
      expect(lease.releases).to.deep.equal([true]);
    });

    it('does not blame the instance when the caller aborts', async function () {
      let reached: () => void = () => undefined;
      const requestSeen = new Promise<void>((resolve) => (reached = resolve));
      answer = () => reached();
      const lease = leasing(() => stub.url);
      const controller = new AbortController();
      const call = build({ timeoutMs: 5000 }, { baseUrl: lease.baseUrl })
        .request({ method: 'GET', path: '/', signal: controller.signal })
        .catch(() => undefined);
      await requestSeen;
      controller.abort();
      await call;
      expect(lease.releases).to.deep.equal([false]);
    });
  });

  describe('request context', function () {
    it('propagates X-Request-Id and traceparent', async function () {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      await build().request({ method: 'GET', path: '/', requestId: 'req-42', traceparent });
      expect(stub.requests[0]?.headers).to.include({ 'x-request-id': 'req-42', traceparent });
    });

    it('sends neither header when none is given', async function () {
      await build().request({ method: 'GET', path: '/' });
      expect(stub.requests[0]?.headers).not.to.have.property('x-request-id');
      expect(stub.requests[0]?.headers).not.to.have.property('traceparent');
    });
  });

  describe('bearer tokens', function () {
    let auth: StubServer;
    let issued: number;

    beforeEach(async function () {
      issued = 0;
      auth = await startStub((_req, res) => {
        issued += 1;
        sendJson(res, 200, {
          access_token: `tok-${issued}`,
          token_type: 'Bearer',
          expires_in: 300,
        });
      });
    });

    afterEach(async function () {
      await auth.close();
    });

    function withTokens(): ResilientClient {
      const source = createTokenSource({
        tokenUrl: `${auth.url}/token`,
        clientId: 'feeds',
        clientSecret: 's',
      });
      return build({}, { tokens: { source, resource: 'urn:chirp:users', scope: 'users:read' } });
    }

    it('sends the cached token as a bearer token', async function () {
      withTokens();
      await client.request({ method: 'GET', path: '/a' });
      await client.request({ method: 'GET', path: '/b' });
      expect(stub.requests.map((r) => r.headers.authorization)).to.deep.equal([
        'Bearer tok-1',
        'Bearer tok-1',
      ]);
      expect(auth.requests).to.have.length(1);
      expect(auth.requests[0]?.body).to.contain('resource=urn%3Achirp%3Ausers');
    });

    it('refreshes the token once and retries once after a 401', async function () {
      answer = (req, res) =>
        req.headers.authorization === 'Bearer tok-1'
          ? respond(401, { 'www-authenticate': 'Bearer error="invalid_token"' })(req, res)
          : ok({ fine: true })(req, res);
      withTokens();
      const res = await client.request({ method: 'POST', path: '/check', body: {} });
      expect(res.data).to.deep.equal({ fine: true });
      expect(stub.requests.map((r) => r.headers.authorization)).to.deep.equal([
        'Bearer tok-1',
        'Bearer tok-2',
      ]);
      expect(auth.requests).to.have.length(2);
    });

    it('returns the second 401 rather than looping', async function () {
      answer = script(respond(401, { 'www-authenticate': 'Bearer error="invalid_token"' }));
      withTokens();
      const res = await client.request({ method: 'GET', path: '/' });
      expect(res.status).to.equal(401);
      expect(stub.requests).to.have.length(2);
      expect(auth.requests).to.have.length(2);
    });

    it('fails as unavailable, without calling, when no token can be had', async function () {
      await auth.close();
      withTokens();
      const e = await failureOf(client.request({ method: 'GET', path: '/' }));
      expect(e).to.include({ dependency: 'x', kind: 'unavailable' });
      expect(stub.requests).to.have.length(0);
    });
  });
});

function problem(): Record<string, string> {
  return { 'content-type': 'application/problem+json' };
}
