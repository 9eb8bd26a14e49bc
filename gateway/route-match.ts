import type { RouteEntry } from './routes.js';

/** A request's route and its decoded, checked path parameters. */
export interface MatchedRoute {
  readonly route: RouteEntry;
  readonly params: Readonly<Record<string, string>>;
  /** The path to forward: the template filled with the checked parameters. */
  readonly upstreamPath: string;
}

/** Why no route matched: no such path (404), or the path exists for other methods (405). */
export type RouteMiss =
  | { readonly status: 404 }
  | { readonly status: 405; readonly allow: readonly string[] }
  | { readonly status: 400; readonly field: string; readonly message: string };

export type MatchResult =
  { readonly ok: true; readonly match: MatchedRoute } | ({ readonly ok: false } & RouteMiss);

/** What a path parameter may hold: the id alphabet of every service (handles fit too). */
const PARAM = /^[A-Za-z0-9_-]{1,64}$/;
const PARAM_RULE = 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -';

/**
 * Matches `method` and the raw (still percent-encoded) `path` against the table. Templates are
 * compared segment by segment on the raw path, so `//`, `/./`, `/../` and encoded slashes or
 * dots never line up with a template's literal segments; a parameter is decoded and must then
 * be 1–64 id characters, or the request is a 400 naming it. HEAD is matched as GET.
 */
export function createRouteMatcher(
  routes: readonly RouteEntry[],
): (method: string, path: string) => MatchResult {
  const compiled = routes.map(compile);
  return (method, path) => {
    const segments = path.split('/');
    const wanted = method === 'HEAD' ? 'GET' : method;
    const allow = new Set<string>();
    for (const c of compiled) {
      if (!fits(c, segments)) {
        continue;
      }
      if (c.route.method !== wanted) {
        allow.add(c.route.method);
        continue;
      }
      return paramsOf(c, segments);
    }
    if (allow.size > 0) {
      if (allow.has('GET')) {
        allow.add('HEAD');
      }
      return { ok: false, status: 405, allow: [...allow] };
    }
    return { ok: false, status: 404 };
  };
}

interface Compiled {
  readonly route: RouteEntry;
  /** One entry per segment: a literal, or a parameter name prefixed with ':'. */
  readonly segments: readonly string[];
}

function compile(route: RouteEntry): Compiled {
  return { route, segments: route.path.split('/') };
}

function fits(c: Compiled, segments: readonly string[]): boolean {
  if (c.segments.length !== segments.length) {
    return false;
  }
  return c.segments.every((s, i) => (s.startsWith(':') ? segments[i] !== '' : s === segments[i]));
}

function paramsOf(c: Compiled, segments: readonly string[]): MatchResult {
  const params: Record<string, string> = {};
  const path: string[] = [];
  for (const [i, s] of c.segments.entries()) {
    const raw = segments[i] ?? '';
    if (!s.startsWith(':')) {
      path.push(s);
      continue;
    }
    const value = decoded(raw);
    if (value === undefined || !PARAM.test(value)) {
      return { ok: false, status: 400, field: s.slice(1), message: PARAM_RULE };
    }
    params[s.slice(1)] = value;
    path.push(value);
  }
  return { ok: true, match: { route: c.route, params, upstreamPath: path.join('/') } };
}

function decoded(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
