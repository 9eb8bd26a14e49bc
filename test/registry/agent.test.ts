import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { startRegistrationAgent } from '../../platform/registry/agent.js';
import { createRegistryClient } from '../../platform/registry/registry-client.js';
import type { Registration } from '../../platform/registry/registry-client.js';
import { registryClientFor } from '../../platform/registry/discovery.js';
import { isConfigError } from '../../config/index.js';
import { createTestIssuer } from '../helpers/tokens.js';
import { eventually, registryTokens, startRegistryHarness, uniqueService } from './harness.js';
import type { RegistryHarness } from './harness.js';

describe('registration agent', function () {
  const logger = pino({ level: 'silent' });
  let h: RegistryHarness | undefined;
  afterEach(async function () {
    await h?.close();
    h = undefined;
  });

  const registration = (service: string, baseUrl = 'http://127.0.0.1:4102'): Registration => ({
    name: service,
    instanceId: `${service}-1`,
    baseUrl,
    healthUrl: `${baseUrl}/healthz`,
    version: '0.1.0',
  });

  it('registers at start, stays registered past the TTL, and deregisters on stop', async function () {
    h = await startRegistryHarness({ env: { CHIRP_REGISTRY_TTL: '2' } });
    const service = uniqueService('tweets');
    const client = createRegistryClient({
      registryUrl: h.url,
      tokens: registryTokens(h.issuer, 'tweets-client'),
    });
    const agent = await startRegistrationAgent({
      client,
      registration: registration(service),
      heartbeatMs: 5000,
      logger,
    });
    expect(agent.registered).to.equal(true);
    expect(await h.listed(service)).to.deep.equal(['http://127.0.0.1:4102']);
    // 5 s heartbeats were shortened to a third of the 2 s TTL, so it outlives the TTL.
    const since = Date.now();
    await eventually(() => Date.now() - since > 2500, 4000, 'the TTL passes');
    expect(await h.listed(service)).to.have.length(1);
    await agent.stop();
    expect(await h.listed(service)).to.deep.equal([]);
    client.close();
  });

  it('registers again when the registry has forgotten the instance (a restarted memory store)', async function () {
    const issuer = await createTestIssuer();
    h = await startRegistryHarness({ issuer, env: { CHIRP_REGISTRY_TTL: '3' } });
    const service = uniqueService('users');
    const tokens = registryTokens(issuer, 'users-client');
    const client = createRegistryClient({ registryUrl: h.url, tokens });
    const agent = await startRegistrationAgent({
      client,
      registration: registration(service),
      heartbeatMs: 200,
      logger,
    });
    const withToken = await h.token('registry:write', 'users-client');
    // The registry forgets it as a restart would (same owner: its own deregistration route).
    await fetch(`${h.url}/registry/services/${service}/instances/${service}-1`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${withToken}` },
    });
    expect(await h.listed(service)).to.deep.equal([]);
    await eventually(async () => (await h!.listed(service)).length === 1, 2000, 're-registration');
    await agent.stop();
    client.close();
  });

  it('never throws while the registry is unreachable, and registers once it is back', async function () {
    const issuer = await createTestIssuer();
    const tokens = registryTokens(issuer, 'tweets-client');
    tokens.failing = true;
    h = await startRegistryHarness({ issuer });
    const service = uniqueService('tweets');
    const client = createRegistryClient({ registryUrl: h.url, tokens, timeoutMs: 500 });
    const agent = await startRegistrationAgent({
      client,
      registration: registration(service),
      heartbeatMs: 100,
      logger,
    });
    expect(agent.registered).to.equal(false);
    tokens.failing = false;
    await eventually(() => agent.registered, 2000, 'registration once the registry is reachable');
    expect(await h.listed(service)).to.have.length(1);
    tokens.failing = true;
    await agent.stop(); // deregistration fails, is logged, and the TTL will clean up
    client.close();
  });

  it('is off without CHIRP_REGISTRY_URL, and needs client credentials with it', function () {
    const access = { issuer: 'http://issuer.test', logger };
    expect(registryClientFor(loadConfig('registry', {}), access)).to.equal(undefined);
    const config = loadConfig('registry', { CHIRP_REGISTRY_URL: 'http://127.0.0.1:8081' });
    let thrown: unknown;
    try {
      registryClientFor(config, access);
    } catch (e) {
      thrown = e;
    }
    expect(isConfigError(thrown) && thrown.problems.join('\n')).to.include(
      'CHIRP_REGISTRY_CLIENT_ID',
    );
  });
});
