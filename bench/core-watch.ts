/**
 * CPU accounting for several processes sharing one core (the services suite runs users, tweets
 * and feeds together on core 0): like support.ts `watchCore`, with their CPU time summed.
 */
import { coreTimes, processCpuTime } from './support.js';
import type { CoreUse } from './support.js';

/** The use of a core by a group of processes: their sum, and each one's share, in `pids` order. */
export interface CoresUse extends CoreUse {
  readonly perProcessPercent: readonly number[];
}

/** Starts watching `cpu` and `pids`; the returned function gives their use since the call. */
export function watchCores(cpu: number, pids: readonly number[]): () => CoresUse | undefined {
  const times = () => {
    const each = pids.map((pid) => processCpuTime(pid));
    return each.every((t) => t !== undefined) ? each : undefined;
  };
  const core0 = coreTimes(cpu);
  const proc0 = times();
  return () => {
    const core1 = coreTimes(cpu);
    const proc1 = times();
    if (core0 === undefined || core1 === undefined || proc0 === undefined || proc1 === undefined) {
      return undefined;
    }
    const total = core1.total - core0.total;
    if (total <= 0) {
      return undefined;
    }
    const each = proc1.map((t, i) => t - (proc0[i] ?? 0));
    const own = each.reduce((a, b) => a + b, 0);
    const busy = core1.busy - core0.busy;
    return {
      processPercent: (100 * own) / total,
      otherPercent: Math.max(0, (100 * (busy - own)) / total),
      perProcessPercent: each.map((t) => (100 * t) / total),
    };
  };
}
