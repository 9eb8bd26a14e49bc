import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Every address a host name resolves to (node:dns lookup with `all`). */
export type HostResolver = (hostname: string) => Promise<readonly string[]>;

/** Resolves with the system resolver, as the provider's own fetches will. */
export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Why `value` is not an https URL on a public host, or undefined when it is. Registration
 * metadata the server may fetch or show (jwks_uri, logo_uri, ...) must not point the server at
 * loopback, private, link-local, CGNAT or other special-use addresses, neither literally nor
 * through a name that resolves there (SSRF).
 */
export async function nonPublicUrlReason(
  value: string,
  resolve: HostResolver,
): Promise<string | undefined> {
  const url = URL.parse(value);
  if (url === null) {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:') {
    return 'must use https';
  }
  if (url.hash !== '' || value.includes('#')) {
    return 'must not contain a fragment';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not contain credentials';
  }
  return nonPublicHostReason(url.hostname, resolve);
}

/** Why a URL's host is not public (see nonPublicUrlReason), or undefined. */
export async function nonPublicHostReason(
  hostname: string,
  resolve: HostResolver,
): Promise<string | undefined> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIP(host) !== 0) {
    return isPublicAddress(host) ? undefined : `must not name the non-public address ${host}`;
  }
  if (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    return `must name a public host, not ${host}`;
  }
  let addresses: readonly string[];
  try {
    addresses = await resolve(host);
  } catch {
    return `host ${host} does not resolve`;
  }
  if (addresses.length === 0) {
    return `host ${host} does not resolve`;
  }
  const bad = addresses.find((a) => !isPublicAddress(a));
  return bad === undefined ? undefined : `host ${host} resolves to the non-public address ${bad}`;
}

/** False for loopback, private, link-local, unique-local, CGNAT, unspecified, multicast, .... */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) {
    return false;
  }
  if (family === 4) {
    return !SPECIAL_USE_V4.check(address, 'ipv4');
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) {
    return !SPECIAL_USE_V4.check(mapped, 'ipv4');
  }
  // Any other IPv4-mapped form (::ffff:7f00:1) is refused rather than decoded.
  return !MAPPED_V6.check(address, 'ipv6') && !SPECIAL_USE_V6.check(address, 'ipv6');
}

/**
 * oidc-provider's `fetch` (jwks_uri, sector_identifier_uri): the same public-host rule as at
 * registration, checked again at fetch time because DNS answers change. The library also
 * refuses connections whose socket lands on a special-use address, which covers a name that
 * resolves differently between this check and the connection.
 */
export function publicOnlyFetch(resolve: HostResolver) {
  return async function fetchPublic(
    input: string | URL | Request,
    init?: RequestInit,
  ): Promise<Response> {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const reason = await nonPublicUrlReason(href, resolve);
    if (reason !== undefined) {
      throw new NonPublicUrlError(`refusing to fetch ${href}: it ${reason}`);
    }
    return globalThis.fetch(input, { ...init, redirect: 'error' });
  };
}

/** A fetch refused because its URL is not https on a public host. */
export class NonPublicUrlError extends Error {
  readonly brand = 'NonPublicUrlError';
  constructor(message: string) {
    super(message);
    this.name = 'NonPublicUrlError';
  }
}

// IANA special-purpose registries (RFC 6890 and successors): nothing here is a public host.
// Separate lists per family, because a BlockList matches IPv4 addresses against ::ffff:0:0/96.
const SPECIAL_USE_V4 = blockList('ipv4', [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
]);
const SPECIAL_USE_V6 = blockList('ipv6', [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 23],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
]);
const MAPPED_V6 = blockList('ipv6', [['::ffff:0:0', 96]]);

function blockList(family: 'ipv4' | 'ipv6', subnets: readonly [string, number][]): BlockList {
  const list = new BlockList();
  subnets.forEach(([net, prefix]) => list.addSubnet(net, prefix, family));
  return list;
}
