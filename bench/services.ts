/**
 * The services suite of `npm run bench` (BENCH_SUITES=services), run by bench/run.ts after the
 * token suite with the same pinning: every service child on core 0 (together when there are
 * several), autocannon in bench/load.ts on core 1, warm-up then the measured run.
 *
 * - get:   GET /tweets/{id} on the tweets service (bearer verification, SQLite point read) against
 *          a bare Koa 3 hello world (bench/hello-server.ts); target ratio >= 0.6. A second
 *          reference, bench/minimal-route-server.ts (the same read on Koa, @koa/router and
 *          SQLite with nothing else), shows what the stack itself allows.
 * - post:  POST /tweets on SQLite; target >= 2,000 tweets/s, and no write lost or duplicated: the
 *          rows in tweets.sqlite before and after are compared with the 2xx answers.
 * - feeds: GET /feeds/home for a reader following 100 authors with 10,000 tweets between them, at a
 *          fixed autocannon overallRate of 200 requests/s, users + tweets + feeds all on core 0;
 *          target p99 < 50 ms.
 *
 * Tokens come from a bench-owned stub issuer (bench/stub-issuer.ts), not from the auth server:
 * they need user tokens without a browser login per run (the end-user suite measures logins). Same ES256 at+jwt claim set.
 *
 * Environment (besides run.ts's BENCH_DURATION, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ENFORCE,
 * BENCH_CPU_PROF_DIR): BENCH_SERVICES ("get,post,feeds"), BENCH_FEEDS_RATE (200),
 * BENCH_FEEDS_CONNECTIONS (4: autocannon paces each connection's share of overallRate in a burst
 * at the start of every second, so fewer connections come closer to a steady rate; at 10 the
 * bursts, not the services, set the p99).
 */
import { int, ms, pct, table } from './format.js';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { LoadReport, LoadSpec, RunFigures } from './load.js';
import { startStubIssuer } from './stub-issuer.js';
import type { StubIssuer } from './stub-issuer.js';
import {
  INTERFERENCE_PERCENT,
  SATURATED_PERCENT,
  assertPinningPossible,
  cpusAllowed,
  envNumber,
  freePort,
  profileArgs,
  waitHealthy,
} from './support.js';
import type { Child, CoreUse } from './support.js';

/** What bench/run.ts lends this suite: its tracked children, clean-up and load runner. */
export interface Harness {
  readonly root: string;
  readonly outputDir: string;
  readonly serverCpu: number;
  readonly loadCpu: number;
  start(
    name: string,
    cpu: number,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    captureStdout?: boolean,
  ): Child;
  stop(child: Child): Promise<void>;
  runLoad(spec: LoadSpec): Promise<LoadReport>;
  /** Our environment without CHIRP_* and BENCH_*, plus `extra`. */
  childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv;
  /** Runs `use` with a fresh temporary folder; then stops every child and removes the folder. */
  withTmp<T>(use: (tmp: string) => Promise<T>): Promise<T>;
}

const ROWS = ['get', 'post', 'feeds'] as const;
type RowName = (typeof ROWS)[number];

const TARGET_GET_RATIO = 0.6;
const TARGET_POST_PER_SECOND = 2_000;
const TARGET_FEEDS_P99_MS = 50;

const TWEETS_RESOURCE = 'urn:chirp:tweets';
const USERS_RESOURCE = 'urn:chirp:users';
const FEEDS_RESOURCE = 'urn:chirp:feeds';
/** The author of every tweet of the get and post rows (a user token's subject). */
const BENCH_USER = 'u_bench';
const TWEET_BODY = JSON.stringify({ text: 'bench tweet' });

const FEED_AUTHORS = 100;
const FEED_TWEETS = 10_000;
const SEED_CONCURRENCY = 32;
const USER_SEED_CONCURRENCY = 4;

/** The share of the offered rate that counts as keeping up with it. */
const RATE_KEPT_UP = 0.95;

interface Settings {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly rows: ReadonlySet<RowName>;
  readonly feedsRate: number;
  readonly feedsConnections: number;
  readonly profileDir: string | undefined;
  readonly enforce: boolean;
}

function readSettings(): Settings {
  const rows = (process.env['BENCH_SERVICES'] ?? ROWS.join(','))
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  for (const r of rows) {
    if (!(ROWS as readonly string[]).includes(r)) {
      throw new Error(`BENCH_SERVICES: unknown row ${r} (use ${ROWS.join(', ')})`);
    }
  }
  const profileDir = process.env['BENCH_CPU_PROF_DIR'];
  return {
    durationSeconds: envNumber('BENCH_DURATION', 10),
    warmupSeconds: envNumber('BENCH_WARMUP', 5),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 32)),
    rows: new Set(rows as RowName[]),
    feedsRate: Math.round(envNumber('BENCH_FEEDS_RATE', 200)),
    feedsConnections: Math.round(envNumber('BENCH_FEEDS_CONNECTIONS', 4)),
    profileDir: profileDir === undefined || profileDir === '' ? undefined : resolve(profileDir),
    enforce: process.env['BENCH_ENFORCE'] === '1',
  };
}

/** One measured target: the load report plus where it ran and whether the figure counts. */
interface Measured {
  readonly label: string;
  readonly serverCpus: string;
  readonly loadCpus: string;
  readonly warmup: RunFigures;
  readonly measured: RunFigures;
  readonly serverCore: CoreUse | undefined;
  readonly sent: LoadReport['sent'];
  /** Each service's share of core 0 when several share it (feeds, users, tweets). */
  readonly serverCoreEach: LoadReport['serverCoreEach'];
  readonly valid: boolean;
}

interface PostIntegrity {
  readonly rowsBefore: number;
  readonly rowsAfter: number;
  readonly rowsAdded: number;
  /** 2xx answers of the warm-up and the measured run together (both post). */
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly sent: number | undefined;
  /** Requests sent that got no answer (in flight when autocannon stopped, or failed). */
  readonly unanswered: number | undefined;
  /** Rows without a 2xx answer: requests in flight at a stop that the service completed. */
  readonly writtenUnanswered: number;
  /** One autocannon connection may have one request in flight at each of the two stops. */
  readonly inFlightAllowance: number;
  readonly lost: number;
  readonly duplicated: number;
}

interface FeedsSeed {
  readonly users: number;
  readonly follows: number;
  readonly tweets: number;
  readonly seconds: number;
  readonly sampleItems: number;
  /** Dependency failures during the runs (degraded or 503 answers), from feeds' /metrics. */
  readonly fallbacks: number | undefined;
  readonly stubTokenRequests: number;
}

interface Results {
  hello?: Measured;
  /** bench/minimal-route-server.ts: the same read with no token, log or metrics. */
  minimalGet?: Measured;
  tweetsGet?: Measured;
  tweetsPost?: Measured;
  integrity?: PostIntegrity;
  feeds?: Measured;
  feedsSeed?: FeedsSeed;
  /** Why the feeds row did not run, when it did not. */
  feedsUnavailable?: string;
}

/** A started service child and its URLs. */
interface Service {
  readonly child: Child;
  readonly base: string;
  readonly metrics: string;
}

export async function runServicesSuite(h: Harness): Promise<number> {
  const settings = readSettings();
  assertPinningPossible();
  if (settings.profileDir !== undefined) {
    await mkdir(settings.profileDir, { recursive: true });
  }
  const stub = await startStubIssuer();
  try {
    return await h.withTmp(async (tmp) => {
      process.stdout.write(
        `\nservices suite: data in ${tmp}; stub issuer ${stub.issuer} (bench/stub-issuer.ts)\n`,
      );
      const results: Results = {};
      if (settings.rows.has('get') || settings.rows.has('post')) {
        await tweetsRows(h, settings, stub, tmp, results);
      }
      if (settings.rows.has('feeds')) {
        await feedsRow(h, settings, stub, tmp, results);
      }
      return await report(h, settings, results);
    });
  } finally {
    await stub.close();
  }
}

// --- children -----------------------------------------------------------------------------------

/** Starts resource-services/<name>/main.ts on the server core with the stub issuer. */
async function startService(
  h: Harness,
  settings: Settings,
  name: 'users' | 'tweets' | 'feeds',
  profileName: string,
  dataDir: string,
  issuer: string,
  extra: Readonly<Record<string, string>> = {},
): Promise<Service> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const prefix = `CHIRP_${name.toUpperCase()}`;
  const env = h.childEnv({
    CHIRP_DATA_DIR: dataDir,
    [`${prefix}_PORT`]: String(port),
    [`${prefix}_METRICS_PORT`]: String(metricsPort),
    CHIRP_ISSUER: issuer,
    CHIRP_LOG_LEVEL: 'warn',
    ...extra,
  });
  const args = [
    ...profileArgs(settings.profileDir, profileName),
    `resource-services/${name}/main.ts`,
  ];
  const child = h.start(name, h.serverCpu, args, env);
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(`${base}/healthz`, child);
  return { child, base, metrics: `http://127.0.0.1:${metricsPort}` };
}

async function stopService(h: Harness, service: Service): Promise<void> {
  const proc = service.child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return; // stopped (and reported) already
  }
  await h.stop(service.child);
  const code = service.child.process.exitCode;
  if (code !== null && code !== 0) {
    process.stderr.write(`  ${service.child.name} exited ${code}:\n${service.child.output()}\n`);
  }
}

function measuredFrom(
  label: string,
  serverCpus: string,
  r: LoadReport,
  settings: Settings,
): Measured {
  const m = r.measured;
  return {
    label,
    serverCpus,
    loadCpus: r.cpusAllowed,
    warmup: r.warmup,
    measured: m,
    serverCore: r.serverCore,
    sent: r.sent,
    serverCoreEach: r.serverCoreEach,
    valid:
      m.ok2xx > 0 &&
      m.non2xx === 0 &&
      m.errors === 0 &&
      m.timeouts === 0 &&
      settings.profileDir === undefined,
  };
}

// --- HTTP for set-up and sample checks ----------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly text: string;
  json<T>(): T;
}

async function call(
  method: string,
  url: string,
  token: string | undefined,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== undefined) {
    headers['authorization'] = `Bearer ${token}`;
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(url, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, text, json: <T>() => JSON.parse(text) as T };
}

async function expectStatus(
  what: string,
  status: number,
  answer: Promise<Answer>,
): Promise<Answer> {
  const a = await answer;
  if (a.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${a.status}: ${a.text.slice(0, 500)}`);
  }
  return a;
}

/** Runs `task(0..count-1)` with at most `concurrency` at a time; results in index order. */
async function pool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

/** Rows of one author in a tweets.sqlite file, read-only (safe beside a running WAL writer). */
function countRows(file: string, authorId: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare('select count(*) as n from tweets where author_id = ?')
      .get(authorId) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}

// --- get and post rows --------------------------------------------------------------------------

async function tweetsRows(
  h: Harness,
  settings: Settings,
  stub: StubIssuer,
  tmp: string,
  results: Results,
): Promise<void> {
  const readToken = await stub.mint({
    sub: 'bench-tweets',
    clientId: 'bench-tweets',
    audience: TWEETS_RESOURCE,
    scope: 'tweets:read',
  });
  const writeToken = await stub.mint({
    sub: BENCH_USER,
    clientId: 'bench',
    audience: TWEETS_RESOURCE,
    scope: 'tweets:read tweets:write',
  });
  const load = {
    connections: settings.connections,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    serverCpu: h.serverCpu,
  };

  if (settings.rows.has('get')) {
    // The references first, each alone on the core; hello world ignores path and headers.
    const reference = async (label: string, entry: string, dataDir?: string) => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const name = entry.replace(/^bench\/|\.ts$/g, '');
      const child = h.start(
        name,
        h.serverCpu,
        [...profileArgs(settings.profileDir, name), entry],
        h.childEnv({
          BENCH_PORT: String(port),
          ...(dataDir === undefined ? {} : { BENCH_DATA_DIR: dataDir }),
        }),
      );
      try {
        await waitHealthy(`${base}/`, child);
        const cpusOf = cpusAllowed(child.process.pid ?? 0);
        progress(label, base, cpusOf, settings);
        const r = await h.runLoad({
          ...load,
          url: `${base}/tweets/0000000000000000000`,
          method: 'GET',
          headers: { authorization: `Bearer ${readToken}` },
          body: '',
          serverPid: child.process.pid ?? 0,
        });
        return measuredFrom(label, cpusOf, r, settings);
      } finally {
        await h.stop(child);
      }
    };
    results.hello = await reference('Koa 3 hello world (baseline)', 'bench/hello-server.ts');
    const minimalDir = join(tmp, 'minimal');
    await mkdir(minimalDir, { recursive: true });
    results.minimalGet = await reference(
      'minimal route (Koa+router+SQLite)',
      'bench/minimal-route-server.ts',
      minimalDir,
    );
  }

  const tweets = await startService(
    h,
    settings,
    'tweets',
    'tweets',
    join(tmp, 'tweets'),
    stub.issuer,
  );
  const dbFile = join(tmp, 'tweets', 'tweets.sqlite');
  const cpusOf = cpusAllowed(tweets.child.process.pid ?? 0);
  try {
    if (settings.rows.has('get')) {
      const created = await expectStatus(
        'POST /tweets (the tweet to read)',
        201,
        call('POST', `${tweets.base}/tweets`, writeToken, { text: 'bench tweet' }),
      );
      const id = created.json<{ id: string }>().id;
      const url = `${tweets.base}/tweets/${id}`;
      // Verification is really on: no token is 401, a token for another audience too.
      await expectStatus('GET /tweets/{id} without a token', 401, call('GET', url, undefined));
      const otherAudience = await stub.mint({
        sub: 'bench-tweets',
        clientId: 'bench-tweets',
        audience: USERS_RESOURCE,
        scope: 'tweets:read',
      });
      await expectStatus('GET /tweets/{id}, wrong audience', 401, call('GET', url, otherAudience));
      const sample = await expectStatus('GET /tweets/{id}', 200, call('GET', url, readToken));
      if (sample.json<{ id?: unknown }>().id !== id) {
        throw new Error(`GET /tweets/{id} answered another tweet: ${sample.text}`);
      }
      progress('tweets GET /tweets/{id}', tweets.base, cpusOf, settings);
      const r = await h.runLoad({
        ...load,
        url,
        method: 'GET',
        headers: { authorization: `Bearer ${readToken}` },
        body: '',
        serverPid: tweets.child.process.pid ?? 0,
      });
      results.tweetsGet = measuredFrom('tweets GET /tweets/{id}', cpusOf, r, settings);
    }

    if (settings.rows.has('post')) {
      const rowsBefore = countRows(dbFile, BENCH_USER);
      progress('tweets POST /tweets', tweets.base, cpusOf, settings);
      const r = await h.runLoad({
        ...load,
        url: `${tweets.base}/tweets`,
        method: 'POST',
        headers: { authorization: `Bearer ${writeToken}`, 'content-type': 'application/json' },
        body: TWEET_BODY,
        serverPid: tweets.child.process.pid ?? 0,
        reportSent: true,
      });
      // Stopped first: every request it accepted is finished (or abandoned) and the WAL is
      // checkpointed before the rows are counted.
      await stopService(h, tweets);
      const rowsAfter = countRows(dbFile, BENCH_USER);
      results.tweetsPost = measuredFrom('tweets POST /tweets', cpusOf, r, settings);
      results.integrity = integrityOf(rowsBefore, rowsAfter, r, settings.connections);
    }
  } finally {
    await stopService(h, tweets);
  }
}

function integrityOf(
  rowsBefore: number,
  rowsAfter: number,
  r: LoadReport,
  connections: number,
): PostIntegrity {
  const ok2xx = r.warmup.ok2xx + r.measured.ok2xx;
  const non2xx = r.warmup.non2xx + r.measured.non2xx;
  const errors = r.warmup.errors + r.measured.errors;
  const sent = r.sent === undefined ? undefined : r.sent.warmup + r.sent.measured;
  const rowsAdded = rowsAfter - rowsBefore;
  const inFlightAllowance = 2 * connections;
  return {
    rowsBefore,
    rowsAfter,
    rowsAdded,
    ok2xx,
    non2xx,
    errors,
    sent,
    unanswered: sent === undefined ? undefined : sent - ok2xx - non2xx,
    writtenUnanswered: Math.max(0, rowsAdded - ok2xx),
    inFlightAllowance,
    lost: Math.max(0, ok2xx - rowsAdded),
    duplicated: Math.max(0, rowsAdded - (ok2xx + inFlightAllowance)),
  };
}

function progress(what: string, base: string, cpusOf: string, settings: Settings): void {
  process.stdout.write(
    `  ${what}: ready on ${base} (cpus ${cpusOf}); warm-up ${settings.warmupSeconds} s, ` +
      `then ${settings.durationSeconds} s measured…\n`,
  );
}

// --- feeds row ----------------------------------------------------------------------------------

async function feedsRow(
  h: Harness,
  settings: Settings,
  stub: StubIssuer,
  tmp: string,
  results: Results,
): Promise<void> {
  if (!existsSync(join(h.root, 'resource-services', 'feeds', 'main.ts'))) {
    results.feedsUnavailable = 'resource-services/feeds/main.ts does not exist';
    process.stdout.write('  feeds: not available yet (no resource-services/feeds/main.ts)\n');
    return;
  }
  const dataDir = join(tmp, 'feeds-world');
  const started: Service[] = [];
  try {
    const users = await startService(h, settings, 'users', 'feeds-users', dataDir, stub.issuer);
    started.push(users);
    const tweets = await startService(h, settings, 'tweets', 'feeds-tweets', dataDir, stub.issuer);
    started.push(tweets);
    process.stdout.write(
      `  feeds: seeding ${FEED_AUTHORS + 1} users, ${FEED_AUTHORS} follows, ` +
        `${FEED_TWEETS.toLocaleString('en-US')} tweets (not measured)…\n`,
    );
    const seedStart = performance.now();
    const { readerId, authorIds } = await seedWorld(stub, users.base, tweets.base);
    const seedSeconds = (performance.now() - seedStart) / 1000;

    let feeds: Service;
    try {
      feeds = await startService(h, settings, 'feeds', 'feeds-feeds', dataDir, stub.issuer, {
        CHIRP_USERS_URL: users.base,
        CHIRP_TWEETS_URL: tweets.base,
        CHIRP_FEEDS_CLIENT_ID: 'bench-feeds',
        // The stub's /token checks no client secret.
        CHIRP_FEEDS_CLIENT_SECRET: 'not-checked-by-the-stub-issuer',
      });
    } catch (e) {
      results.feedsUnavailable = `the feeds service did not start: ${firstLine(e)}`;
      process.stdout.write(`  feeds: not available yet (${results.feedsUnavailable})\n`);
      return;
    }
    started.push(feeds);

    const readerToken = await stub.mint({
      sub: readerId,
      clientId: 'bench',
      audience: FEEDS_RESOURCE,
      scope: 'feeds:read',
    });
    const url = `${feeds.base}/feeds/home`;
    const sampleItems = await checkFeedSample(url, readerToken, new Set(authorIds));
    const pids = started.map((s) => s.child.process.pid ?? 0);
    const cpusOf = started.map((s) => cpusAllowed(s.child.process.pid ?? 0)).join('/');
    process.stdout.write(
      `  feeds GET /feeds/home: ready on ${feeds.base} (users/tweets/feeds on cpus ${cpusOf}); ` +
        `${settings.feedsRate} req/s, warm-up ${settings.warmupSeconds} s, then ` +
        `${settings.durationSeconds} s measured…\n`,
    );
    const r = await h.runLoad({
      url,
      method: 'GET',
      headers: { authorization: `Bearer ${readerToken}` },
      body: '',
      connections: settings.feedsConnections,
      overallRate: settings.feedsRate,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      serverPid: feeds.child.process.pid ?? 0,
      serverCpu: h.serverCpu,
      moreServerPids: pids.slice(0, 2),
    });
    const fallbacks = await fallbackCount(feeds.metrics);
    const measured = measuredFrom(
      'feeds GET /feeds/home (users+tweets+feeds)',
      cpusOf,
      r,
      settings,
    );
    results.feeds = { ...measured, valid: measured.valid && fallbacks === 0 };
    results.feedsSeed = {
      users: authorIds.length + 1,
      follows: authorIds.length,
      tweets: FEED_TWEETS,
      seconds: seedSeconds,
      sampleItems,
      fallbacks,
      stubTokenRequests: stub.tokenRequests(),
    };
  } finally {
    for (const s of started.reverse()) {
      await stopService(h, s);
    }
  }
}

/** 101 users, the reader following the 100 others, 10,000 tweets spread over the 100. */
async function seedWorld(
  stub: StubIssuer,
  usersBase: string,
  tweetsBase: string,
): Promise<{ readerId: string; authorIds: string[] }> {
  // A client token has sub = client_id.
  const admin = await stub.mint({
    sub: 'bench-admin',
    clientId: 'bench-admin',
    audience: USERS_RESOURCE,
    scope: 'users:admin',
  });
  const handles = [
    'bench_reader',
    ...Array.from({ length: FEED_AUTHORS }, (_, i) => `bench_a${i}`),
  ];
  const ids = await pool(handles.length, USER_SEED_CONCURRENCY, async (i) => {
    const a = await expectStatus(
      'POST /users',
      201,
      call('POST', `${usersBase}/users`, admin, {
        handle: handles[i],
        password: 'bench-password-not-secret',
      }),
    );
    return a.json<{ id: string }>().id;
  });
  const [readerId, ...authorIds] = ids;
  if (readerId === undefined) {
    throw new Error('no reader was created');
  }
  const readerUsers = await stub.mint({
    sub: readerId,
    clientId: 'bench',
    audience: USERS_RESOURCE,
    scope: 'users:read users:write',
  });
  await pool(authorIds.length, SEED_CONCURRENCY, (i) =>
    expectStatus(
      'PUT /me/following/{id}',
      204,
      call('PUT', `${usersBase}/me/following/${authorIds[i]}`, readerUsers),
    ),
  );
  const authorTokens = await Promise.all(
    authorIds.map((sub) =>
      stub.mint({ sub, clientId: 'bench', audience: TWEETS_RESOURCE, scope: 'tweets:write' }),
    ),
  );
  await pool(FEED_TWEETS, SEED_CONCURRENCY, (i) => {
    const author = i % authorIds.length;
    return expectStatus(
      'POST /tweets (seed)',
      201,
      call('POST', `${tweetsBase}/tweets`, authorTokens[author], {
        text: `seed tweet ${Math.floor(i / authorIds.length)} of author ${author}`,
      }),
    );
  });
  return { readerId, authorIds };
}

/** One GET /feeds/home before the load: a full, composed (not degraded) page of followed authors. */
async function checkFeedSample(
  url: string,
  token: string,
  followed: ReadonlySet<string>,
): Promise<number> {
  const a = await expectStatus('GET /feeds/home', 200, call('GET', url, token));
  const page = a.json<{
    items?: { id: string; authorId: string; author?: { id: string } }[];
    degraded?: unknown;
    nextCursor?: unknown;
  }>();
  const items = page.items ?? [];
  const sorted = items.every((t, i) => i === 0 || BigInt(items[i - 1]!.id) > BigInt(t.id));
  if (
    page.degraded !== false ||
    items.length !== 20 ||
    typeof page.nextCursor !== 'string' ||
    !sorted ||
    !items.every((t) => followed.has(t.authorId) && t.author?.id === t.authorId)
  ) {
    throw new Error(`GET /feeds/home sample is not a full composed page: ${a.text.slice(0, 800)}`);
  }
  return items.length;
}

/** Sum of feeds_home_fallbacks_total on feeds' internal /metrics (degraded or 503 answers). */
async function fallbackCount(metricsBase: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${metricsBase}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await res.text();
    let total = 0;
    for (const m of text.matchAll(/^feeds_home_fallbacks_total(?:\{[^}]*\})? ([0-9.e+]+)$/gm)) {
      total += Number(m[1]);
    }
    return total;
  } catch {
    return undefined;
  }
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const err = lines.find((l) => /error/i.test(l));
  return [lines[0], err].filter((l) => l !== undefined).join(' … ');
}

// --- report -------------------------------------------------------------------------------------

const HEADER = [
  'target',
  'req/s',
  'p50 ms',
  'p90 ms',
  'p99 ms',
  'max ms',
  '2xx',
  'non-2xx',
  'errors',
  'server cpu',
  'other cpu0',
  'valid',
];
const ALIGN = [false, true, true, true, true, true, true, true, true, true, true, false];

function rowOf(m: Measured): string[] {
  const f = m.measured;
  return [
    m.label,
    int(f.perSecond),
    ms(f.latencyMs.p50),
    ms(f.latencyMs.p90),
    ms(f.latencyMs.p99),
    ms(f.latencyMs.max),
    int(f.ok2xx),
    int(f.non2xx),
    int(f.errors + f.timeouts),
    pct(m.serverCore?.processPercent),
    pct(m.serverCore?.otherPercent),
    m.valid ? 'yes' : 'NO',
  ];
}

type Verdict = 'met' | 'MISSED' | 'no valid figure' | 'not run';

function verdict(ran: boolean, valid: boolean, met: boolean): Verdict {
  return !ran ? 'not run' : !valid ? 'no valid figure' : met ? 'met' : 'MISSED';
}

function warnings(lines: string[], rows: readonly Measured[], throughput: boolean): void {
  for (const m of rows) {
    if ((m.serverCore?.otherPercent ?? 0) > INTERFERENCE_PERCENT) {
      lines.push(
        `warning: other processes used more than ${INTERFERENCE_PERCENT}% of core 0 during ` +
          `${m.label}: that figure is low; run again on a quiet machine`,
      );
    }
    if (throughput && (m.serverCore?.processPercent ?? 100) < SATURATED_PERCENT) {
      lines.push(
        `warning: the server used less than ${SATURATED_PERCENT}% of its core during ` +
          `${m.label}: the load generator (autocannon, about 10,000 req/s at most) may have ` +
          'been the limit, not the server',
      );
    }
  }
}

async function report(h: Harness, settings: Settings, r: Results): Promise<number> {
  const out: string[] = [];
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  out.push(
    '',
    'Chirp resource services: tweets, users, feeds (Koa 3, SQLite, ES256 at+jwt bearer tokens)',
    `node ${process.version}, ${cpus().length} × ${cpuModel}; services on core ${h.serverCpu} ` +
      `(sharing it when several), autocannon on core ${h.loadCpu}`,
    `warm-up ${settings.warmupSeconds} s, measured ${settings.durationSeconds} s per target; ` +
      'services ran with CHIRP_LOG_LEVEL=warn (no access-log line per request)',
    'tokens: minted by the bench stub issuer (bench/stub-issuer.ts: ES256 at+jwt, same claims as ' +
      'the auth server; its /token answers client_credentials without client authentication), ' +
      'not by the auth server, so that no login per run enters the figures',
    '',
  );

  // GET /tweets/{id} vs hello world
  const getRatio =
    r.hello !== undefined && r.tweetsGet !== undefined
      ? r.tweetsGet.measured.perSecond / r.hello.measured.perSecond
      : undefined;
  const getValid = r.hello?.valid === true && r.tweetsGet?.valid === true;
  const minimalRatio =
    r.hello !== undefined && r.minimalGet !== undefined
      ? r.minimalGet.measured.perSecond / r.hello.measured.perSecond
      : undefined;
  const overMinimal =
    r.minimalGet !== undefined && r.tweetsGet !== undefined
      ? r.tweetsGet.measured.perSecond / r.minimalGet.measured.perSecond
      : undefined;
  const getVerdict = verdict(getRatio !== undefined, getValid, (getRatio ?? 0) >= TARGET_GET_RATIO);
  if (settings.rows.has('get')) {
    out.push(
      `GET /tweets/{id}: ${settings.connections} connections; one client token (tweets:read) ` +
        'for every request, so after the first its verification is a hit in the service’s ' +
        'verified-token cache; then a SQLite point read',
      '',
      table(
        [HEADER, ...[r.hello, r.minimalGet, r.tweetsGet].filter((m) => m !== undefined).map(rowOf)],
        ALIGN,
      ),
      '',
    );
    warnings(
      out,
      [r.hello, r.minimalGet, r.tweetsGet].filter((m) => m !== undefined),
      true,
    );
    out.push(
      `ratio tweets GET / hello world: ${getRatio?.toFixed(2) ?? '-'}`,
      `ratio minimal route / hello world: ${minimalRatio?.toFixed(2) ?? '-'} ` +
        '(the most any GET /tweets/{id} on Koa, @koa/router and SQLite reaches here)',
      `ratio tweets GET / minimal route: ${overMinimal?.toFixed(2) ?? '-'} ` +
        '(what token check, request id, access log, metrics and error mapping leave)',
      `target  GET /tweets/{id} >= ${TARGET_GET_RATIO} × hello world: ${getVerdict} ` +
        `(${getRatio?.toFixed(2) ?? '-'})`,
      '',
    );
  }

  // POST /tweets
  const post = r.tweetsPost;
  const postVerdict = verdict(
    post !== undefined,
    post?.valid === true,
    (post?.measured.perSecond ?? 0) >= TARGET_POST_PER_SECOND,
  );
  const integ = r.integrity;
  const integrityVerdict = verdict(
    integ !== undefined,
    integ !== undefined,
    integ?.lost === 0 && integ.duplicated === 0,
  );
  if (post !== undefined && integ !== undefined) {
    out.push(
      `POST /tweets: ${settings.connections} connections, one user token (tweets:write), body ` +
        `${TWEET_BODY}, no Idempotency-Key`,
      '',
      table([HEADER, rowOf(post)], ALIGN),
      '',
    );
    warnings(out, [post], true);
    out.push(
      `writes (warm-up + measured run): ${int(integ.rowsAdded)} rows added ` +
        `(${int(integ.rowsBefore)} → ${int(integ.rowsAfter)} in tweets.sqlite, counted read-only ` +
        `after the service stopped); ${int(integ.ok2xx)} answered 2xx, ${int(integ.non2xx)} ` +
        `non-2xx, ${int(integ.errors)} errors; ${integ.sent === undefined ? '?' : int(integ.sent)} ` +
        `sent, ${integ.unanswered === undefined ? '?' : int(integ.unanswered)} unanswered when ` +
        'autocannon stopped',
      `  rows without a 2xx answer (in flight at a stop): ${int(integ.writtenUnanswered)} ` +
        `(allowed: ${integ.inFlightAllowance} = ${settings.connections} connections × 2 runs); ` +
        `lost: ${int(integ.lost)}; duplicated: ${int(integ.duplicated)}`,
      `target  POST /tweets >= ${int(TARGET_POST_PER_SECOND)} tweets/s: ${postVerdict} ` +
        `(${int(post.measured.perSecond)})`,
      `target  no lost or duplicated write: ${integrityVerdict} ` +
        `(lost ${integ.lost}, duplicated ${integ.duplicated})`,
      '',
    );
  }

  // GET /feeds/home
  const feeds = r.feeds;
  // Below the offered rate the services could not keep up: the queue, not the p99, is the answer.
  const feedsKeptUp =
    feeds !== undefined && feeds.measured.perSecond >= RATE_KEPT_UP * settings.feedsRate;
  const feedsVerdict = verdict(
    feeds !== undefined,
    feeds?.valid === true,
    feedsKeptUp && (feeds?.measured.latencyMs.p99 ?? Infinity) < TARGET_FEEDS_P99_MS,
  );
  if (settings.rows.has('feeds')) {
    if (feeds === undefined || r.feedsSeed === undefined) {
      out.push(
        `feeds: not available yet (${r.feedsUnavailable ?? 'did not run'})`,
        `target  GET /feeds/home p99 < ${TARGET_FEEDS_P99_MS} ms: not run`,
        '',
      );
    } else {
      const s = r.feedsSeed;
      out.push(
        `GET /feeds/home: a reader following ${s.follows} authors with ${int(s.tweets)} tweets ` +
          `between them (seeded in ${s.seconds.toFixed(1)} s: ${s.users} users by POST /users, ` +
          `follows by PUT /me/following/{id}, tweets by POST /tweets); limit 20; ` +
          `autocannon overallRate ${settings.feedsRate}/s over ${settings.feedsConnections} ` +
          'connections (autocannon sends each connection’s share at the start of every ' +
          'second: bursts, not evenly spaced; few connections keep the bursts small, ' +
          'BENCH_FEEDS_CONNECTIONS changes it), no coordinated-omission correction',
        `feeds got its users:read and tweets:read tokens from the stub's /token ` +
          `(${s.stubTokenRequests} token requests); server cpu is users + tweets + feeds`,
        '',
        table([HEADER, rowOf(feeds)], ALIGN),
        '',
      );
      warnings(out, [feeds], false);
      const each = feeds.serverCoreEach;
      if (each !== undefined) {
        out.push(
          `server cpu by service: feeds ${pct(each[0])}, users ${pct(each[1])}, ` +
            `tweets ${pct(each[2])}`,
        );
      }
      out.push(
        `offered ${settings.feedsRate} req/s, answered ${int(feeds.measured.perSecond)} req/s` +
          (feedsKeptUp
            ? ''
            : `: the services did not keep up (core 0 at ${pct(feeds.serverCore?.processPercent)}` +
              ' for them), so requests queued and the p99 below is a floor'),
        `dependency fallbacks (degraded or 503) during the runs: ${s.fallbacks ?? '?'}`,
        `target  GET /feeds/home p99 < ${TARGET_FEEDS_P99_MS} ms at ${settings.feedsRate} req/s: ` +
          `${feedsVerdict} (p99 ${ms(feeds.measured.latencyMs.p99)} ms at ` +
          `${int(feeds.measured.perSecond)} req/s)`,
        '',
      );
    }
  }
  if (settings.profileDir !== undefined) {
    out.push(`profiled run (--cpu-prof into ${settings.profileDir}): figures are not valid`);
  }
  out.push('Figures drift by up to ~20% between runs on these machines: quote the ratio.', '');
  process.stdout.write(out.join('\n') + '\n');

  const measuredRows = [r.hello, r.minimalGet, r.tweetsGet, r.tweetsPost, r.feeds].filter(
    (m) => m !== undefined,
  );
  const json = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel,
    settings: {
      rows: [...settings.rows],
      connections: settings.connections,
      feedsConnections: settings.feedsConnections,
      feedsRate: settings.feedsRate,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      serverCpu: h.serverCpu,
      loadCpu: h.loadCpu,
      serviceLogLevel: 'warn',
      issuer: 'bench stub issuer (bench/stub-issuer.ts), not the auth server',
      profiled: settings.profileDir !== undefined,
    },
    results: {
      hello: r.hello ?? null,
      minimalGet: r.minimalGet ?? null,
      tweetsGet: r.tweetsGet ?? null,
      tweetsPost: r.tweetsPost ?? null,
      postIntegrity: r.integrity ?? null,
      feeds: r.feeds ?? null,
      feedsSeed: r.feedsSeed ?? null,
      feedsUnavailable: r.feedsUnavailable ?? null,
    },
    ratios: {
      tweetsGetOverHello: getRatio ?? null,
      minimalGetOverHello: minimalRatio ?? null,
      tweetsGetOverMinimal: overMinimal ?? null,
    },
    targets: {
      tweetsGetRatio: { target: TARGET_GET_RATIO, verdict: getVerdict },
      tweetsPostPerSecond: { target: TARGET_POST_PER_SECOND, verdict: postVerdict },
      noLostOrDuplicatedWrite: { verdict: integrityVerdict },
      feedsP99Ms: {
        target: TARGET_FEEDS_P99_MS,
        below: true,
        offeredRate: settings.feedsRate,
        keptUp: feeds === undefined ? null : feedsKeptUp,
        verdict: feedsVerdict,
      },
    },
    valid: measuredRows.every((m) => m.valid),
  };
  const outputFile = join(
    h.outputDir,
    settings.profileDir === undefined ? 'services.json' : 'services.profiled.json',
  );
  await mkdir(h.outputDir, { recursive: true });
  await writeFile(outputFile, JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(`figures written to ${outputFile}\n`);

  if (!json.valid) {
    return 1;
  }
  const verdicts = [getVerdict, postVerdict, integrityVerdict, feedsVerdict];
  // A missed target fails the run only with BENCH_ENFORCE=1; so does a lost or duplicated write.
  return settings.enforce && verdicts.some((v) => v === 'MISSED') ? 1 : 0;
}
