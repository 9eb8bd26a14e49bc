import { expect } from 'chai';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { pageOf, useWorld } from './world.js';
import type { FeedItemJson, TestTweet, TestUser, World } from './world.js';

/** What a feed item must be for `tweet` posted by `author`. */
function itemFor(tweet: TestTweet, author: TestUser): FeedItemJson {
  return {
    ...tweet,
    author: { id: author.id, handle: author.handle, displayName: author.displayName },
  };
}

/** Every page of `user`'s timeline at `limit`, following nextCursor to the end. */
async function allPages(world: World, user: TestUser, limit: number) {
  const pages: FeedItemJson[][] = [];
  let cursor: string | null | undefined;
  do {
    const res = await world.home(user, { limit, ...(cursor ? { cursor } : {}) });
    expect(res.status, res.text).to.equal(200);
    pages.push([...pageOf(res).items]);
    cursor = pageOf(res).nextCursor;
    expect(pages.length, 'pages end').to.be.below(20);
  } while (cursor !== null);
  return pages;
}

for (const kind of DATABASE_KINDS) {
  describe(`GET /feeds/home [${kind}]`, function () {
    const world = useWorld(kind, { per: 'all' });

    it("lists followed users' and the caller's own tweets, newest first, with their authors", async function () {
      const [me, ada, bob, eve] = await Promise.all([
        world.createUser('Me Myself'),
        world.createUser('Ada Lovelace'),
        world.createUser('Bob'),
        world.createUser('Eve Outsider'),
      ]);
      await world.follow(me, ada);
      await world.follow(me, bob);
      const posted: { tweet: TestTweet; author: TestUser }[] = [];
      for (const [author, text] of [
        [ada, 'first from ada'],
        [eve, 'eve is not followed'],
        [me, 'my own tweet'],
        [bob, 'bob says hi'],
        [eve, 'eve again'],
        [ada, 'ada once more'],
      ] as const) {
        posted.push({ tweet: await world.post(author, text), author });
      }
      const res = await world.home(me);
      expect(res.status, res.text).to.equal(200);
      expect(res.headers['cache-control']).to.equal('no-store');
      const expected = posted
        .filter(({ author }) => author !== eve)
        .map(({ tweet, author }) => itemFor(tweet, author))
        .reverse();
      expect(pageOf(res)).to.deep.equal({ items: expected, nextCursor: null, degraded: false });
    });

    it('pages with the cursor through the whole timeline without duplicates or gaps', async function () {
      const [me, ada] = await Promise.all([world.createUser(), world.createUser()]);
      await world.follow(me, ada);
      const ids: string[] = [];
      for (let i = 0; i < 8; i += 1) {
        ids.push((await world.post(i % 3 === 0 ? me : ada, `tweet ${i}`)).id);
      }
      const pages = await allPages(world, me, 3);
      expect(pages.map((p) => p.length)).to.deep.equal([3, 3, 2]);
      expect(pages.flat().map((item) => item.id)).to.deep.equal([...ids].reverse());
    });

    it('ends with nextCursor null when the last page is exactly full', async function () {
      const me = await world.createUser();
      for (let i = 0; i < 4; i += 1) {
        await world.post(me, `tweet ${i}`);
      }
      const pages = await allPages(world, me, 2);
      expect(pages.map((p) => p.length)).to.deep.equal([2, 2]);
    });

    it('answers limit=100 (the largest page) with everything there is', async function () {
      const me = await world.createUser();
      await world.post(me, 'only one');
      const res = await world.home(me, { limit: 100 });
      expect(res.status, res.text).to.equal(200);
      expect(pageOf(res).items).to.have.length(1);
      expect(pageOf(res).nextCursor).to.equal(null);
    });

    it('uses a page size of 20 by default', async function () {
      const me = await world.createUser();
      for (let i = 0; i < 21; i += 1) {
        await world.post(me, `tweet ${i}`);
      }
      const res = await world.home(me);
      expect(pageOf(res).items).to.have.length(20);
      expect(pageOf(res).nextCursor).to.be.a('string');
    });

    it('shows a user who follows nobody and posted nothing an empty timeline', async function () {
      const me = await world.createUser();
      const res = await world.home(me);
      expect(res.status, res.text).to.equal(200);
      expect(pageOf(res)).to.deep.equal({ items: [], nextCursor: null, degraded: false });
    });

    it('shows a token whose user the users service does not know an empty timeline', async function () {
      const ghost = { id: 'u_nobodyHasThisId000000', handle: 'ghost', displayName: 'Ghost' };
      const res = await world.home(ghost);
      expect(res.status, res.text).to.equal(200);
      expect(pageOf(res)).to.deep.equal({ items: [], nextCursor: null, degraded: false });
    });

    it('stops showing the tweets of someone unfollowed', async function () {
      const [me, ada] = await Promise.all([world.createUser(), world.createUser()]);
      await world.follow(me, ada);
      await world.post(ada, 'visible while followed');
      expect(pageOf(await world.home(me)).items).to.have.length(1);
      const token = await world.issuer.mint({
        aud: 'urn:chirp:users',
        scope: 'users:write',
        user: me.id,
      });
      const res = await fetch(`${world.usersUrl}/me/following/${ada.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).to.equal(204);
      expect(pageOf(await world.home(me)).items).to.deep.equal([]);
    });

    it('calls users and tweets with client_credentials tokens for their audiences and read scopes', async function () {
      const me = await world.createUser();
      await world.post(me, 'hello');
      world.tokens.asked.length = 0;
      await world.home(me);
      expect(world.tokens.asked).to.deep.include({
        resource: 'urn:chirp:users',
        scope: 'users:read',
      });
      expect(world.tokens.asked).to.deep.include({
        resource: 'urn:chirp:tweets',
        scope: 'tweets:read',
      });
      expect(world.tokens.asked.every((t) => t.scope.endsWith(':read'))).to.equal(true);
    });
  });
}
