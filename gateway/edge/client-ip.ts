import { BlockList, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

/** Where a request came from, as far as the gateway can believe it. */
export interface ClientOrigin {
  /** The client's IP: the first hop not run by us, read right to left. */
  readonly ip: string;
  /** Whether the connection came from a configured trusted proxy. */
  readonly viaTrustedProxy: boolean;
}

/**
 * Reads the client IP. X-Forwarded-For is believed only as far as it was written by trusted
 * proxies: starting from the socket peer, each hop that is a trusted proxy hands over to the
 * address it says it got the request from (the next entry to the left). The first untrusted
 * hop is the client. Without trusted proxies the socket peer is the client, so a spoofed
 * X-Forwarded-For changes nothing.
 */
export function clientOriginReader(
  trusted: readonly string[],
): (req: IncomingMessage) => ClientOrigin {
  const list = blockListOf(trusted);
  const isTrusted = (ip: string): boolean => list !== undefined && list.check(ip, familyOf(ip));
  return (req) => {
    const peer = normalized(req.socket.remoteAddress ?? '');
    if (!isTrusted(peer)) {
      return { ip: peer, viaTrustedProxy: false };
    }
    const sent = req.headers['x-forwarded-for'] ?? '';
    const hops = (Array.isArray(sent) ? sent.join(',') : sent)
      .split(',')
      .map((h) => normalized(h.trim()));
    let client = peer;
    for (let i = hops.length - 1; i >= 0 && isTrusted(client); i -= 1) {
      const hop = hops[i] ?? '';
      if (isIP(hop) === 0) {
        break; // a malformed entry: believe nothing further left
      }
      client = hop;
    }
    return { ip: client, viaTrustedProxy: true };
  };
}

function blockListOf(entries: readonly string[]): BlockList | undefined {
  if (entries.length === 0) {
    return undefined;
  }
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = familyOf(address);
    if (prefix === undefined) {
      list.addAddress(address, family);
    } else {
      list.addSubnet(address, Number(prefix), family);
    }
  }
  return list;
}

function familyOf(ip: string): 'ipv4' | 'ipv6' {
  return isIP(ip) === 6 ? 'ipv6' : 'ipv4';
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1. */
function normalized(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}
