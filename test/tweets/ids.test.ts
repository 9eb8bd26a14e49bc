import { expect } from 'chai';
import {
  SEQUENCE_SIZE,
  TWEET_ID_EPOCH_MS,
  createIdGenerator,
  isTweetId,
  timeOfId,
} from '../../resource-services/tweets/ids.js';

/** A clock under the test's control; `reads` counts how often the generator looked at it. */
function manualClock(startMs: number) {
  const clock = {
    ms: startMs,
    reads: 0,
    /** Called on every read before answering, e.g. to let time pass while the generator waits. */
    onRead: (_reads: number): void => undefined,
    now: () => {
      clock.reads += 1;
      clock.onRead(clock.reads);
      return clock.ms;
    },
  };
  return clock;
}

/** The three fields of an id. */
function fieldsOf(id: string) {
  const value = BigInt(id);
  return {
    ms: Number(value >> 22n),
    workerId: Number((value >> 12n) & 1023n),
    sequence: Number(value & 4095n),
  };
}

const T0 = Date.UTC(2026, 4, 17, 12, 0, 0);

describe('tweet ids (ids.ts)', function () {
  it('are 19 decimal digits carrying the millisecond, the worker id and a sequence', function () {
    const clock = manualClock(T0);
    const id = createIdGenerator({ workerId: 513, now: clock.now }).next();
    expect(id).to.match(/^[0-9]{19}$/);
    expect(isTweetId(id)).to.equal(true);
    expect(fieldsOf(id)).to.deep.equal({ ms: T0 - TWEET_ID_EPOCH_MS, workerId: 513, sequence: 0 });
    expect(timeOfId(id).toISOString()).to.equal(new Date(T0).toISOString());
  });

  it('increase strictly across many ids made in the same millisecond', function () {
    const clock = manualClock(T0);
    const ids = createIdGenerator({ workerId: 1, now: clock.now });
    const made = Array.from({ length: 1000 }, () => ids.next());
    expect(new Set(made).size).to.equal(1000);
    expect([...made].sort()).to.deep.equal(made);
    expect(made.map((id) => fieldsOf(id).sequence)).to.deep.equal([...Array(1000).keys()]);
  });

  it('sort as strings in the order they were made, across milliseconds and digit counts', function () {
    // Right after the epoch the value has few significant digits; zero padding keeps the order.
    const clock = manualClock(TWEET_ID_EPOCH_MS);
    const ids = createIdGenerator({ workerId: 1023, now: clock.now });
    const made: string[] = [];
    for (const step of [0, 1, 10, 1000, 86_400_000, 365 * 86_400_000]) {
      clock.ms += step;
      made.push(ids.next(), ids.next());
    }
    expect([...made].sort()).to.deep.equal(made);
    expect(made.every((id) => id.length === 19)).to.equal(true);
  });

  it('sort by time before worker: an earlier id of a higher worker sorts first', function () {
    const clock = manualClock(T0);
    const high = createIdGenerator({ workerId: 1023, now: clock.now }).next();
    clock.ms += 1;
    const low = createIdGenerator({ workerId: 0, now: clock.now }).next();
    expect(high < low).to.equal(true);
  });

  it('wait for the next millisecond when the sequence of one is used up', function () {
    const clock = manualClock(T0);
    const ids = createIdGenerator({ workerId: 7, now: clock.now });
    for (let i = 0; i < SEQUENCE_SIZE; i += 1) {
      ids.next();
    }
    const readsBefore = clock.reads;
    // The clock moves on only on the third read during the wait.
    clock.onRead = (reads) => {
      if (reads === readsBefore + 3) {
        clock.ms += 1;
      }
    };
    const id = ids.next();
    expect(clock.reads).to.equal(readsBefore + 3);
    expect(fieldsOf(id)).to.deep.equal({
      ms: T0 + 1 - TWEET_ID_EPOCH_MS,
      workerId: 7,
      sequence: 0,
    });
  });

  it('never go backwards when the clock steps back: they keep the last millisecond', function () {
    const clock = manualClock(T0);
    const ids = createIdGenerator({ workerId: 3, now: clock.now });
    const before = ids.next();
    clock.ms -= 5000;
    const after = [ids.next(), ids.next()];
    expect(after.every((id) => id > before)).to.equal(true);
    expect(after.map((id) => fieldsOf(id).ms)).to.deep.equal([
      fieldsOf(before).ms,
      fieldsOf(before).ms,
    ]);
    expect(after.map((id) => fieldsOf(id).sequence)).to.deep.equal([1, 2]);
  });

  it('move past a used-up millisecond without waiting while the clock is behind', function () {
    const clock = manualClock(T0);
    const ids = createIdGenerator({ workerId: 3, now: clock.now });
    const first = ids.next();
    clock.ms -= 60_000;
    const made = Array.from({ length: SEQUENCE_SIZE + 10 }, () => ids.next());
    expect(made.every((id, i) => id > (made[i - 1] ?? first))).to.equal(true);
    expect(fieldsOf(made.at(-1) ?? '').ms).to.equal(fieldsOf(first).ms + 1);
    // Once the clock catches up, ids follow it again.
    clock.ms = T0 + 10;
    expect(fieldsOf(ids.next()).ms).to.equal(T0 + 10 - TWEET_ID_EPOCH_MS);
  });

  it('refuses a worker id outside 0–1023', function () {
    expect(() => createIdGenerator({ workerId: 1024 })).to.throw(RangeError);
    expect(() => createIdGenerator({ workerId: -1 })).to.throw(RangeError);
    expect(() => createIdGenerator({ workerId: 1.5 })).to.throw(RangeError);
  });

  it('tells tweet ids from other strings', function () {
    for (const bad of [
      '',
      '123',
      '12345678901234567890',
      '123456789012345678a',
      ' 1234567890123456789',
    ]) {
      expect(isTweetId(bad), bad).to.equal(false);
    }
  });
});
