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
    // Built only for a path some route has with another method (a 405): most requests match.
    let allow: Set<string> | undefined;
    for (const c of compiled) {
      if (!fits(c, segments)) {
        continue;
      }
      if (c.route.method !== wanted) {
        (allow ??= new Set()).add(c.route.method);
        continue;
      }
      return paramsOf(c, segments);
    }
    if (allow !== undefined) {
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
  /** One entry per segment: a literal, or undefined for a parameter. */
  readonly literals: readonly (string | undefined)[];
  /** One entry per segment: the parameter's name, or undefined for a literal. */
  readonly params: readonly (string | undefined)[];
}

function compile(route: RouteEntry): Compiled {
  const segments = route.path.split('/');
  return {
    route,
    literals: segments.map((s) => (s.startsWith(':') ? undefined : s)),
    params: segments.map((s) => (s.startsWith(':') ? s.slice(1) : undefined)),
  };
}

/** Plain loops, no closures: this runs for every route of the table on every request. */
function fits(c: Compiled, segments: readonly string[]): boolean {
  const literals = c.literals;
  if (literals.length !== segments.length) {
    return false;
  }
  for (let i = 0; i < literals.length; i += 1) {
    const literal = literals[i];
    if (literal === undefined ? segments[i] === '' : literal !== segments[i]) {
      return false;
    }
  }
  return true;
}

function paramsOf(c: Compiled, segments: readonly string[]): MatchResult {
  const params: Record<string, string> = {};
  let path = '';
  for (let i = 0; i < c.literals.length; i += 1) {
    const name = c.params[i];
    let piece = c.literals[i] ?? '';
    if (name !== undefined) {
      const value = decoded(segments[i] ?? '');
      if (value === undefined || !PARAM.test(value)) {
        return { ok: false, status: 400, field: name, message: PARAM_RULE };
      }
      params[name] = value;
      piece = value;
    }
    path += i === 0 ? piece : `/${piece}`;
  }
  return { ok: true, match: { route: c.route, params, upstreamPath: path } };
}

function decoded(raw: string): string | undefined {
  // Most ids carry no escapes; decodeURIComponent is only needed (and only throws) with a '%'.
  if (!raw.includes('%')) {
    return raw;
  }
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
