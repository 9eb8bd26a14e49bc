import type { Context, Middleware } from 'koa';

/** A readiness check: resolves when the dependency answers, rejects otherwise. */
export type ReadinessCheck = () => Promise<void>;

/**
 * /healthz answers while the process runs; /readyz runs every check with a deadline. Only the
 * internal port (`detail`) says why a check fails: the reasons name hosts and ports.
 */
export function healthRoutes(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs = 2000,
  detail = true,
): Middleware {
  // A plain path test, not a router: this runs in front of every request of every component.
  return async function healthRoutesMiddleware(ctx, next) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      await next();
      return;
    }
    if (ctx.path === '/healthz') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
      return;
    }
    if (ctx.path === '/readyz') {
      await readiness(ctx, checks, timeoutMs, detail);
      return;
    }
    await next();
  };
}

async function readiness(
  ctx: Context,
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
  detail: boolean,
): Promise<void> {
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
