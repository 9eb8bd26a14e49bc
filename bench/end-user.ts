/**
 * The end-user suite of `npm run bench` (BENCH_SUITES=end-user): what a person's sign-in and an
 * app's staying signed in cost, on the real auth server with the real users service.
 *
 * - flows:   complete authorization-code flows per second, login included: GET /auth (PKCE S256,
 *            resource urn:chirp:tweets, offline_access, so the consent page is shown), the
 *            sign-in form, the consent form, the redirect to the app, the code exchange.
 * - refresh: refresh_token grants per second on chains that each keep the rotated token.
 *
 * The auth server and users run on core 0 (the Harness pins them), the driver
 * (bench/end-user-driver.ts) on core 1. Beside the figures stands the password-hash cost: each
 * login makes users verify one scrypt hash, measured here with users' own parameters and code.
 * No targets: the issue asks for the figures and the hash cost.
 *
 * Environment (besides run.ts's BENCH_DURATION, BENCH_WARMUP, BENCH_CPU_PROF_DIR):
 * BENCH_FLOW_CONCURRENCY (8 concurrent flows), BENCH_REFRESH_CONCURRENCY (32 chains).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../config/index.js';
import {
  SCRYPT_PARAMS,
  hashPassword,
  verifyPassword,
} from '../resource-services/users/passwords.js';
import type { DriverReport, DriverSpec, MeasuredPhase } from './end-user-driver.js';
import { int, ms, pct, table } from './format.js';
import type { Harness } from './services.js';
import {
  INTERFERENCE_PERCENT,
  assertPinningPossible,
  cpusAllowed,
  envNumber,
  freePort,
  profileArgs,
  waitHealthy,
} from './support.js';
import type { Child } from './support.js';

const APP_SCOPE = 'openid offline_access tweets:read';
const TWEETS_RESOURCE = 'urn:chirp:tweets';
const USERS_RESOURCE = 'urn:chirp:users';
/** The scopes of the auth server's own client at users (npm start creates the same). */
const AUTH_CLIENT_SCOPE = 'users:credentials users:admin users:read';
/** A loopback redirect URI nobody listens on: the driver stops at the redirect. */
const REDIRECT_URI = 'http://127.0.0.1:9/cb';
const BENCH_HANDLE = 'bench_user';
const BENCH_PASSWORD = 'bench password, not secret';
/** Hash verifications timed for the cost line; the median is shown. */
const HASH_RUNS = 5;

interface Settings {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly flowConcurrency: number;
  readonly refreshConcurrency: number;
  readonly profileDir: string | undefined;
}

interface Credentials {
  readonly client_id: string;
  readonly client_secret: string;
}

/** One scrypt verification with users' parameters, as users does it on every login. */
interface HashCost {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
  readonly cpuMs: number;
  readonly wallMs: number;
}

interface Node {
  readonly child: Child;
  readonly base: string;
}

function readSettings(): Settings {
  const profileDir = process.env['BENCH_CPU_PROF_DIR'];
  return {
    durationSeconds: envNumber('BENCH_DURATION', 10),
    warmupSeconds: envNumber('BENCH_WARMUP', 5),
    flowConcurrency: Math.round(envNumber('BENCH_FLOW_CONCURRENCY', 8)),
    refreshConcurrency: Math.round(envNumber('BENCH_REFRESH_CONCURRENCY', 32)),
    profileDir: profileDir === undefined || profileDir === '' ? undefined : resolve(profileDir),
  };
}

export async function runEndUserSuite(h: Harness): Promise<number> {
  const settings = readSettings();
  assertPinningPossible();
  if (settings.profileDir !== undefined) {
    await mkdir(settings.profileDir, { recursive: true });
  }
  // Measured first, before any child runs, so the bench process has its CPU to itself.
  const hash = await measureHashCost();
  return h.withTmp(async (tmp) => {
    process.stdout.write(`\nend-user suite: data in ${tmp}\n`);
    const report = await runWorld(h, settings, tmp);
    return writeReport(h, settings, hash, report);
  });
}

// --- the password-hash cost ---------------------------------------------------------------------

/** Median CPU and wall time of one verifyPassword (process CPU counts the libuv thread too). */
async function measureHashCost(): Promise<HashCost> {
  const stored = await hashPassword(BENCH_PASSWORD);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < HASH_RUNS; i += 1) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    if (!(await verifyPassword(BENCH_PASSWORD, stored))) {
      throw new Error('verifyPassword refused the password it just hashed');
    }
    wall.push(performance.now() - t0);
    const used = process.cpuUsage(c0);
    cpu.push((used.user + used.system) / 1000);
  }
  return { ...SCRYPT_PARAMS, cpuMs: median(cpu), wallMs: median(wall) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// --- the world: clients, auth server, users, the bench user --------------------------------------

async function runWorld(h: Harness, settings: Settings, tmp: string): Promise<DriverReport> {
  const [authPort, usersPort, usersMetricsPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const issuer = `http://127.0.0.1:${authPort}`;
  const usersBase = `http://127.0.0.1:${usersPort}`;
  const authDir = join(tmp, 'auth');
  const { own, app } = await createClients(authDir, issuer);
  const usersEntry = 'resource-services/users/main.ts';
  const users = await startNode(h, settings, 'users', usersEntry, usersPort, {
    CHIRP_DATA_DIR: join(tmp, 'users'),
    CHIRP_USERS_PORT: String(usersPort),
    CHIRP_USERS_METRICS_PORT: String(usersMetricsPort),
    CHIRP_ISSUER: issuer,
  });
  const auth = await startNode(h, settings, 'auth-server', 'auth-server/main.ts', authPort, {
    CHIRP_DATA_DIR: authDir,
    CHIRP_AUTH_PORT: String(authPort),
    CHIRP_AUTH_METRICS_PORT: '0',
    CHIRP_ISSUER: issuer,
    CHIRP_USERS_URL: usersBase,
    CHIRP_AUTH_CLIENT_ID: own.client_id,
    CHIRP_AUTH_CLIENT_SECRET: own.client_secret,
  });
  const userId = await createBenchUser(issuer, own, usersBase);
  process.stdout.write(
    `  auth server ${auth.base}, users ${users.base} (cpus ${cpusAllowed(pidOf(auth))}); ` +
      `bench user ${BENCH_HANDLE} (${userId})\n` +
      `  flows: ${settings.flowConcurrency} concurrent, then refresh: ` +
      `${settings.refreshConcurrency} chains; each warm-up ${settings.warmupSeconds} s, then ` +
      `${settings.durationSeconds} s measured…\n`,
  );
  return runDriver(h, {
    issuer,
    clientId: app.client_id,
    clientSecret: app.client_secret,
    redirectUri: REDIRECT_URI,
    scope: APP_SCOPE,
    resource: TWEETS_RESOURCE,
    handle: BENCH_HANDLE,
    password: BENCH_PASSWORD,
    userId,
    flowConcurrency: settings.flowConcurrency,
    refreshConcurrency: settings.refreshConcurrency,
    warmupSeconds: settings.warmupSeconds,
    durationSeconds: settings.durationSeconds,
    serverPids: [pidOf(auth), pidOf(users)],
    serverCpu: h.serverCpu,
  });
}

/**
 * The auth server's own client and the bench app, through the admin API as the launcher does
 * (bin/launcher/clients.ts). Imported here, not at the top: it loads oidc-provider, which the
 * other suites do not need.
 */
async function createClients(
  dataDir: string,
  issuer: string,
): Promise<{ own: Credentials; app: Credentials }> {
  const { openAdmin } = await import('../auth-server/admin/context.js');
  const { clientsCreate } = await import('../auth-server/admin/clients.js');
  const config = loadConfig('auth', {
    CHIRP_DATA_DIR: dataDir,
    CHIRP_ISSUER: issuer,
    CHIRP_LOG_LEVEL: 'warn',
  });
  const admin = await openAdmin(config);
  try {
    const own = await clientsCreate(admin, {
      name: 'chirp auth server',
      scope: AUTH_CLIENT_SCOPE,
      resources: [USERS_RESOURCE],
    });
    const app = await clientsCreate(admin, {
      name: 'bench app',
      grants: ['authorization_code', 'refresh_token'],
      scope: APP_SCOPE,
      redirectUris: [REDIRECT_URI],
    });
    return { own: credentialsOf(own), app: credentialsOf(app) };
  } finally {
    await admin.close();
  }
}

function credentialsOf(c: { client_id: string; client_secret?: string }): Credentials {
  if (c.client_secret === undefined) {
    throw new Error(`client ${c.client_id} was created without a secret`);
  }
  return { client_id: c.client_id, client_secret: c.client_secret };
}

/** Starts `entry` on the server core at warn level and waits for /healthz on `port`. */
async function startNode(
  h: Harness,
  settings: Settings,
  name: string,
  entry: string,
  port: number,
  env: Readonly<Record<string, string>>,
): Promise<Node> {
  const base = `http://127.0.0.1:${port}`;
  const args = [...profileArgs(settings.profileDir, name), entry];
  const child = h.start(name, h.serverCpu, args, h.childEnv({ ...env, CHIRP_LOG_LEVEL: 'warn' }));
  await waitHealthy(`${base}/healthz`, child);
  return { child, base };
}

function pidOf(node: Node): number {
  return node.child.process.pid ?? 0;
}

/** A users:admin token from the auth server, then POST /users; returns the user's id. */
async function createBenchUser(issuer: string, own: Credentials, usersBase: string) {
  // Admin-made ids and secrets are base64url, so RFC 6749's form-encoding changes nothing.
  const basic = Buffer.from(`${own.client_id}:${own.client_secret}`).toString('base64');
  const tokenRes = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: `grant_type=client_credentials&resource=${USERS_RESOURCE}&scope=users:admin`,
  });
  const token = (await tokenRes.json()) as { access_token?: string };
  if (tokenRes.status !== 200 || token.access_token === undefined) {
    throw new Error(`users:admin token: ${tokenRes.status} ${JSON.stringify(token)}`);
  }
  const res = await fetch(`${usersBase}/users`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token.access_token}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ handle: BENCH_HANDLE, password: BENCH_PASSWORD }),
  });
  const text = await res.text();
  if (res.status !== 201) {
    throw new Error(`POST /users: ${res.status} ${text}`);
  }
  return (JSON.parse(text) as { id: string }).id;
}

async function runDriver(h: Harness, spec: DriverSpec): Promise<DriverReport> {
  const args = ['bench/end-user-driver.ts', JSON.stringify(spec)];
  const driver = h.start('end-user driver', h.loadCpu, args, h.childEnv({}), true);
  // Two phases, plus set-up flows for the chains, plus a margin.
  const limitMs = (2 * (spec.warmupSeconds + spec.durationSeconds) + 60) * 1000;
  const timer = setTimeout(() => void h.stop(driver), limitMs);
  const code = await driver.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`the end-user driver exited ${String(code)}:\n${driver.output()}`);
  }
  return JSON.parse(driver.stdout()) as DriverReport;
}

// --- the report ---------------------------------------------------------------------------------

const HEADER = [
  'what',
  'per s',
  'p50 ms',
  'p99 ms',
  'max ms',
  'done',
  'failed',
  'auth cpu0',
  'users cpu0',
  'other cpu0',
  'driver cpu1',
  'valid',
];
const ALIGN = [false, true, true, true, true, true, true, true, true, true, true, false];

function isValid(settings: Settings, phase: MeasuredPhase): boolean {
  const m = phase.measured;
  return m.completed > 0 && m.failures === 0 && settings.profileDir === undefined;
}

function rowOf(settings: Settings, label: string, phase: MeasuredPhase): string[] {
  const m = phase.measured;
  return [
    label,
    m.perSecond.toFixed(1),
    ms(m.latencyMs.p50),
    ms(m.latencyMs.p99),
    ms(m.latencyMs.max),
    int(m.completed),
    int(m.failures),
    // serverPids order: the auth server, then users.
    pct(phase.serverCore?.perProcessPercent[0]),
    pct(phase.serverCore?.perProcessPercent[1]),
    pct(phase.serverCore?.otherPercent),
    pct(phase.driverPercent),
    isValid(settings, phase) ? 'yes' : 'NO',
  ];
}

function hashLine(hash: HashCost): string {
  const perCore = 1000 / hash.cpuMs;
  return (
    `each login verifies one scrypt hash (N=2^${hash.logN}, r=${hash.r}, p=${hash.p}, ` +
    `resource-services/users/passwords.ts): ~${Math.round(hash.cpuMs)} ms of CPU ` +
    `(${Math.round(hash.wallMs)} ms wall) on this machine, so at most ~${Math.round(perCore)} ` +
    'logins/s per core'
  );
}

/** Failures of a phase, warm-up included, by reason; empty when there were none. */
function failureLines(what: string, phase: MeasuredPhase): string[] {
  const lines: string[] = [];
  for (const [window, f] of [
    ['warm-up', phase.warmup],
    ['measured', phase.measured],
  ] as const) {
    for (const [reason, count] of Object.entries(f.failureReasons)) {
      lines.push(`FAILURES  ${what}, ${window}: ${count} × ${reason}`);
    }
  }
  return lines;
}

function summary(hash: HashCost, r: DriverReport): string[] {
  const flowsPerSecond = r.flows.measured.perSecond;
  const hashShare = (flowsPerSecond * hash.cpuMs) / 10;
  const lines = [
    hashLine(hash),
    `at ${flowsPerSecond.toFixed(1)} flows/s, password hashing alone takes ~${Math.round(hashShare)}% ` +
      'of core 0 (the auth server and users share it)',
    `consent page shown in ${r.flows.consentShown} of ${r.flows.flowsCompleted} completed flows ` +
      '(once per user and scope set: consent is remembered)',
    `refresh chains: ${r.refresh.chains}, each from one flow's refresh token` +
      (r.refresh.topUpFlows > 0 ? ` (${r.refresh.topUpFlows} extra flows run for them)` : '') +
      `; broken chains: ${r.refresh.brokenChains}`,
  ];
  if (r.refresh.brokenChains > 0) {
    lines.push(`WARNING: ${r.refresh.brokenChains} refresh chain(s) broke: rotation lost a chain`);
  }
  return [...lines, ...failureLines('flows', r.flows), ...failureLines('refresh', r.refresh)];
}

function interference(h: Harness, r: DriverReport): string[] {
  const phases: [string, MeasuredPhase][] = [
    ['flows', r.flows],
    ['refresh', r.refresh],
  ];
  const disturbed = phases
    .filter(([, p]) => (p.serverCore?.otherPercent ?? 0) > INTERFERENCE_PERCENT)
    .map(([name]) => name);
  return disturbed.length === 0
    ? []
    : [
        `warning: other processes used more than ${INTERFERENCE_PERCENT}% of core ${h.serverCpu} ` +
          `during ${disturbed.join(', ')}: those figures are low`,
      ];
}

async function writeReport(
  h: Harness,
  settings: Settings,
  hash: HashCost,
  r: DriverReport,
): Promise<number> {
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const rows = [
    HEADER,
    rowOf(settings, 'code flows (login + consent + code exchange)', r.flows),
    rowOf(settings, 'refresh_token grants (rotating)', r.refresh),
  ];
  const lines = [
    '',
    'Chirp end-user flows: auth server (oidc-provider, SQLite) + users service (scrypt, SQLite)',
    `node ${process.version}, ${cpus().length} × ${cpuModel}; both servers on core ` +
      `${h.serverCpu}, driver on core ${h.loadCpu} (cpus ${r.cpusAllowed}); log level warn`,
    `flows: ${settings.flowConcurrency} concurrent; refresh: ${settings.refreshConcurrency} ` +
      `chains; warm-up ${settings.warmupSeconds} s, measured ${settings.durationSeconds} s each`,
    '',
    table(rows, ALIGN),
    '',
    ...summary(hash, r),
    ...interference(h, r),
  ];
  if (settings.profileDir !== undefined) {
    lines.push(`profiled run (--cpu-prof into ${settings.profileDir}): figures are not valid`);
  }
  lines.push('Figures drift by up to ~20% between runs on these machines.', '');
  process.stdout.write(lines.join('\n') + '\n');
  const valid = isValid(settings, r.flows) && isValid(settings, r.refresh);
  await saveJson(h, settings, hash, r, valid, cpuModel);
  return valid ? 0 : 1;
}

async function saveJson(
  h: Harness,
  settings: Settings,
  hash: HashCost,
  r: DriverReport,
  valid: boolean,
  cpuModel: string,
): Promise<void> {
  const json = {
    generatedAt: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel,
    settings: {
      ...settings,
      serverCpu: h.serverCpu,
      loadCpu: h.loadCpu,
      logLevel: 'warn',
      appScope: APP_SCOPE,
      resource: TWEETS_RESOURCE,
    },
    passwordHash: { algorithm: 'scrypt', ...hash, loginsPerCoreSecond: 1000 / hash.cpuMs },
    flowsPerSecond: r.flows.measured.perSecond,
    refreshGrantsPerSecond: r.refresh.measured.perSecond,
    driver: r,
    valid,
  };
  // A profiled run's figures go aside, so they never replace a valid measurement.
  const name = settings.profileDir === undefined ? 'end-user.json' : 'end-user.profiled.json';
  const file = join(h.outputDir, name);
  await mkdir(h.outputDir, { recursive: true });
  await writeFile(file, JSON.stringify(json, null, 2) + '\n');
  process.stdout.write(`figures written to ${file}\n`);
}
