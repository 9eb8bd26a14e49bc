import { expect } from 'chai';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { firstError, newUserId, postTweet, useTweetsService } from './service.js';
import type { TweetsHarness } from './service.js';

interface Page {
  items: { id: string; authorId: string; text: string }[];
  nextCursor: string | null;
}

for (const kind of DATABASE_KINDS) {
  describe(`GET /tweets?author= (${kind})`, function () {
    const h = useTweetsService(kind, 'list');

    const list = async (query: Record<string, string | number>) =>
      h
        .http()
        .get('/tweets')
        .query(query)
        .set('Authorization', `Bearer ${await h.serviceToken('tweets:read')}`);

    it('lists only the author’s tweets, newest first', async function () {
      const author = newUserId();
      const posted = await postMany(h, author, 3);
      await postTweet(h, newUserId(), 'someone else');
      const res = await list({ author });
      expect(res.status).to.equal(200);
      const page = res.body as Page;
      expect(page.items.map((t) => t.id)).to.deep.equal(posted.reverse());
      expect(page.items.every((t) => t.authorId === author)).to.equal(true);
      expect(page.nextCursor).to.equal(null);
    });

    it('pages through every tweet with the cursor, none twice, none missed', async function () {
      const author = newUserId();
      const posted = await postMany(h, author, 7);
      const seen: string[] = [];
      let cursor: string | null | undefined;
      let pages = 0;
      do {
        const res = await list({ author, limit: 3, ...(cursor ? { cursor } : {}) });
        expect(res.status).to.equal(200);
        const page = res.body as Page;
        expect(page.items.length).to.be.at.most(3);
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null);
      expect(pages).to.equal(3);
      expect(seen).to.deep.equal(posted.reverse());
    });

    it('ends with nextCursor null when the last page is exactly full', async function () {
      const author = newUserId();
      await postMany(h, author, 2);
      const res = await list({ author, limit: 2 });
      expect((res.body as Page).items).to.have.length(2);
      expect((res.body as Page).nextCursor).to.equal(null);
    });

    it('answers an author without tweets with an empty page', async function () {
      const res = await list({ author: newUserId() });
      expect(res.body).to.deep.equal({ items: [], nextCursor: null });
    });

    it('uses 20 as the default page size', async function () {
      const author = newUserId();
      await postMany(h, author, 21);
      const res = await list({ author });
      expect((res.body as Page).items).to.have.length(20);
      expect((res.body as Page).nextCursor).to.be.a('string');
    });

    it('answers 400 naming author when it is missing', async function () {
      const res = await list({});
      expect(res.status).to.equal(400);
      expect(firstError(res)).to.deep.equal({ field: 'author', message: 'is required' });
    });

    const invalid: [string, Record<string, string | number>, string][] = [
      ['an author of the wrong form', { author: 'not an id!' }, 'author'],
      ['limit 0', { limit: 0 }, 'limit'],
      ['limit 101', { limit: 101 }, 'limit'],
      ['a limit that is not a number', { limit: 'ten' }, 'limit'],
      ['a cursor that is not ours', { cursor: 'garbage' }, 'cursor'],
      ['a cursor of another shape', { cursor: 'v1.eyJ4IjoxfQ' }, 'cursor'],
    ];
    for (const [what, query, field] of invalid) {
      it(`answers 400 naming ${field} for ${what}`, async function () {
        const res = await list({ author: newUserId(), ...query });
        expect(res.status).to.equal(400);
        expect(firstError(res).field).to.equal(field);
      });
    }

    it('answers 400 for a repeated parameter', async function () {
      const res = await h
        .http()
        .get(`/tweets?author=${newUserId()}&limit=1&limit=2`)
        .set('Authorization', `Bearer ${await h.serviceToken('tweets:read')}`);
      expect(res.status).to.equal(400);
      expect(firstError(res).field).to.equal('limit');
    });

    it('answers 403 without tweets:read', async function () {
      const res = await h
        .http()
        .get('/tweets')
        .query({ author: newUserId() })
        .set('Authorization', `Bearer ${await h.serviceToken('tweets:write')}`);
      expect(res.status).to.equal(403);
    });
  });
}

/** Posts `count` tweets by `author`, oldest first, and returns their ids in that order. */
async function postMany(h: TweetsHarness, author: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    ids.push((await postTweet(h, author, `tweet ${i}`)).id);
  }
  return ids;
}
