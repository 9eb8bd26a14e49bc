/**
 * The load generator, run by bench/run.ts as a child pinned to its own core: a warm-up run, then
 * the measured run, both with autocannon; prints one JSON LoadReport line on stdout.
 * Usage: node --import tsx bench/load.ts '<LoadSpec as JSON>'
 */
import autocannon from 'autocannon';
import { watchCores } from './core-watch.js';
import { cpusAllowed, watchCore } from './support.js';
import type { CoreUse } from './support.js';

export interface LoadSpec {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** The server's pid and core, to account for CPU use during the measured run. */
  readonly serverPid: number;
  readonly serverCpu: number;
  // Optional, for the services suite (bench/services.ts); the token suite sets none of them.
  /** Default POST; a GET is sent without `body`. */
  readonly method?: 'GET' | 'POST';
  /** autocannon's overallRate (requests/s over all connections); no coordinated-omission fix. */
  readonly overallRate?: number;
  /** More processes on `serverCpu` whose CPU time counts as the server's (users, tweets, feeds). */
  readonly moreServerPids?: readonly number[];
  /** Also report how many requests each run sent (to account for requests in flight at stop). */
  readonly reportSent?: boolean;
}

export interface RunFigures {
  readonly durationSeconds: number;
  readonly ok2xx: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** 2xx responses per second of the run. */
  readonly perSecond: number;
  readonly latencyMs: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    readonly mean: number;
  };
  readonly statusCodes: Readonly<Record<string, number>>;
}

export interface LoadReport {
  readonly cpusAllowed: string;
  readonly warmup: RunFigures;
  readonly measured: RunFigures;
  /** Use of the server's core during the measured run; undefined where /proc is absent. */
  readonly serverCore: CoreUse | undefined;
  /** Requests sent by each run, with `reportSent` only. */
  readonly sent?: { readonly warmup: number; readonly measured: number };
  /** With `moreServerPids`: each server process's share of its core, serverPid first. */
  readonly serverCoreEach?: readonly number[];
}

/** Requests sent by the last run (for LoadReport.sent). */
let lastSent = 0;

async function run(spec: LoadSpec, seconds: number, title: string): Promise<RunFigures> {
  const result = await autocannon({
    title,
    url: spec.url,
    method: spec.method ?? 'POST',
    headers: { ...spec.headers },
    ...(spec.method === 'GET' ? {} : { body: spec.body }),
    connections: spec.connections,
    duration: seconds,
    // autocannon's rate limit sends each connection's share at the start of every second; its
    // coordinated-omission correction assumes a 1 ms interval then, which only distorts.
    ...(spec.overallRate === undefined
      ? {}
      : { overallRate: spec.overallRate, ignoreCoordinatedOmission: true }),
  });
  lastSent = result.requests.sent;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    statusCodes[code] = stat.count ?? 0;
  }
  return {
    durationSeconds: result.duration,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    perSecond: result['2xx'] / result.duration,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.mean,
    },
    statusCodes,
  };
}

const raw = process.argv[2];
if (raw === undefined) {
  throw new Error('usage: load.ts <LoadSpec JSON>');
}
const spec = JSON.parse(raw) as LoadSpec;
const warmup = await run(spec, spec.warmupSeconds, 'warm-up');
const warmupSent = lastSent;
// One server process (the token suite), or several sharing the core (the services suite).
const watchOne =
  spec.moreServerPids === undefined ? watchCore(spec.serverCpu, spec.serverPid) : undefined;
const watchAll =
  spec.moreServerPids === undefined
    ? undefined
    : watchCores(spec.serverCpu, [spec.serverPid, ...spec.moreServerPids]);
const measured = await run(spec, spec.durationSeconds, 'measured');
const all = watchAll?.();
const serverCore: CoreUse | undefined =
  watchOne !== undefined
    ? watchOne()
    : all && { processPercent: all.processPercent, otherPercent: all.otherPercent };
const report: LoadReport = {
  cpusAllowed: cpusAllowed('self'),
  warmup,
  measured,
  serverCore,
  ...(spec.reportSent === true ? { sent: { warmup: warmupSent, measured: lastSent } } : {}),
  ...(all === undefined ? {} : { serverCoreEach: all.perProcessPercent }),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
