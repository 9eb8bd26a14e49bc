/**
 * The load generator, run by bench/run.ts as a child pinned to its own core: a warm-up run, then
 * the measured run, both with autocannon; prints one JSON LoadReport line on stdout.
 * Usage: node --import tsx bench/load.ts '<LoadSpec as JSON>'
 */
import autocannon from 'autocannon';
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
}

async function run(spec: LoadSpec, seconds: number, title: string): Promise<RunFigures> {
  const result = await autocannon({
    title,
    url: spec.url,
    method: 'POST',
    headers: { ...spec.headers },
    body: spec.body,
    connections: spec.connections,
    duration: seconds,
  });
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
const watch = watchCore(spec.serverCpu, spec.serverPid);
const measured = await run(spec, spec.durationSeconds, 'measured');
const serverCore = watch();
const report: LoadReport = { cpusAllowed: cpusAllowed('self'), warmup, measured, serverCore };
process.stdout.write(`${JSON.stringify(report)}\n`);
