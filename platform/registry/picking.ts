import type { ServiceInstance } from './resolver.js';

/** How a caller chooses among the usable instances of a service. */
export type PickStrategy = 'round-robin' | 'least-outstanding';

/** What a strategy sees: the candidates in registry order and the caller's bookkeeping. */
export interface PickInput {
  readonly candidates: readonly ServiceInstance[];
  /** A counter that grows by one per pick of this service: the round-robin position. */
  readonly turn: number;
  /** Requests in flight per instance id (only leased requests are counted). */
  readonly outstanding: (instanceId: string) => number;
}

/**
 * Picks one of `input.candidates` (which must not be empty). Least-outstanding breaks ties in
 * round-robin order, so idle instances still share the load evenly.
 */
export function pickInstance(strategy: PickStrategy, input: PickInput): ServiceInstance {
  const { candidates, turn } = input;
  const start = turn % candidates.length;
  const rotated = [...candidates.slice(start), ...candidates.slice(0, start)];
  if (strategy === 'round-robin') {
    return rotated[0]!;
  }
  return rotated.reduce((best, next) =>
    input.outstanding(next.instanceId) < input.outstanding(best.instanceId) ? next : best,
  );
}
