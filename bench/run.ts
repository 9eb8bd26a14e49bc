/**
 * `npm run bench`: client_credentials throughput and latency of the token endpoint, for the real
 * auth server (oidc-provider on SQLite) and for the minimal Koa endpoint that is the ideal on this
 * machine, then their ratio. Each server runs alone on core 0; autocannon runs on core 1.
 *
 * Environment: BENCH_DURATION (measured seconds, 10), BENCH_WARMUP (seconds, 5),
 * BENCH_CONNECTIONS (32), BENCH_TARGETS ("real,minimal"), BENCH_CPU_PROF_DIR (run the servers
 * with --cpu-prof into this folder; figures are then marked as profiled, not valid),
 * BENCH_ENFORCE=1 (exit 1 when a target is missed).
 *
 * BENCH_SUITES ("tokens,services,gateway,end-user") chooses the suites (`gateway` is bench/gateway.ts): `tokens` is the token endpoint above;
 * `services` is bench/services.ts (GET /tweets/{id}, POST /tweets, GET /feeds/home), which uses
 * this file's child tracking, clean-up and load runner through `servicesHarness` at the end.
 * `end-user` is bench/end-user.ts: complete code flows (login included) and refresh_token grants
 * per second on the real auth server and users, with the scrypt cost of a login beside them;
 * BENCH_FLOW_CONCURRENCY (8) concurrent flows, BENCH_REFRESH_CONCURRENCY (32) refresh chains.
 */
import { int, ms, pct, table } from './format.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadReport, LoadSpec, RunFigures } from './load.js';
import { runEndUserSuite } from './end-user.js';
import { runGatewaySuite } from './gateway.js';
import { runServicesSuite } from './services.js';
import type { Harness } from './services.js';
import { checkSample } from './sample.js';
import type { SampleCheck, TokenRequest } from './sample.js';
import {
  INTERFERENCE_PERCENT,
  SATURATED_PERCENT,
  assertPinningPossible,
  cpusAllowed,
  envNumber,
  freePort,
  profileArgs,
  spawnNode,
  stopChild,
  waitHealthy,
} from './support.js';
import type { Child, CoreUse } from './support.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUTPUT_DIR = join(ROOT, 'bench-output');
const SERVER_CPU = 0;
const LOAD_CPU = 1;
const RESOURCE = 'urn:chirp:tweets';
const SCOPE = 'tweets:read';
const TARGET_REAL_PER_SECOND = 1_500;
const TARGET_RATIO = 0.6;
const TOKEN_TTL_SECONDS = 300;

type TargetName = 'real' | 'minimal';
const LABELS: Readonly<Record<TargetName, string>> = {
  real: 'real auth server (oidc-provider, SQLite)',
  minimal: 'minimal Koa endpoint (the ideal)',
};

interface Settings {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly connections: number;
  readonly targets: readonly TargetName[];
  readonly profileDir: string | undefined;
  readonly enforce: boolean;
}

interface Client {
  readonly client_id: string;
  readonly client_secret: string;
}

interface TargetResult {
  readonly target: TargetName;
  readonly serverCpus: string;
  readonly loadCpus: string;
  readonly sample: SampleCheck;
  readonly warmup: RunFigures;
  readonly measured: RunFigures;
  readonly serverCore: CoreUse | undefined;
  readonly valid: boolean;
}

/** Children still running; all are stopped on the way out, whatever happened. */
const running = new Set<Child>();
/** The temporary data folder, removed on the way out. */
let tmpDir: string | undefined;
/** Set on SIGINT/SIGTERM: no child starts any more, and the run's own failure is not reported. */
let aborting = false;

function readSettings(): Settings {
  const targets = (process.env['BENCH_TARGETS'] ?? 'real,minimal')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  for (const t of targets) {
    if (t !== 'real' && t !== 'minimal') {
      throw new Error(`BENCH_TARGETS: unknown target ${t} (use real, minimal)`);
    }
  }
  const profileDir = process.env['BENCH_CPU_PROF_DIR'];
  return {
    durationSeconds: envNumber('BENCH_DURATION', 10),
    warmupSeconds: envNumber('BENCH_WARMUP', 5),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 32)),
    targets: targets as TargetName[],
    profileDir: profileDir === undefined || profileDir === '' ? undefined : resolve(profileDir),
    enforce: process.env['BENCH_ENFORCE'] === '1',
  };
}

/** The environment for a child: ours without any CHIRP_* or BENCH_* variable, plus `extra`. */
function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('CHIRP_') && !k.startsWith('BENCH_')) {
      env[k] = v;
    }
  }
  return { ...env, ...extra };
}

/** Starts a tracked child; `captureStdout` keeps all of stdout (for a JSON answer). */
function start(
  name: string,
  cpu: number,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  captureStdout = false,
) {
  if (aborting) {
    throw new Error('interrupted');
  }
  const child = spawnNode(name, cpu, args, { cwd: ROOT, env, captureStdout });
  running.add(child);
  void child.exited.then(() => running.delete(child));
  return child;
}

async function stop(child: Child): Promise<void> {
  await stopChild(child);
  running.delete(child);
}

/** Registers the bench client with the CLI, exactly as an operator would. */
async function createClient(authEnv: NodeJS.ProcessEnv): Promise<Client> {
  const cli = start(
    'chirp clients create',
    SERVER_CPU,
    ['bin/chirp.ts', 'clients', 'create', '--name', 'bench', '--scope', SCOPE, '--json'],
    authEnv,
    true,
  );
  const code = await cli.exited;
  if (code !== 0) {
    throw new Error(`chirp clients create exited ${String(code)}:\n${cli.output()}`);
  }
  const parsed = JSON.parse(cli.stdout()) as Partial<Client>;
  if (typeof parsed.client_id !== 'string' || typeof parsed.client_secret !== 'string') {
    throw new Error(`chirp clients create printed no client_id/client_secret: ${cli.stdout()}`);
  }
  return { client_id: parsed.client_id, client_secret: parsed.client_secret };
}

/** RFC 6749 2.3.1: form-url-encode id and secret, join with ':', base64. */
function basicAuth(client: Client): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  const raw = `${enc(client.client_id)}:${enc(client.client_secret)}`;
  return `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;
}

async function runLoad(spec: LoadSpec): Promise<LoadReport> {
  const args = ['bench/load.ts', JSON.stringify(spec)];
  const load = start('autocannon', LOAD_CPU, args, childEnv({}), true);
  const limitMs = (spec.warmupSeconds + spec.durationSeconds + 60) * 1000;
  const timer = setTimeout(() => void stopChild(load), limitMs);
  const code = await load.exited;
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`the load generator exited ${String(code)}:\n${load.output()}`);
  }
  return JSON.parse(load.stdout()) as LoadReport;
}

async function measure(
  settings: Settings,
  target: TargetName,
  tmp: string,
  client: Client,
): Promise<TargetResult> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Both serve /healthz, /jwks and /token on 127.0.0.1:port with issuer `base`.
  const [name, entry, env] =
    target === 'real'
      ? [
          'auth-server',
          'auth-server/main.ts',
          childEnv({
            CHIRP_DATA_DIR: join(tmp, 'auth'),
            CHIRP_AUTH_PORT: String(port),
            CHIRP_AUTH_METRICS_PORT: '0',
            CHIRP_ISSUER: base,
            CHIRP_LOG_LEVEL: 'warn',
            CHIRP_ACCESS_TOKEN_TTL: String(TOKEN_TTL_SECONDS),
          }),
        ]
      : [
          'minimal-token-server',
          'bench/minimal-token-server.ts',
          childEnv({
            BENCH_DATA_DIR: join(tmp, 'minimal'),
            BENCH_PORT: String(port),
            BENCH_ISSUER: base,
            BENCH_TOKEN_TTL: String(TOKEN_TTL_SECONDS),
            BENCH_CLIENT_ID: client.client_id,
            BENCH_CLIENT_SECRET: client.client_secret,
            BENCH_CLIENT_SCOPE: SCOPE,
            BENCH_CLIENT_RESOURCES: RESOURCE,
          }),
        ];
  const server = start(name, SERVER_CPU, [...profileArgs(settings.profileDir, target), entry], env);
  try {
    await waitHealthy(`${base}/healthz`, server);
    const request: TokenRequest = {
      url: `${base}/token`,
      headers: {
        authorization: basicAuth(client),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=client_credentials&resource=${RESOURCE}&scope=${SCOPE}`,
    };
    const sample = await checkSample(request, `${base}/jwks`, {
      issuer: base,
      audience: RESOURCE,
      clientId: client.client_id,
      scope: SCOPE,
    });
    const serverCpus = cpusAllowed(server.process.pid ?? 0);
    process.stdout.write(
      `  ${target}: ready on ${base} (cpus ${serverCpus}), sample token verified; ` +
        `warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s measured…\n`,
    );
    const report = await runLoad({
      ...request,
      connections: settings.connections,
      warmupSeconds: settings.warmupSeconds,
      durationSeconds: settings.durationSeconds,
      serverPid: server.process.pid ?? 0,
      serverCpu: SERVER_CPU,
    });
    const m = report.measured;
    const valid =
      m.ok2xx > 0 &&
      m.non2xx === 0 &&
      m.errors === 0 &&
      m.timeouts === 0 &&
      settings.profileDir === undefined;
    return {
      target,
      serverCpus,
      loadCpus: report.cpusAllowed,
      sample,
      warmup: report.warmup,
      measured: m,
      serverCore: report.serverCore,
      valid,
    };
  } finally {
    await stop(server);
    const code = server.process.exitCode;
    if (code !== null && code !== 0) {
      process.stderr.write(`  ${target}: server exited ${code}:\n${server.output()}\n`);
    }
  }
}

function report(settings: Settings, results: readonly TargetResult[]) {
  const byName = new Map(results.map((r) => [r.target, r]));
  const real = byName.get('real');
  const minimal = byName.get('minimal');
  const ratio =
    real !== undefined && minimal !== undefined
      ? real.measured.perSecond / minimal.measured.perSecond
      : undefined;
  const rows: string[][] = [
    [
      'target',
      'tokens/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      '2xx',
      'non-2xx',
      'errors',
      'server cpu',
      'other cpu0',
      'valid',
    ],
  ];
  for (const r of results) {
    const m = r.measured;
    rows.push([
      LABELS[r.target],
      int(m.perSecond),
      ms(m.latencyMs.p50),
      ms(m.latencyMs.p99),
      ms(m.latencyMs.max),
      int(m.ok2xx),
      int(m.non2xx),
      int(m.errors + m.timeouts),
      pct(r.serverCore?.processPercent),
      pct(r.serverCore?.otherPercent),
      r.valid ? 'yes' : 'NO',
    ]);
  }
  const realMet =
    real !== undefined && real.valid && real.measured.perSecond >= TARGET_REAL_PER_SECOND;
  const ratioMet =
    ratio !== undefined && real?.valid === true && minimal?.valid === true && ratio >= TARGET_RATIO;
  const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '',
    'Chirp token endpoint: client_credentials, ES256 at+jwt, client_secret_basic',
    `node ${process.version}, ${cpus().length} × ${cpuModel}; server on core ${SERVER_CPU}, ` +
      `autocannon on core ${LOAD_CPU}`,
    `${settings.connections} connections, warm-up ${settings.warmupSeconds} s, ` +
      `measured ${settings.durationSeconds} s per target`,
    'auth server ran with CHIRP_LOG_LEVEL=warn: no access-log line is written per request ' +
      '(at info each token costs one more JSON line on stdout)',
    '',
    table(rows, [false, true, true, true, true, true, true, true, true, true, false]),
    '',
  ];
  const disturbed = results.filter((r) => (r.serverCore?.otherPercent ?? 0) > INTERFERENCE_PERCENT);
  if (disturbed.length > 0) {
    lines.push(
      `warning: other processes used more than ${INTERFERENCE_PERCENT}% of core ${SERVER_CPU} ` +
        `during ${disturbed.map((r) => r.target).join(', ')}: those figures are low; run again ` +
        'on a quiet machine',
      '',
    );
  }
  const unsaturated = results.filter(
    (r) => (r.serverCore?.processPercent ?? 100) < SATURATED_PERCENT,
  );
  if (unsaturated.length > 0) {
    lines.push(
      `warning: the server used less than ${SATURATED_PERCENT}% of its core during ` +
        `${unsaturated.map((r) => r.target).join(', ')}: the load generator (or something ` +
        'else on core 1) may have been the limit, not the server',
      '',
    );
  }
  if (ratio !== undefined) {
    lines.push(`ratio real/minimal: ${ratio.toFixed(2)}`, '');
  }
  const verdict = (ran: boolean, valid: boolean, met: boolean, shown: string) =>
    !ran
      ? 'not run'
      : !valid
        ? `no valid figure (${shown})`
        : `${met ? 'met' : 'MISSED'} (${shown})`;
  const bothValid = real?.valid === true && minimal?.valid === true;
  lines.push(
    `target  real >= ${int(TARGET_REAL_PER_SECOND)} tokens/s: ` +
      verdict(
        real !== undefined,
        real?.valid === true,
        realMet,
        int(real?.measured.perSecond ?? 0),
      ),
    `target  ratio >= ${TARGET_RATIO}: ` +
      verdict(ratio !== undefined, bothValid, ratioMet, ratio?.toFixed(2) ?? '-'),
  );
  if (settings.profileDir !== undefined) {
    lines.push(`profiled run (--cpu-prof into ${settings.profileDir}): figures are not valid`);
  }
  lines.push('Figures drift by up to ~20% between runs on these machines: quote the ratio.', '');
  process.stdout.write(lines.join('\n') + '\n');
  return {
    ratio,
    realMet,
    ratioMet,
    json: {
      generatedAt: new Date().toISOString(),
      node: process.version,
      cpus: cpus().length,
      cpuModel,
      settings: {
        connections: settings.connections,
        warmupSeconds: settings.warmupSeconds,
        durationSeconds: settings.durationSeconds,
        serverCpu: SERVER_CPU,
        loadCpu: LOAD_CPU,
        authLogLevel: 'warn',
        profiled: settings.profileDir !== undefined,
        request: `POST /token grant_type=client_credentials&resource=${RESOURCE}&scope=${SCOPE}`,
      },
      results: Object.fromEntries(
        results.map((r) => [r.target, { label: LABELS[r.target], ...r }]),
      ),
      ratio: ratio ?? null,
      targets: {
        realTokensPerSecond: { target: TARGET_REAL_PER_SECOND, met: realMet },
        ratio: { target: TARGET_RATIO, met: ratioMet },
      },
      valid: results.every((r) => r.valid),
    },
  };
}

async function main(): Promise<number> {
  const settings = readSettings();
  assertPinningPossible();
  if (settings.warmupSeconds < 5) {
    process.stderr.write('warning: BENCH_WARMUP below 5 s; figures may not be steady\n');
  }
  const tmp = await mkdtemp(join(tmpdir(), 'chirp-bench-'));
  tmpDir = tmp;
  try {
    if (settings.profileDir !== undefined) {
      await mkdir(settings.profileDir, { recursive: true });
    }
    const authEnv = childEnv({
      CHIRP_DATA_DIR: join(tmp, 'auth'),
      CHIRP_LOG_LEVEL: 'warn',
    });
    process.stdout.write(`data in ${tmp}; registering the bench client…\n`);
    const client = await createClient(authEnv);
    const results: TargetResult[] = [];
    for (const target of settings.targets) {
      results.push(await measure(settings, target, tmp, client));
    }
    const { json, realMet, ratioMet } = report(settings, results);
    // A profiled run's figures go aside, so they never replace a valid measurement.
    const outputFile = join(
      OUTPUT_DIR,
      settings.profileDir === undefined ? 'token-endpoint.json' : 'token-endpoint.profiled.json',
    );
    await mkdir(OUTPUT_DIR, { recursive: true });
    await writeFile(outputFile, JSON.stringify(json, null, 2) + '\n');
    process.stdout.write(`figures written to ${outputFile}\n`);
    if (!json.valid) {
      return 1;
    }
    return settings.enforce && !(realMet && ratioMet) ? 1 : 0;
  } finally {
    await Promise.all([...running].map((c) => stopChild(c)));
    await rm(tmp, { recursive: true, force: true });
  }
}

async function abort(signal: NodeJS.Signals): Promise<void> {
  aborting = true;
  process.stderr.write(`\n${signal}: stopping children…\n`);
  await Promise.all([...running].map((c) => stopChild(c, 2_000)));
  if (tmpDir !== undefined) {
    await rm(tmpDir, { recursive: true, force: true });
  }
  process.exit(130);
}
process.once('SIGINT', (s) => void abort(s));
process.once('SIGTERM', (s) => void abort(s));

// --- BENCH_SUITES: the token suite above (`main`), then the services suite (bench/services.ts).

const SUITES = ['tokens', 'services', 'gateway', 'end-user'] as const;
type SuiteName = (typeof SUITES)[number];

function readSuites(): SuiteName[] {
  const names = (process.env['BENCH_SUITES'] ?? SUITES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names) {
    if (!(SUITES as readonly string[]).includes(n)) {
      throw new Error(`BENCH_SUITES: unknown suite ${n} (use ${SUITES.join(', ')})`);
    }
  }
  return SUITES.filter((s) => names.includes(s));
}

/** What the services suite borrows from this file: tracked children, clean-up, the load child. */
const servicesHarness: Harness = {
  root: ROOT,
  outputDir: OUTPUT_DIR,
  serverCpu: SERVER_CPU,
  loadCpu: LOAD_CPU,
  start,
  stop,
  runLoad,
  childEnv,
  async withTmp<T>(use: (tmp: string) => Promise<T>): Promise<T> {
    const tmp = await mkdtemp(join(tmpdir(), 'chirp-bench-services-'));
    tmpDir = tmp;
    try {
      return await use(tmp);
    } finally {
      await Promise.all([...running].map((c) => stopChild(c)));
      await rm(tmp, { recursive: true, force: true });
    }
  },
};

/** Runs one suite; a suite that throws is reported and the next one still runs. */
async function runSuite(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (aborting) {
      await new Promise(() => {}); // abort() is cleaning up and exits
    }
    process.stderr.write(
      `bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
    );
    return 1;
  }
}

const SUITE_RUNS: Readonly<Record<SuiteName, () => Promise<number>>> = {
  tokens: main,
  services: () => runServicesSuite(servicesHarness),
  gateway: () => runGatewaySuite(servicesHarness),
  'end-user': () => runEndUserSuite(servicesHarness),
};

let exitCode = 0;
try {
  for (const suite of readSuites()) {
    const code = await runSuite(SUITE_RUNS[suite]);
    exitCode = Math.max(exitCode, code);
  }
} catch (e) {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  exitCode = 1;
}
process.exitCode = exitCode;
