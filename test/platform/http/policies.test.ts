import { expect } from 'chai';
import { Counter } from 'prom-client';
import sinon from 'sinon';
import { DependencyError, isDependencyError } from '../../../platform/http/errors.js';
import {
  createDependencyPolicy,
  dependencyPolicyDefaults,
} from '../../../platform/http/policies.js';
import type { DependencyPolicyOptions } from '../../../platform/http/policies.js';
import { createMetrics } from '../../../platform/observability/metrics.js';
import type { Metrics } from '../../../platform/observability/metrics.js';
import { memoryLogger } from './stub-server.js';

const unavailable = (): DependencyError =>
  new DependencyError({ dependency: 'x', kind: 'unavailable', status: 503 });

describe('createDependencyPolicy', function () {
  let metrics: Metrics;
  let log: ReturnType<typeof memoryLogger>;
  let clock: sinon.SinonFakeTimers | undefined;

  beforeEach(function () {
    metrics = createMetrics('policy-test');
    log = memoryLogger();
  });

  afterEach(function () {
    clock?.restore();
    clock = undefined;
    sinon.restore();
  });

  /** The backoff delays the policy logged for `dependency`, in order. */
  function retryDelays(dependency = 'x'): number[] {
    return log.lines
      .filter((l) => l['msg'] === 'retrying' && l['dependency'] === dependency)
      .map((l) => Number(l['delayMs']));
  }

  function policyFor(name: string, options: DependencyPolicyOptions = {}) {
    return createDependencyPolicy(name, options, { logger: log.logger, metrics });
  }

  /** An attempt that fails `failures` times with a 503, then answers 'ok'; counts its calls. */
  function flaky(failures: number): { calls: () => number; attempt: () => Promise<string> } {
    let calls = 0;
    return {
      calls: () => calls,
      attempt: () => {
        calls += 1;
        return calls <= failures ? Promise.reject(unavailable()) : Promise.resolve('ok');
      },
    };
  }

  it('fills in safe defaults', function () {
    expect(policyFor('x').options).to.deep.equal({
      timeoutMs: 800,
      maxAttempts: 3,
      initialDelayMs: 50,
      maxDelayMs: 500,
      breakAfter: 5,
      halfOpenAfterMs: 5000,
      bulkheadLimit: 20,
      bulkheadQueue: 40,
    });
    expect(dependencyPolicyDefaults).to.deep.equal(policyFor('y').options);
  });

  it('refuses an option that is not a positive integer, naming it', function () {
    expect(() => policyFor('x', { maxAttempts: 0 })).to.throw(RangeError, /x: maxAttempts/);
    expect(() => policyFor('x', { timeoutMs: 1.5 })).to.throw(RangeError, /timeoutMs/);
  });

  it('lets several dependencies share one metrics registry', async function () {
    const users = policyFor('users');
    const tweets = policyFor('tweets');
    expect(users.circuitState()).to.equal('closed');
    expect(tweets.circuitState()).to.equal('closed');
    const text = await metrics.registry.metrics();
    expect(text).to.contain(
      'dependency_circuit_state{dependency="users",component="policy-test"} 0',
    );
    expect(text).to.contain(
      'dependency_circuit_state{dependency="tweets",component="policy-test"} 0',
    );
  });

  it('refuses to reuse a metric name registered with another type', function () {
    new Counter({
      name: 'dependency_circuit_state',
      help: 'clash',
      registers: [metrics.registry],
    });
    expect(() => policyFor('x')).to.throw(/dependency_circuit_state/);
  });

  it('tries a retryable call up to maxAttempts times and logs each retry', async function () {
    const f = flaky(2);
    const policy = policyFor('x', { initialDelayMs: 1, maxDelayMs: 2 });
    expect(await policy.execute(f.attempt, { retryable: true })).to.equal('ok');
    expect(f.calls()).to.equal(3);
    const retries = log.lines.filter((l) => l['msg'] === 'retrying');
    expect(retries.map((l) => l['dependency'])).to.deep.equal(['x', 'x']);
  });

  it('tries a non-retryable call once', async function () {
    const f = flaky(1);
    const policy = policyFor('x', { initialDelayMs: 1, maxDelayMs: 2 });
    const e: unknown = await policy
      .execute(f.attempt, { retryable: false })
      .catch((x: unknown) => x);
    expect(isDependencyError(e) && e.kind).to.equal('unavailable');
    expect(f.calls()).to.equal(1);
  });

  it('waits for each backoff delay before the next attempt', async function () {
    sinon.stub(Math, 'random').returns(0.5);
    clock = sinon.useFakeTimers({
      now: Date.now(),
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
    });
    const f = flaky(2);
    const policy = policyFor('x', { initialDelayMs: 50, maxDelayMs: 500 });
    const result = policy.execute(f.attempt, { retryable: true });
    for (let retry = 1; retry <= 2; retry += 1) {
      await clock.tickAsync(0);
      expect(f.calls()).to.equal(retry);
      // Fake timers truncate a fractional delay to whole milliseconds.
      const delay = Math.trunc(Number(retryDelays()[retry - 1]));
      expect(delay).to.be.greaterThan(1);
      await clock.tickAsync(delay - 1);
      expect(f.calls()).to.equal(retry);
      await clock.tickAsync(1);
      expect(f.calls()).to.equal(retry + 1);
    }
    expect(await result).to.equal('ok');
  });

  it('draws each delay at random and caps it at maxDelayMs', async function () {
    const random = sinon.stub(Math, 'random');
    const options = { maxAttempts: 6, initialDelayMs: 10, maxDelayMs: 20, breakAfter: 10 };
    random.returns(0.01);
    await policyFor('low', options).execute(flaky(5).attempt, { retryable: true });
    random.returns(0.99);
    await policyFor('high', options).execute(flaky(5).attempt, { retryable: true });
    const low = retryDelays('low');
    const high = retryDelays('high');
    expect(low).to.have.length(5);
    expect(low[0]).not.to.equal(high[0]);
    expect(Math.max(...low, ...high)).to.equal(20);
  });

  it('passes on an error that is not a dependency failure, untouched and untried again', async function () {
    const bug = new TypeError('bug');
    let calls = 0;
    const policy = policyFor('x', { breakAfter: 1 });
    const e: unknown = await policy
      .execute(
        () => {
          calls += 1;
          return Promise.reject(bug);
        },
        { retryable: true },
      )
      .catch((x: unknown) => x);
    expect(e).to.equal(bug);
    expect(calls).to.equal(1);
    expect(policy.circuitState()).to.equal('closed');
  });

  it('fails with bulkhead-full when every slot and queue place is taken', async function () {
    const policy = policyFor('x', { bulkheadLimit: 1, bulkheadQueue: 0 });
    let release: () => void = () => undefined;
    const busy = policy.execute(
      () => new Promise<string>((resolve) => (release = () => resolve('done'))),
      { retryable: false },
    );
    const e: unknown = await policy
      .execute(() => Promise.resolve('second'), { retryable: false })
      .catch((x: unknown) => x);
    expect(isDependencyError(e) && e.kind).to.equal('bulkhead-full');
    release();
    expect(await busy).to.equal('done');
    const text = await metrics.registry.metrics();
    expect(text).to.contain(
      'dependency_failures_total{dependency="x",kind="bulkhead-full",component="policy-test"} 1',
    );
  });
});
