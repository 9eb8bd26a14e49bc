import Router from '@koa/router';

/** A readiness check: resolves when the dependency answers, rejects otherwise. */
export type ReadinessCheck = () => Promise<void>;

/**
 * /healthz answers while the process runs; /readyz runs every check with a deadline. Only the
 * internal port (`detail`) says why a check fails: the reasons name hosts and ports.
 */
export function healthRouter(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs = 2000,
  detail = true,
) {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await runChecks(checks, timeoutMs);
    const ready = Object.values(results).every((r) => r === 'ok');
    if (!detail) {
      for (const name of Object.keys(results)) {
        results[name] = results[name] === 'ok' ? 'ok' : 'failing';
      }
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not ready', checks: results };
  });
  return router;
}

async function runChecks(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withDeadline(check(), timeoutMs);
        return [name, 'ok'] as const;
      } catch (e) {
        return [name, `failing: ${(e as Error).message}`] as const;
      }
    }),
  );
  return Object.fromEntries(entries);
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
