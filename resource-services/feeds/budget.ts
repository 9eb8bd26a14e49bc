import { DependencyError } from '../../platform/http/errors.js';
import type { CallContext } from './clients/call.js';

/** Which dependency the work is waiting for, to name it if the budget runs out. */
export interface Step {
  dependency: string;
}

/** The incoming request's ids and the epoch ms by which its dependencies must have answered. */
export interface Budget {
  readonly requestId: string;
  readonly traceparent: string;
  readonly deadline: number;
}

/**
 * Runs `work` with the request's deadline and an abort signal; `work` names the dependency it
 * waits for in `step` (it starts as `first`). At the deadline the signal
 * aborts every call in flight and the result is a `timeout` of the dependency being waited
 * for, even if something (a token request, say) ignores the signal: the answer never waits.
 */
export function withinBudget<T>(
  context: Budget,
  first: string,
  work: (call: CallContext, step: Step) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const step: Step = { dependency: first };
  const call: CallContext = {
    requestId: context.requestId,
    traceparent: context.traceparent,
    deadline: context.deadline,
    signal: controller.signal,
  };
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => {
        const e = new DependencyError({
          dependency: step.dependency,
          kind: 'timeout',
          message: `${step.dependency}: the request's time budget is spent`,
        });
        controller.abort(e);
        reject(e);
      },
      Math.max(0, context.deadline - Date.now()),
    );
    work(call, step)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer));
  });
}
