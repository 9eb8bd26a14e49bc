import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { pino } from 'pino';
import type { RunningGateway } from '../../gateway/app.js';
import { startGateway } from '../../gateway/app.js';
import { withFallback } from '../../platform/registry/fallback-resolver.js';
import { createRegistryResolver } from '../../platform/registry/registry-resolver.js';
import { staticResolver } from '../../platform/registry/resolver.js';
import type { ServiceInstance } from '../../platform/registry/resolver.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';
import { TWEETS, gatewayConfig, mintingTokens } from './support.js';

/** An upstream that names itself in its answers and can hold requests until let go. */
interface HoldingUpstream {
  readonly url: string;
  /** Requests it has received, answered or not. */
  received: number;
  holding: boolean;
  release(): void;
  close(): Promise<void>;
}

async function startHoldingUpstream(name: string): Promise<HoldingUpstream> {
  const held: (() => void)[] = [];
  const server: Server = createServer((_req, res) => {
    up.received += 1;
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ instance: name }));
    };
    if (up.holding) {
      held.push(answer);
    } else {
      answer();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const up: HoldingUpstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: 0,
    holding: false,
    release() {
      up.holding = false;
      for (const answer of held.splice(0)) {
        answer();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return up;
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) {
      throw new Error('condition not met in time');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('gateway balancing over registered instances (least-outstanding)', function () {
  let issuer: TestIssuer;
  let a: HoldingUpstream;
  let b: HoldingUpstream;
  let gateway: RunningGateway;
  let token: string;

  before(async function () {
    issuer = await createTestIssuer();
    [a, b] = await Promise.all([startHoldingUpstream('a'), startHoldingUpstream('b')]);
    const instances: ServiceInstance[] = [
      { name: 'tweets', instanceId: 'a', baseUrl: a.url },
      { name: 'tweets', instanceId: 'b', baseUrl: b.url },
    ];
    // As gateway/main.ts builds it: the registry's resolver, then the configured URLs.
    const registry = createRegistryResolver({
      source: (service) => Promise.resolve(service === 'tweets' ? instances : []),
      refreshMs: 60_000,
      strategy: 'least-outstanding',
      logger: pino({ level: 'silent' }),
    });
    gateway = await startGateway(gatewayConfig(issuer), {
      getKey: issuer.getKey,
      logger: pino({ level: 'silent' }),
      tokenSource: mintingTokens(issuer),
      resolver: withFallback(registry, staticResolver({})),
    });
    token = await issuer.mint({ aud: TWEETS, scope: 'tweets:read' });
  });
  after(async function () {
    a.release();
    await gateway.stop();
    await Promise.all([a.close(), b.close()]);
  });

  const get = (path: string) =>
    fetch(`${gateway.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(3000),
    });

  it('sends new requests to the idle instance while the other still works on one', async function () {
    a.holding = true;
    // Both idle: the tie goes round robin, starting with the first instance.
    const slow = get('/tweets/1');
    await until(() => a.received === 1);
    const answeredBy: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await get(`/tweets/${i + 2}`);
      expect(res.status).to.equal(200);
      answeredBy.push(((await res.json()) as { instance: string }).instance);
    }
    // Round robin would have sent every other one to the busy instance, where it would wait.
    expect(answeredBy).to.deep.equal(['b', 'b', 'b', 'b']);
    a.release();
    const first = await slow;
    expect(first.status).to.equal(200);
    expect(await first.json()).to.deep.equal({ instance: 'a' });
  });
});
