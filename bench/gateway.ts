/**
 * The gateway suite of `npm run bench` (BENCH_SUITES=gateway): GET /tweets/{id} three ways in
 * one run, each pinned like the other suites (servers on core 0, autocannon on core 1):
 *
 * - direct:  straight to the tweets service;
 * - gateway: through gateway/main.ts, which verifies the token (audience urn:chirp:tweets),
 *            counts the request against the client's rate limit (in memory; limits raised so
 *            that none is refused) and proxies with keep-alive;
 * - nginx:   through nginx (Debian package `nginx`) with a generated config proxying the same
 *            upstream with keep-alive; skipped, with a line saying so, when nginx is absent.
 *
 * Targets: gateway throughput >= 0.7 x nginx's, and gateway p99 <= direct p99 + 5 ms. The p99
 * target is judged at one fixed offered rate for both paths (BENCH_GATEWAY_RATE, 500 req/s, over
 * BENCH_GATEWAY_RATE_CONNECTIONS, 4): at saturation with 32 connections, latency is only
 * 32 / throughput, so a slower proxy "adds" queueing time, not time per request.
 * Tokens come from the bench stub issuer (bench/stub-issuer.ts), as in the services suite.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../gateway/runtime.js';
import { int, ms, pct, table } from './format.js';
import type { LoadReport } from './load.js';
import type { Harness } from './services.js';
import { startStubIssuer } from './stub-issuer.js';
import type { StubIssuer } from './stub-issuer.js';
import { assertPinningPossible, envNumber, freePort, profileArgs, waitHealthy } from './support.js';
import type { Child } from './support.js';

const TARGET_RATIO = 0.7;
const TARGET_P99_OVERHEAD_MS = 5;
const TWEETS_RESOURCE = 'urn:chirp:tweets';

type Leg = 'direct' | 'gateway' | 'nginx' | 'direct at rate' | 'gateway at rate';

interface LegResult {
  readonly leg: Leg;
  readonly report: LoadReport;
}

export async function runGatewaySuite(h: Harness): Promise<number> {
  assertPinningPossible();
  const settings = {
    durationSeconds: envNumber('BENCH_DURATION', 10),
    warmupSeconds: envNumber('BENCH_WARMUP', 5),
    connections: Math.round(envNumber('BENCH_CONNECTIONS', 32)),
    rate: envNumber('BENCH_GATEWAY_RATE', 500),
    rateConnections: Math.round(envNumber('BENCH_GATEWAY_RATE_CONNECTIONS', 4)),
    enforce: process.env['BENCH_ENFORCE'] === '1',
  };
  const stub = await startStubIssuer();
  try {
    return await h.withTmp(async (tmp) => {
      process.stdout.write(`\ngateway suite: data in ${tmp}; stub issuer ${stub.issuer}\n`);
      const tweets = await startNode(
        h,
        'tweets',
        'resource-services/tweets/main.ts',
        'CHIRP_TWEETS',
        {
          CHIRP_DATA_DIR: join(tmp, 'tweets'),
          CHIRP_ISSUER: stub.issuer,
        },
      );
      const path = `/tweets/${await seedTweet(stub, tweets.base)}`;
      const token = await stub.mint({
        sub: 'bench-gateway',
        clientId: 'bench-gateway',
        audience: TWEETS_RESOURCE,
        scope: 'tweets:read',
      });
      const gateway = await startNode(
        h,
        'gateway',
        'gateway/main.ts',
        'CHIRP_GATEWAY',
        {
          CHIRP_ISSUER: stub.issuer,
          CHIRP_TWEETS_URL: tweets.base,
          CHIRP_GATEWAY_CLIENT_ID: 'bench-gateway',
          CHIRP_GATEWAY_CLIENT_SECRET: 'not-checked-by-the-stub-issuer',
          CHIRP_REGISTRY_BACKEND: 'static',
          // Checked on every request, but high enough that the load is never refused.
          CHIRP_GATEWAY_RATE_LIMIT: '10000000',
          CHIRP_GATEWAY_RATE_LIMIT_BURST: '10000000',
        },
        // As users run it (gateway/runtime.ts).
        GATEWAY_NODE_FLAGS,
      );
      const nginx = await startNginx(tmp, tweets.base);
      const results: LegResult[] = [];
      const legs: [Leg, string, number, number[]][] = [
        ['direct', tweets.base, tweets.pid, []],
        ['gateway', gateway.base, gateway.pid, [tweets.pid]],
        ['direct at rate', tweets.base, tweets.pid, []],
        ['gateway at rate', gateway.base, gateway.pid, [tweets.pid]],
      ];
      if (nginx !== undefined) {
        // The master only forks and waits: the worker does the proxying, so its CPU is the
        // leg's (without it, the worker's share showed up as "other cpu0").
        legs.push(['nginx', nginx.base, nginx.pid, [...nginx.workerPids(), tweets.pid]]);
      }
      for (const [leg, base, pid, more] of legs) {
        await expectOk(`${base}${path}`, token, leg);
        const atRate = leg.endsWith('at rate');
        process.stdout.write(
          `  ${leg}: ${base}${path}; warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s` +
            `${atRate ? ` at ${settings.rate} req/s` : ''}…\n`,
        );
        const report = await h.runLoad({
          url: `${base}${path}`,
          method: 'GET',
          headers: { authorization: `Bearer ${token}` },
          body: '',
          connections: atRate ? settings.rateConnections : settings.connections,
          ...(atRate ? { overallRate: settings.rate } : {}),
          warmupSeconds: settings.warmupSeconds,
          durationSeconds: settings.durationSeconds,
          serverPid: pid,
          serverCpu: h.serverCpu,
          ...(more.length > 0 ? { moreServerPids: more } : {}),
        });
        results.push({ leg, report });
      }
      nginx?.stop();
      const met = await report(h, results, nginx === undefined);
      return settings.enforce && !met ? 1 : 0;
    });
  } finally {
    await stub.close();
  }
}

interface Started {
  readonly base: string;
  readonly pid: number;
  readonly child: Child;
}

async function startNode(
  h: Harness,
  name: string,
  entry: string,
  prefix: string,
  extra: Readonly<Record<string, string>>,
  nodeFlags: readonly string[] = [],
): Promise<Started> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = h.childEnv({
    [`${prefix}_PORT`]: String(port),
    [`${prefix}_METRICS_PORT`]: String(metricsPort),
    CHIRP_LOG_LEVEL: 'warn',
    ...extra,
  });
  const profile = profileArgs(process.env['BENCH_CPU_PROF_DIR'], name);
  const child = h.start(name, h.serverCpu, [...nodeFlags, ...profile, entry], env);
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(`${base}/healthz`, child);
  return { base, pid: child.process.pid ?? 0, child };
}

async function seedTweet(stub: StubIssuer, base: string): Promise<string> {
  const token = await stub.mint({
    sub: 'u_bench',
    clientId: 'bench',
    audience: TWEETS_RESOURCE,
    scope: 'tweets:write',
  });
  const res = await fetch(`${base}/tweets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'bench tweet' }),
  });
  if (res.status !== 201) {
    throw new Error(`POST /tweets answered ${res.status}: ${await res.text()}`);
  }
  return ((await res.json()) as { id: string }).id;
}

async function expectOk(url: string, token: string, leg: Leg): Promise<void> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(`${leg}: GET ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

interface Nginx {
  readonly base: string;
  /** The master's pid. */
  readonly pid: number;
  /** The master's children: its worker (one, like the gateway's one event loop). */
  workerPids(): number[];
  stop(): void;
}

/** Starts nginx on core 0 with a generated config, or undefined (with a line) when absent. */
async function startNginx(tmp: string, upstream: string): Promise<Nginx | undefined> {
  if (spawnSync('nginx', ['-v']).error !== undefined) {
    process.stdout.write('  nginx: not installed (apt-get install -y nginx): nginx leg skipped\n');
    return undefined;
  }
  const dir = join(tmp, 'nginx');
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, port, new URL(upstream).host));
  const child = spawn('taskset', ['-c', '0', 'nginx', '-c', conf, '-p', dir, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i += 1) {
    try {
      await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(500) });
      const pid = child.pid ?? 0;
      return { base, pid, workerPids: () => childPids(pid), stop: () => child.kill('SIGQUIT') };
    } catch {
      if (child.exitCode !== null) {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`nginx did not start: ${stderr}`);
}

/**
 * The children of `pid` (Linux /proc). nginx's worker inherits the master's affinity (taskset
 * -c 0), so it shares core 0 with tweets exactly as the gateway does.
 */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((p) => p !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** One worker (one core, like the gateway), keep-alive to the upstream, no access log. */
function nginxConfig(dir: string, port: number, upstream: string): string {
  return `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
user root;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream tweets { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://tweets;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

async function report(
  h: Harness,
  results: readonly LegResult[],
  nginxSkipped: boolean,
): Promise<boolean> {
  const of = (leg: Leg) => results.find((r) => r.leg === leg)?.report.measured;
  const rows = results.map(({ leg, report: r }) => [
    leg,
    int(r.measured.perSecond),
    ms(r.measured.latencyMs.p50),
    ms(r.measured.latencyMs.p99),
    int(r.measured.non2xx + r.measured.errors + r.measured.timeouts),
    pct(r.serverCore?.processPercent),
    pct(r.serverCore?.otherPercent),
  ]);
  const direct = of('direct');
  const gateway = of('gateway');
  const directAtRate = of('direct at rate');
  const gatewayAtRate = of('gateway at rate');
  const nginx = of('nginx');
  const ratio =
    gateway !== undefined && nginx !== undefined ? gateway.perSecond / nginx.perSecond : undefined;
  const overhead =
    gatewayAtRate !== undefined && directAtRate !== undefined
      ? gatewayAtRate.latencyMs.p99 - directAtRate.latencyMs.p99
      : undefined;
  const ratioMet = ratio !== undefined && ratio >= TARGET_RATIO;
  const p99Met = overhead !== undefined && overhead <= TARGET_P99_OVERHEAD_MS;
  const lines = [
    '',
    'Chirp gateway: GET /tweets/{id}, ES256 at+jwt client token; servers on core ' +
      `${h.serverCpu} (tweets + the proxy share it), autocannon on core ${h.loadCpu}`,
    '',
    table(
      [['leg', 'req/s', 'p50 ms', 'p99 ms', 'failed', 'server cpu', 'other cpu0'], ...rows],
      [false, true, true, true, true, true, true],
    ),
    '',
    `ratio gateway/direct: ${gateway && direct ? (gateway.perSecond / direct.perSecond).toFixed(2) : '-'}`,
    `ratio gateway/nginx: ${ratio?.toFixed(2) ?? '-'}${nginxSkipped ? ' (nginx leg skipped)' : ''}`,
    `target  gateway >= ${TARGET_RATIO} x nginx: ${ratio === undefined ? 'not run' : ratioMet ? 'met' : 'MISSED'}`,
    `target  gateway p99 <= direct p99 + ${TARGET_P99_OVERHEAD_MS} ms (both at the same fixed rate): ` +
      `${overhead === undefined ? 'not run' : p99Met ? 'met' : 'MISSED'} (+${overhead?.toFixed(1) ?? '-'} ms)`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
  await mkdir(h.outputDir, { recursive: true });
  await writeFile(
    join(h.outputDir, 'gateway.json'),
    JSON.stringify(
      { generatedAt: new Date().toISOString(), results, ratio, overhead, ratioMet, p99Met },
      null,
      2,
    ) + '\n',
  );
  return ratioMet && p99Met;
}
