import type { ResourceId } from '../config/resources.js';

/** The services the gateway forwards to, by the name the resolver knows them. */
export type ServiceName = 'users' | 'tweets' | 'feeds';

/** The methods of the public API. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a route does: forward to a service unchanged, or compose an answer at the gateway. */
export type RouteTarget =
  { readonly kind: 'proxy'; readonly service: ServiceName } | { readonly kind: 'profile' };

/** One public route: the tokens it takes (audience) and where it goes. */
export interface RouteEntry {
  readonly method: RouteMethod;
  /** Path template; `:name` is one path segment, checked before anything is forwarded. */
  readonly path: string;
  /** The audience a token must have for the edge to let it through. */
  readonly audience: ResourceId;
  readonly target: RouteTarget;
}

const to = (service: ServiceName): RouteTarget => ({ kind: 'proxy', service });
const USERS: ResourceId = 'urn:chirp:users';
const TWEETS: ResourceId = 'urn:chirp:tweets';
const FEEDS: ResourceId = 'urn:chirp:feeds';

/**
 * DESIGN.md's public route table, and nothing else: internal routes (`/internal/...`,
 * `/metrics`, `/openapi.json`) are absent, so no path can reach them. Scopes and user-token
 * rules stay with the services, which check every token themselves.
 */
// prettier-ignore
export const ROUTES: readonly RouteEntry[] = [
  { method: 'POST',   path: '/users',                   audience: USERS,  target: to('users') },
  { method: 'GET',    path: '/users/by-handle/:handle', audience: USERS,  target: to('users') },
  { method: 'GET',    path: '/users/:id',               audience: USERS,  target: to('users') },
  { method: 'GET',    path: '/users/:id/following',     audience: USERS,  target: to('users') },
  { method: 'GET',    path: '/users/:id/followers',     audience: USERS,  target: to('users') },
  { method: 'GET',    path: '/me',                      audience: USERS,  target: to('users') },
  { method: 'PUT',    path: '/me/following/:userId',    audience: USERS,  target: to('users') },
  { method: 'DELETE', path: '/me/following/:userId',    audience: USERS,  target: to('users') },
  { method: 'POST',   path: '/tweets',                  audience: TWEETS, target: to('tweets') },
  { method: 'GET',    path: '/tweets',                  audience: TWEETS, target: to('tweets') },
  { method: 'GET',    path: '/tweets/:id',              audience: TWEETS, target: to('tweets') },
  { method: 'DELETE', path: '/tweets/:id',              audience: TWEETS, target: to('tweets') },
  { method: 'GET',    path: '/feeds/home',              audience: FEEDS,  target: to('feeds') },
  { method: 'GET',    path: '/profiles/:handle',        audience: USERS,  target: { kind: 'profile' } },
];
