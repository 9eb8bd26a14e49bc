/**
 * The load driver of the end-user suite (bench/end-user.ts), run as a child pinned to the load
 * core; prints one JSON DriverReport line on stdout.
 *
 * 1. Code flows: `flowConcurrency` loops, each doing one complete flow after another, each flow
 *    with its own cookie jar, as a browser with a fresh profile would: GET the authorization
 *    endpoint (PKCE S256, state, resource), follow to the sign-in page, post it, post the consent
 *    page when shown, stop at the redirect to the app, redeem the code. Warm-up, then measured.
 * 2. Refresh grants: `refreshConcurrency` chains, each starting from the refresh token of one
 *    flow above, each sending grant_type=refresh_token with its newest token and keeping the
 *    rotated one. A failed chain stops (its token may be consumed) and is counted as broken.
 *
 * Pages are driven with the tests' form browser (test/helpers/form-browser.ts): one cookie jar,
 * forms and same-origin redirects, written once for both.
 * Usage: node --import tsx bench/end-user-driver.ts '<DriverSpec as JSON>'
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { watchCores } from './core-watch.js';
import type { CoresUse } from './core-watch.js';
import { Browser, formsOf } from '../test/helpers/form-browser.js';
import type { Visit } from '../test/helpers/form-browser.js';
import { cpusAllowed } from './support.js';

/** A page or token request that has not answered by then fails the flow. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface DriverSpec {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly resource: string;
  readonly handle: string;
  readonly password: string;
  /** The bench user's id: every access token's `sub` must be it. */
  readonly userId: string;
  readonly flowConcurrency: number;
  readonly refreshConcurrency: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** The auth server and users, both on `serverCpu`, for the CPU accounting. */
  readonly serverPids: readonly number[];
  readonly serverCpu: number;
}

export interface PhaseFigures {
  readonly durationSeconds: number;
  readonly completed: number;
  readonly failures: number;
  /** Completions per second of the window. */
  readonly perSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  /** Failures by a short reason ("login: 503", "token: invalid_grant"). */
  readonly failureReasons: Readonly<Record<string, number>>;
}

export interface MeasuredPhase {
  readonly warmup: PhaseFigures;
  readonly measured: PhaseFigures;
  /** Use of the server core during the measured window (auth server and users summed). */
  readonly serverCore: CoresUse | undefined;
  /** Percent of one core the driver itself used during the measured window. */
  readonly driverPercent: number;
}

export interface DriverReport {
  readonly cpusAllowed: string;
  readonly flows: MeasuredPhase & {
    /** Completed flows (warm-up and top-up included) that showed the consent page. */
    readonly consentShown: number;
    readonly flowsCompleted: number;
  };
  readonly refresh: MeasuredPhase & {
    readonly chains: number;
    /** Extra flows run after the flow phase because it gave fewer refresh tokens than chains. */
    readonly topUpFlows: number;
    /** Chains that stopped on a failure; each failure is also in the phase's failures. */
    readonly brokenChains: number;
  };
}

/** A failed step; `reason` is short and stable, so failures can be counted by it. */
class Failure extends Error {
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
  }
}

function reasonOf(e: unknown): string {
  if (e instanceof Failure) {
    return e.reason;
  }
  return e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 80) : String(e);
}

// --- OAuth ---------------------------------------------------------------------------------------

interface Endpoints {
  readonly authorization: string;
  readonly token: string;
}

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

async function discover(issuer: string): Promise<Endpoints> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  const meta = (await res.json()) as {
    authorization_endpoint?: string;
    token_endpoint?: string;
  };
  if (meta.authorization_endpoint === undefined || meta.token_endpoint === undefined) {
    throw new Error(`discovery at ${issuer} gave no authorization or token endpoint`);
  }
  return { authorization: meta.authorization_endpoint, token: meta.token_endpoint };
}

/** RFC 6749 2.3.1: form-url-encode id and secret, join with ':', base64. */
function basicAuth(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`, 'utf8').toString('base64')}`;
}

/** POSTs to the token endpoint; a refusal becomes a Failure named by `what` and the error. */
async function tokenRequest(
  spec: DriverSpec,
  endpoints: Endpoints,
  what: string,
  params: Record<string, string>,
): Promise<TokenPair> {
  const res = await fetch(endpoints.token, {
    method: 'POST',
    headers: {
      authorization: basicAuth(spec.clientId, spec.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  if (res.status !== 200) {
    const error = /"error":"([a-z_]+)"/.exec(text)?.[1] ?? String(res.status);
    throw new Failure(`${what}: ${error}`, text.slice(0, 300));
  }
  const body = JSON.parse(text) as { access_token?: unknown; refresh_token?: unknown };
  if (typeof body.access_token !== 'string' || typeof body.refresh_token !== 'string') {
    throw new Failure(`${what}: no token pair`, text.slice(0, 300));
  }
  checkAccessToken(spec, body.access_token, what);
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}

/** The access token is for the bench user at the resource asked for (claims only, unsigned). */
function checkAccessToken(spec: DriverSpec, jwt: string, what: string): void {
  const payload = JSON.parse(
    Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'),
  ) as { sub?: unknown; aud?: unknown };
  if (payload.sub !== spec.userId || payload.aud !== spec.resource) {
    throw new Failure(`${what}: wrong claims`, JSON.stringify(payload));
  }
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');

/** One complete flow in a fresh jar; whether consent was shown, and the token pair. */
async function codeFlow(
  spec: DriverSpec,
  endpoints: Endpoints,
): Promise<{ tokens: TokenPair; consent: boolean }> {
  const browser = new Browser(new URL(spec.issuer).origin, REQUEST_TIMEOUT_MS);
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const url = new URL(endpoints.authorization);
  const params = {
    client_id: spec.clientId,
    redirect_uri: spec.redirectUri,
    response_type: 'code',
    scope: spec.scope,
    state,
    resource: spec.resource,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) {
    url.searchParams.set(k, v);
  }
  const login = await browser.open(url);
  expectPage(login, 'sign-in page');
  let hop = await submit(browser, login, '/login', {
    handle: spec.handle,
    password: spec.password,
  });
  const consent = hop.status === 200;
  if (consent) {
    hop = await submit(browser, hop, '/consent', { decision: 'allow' });
  }
  const code = codeOf(hop, spec.redirectUri, state);
  const tokens = await tokenRequest(spec, endpoints, 'code exchange', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: spec.redirectUri,
    code_verifier: verifier,
  });
  return { tokens, consent };
}

function expectPage(hop: Visit, what: string): void {
  if (hop.status !== 200) {
    throw new Failure(`${what}: ${hop.status}`, hop.text.slice(0, 300));
  }
}

/** Posts the page's form ending with `suffix`, its hidden fields plus `fields`; follows. */
async function submit(
  browser: Browser,
  page: Visit,
  suffix: string,
  fields: Record<string, string>,
): Promise<Visit> {
  const form = formsOf(page.text).find((f) => f.action.endsWith(suffix));
  if (form === undefined) {
    throw new Failure('page', `no form posting to …${suffix}`);
  }
  const hop = await browser.submit(form.action, { ...form.hidden, ...fields });
  // A refused sign-in re-renders the form with an error and a 4xx/5xx status.
  if (hop.status !== 200 && (hop.status < 300 || hop.status >= 400)) {
    throw new Failure(`${suffix.slice(1)}: ${hop.status}`, hop.text.slice(0, 300));
  }
  return hop;
}

/** The code of the redirect to the app, after checking it is the app's and carries our state. */
function codeOf(hop: Visit, redirectUri: string, state: string): string {
  const to = hop.location;
  if (hop.status < 300 || hop.status >= 400 || to === undefined) {
    throw new Failure(`no redirect to the app: ${hop.status}`, hop.text.slice(0, 300));
  }
  if (!to.href.startsWith(redirectUri)) {
    throw new Failure('redirect elsewhere', to.href);
  }
  const error = to.searchParams.get('error');
  if (error !== null) {
    throw new Failure(`authorization: ${error}`, to.href);
  }
  const code = to.searchParams.get('code');
  if (code === null || to.searchParams.get('state') !== state) {
    throw new Failure('callback without code or state', to.href);
  }
  return code;
}

// --- loops and figures --------------------------------------------------------------------------

interface Sample {
  /** performance.now() when the iteration ended. */
  readonly end: number;
  readonly ms: number;
  readonly failure?: string;
}

/**
 * Runs `concurrency` loops of `iteration` for `seconds`. A failed iteration is recorded; its loop
 * goes on unless `stopOnFailure` (a refresh chain whose token may be consumed cannot). Iterations
 * in flight at the end finish and are kept.
 */
async function runLoops(
  concurrency: number,
  seconds: number,
  stopOnFailure: boolean,
  iteration: (loop: number) => Promise<void>,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  const stopAt = performance.now() + seconds * 1000;
  const loop = async (i: number) => {
    while (performance.now() < stopAt) {
      const start = performance.now();
      let failure: string | undefined;
      try {
        await iteration(i);
      } catch (e) {
        failure = reasonOf(e);
      }
      const end = performance.now();
      samples.push({ end, ms: end - start, ...(failure === undefined ? {} : { failure }) });
      if (failure !== undefined && stopOnFailure) {
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => loop(i)));
  return samples;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    return 0;
  }
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, i)] ?? 0) * 10) / 10;
}

/** Figures of the iterations that ended within [from, to). */
function figures(samples: readonly Sample[], from: number, to: number): PhaseFigures {
  const inWindow = samples.filter((s) => s.end >= from && s.end < to);
  const ok = inWindow.filter((s) => s.failure === undefined).map((s) => s.ms);
  ok.sort((a, b) => a - b);
  const failureReasons: Record<string, number> = {};
  for (const s of inWindow) {
    if (s.failure !== undefined) {
      failureReasons[s.failure] = (failureReasons[s.failure] ?? 0) + 1;
    }
  }
  const seconds = (to - from) / 1000;
  const mean = ok.length === 0 ? 0 : ok.reduce((a, b) => a + b, 0) / ok.length;
  return {
    durationSeconds: Math.round(seconds * 100) / 100,
    completed: ok.length,
    failures: inWindow.length - ok.length,
    perSecond: ok.length / seconds,
    latencyMs: {
      p50: percentile(ok, 50),
      p99: percentile(ok, 99),
      max: percentile(ok, 100),
      mean: Math.round(mean * 10) / 10,
    },
    failureReasons,
  };
}

/**
 * Runs the loops through warm-up and the measured window, watching the server core and the
 * driver's own CPU during the measured window only.
 */
async function measuredPhase(
  spec: DriverSpec,
  concurrency: number,
  stopOnFailure: boolean,
  iteration: (loop: number) => Promise<void>,
): Promise<MeasuredPhase> {
  const t0 = performance.now();
  const warmupEnd = t0 + spec.warmupSeconds * 1000;
  const measuredEnd = warmupEnd + spec.durationSeconds * 1000;
  let watch: (() => CoresUse | undefined) | undefined;
  let cpu0 = process.cpuUsage();
  const timer = setTimeout(() => {
    watch = watchCores(spec.serverCpu, spec.serverPids);
    cpu0 = process.cpuUsage();
  }, warmupEnd - t0);
  let serverCore: CoresUse | undefined;
  let driverPercent = 0;
  const closer = setTimeout(() => {
    serverCore = watch?.();
    const used = process.cpuUsage(cpu0);
    driverPercent = (100 * (used.user + used.system)) / 1000 / (spec.durationSeconds * 1000);
  }, measuredEnd - t0);
  const seconds = (measuredEnd - t0) / 1000;
  const samples = await runLoops(concurrency, seconds, stopOnFailure, iteration);
  clearTimeout(timer);
  clearTimeout(closer);
  return {
    warmup: figures(samples, t0, warmupEnd),
    measured: figures(samples, warmupEnd, measuredEnd),
    serverCore,
    driverPercent,
  };
}

// --- main ---------------------------------------------------------------------------------------

async function main(spec: DriverSpec): Promise<DriverReport> {
  const endpoints = await discover(spec.issuer);
  const refreshTokens: string[] = [];
  let consentShown = 0;
  const oneFlow = async () => {
    const { tokens, consent } = await codeFlow(spec, endpoints);
    consentShown += consent ? 1 : 0;
    refreshTokens.push(tokens.refreshToken);
  };
  const flows = await measuredPhase(spec, spec.flowConcurrency, false, oneFlow);

  // Each chain starts from one flow's refresh token; too few flows ran, so run more first.
  let topUpFlows = 0;
  while (refreshTokens.length < spec.refreshConcurrency) {
    topUpFlows += 1;
    if (topUpFlows > spec.refreshConcurrency * 3) {
      throw new Error(`only ${refreshTokens.length} flows succeeded for the refresh chains`);
    }
    await oneFlow().catch(() => undefined);
  }
  const chains = refreshTokens.slice(-spec.refreshConcurrency);
  let brokenChains = 0;
  const refresh = await measuredPhase(spec, spec.refreshConcurrency, true, async (i) => {
    const old = chains[i] ?? '';
    try {
      const pair = await tokenRequest(spec, endpoints, 'refresh', {
        grant_type: 'refresh_token',
        refresh_token: old,
      });
      if (pair.refreshToken === old) {
        throw new Failure('refresh: not rotated', 'the same refresh token came back');
      }
      chains[i] = pair.refreshToken;
    } catch (e) {
      brokenChains += 1;
      throw e;
    }
  });
  return {
    cpusAllowed: cpusAllowed('self'),
    flows: { ...flows, consentShown, flowsCompleted: refreshTokens.length },
    refresh: { ...refresh, chains: chains.length, topUpFlows, brokenChains },
  };
}

const raw = process.argv[2];
if (raw === undefined) {
  throw new Error('usage: end-user-driver.ts <DriverSpec JSON>');
}
const report = await main(JSON.parse(raw) as DriverSpec);
process.stdout.write(`${JSON.stringify(report)}\n`);
