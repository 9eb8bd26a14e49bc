import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A component the launcher runs as its own OS process. */
export interface ComponentSpec {
  readonly name: string;
  readonly entry: string;
  /** Node.js flags before the entry (e.g. the gateway's GC sizing). */
  readonly nodeFlags?: readonly string[];
  /** URL that answers 200 once the component serves traffic. */
  readonly readyUrl: string;
  /** Variables this component gets on top of the launcher's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly maxBackoffMs: number;
  readonly stopDeadlineMs: number;
  readonly out: (line: string) => void;
}

/** A run this long counts as healthy: the next crash restarts after the shortest backoff again. */
const STABLE_MS = 30_000;
const FIRST_BACKOFF_MS = 500;
const READY_TIMEOUT_MS = 60_000;

/**
 * Runs one component: starts it, forwards its output prefixed with its name, and restarts it
 * with exponential backoff when it dies, until `stop` is called.
 */
export class Supervised {
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = FIRST_BACKOFF_MS;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: ComponentSpec,
    private readonly options: SupervisorOptions,
  ) {}

  /** Starts the process and resolves once its ready URL answers. */
  async start(): Promise<void> {
    this.spawn();
    await this.waitReady();
  }

  /** SIGTERM, then SIGKILL after the deadline; resolves when the process has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopDeadlineMs);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): void {
    const startedAt = Date.now();
    const args = [...(this.spec.nodeFlags ?? []), '--import', 'tsx', this.spec.entry];
    const child = spawn(process.execPath, args, {
      cwd: this.options.cwd,
      env: { ...this.options.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.forward(child);
    child.once('exit', (code, signal) => this.onExit(code, signal, Date.now() - startedAt));
  }

  private forward(child: ChildProcess): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) {
        createInterface({ input: stream }).on('line', (l) =>
          this.options.out(`[${this.spec.name}] ${l}`),
        );
      }
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    if (this.stopping) {
      return;
    }
    if (ranMs > STABLE_MS) {
      this.backoffMs = FIRST_BACKOFF_MS;
    }
    const wait = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs);
    this.options.out(
      `[launcher] ${this.spec.name} exited (${signal ?? `code ${String(code)}`}); restarting in ${wait} ms`,
    );
    this.restartTimer = setTimeout(() => this.spawn(), wait);
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline && !this.stopping) {
      if (await answers(this.spec.readyUrl)) {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.spec.name} did not become ready at ${this.spec.readyUrl}`);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}
