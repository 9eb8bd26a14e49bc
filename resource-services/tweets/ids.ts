import { randomInt } from 'node:crypto';

/** Tweet ids count milliseconds from 2026-01-01T00:00:00Z, so 41 bits last until 2095. */
export const TWEET_ID_EPOCH_MS = Date.UTC(2026, 0, 1);

/** Worker ids are 10 bits: 0–1023. */
export const MAX_WORKER_ID = 1023;

/** Ids per worker per millisecond (12 bits of sequence). */
export const SEQUENCE_SIZE = 4096;

/** The decimal form of a tweet id: 19 digits, zero-padded, so that string order is time order. */
export const TWEET_ID_PATTERN = /^[0-9]{19}$/;

/** Options of {@link createIdGenerator}. */
export interface IdGeneratorOptions {
  /** This instance's worker id, 0–1023; two live instances must not share one. */
  readonly workerId: number;
  /** Milliseconds since the Unix epoch; tests inject a clock. Default `Date.now`. */
  readonly now?: () => number;
}

/** Makes tweet ids: call `next()` for each new tweet. */
export interface IdGenerator {
  readonly workerId: number;
  next(): string;
}

/**
 * A Snowflake-style id generator: 41 bits of milliseconds since {@link TWEET_ID_EPOCH_MS}, 10 bits
 * of worker id, 12 bits of sequence within the millisecond, rendered as 19 decimal digits.
 *
 * Ids from one generator strictly increase. When the sequence of a millisecond is used up it waits
 * for the clock's next millisecond; when the clock steps back it keeps counting on the last
 * millisecond it used, and if that sequence runs out too it moves its own millisecond on by one
 * rather than block until the wall clock catches up (which could take seconds).
 *
 * @throws RangeError at construction for a worker id outside 0–1023.
 */
export function createIdGenerator(options: IdGeneratorOptions): IdGenerator {
  const { workerId } = options;
  if (!Number.isInteger(workerId) || workerId < 0 || workerId > MAX_WORKER_ID) {
    throw new RangeError(
      `worker id must be an integer from 0 to ${MAX_WORKER_ID}, got ${workerId}`,
    );
  }
  const now = options.now ?? Date.now;
  let lastMs = -1;
  let sequence = 0;
  return {
    workerId,
    next() {
      const clockMs = sinceEpoch(now);
      if (clockMs > lastMs) {
        lastMs = clockMs;
        sequence = 0;
      } else if (sequence + 1 < SEQUENCE_SIZE) {
        sequence += 1;
      } else {
        lastMs = nextMillisecond(lastMs, clockMs, now);
        sequence = 0;
      }
      return render(lastMs, workerId, sequence);
    },
  };
}

/** A random worker id, for an instance started without CHIRP_TWEETS_WORKER_ID. */
export function randomWorkerId(): number {
  return randomInt(0, MAX_WORKER_ID + 1);
}

/** Whether `value` has the form of a tweet id (it may still name no tweet). */
export function isTweetId(value: string): boolean {
  return TWEET_ID_PATTERN.test(value);
}

/** The millisecond a tweet id was made in. */
export function timeOfId(id: string): Date {
  return new Date(TWEET_ID_EPOCH_MS + Number(BigInt(id) >> 22n));
}

/**
 * The millisecond to continue in once `lastMs` has used its whole sequence. On a clock that is
 * exactly at `lastMs` the next millisecond is at most one away, so spinning is cheaper than any
 * timer; on a clock that stepped back, waiting could take seconds, so the counter moves on alone.
 */
function nextMillisecond(lastMs: number, clockMs: number, now: () => number): number {
  for (let ms = clockMs; ; ms = sinceEpoch(now)) {
    if (ms < lastMs) {
      return lastMs + 1;
    }
    if (ms > lastMs) {
      return ms;
    }
  }
}

/** Milliseconds since the id epoch; a clock set before 2026 counts as the epoch itself. */
function sinceEpoch(now: () => number): number {
  return Math.max(0, now() - TWEET_ID_EPOCH_MS);
}

function render(ms: number, workerId: number, sequence: number): string {
  const value = (BigInt(ms) << 22n) | (BigInt(workerId) << 12n) | BigInt(sequence);
  return value.toString().padStart(19, '0');
}
