/** Where a key stands in its current window. */
export interface WindowCount {
  /** Points counted in the current window, this call's included. */
  readonly consumed: number;
  /** Milliseconds until the window closes and the count starts again from 0. */
  readonly msBeforeNext: number;
}

/**
 * Fixed windows of `durationMs` per key in this process's memory, counted the way
 * rate-limiter-flexible's RateLimiterMemory counts them (a key's window opens with its first
 * point and is forgotten when it closes), but synchronously: the gateway counts every request,
 * and a promise or two per count was a visible share of its CPU time per request.
 */
export class MemoryWindows {
  readonly #durationMs: number;
  readonly #windows = new Map<string, { consumed: number; closesAt: number }>();

  constructor(durationSeconds: number) {
    this.#durationMs = durationSeconds * 1000;
  }

  /** Counts `points` against `key`, opening a window when none is open. */
  consume(key: string, points = 1): WindowCount {
    const now = Date.now();
    const open = this.#windows.get(key);
    if (open !== undefined && open.closesAt > now) {
      open.consumed += points;
      return { consumed: open.consumed, msBeforeNext: open.closesAt - now };
    }
    const window = { consumed: points, closesAt: now + this.#durationMs };
    this.#windows.set(key, window);
    this.#forgetWhenClosed(key, window);
    return { consumed: points, msBeforeNext: this.#durationMs };
  }

  /** The key's open window, or undefined when it has none. */
  peek(key: string): WindowCount | undefined {
    const now = Date.now();
    const open = this.#windows.get(key);
    if (open === undefined || open.closesAt <= now) {
      return undefined;
    }
    return { consumed: open.consumed, msBeforeNext: open.closesAt - now };
  }

  /** One timer per window (not per request) keeps memory bounded by the keys seen lately. */
  #forgetWhenClosed(key: string, window: { closesAt: number }): void {
    const timer = setTimeout(() => {
      if (this.#windows.get(key) === window) {
        this.#windows.delete(key);
      }
    }, this.#durationMs);
    // Counters must never keep a process alive that is otherwise done.
    timer.unref();
  }
}
