import { expect } from 'chai';
import { pino } from 'pino';
import { ProblemError } from '../../platform/errors.js';
import { DependencyError } from '../../platform/http/errors.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import type {
  CachedTimeline,
  TimelineCache,
  TimelinePage,
} from '../../resource-services/feeds/cache.js';
import type {
  Tweet,
  TimelineQuery,
  TweetsClient,
} from '../../resource-services/feeds/clients/tweets.js';
import type { Author, UsersClient } from '../../resource-services/feeds/clients/users.js';
import { createTimeline } from '../../resource-services/feeds/timeline.js';
import type { HomePage, HomeQuery } from '../../resource-services/feeds/timeline.js';

/** Tweet ids sort by time: a higher number is newer. */
const tweetId = (n: number) => String(n).padStart(19, '0');

function tweet(n: number, authorId: string): Tweet {
  return { id: tweetId(n), authorId, text: `tweet ${n}`, createdAt: new Date(n).toISOString() };
}

const author = (id: string): Author => ({ id, handle: id.slice(2), displayName: id.toUpperCase() });

/** Fakes of users, tweets and the cache; each test scripts what it needs. */
function fakes() {
  const state = {
    following: ['u_ada'] as string[] | undefined,
    known: new Set(['u_me', 'u_ada']),
    tweets: [] as Tweet[],
    failWith: undefined as Error | undefined,
    asked: [] as TimelineQuery[],
    cached: undefined as CachedTimeline | undefined,
    cacheFails: false,
  };
  const fail = () => {
    if (state.failWith) {
      throw state.failWith;
    }
  };
  const users: UsersClient = {
    followingIds: () => Promise.resolve().then(() => (fail(), state.following)),
    authors: (ids) => Promise.resolve(ids.filter((id) => state.known.has(id)).map(author)),
    close: () => undefined,
  };
  const tweets: TweetsClient = {
    timeline(query) {
      state.asked.push(query);
      const older = state.tweets.filter((t) => query.before === undefined || t.id < query.before);
      return Promise.resolve(older.sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, query.limit));
    },
    close: () => undefined,
  };
  const cache: TimelineCache = {
    load: () =>
      state.cacheFails ? Promise.reject(new Error('disk')) : Promise.resolve(state.cached),
    save(_userId, page: TimelinePage) {
      if (state.cacheFails) {
        return Promise.reject(new Error('disk'));
      }
      state.cached = { ...page, composedAt: 1 };
      return Promise.resolve();
    },
  };
  const fallbacks = createMetrics('timeline-test').counter('fallbacks', 'test', [
    'outcome',
    'dependency',
  ]);
  return { state, timeline: createTimeline({ users, tweets, cache, fallbacks }) };
}

function home(f: ReturnType<typeof fakes>, query: Partial<HomeQuery> = {}): Promise<HomePage> {
  return f.timeline.home(
    { userId: 'u_me', limit: 20, ...query },
    {
      requestId: 'r',
      traceparent: 't',
      deadline: Date.now() + 900,
      log: pino({ level: 'silent' }),
    },
  );
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('home timeline composition', function () {
  it('asks tweets for the caller and whom they follow, one more than the page', async function () {
    const f = fakes();
    await home(f, { limit: 5 });
    expect(f.state.asked).to.deep.equal([
      { authorIds: ['u_me', 'u_ada'], limit: 6, before: undefined },
    ]);
  });

  it('asks for at most 100 at limit 100, and offers a next page when 100 came back', async function () {
    const f = fakes();
    f.state.tweets = Array.from({ length: 100 }, (_, i) => tweet(i + 1, 'u_ada'));
    const page = await home(f, { limit: 100 });
    expect(f.state.asked[0]?.limit).to.equal(100);
    expect(page.items).to.have.length(100);
    expect(page.nextBefore).to.equal(tweetId(1));
    const next = await home(f, { limit: 100, before: tweetId(1) });
    expect(next).to.deep.include({ items: [], nextBefore: null });
  });

  it('names at most 5,000 authors, the caller first and never twice', async function () {
    const f = fakes();
    f.state.following = ['u_me', ...Array.from({ length: 6000 }, (_, i) => `u_${i}`)];
    await home(f);
    const ids = f.state.asked[0]?.authorIds ?? [];
    expect(ids).to.have.length(5000);
    expect(ids[0]).to.equal('u_me');
    expect(new Set(ids).size).to.equal(5000);
  });

  it('leaves out tweets whose author users no longer knows, but pages past them', async function () {
    const f = fakes();
    f.state.tweets = [tweet(3, 'u_ada'), tweet(2, 'u_gone'), tweet(1, 'u_me')];
    const page = await home(f, { limit: 2 });
    expect(page.items.map((i) => i.id)).to.deep.equal([tweetId(3)]);
    expect(page.nextBefore).to.equal(tweetId(2));
  });

  it('answers a composed timeline even when it cannot be cached', async function () {
    const f = fakes();
    f.state.tweets = [tweet(1, 'u_ada')];
    f.state.cacheFails = true;
    expect((await home(f)).items).to.have.length(1);
  });

  it('answers 503 when the cache cannot be read during an outage', async function () {
    const f = fakes();
    f.state.cacheFails = true;
    f.state.failWith = new DependencyError({ dependency: 'users', kind: 'unavailable' });
    const e = await rejection(home(f));
    expect(e).to.be.instanceOf(ProblemError).and.have.property('status', 503);
  });

  it('tells the client to come back when the open circuit lets a call through', async function () {
    const f = fakes();
    f.state.failWith = new DependencyError({
      dependency: 'users',
      kind: 'circuit-open',
      retryAfterSeconds: 3,
    });
    const e = await rejection(home(f));
    expect(e).to.be.instanceOf(ProblemError);
    expect((e as ProblemError).headers).to.deep.equal({ 'Retry-After': '3' });
  });

  it('answers 5 seconds in Retry-After when the failure gives no estimate', async function () {
    const f = fakes();
    f.state.failWith = new DependencyError({ dependency: 'users', kind: 'timeout' });
    const e = await rejection(home(f));
    expect((e as ProblemError).headers).to.deep.equal({ 'Retry-After': '5' });
  });

  it('lets errors that are not a dependency failing reach the edge unchanged', async function () {
    const f = fakes();
    f.state.failWith = new TypeError('a bug');
    expect(await rejection(home(f))).to.be.instanceOf(TypeError);
  });

  it('shows a subject that cannot be a user id an empty timeline without calling anyone', async function () {
    const f = fakes();
    const page = await home(f, { userId: 'not a user id!' });
    expect(page).to.deep.equal({ items: [], nextBefore: null, degraded: false });
    expect(f.state.asked).to.deep.equal([]);
  });
});
