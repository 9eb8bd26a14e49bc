import { expect } from 'chai';
import type { CallContext } from '../../resource-services/feeds/clients/call.js';
import type { Author, UsersClient } from '../../resource-services/feeds/clients/users.js';
import { memoizedUsers } from '../../resource-services/feeds/users-memo.js';

/** A users client that counts calls and answers from maps the test changes. */
function fakeUsers() {
  const following = new Map<string, string[]>([['reader', ['a', 'b']]]);
  const authors = new Map<string, Author>([
    ['a', { id: 'a', handle: 'a', displayName: 'A' }],
    ['b', { id: 'b', handle: 'b', displayName: 'B' }],
  ]);
  const calls = { following: 0, authors: [] as string[][] };
  const client: UsersClient = {
    followingIds(userId) {
      calls.following += 1;
      return Promise.resolve(following.get(userId));
    },
    authors(ids) {
      calls.authors.push([...ids]);
      return Promise.resolve(ids.flatMap((id) => authors.get(id) ?? []));
    },
    close: () => undefined,
  };
  return { client, following, calls };
}

describe('feeds memo of users answers', function () {
  const call = {} as CallContext;
  let clock: number;
  const now = () => clock;

  beforeEach(function () {
    clock = 1_000_000;
  });

  it('reuses whom a user follows until the TTL passes, then asks again', async function () {
    const users = fakeUsers();
    const memo = memoizedUsers(users.client, { followingMs: 5000, authorsMs: 0 }, now);
    await memo.followingIds('reader', call);
    users.following.set('reader', ['a', 'b', 'c']);
    expect(await memo.followingIds('reader', call)).to.deep.equal(['a', 'b']);
    clock += 5000;
    expect(await memo.followingIds('reader', call)).to.deep.equal(['a', 'b', 'c']);
    expect(users.calls.following).to.equal(2);
  });

  it('does not remember an unknown user', async function () {
    const users = fakeUsers();
    const memo = memoizedUsers(users.client, { followingMs: 5000, authorsMs: 0 }, now);
    expect(await memo.followingIds('nobody', call)).to.equal(undefined);
    users.following.set('nobody', ['a']);
    expect(await memo.followingIds('nobody', call)).to.deep.equal(['a']);
  });

  it('asks users only for the authors it does not know yet', async function () {
    const users = fakeUsers();
    const memo = memoizedUsers(users.client, { followingMs: 0, authorsMs: 60_000 }, now);
    await memo.authors(['a'], call);
    const both = await memo.authors(['a', 'b'], call);
    expect(both.map((a) => a.id).sort()).to.deep.equal(['a', 'b']);
    expect(users.calls.authors).to.deep.equal([['a'], ['b']]);
  });

  it('remembers nothing with TTLs of 0', async function () {
    const users = fakeUsers();
    const memo = memoizedUsers(users.client, { followingMs: 0, authorsMs: 0 }, now);
    await memo.followingIds('reader', call);
    await memo.followingIds('reader', call);
    await memo.authors(['a'], call);
    await memo.authors(['a'], call);
    expect(users.calls.following).to.equal(2);
    expect(users.calls.authors).to.have.length(2);
  });
});
