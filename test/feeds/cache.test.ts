import { expect } from 'chai';
import { createTimelineCache } from '../../resource-services/feeds/cache.js';
import type { FeedsRepository, StoredTimeline } from '../../resource-services/feeds/repository.js';

/** A repository in memory, holding rows as the database would. */
function memoryRepository(): FeedsRepository & { rows: Map<string, StoredTimeline> } {
  const rows = new Map<string, StoredTimeline>();
  return {
    rows,
    findTimeline: (userId) => Promise.resolve(rows.get(userId)),
    saveTimeline: (t) => {
      rows.set(t.userId, t);
      return Promise.resolve();
    },
    ping: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

const ITEM = {
  id: '0000000000000000001',
  authorId: 'u_ada',
  text: 'hello',
  createdAt: '2026-01-01T00:00:00.000Z',
  author: { id: 'u_ada', handle: 'ada', displayName: 'Ada' },
};

describe('timeline cache', function () {
  it('reads back the page it saved, stamped with the time it was saved', async function () {
    const repo = memoryRepository();
    const cache = createTimelineCache(repo, () => 1234);
    await cache.save('u_me', { items: [ITEM], nextBefore: ITEM.id });
    expect(await cache.load('u_me')).to.deep.equal({
      items: [ITEM],
      nextBefore: ITEM.id,
      composedAt: 1234,
    });
  });

  it('knows no page for a user it never saved one for', async function () {
    expect(await createTimelineCache(memoryRepository()).load('u_me')).to.equal(undefined);
  });

  for (const [what, items] of [
    ['text that is not JSON', '{not json'],
    ['items without an author', JSON.stringify([{ ...ITEM, author: undefined }])],
    ['items with a field no feed item has', JSON.stringify([{ ...ITEM, secret: 'x' }])],
  ] as const) {
    it(`treats a stored page of ${what} as absent`, async function () {
      const repo = memoryRepository();
      repo.rows.set('u_me', { userId: 'u_me', items, nextBefore: null, composedAt: 1 });
      expect(await createTimelineCache(repo).load('u_me')).to.equal(undefined);
    });
  }
});
