import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Other work on the server's core above this share makes a figure suspect. */
export const INTERFERENCE_PERCENT = 5;
/** Below this share of its core the server was not the bottleneck (throughput rows only). */
export const SATURATED_PERCENT = 90;

/**
 * Node arguments that profile a server into `<profileDir>/<name>` (one folder per server: node
 * writes one profile per thread, and tsx's loader has its own), or none without a folder.
 */
export function profileArgs(profileDir: string | undefined, name: string): string[] {
  return profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name)}`];
}

/** Reads a positive number from the environment, or the fallback when the variable is unset. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  }
  return value;
}

/** Fails early, with the reason, when the server and the load cannot get a core each. */
export function assertPinningPossible(): void {
  const probe = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new Error('taskset (util-linux) is required to pin the server and the load generator');
  }
  if (availableParallelism() < 2) {
    throw new Error('the benchmark needs at least 2 CPUs: core 0 for the server, core 1 for load');
  }
}

/** The CPUs a process may run on, from /proc (Linux), e.g. "0" or "0-1". */
export function cpusAllowed(pid: number | 'self'): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** A port free on 127.0.0.1 right now (the OS picks it; the caller binds it at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A child process whose output is kept (the last lines) for the error report. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** The last lines of stderr, and of stdout unless it is captured. */
  output(): string;
  /** All of stdout, when `captureStdout` was set. */
  stdout(): string;
}

const KEEP_CHARS = 8_000;

/** Runs `node --import tsx <args>` pinned to `cpu` with taskset, in `cwd`, with `env`. */
export function spawnNode(
  name: string,
  cpu: number,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; captureStdout?: boolean },
): Child {
  const child = spawn(
    'taskset',
    ['-c', String(cpu), process.execPath, '--import', 'tsx', ...args],
    {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let kept = '';
  let captured = '';
  const keep = (chunk: Buffer) => {
    kept = (kept + chunk.toString('utf8')).slice(-KEEP_CHARS);
  };
  if (options.captureStdout === true) {
    child.stdout?.on('data', (chunk: Buffer) => {
      captured += chunk.toString('utf8');
    });
  } else {
    child.stdout?.on('data', keep);
  }
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal === null ? code : null));
    child.once('error', (err) => {
      keep(Buffer.from(`spawn failed: ${err.message}\n`));
      resolve(null);
    });
  });
  return { name, process: child, exited, output: () => kept, stdout: () => captured };
}

/** Stops a child: SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
export async function stopChild(child: Child, graceMs = 5_000): Promise<void> {
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return;
  }
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const outcome = await Promise.race([child.exited, timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    proc.kill('SIGKILL');
    await child.exited;
  }
}

/**
 * Polls GET `url` every 50 ms until it answers 200, the child exits, or `timeoutMs` passes.
 * No fixed sleep: a server that is ready at once is measured at once.
 */
export async function waitHealthy(url: string, child: Child, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === 200) {
        return;
      }
      last = `status ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${child.name} not ready within ${timeoutMs} ms (${last}):\n${child.output()}`);
}

/** Jiffies one core has spent busy and in total since boot, from /proc/stat (Linux). */
export function coreTimes(cpu: number): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`cpu${cpu} `));
    if (line === undefined) {
      return undefined;
    }
    // user nice system idle iowait irq softirq steal guest guest_nice
    const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Jiffies a process (all its threads) has run, user + system, from /proc/<pid>/stat. */
export function processCpuTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** How busy a core was over an interval, and how much of that was one process. */
export interface CoreUse {
  /** Percent of the core the process used. */
  readonly processPercent: number;
  /** Percent of the core everything else used (interference with the measurement). */
  readonly otherPercent: number;
}

/** Starts watching `cpu` and `pid`; the returned function gives the use since the call. */
export function watchCore(cpu: number, pid: number): () => CoreUse | undefined {
  const core0 = coreTimes(cpu);
  const proc0 = processCpuTime(pid);
  return () => {
    const core1 = coreTimes(cpu);
    const proc1 = processCpuTime(pid);
    if (core0 === undefined || core1 === undefined || proc0 === undefined || proc1 === undefined) {
      return undefined;
    }
    const total = core1.total - core0.total;
    if (total <= 0) {
      return undefined;
    }
    const own = proc1 - proc0;
    const busy = core1.busy - core0.busy;
    return {
      processPercent: (100 * own) / total,
      otherPercent: Math.max(0, (100 * (busy - own)) / total),
    };
  };
}

/**
 * Exits once `server` has closed after SIGTERM or SIGINT (within 2 s), so that a reference
 * server stops as the services do and `--cpu-prof` writes its profile.
 */
export function exitOnSignals(server: Server): void {
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 2_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
