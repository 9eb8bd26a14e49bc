import { expect } from 'chai';
import sinon from 'sinon';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { cachingClients, CLIENT_CHANGE_CHECK_MS } from '../../auth-server/provider/client-cache.js';

/** An in-memory adapter that counts finds. */
function countingAdapter(): Adapter & { finds: number; rows: Map<string, AdapterPayload> } {
  const rows = new Map<string, AdapterPayload>();
  const a = {
    finds: 0,
    rows,
    find(id: string) {
      a.finds += 1;
      return Promise.resolve(rows.get(id));
    },
    upsert(id: string, payload: AdapterPayload) {
      rows.set(id, payload);
      return Promise.resolve();
    },
    destroy(id: string) {
      rows.delete(id);
      return Promise.resolve();
    },
    findByUid: () => Promise.resolve(undefined),
    findByUserCode: () => Promise.resolve(undefined),
    consume: () => Promise.resolve(),
    revokeByGrantId: () => Promise.resolve(),
  };
  return a;
}

describe('client cache', function () {
  let clock: sinon.SinonFakeTimers;
  let version: number;
  let inner: ReturnType<typeof countingAdapter>;
  let cached: Adapter;

  beforeEach(function () {
    clock = sinon.useFakeTimers({ toFake: ['Date'] });
    version = 1;
    inner = countingAdapter();
    inner.rows.set('a', { client_id: 'a' });
    cached = cachingClients(inner, () => Promise.resolve(version));
  });

  afterEach(function () {
    clock.restore();
  });

  it('answers repeated lookups of a client from memory', async function () {
    await cached.find('a');
    await cached.find('a');
    await cached.find('a');
    expect(inner.finds).to.equal(1);
  });

  it('does not cache an unknown client, so one created later works at once', async function () {
    expect(await cached.find('b')).to.equal(undefined);
    inner.rows.set('b', { client_id: 'b' });
    expect(await cached.find('b')).to.deep.equal({ client_id: 'b' });
  });

  it('drops the cache within the check interval once another process changed a client', async function () {
    await cached.find('a');
    inner.rows.delete('a');
    version = 2;
    expect(await cached.find('a'), 'still cached before the next check').to.deep.equal({
      client_id: 'a',
    });
    clock.tick(CLIENT_CHANGE_CHECK_MS);
    expect(await cached.find('a')).to.equal(undefined);
  });

  it('forgets a client this process deletes, at once', async function () {
    await cached.find('a');
    await cached.destroy('a');
    expect(await cached.find('a')).to.equal(undefined);
  });
});
