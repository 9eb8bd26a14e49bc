import { expect } from 'chai';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { firstError, newUserId, postTweet, useTweetsService } from './service.js';

interface Timeline {
  items: { id: string; authorId: string; text: string; createdAt: string }[];
}

for (const kind of DATABASE_KINDS) {
  describe(`POST /internal/timelines (${kind})`, function () {
    const h = useTweetsService(kind, 'timelines');

    const timeline = async (body: unknown, scope = 'tweets:read') =>
      h
        .http()
        .post('/internal/timelines')
        .set('Authorization', `Bearer ${await h.serviceToken(scope)}`)
        .send(body as object);

    it('merges the tweets of several authors newest first, leaving out other authors', async function () {
      const [a, b, c] = [newUserId(), newUserId(), newUserId()];
      const posted: string[] = [];
      for (const author of [a, b, a, c, b, a]) {
        posted.push((await postTweet(h, author, `by ${author}`)).id);
      }
      const res = await timeline({ authorIds: [a, b] });
      expect(res.status).to.equal(200);
      const items = (res.body as Timeline).items;
      const expected = posted.filter((_, i) => i !== 3).reverse();
      expect(items.map((t) => t.id)).to.deep.equal(expected);
      expect(items.every((t) => t.authorId === a || t.authorId === b)).to.equal(true);
    });

    it('pages with before: only tweets older than the given id, at most limit of them', async function () {
      const [a, b] = [newUserId(), newUserId()];
      const posted: string[] = [];
      for (let i = 0; i < 6; i += 1) {
        posted.push((await postTweet(h, i % 2 === 0 ? a : b, `t${i}`)).id);
      }
      const newest = [...posted].reverse();
      const first = (await timeline({ authorIds: [a, b], limit: 4 })).body as Timeline;
      expect(first.items.map((t) => t.id)).to.deep.equal(newest.slice(0, 4));
      const before = first.items.at(-1)?.id;
      const second = (await timeline({ authorIds: [a, b], limit: 4, before })).body as Timeline;
      expect(second.items.map((t) => t.id)).to.deep.equal(newest.slice(4));
    });

    it('answers an empty list for authors without tweets, and ignores repeated ids', async function () {
      const a = newUserId();
      const id = (await postTweet(h, a, 'once')).id;
      expect((await timeline({ authorIds: [newUserId()] })).body).to.deep.equal({ items: [] });
      const repeated = (await timeline({ authorIds: [a, a, a] })).body as Timeline;
      expect(repeated.items.map((t) => t.id)).to.deep.equal([id]);
    });

    it('accepts 5,000 authors, even with ids of the longest form (64 characters)', async function () {
      const a = newUserId();
      await postTweet(h, a, 'one of many');
      const authorIds = [a, ...Array.from({ length: 4999 }, (_, i) => String(i).padStart(64, 'x'))];
      const res = await timeline({ authorIds, limit: 100 });
      expect(res.status).to.equal(200);
      expect((res.body as Timeline).items).to.have.length(1);
    });

    for (const [what, body, field] of [
      ['an empty author list', { authorIds: [] }, 'body.authorIds'],
      ['more than 5,000 authors', { authorIds: Array(5001).fill('u1') }, 'body.authorIds'],
      ['a missing author list', {}, 'body.authorIds'],
      ['an author id of the wrong form', { authorIds: ['not valid!'] }, 'body.authorIds.0'],
      ['limit 0', { authorIds: ['u1'], limit: 0 }, 'body.limit'],
      ['limit 101', { authorIds: ['u1'], limit: 101 }, 'body.limit'],
      ['a fractional limit', { authorIds: ['u1'], limit: 2.5 }, 'body.limit'],
      [
        'a before that is not a tweet id',
        { authorIds: ['u1'], before: 'yesterday' },
        'body.before',
      ],
    ] as const) {
      it(`answers 400 naming ${field} for ${what}`, async function () {
        const res = await timeline(body);
        expect(res.status).to.equal(400);
        expect(firstError(res).field).to.equal(field);
      });
    }

    it('answers 403 without tweets:read', async function () {
      const res = await timeline({ authorIds: ['u1'] }, 'tweets:write');
      expect(res.status).to.equal(403);
    });

    it('answers 401 without a token', async function () {
      const res = await h
        .http()
        .post('/internal/timelines')
        .send({ authorIds: ['u1'] });
      expect(res.status).to.equal(401);
    });
  });
}
