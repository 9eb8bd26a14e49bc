/**
 * A bench-owned stand-in for the authorization server, used by the services suite
 * (bench/services.ts) because the end-user login flow does not exist yet and user tokens are
 * needed (POST /tweets, PUT /me/following/{id}, GET /feeds/home refuse client tokens).
 *
 * It runs inside the bench process on 127.0.0.1 and serves:
 * - GET /.well-known/oauth-authorization-server: RFC 8414 metadata {issuer, jwks_uri, token_endpoint};
 * - GET /jwks: the public half of one ES256 key generated with jose at start;
 * - POST /token: grant_type=client_credentials for any `resource` and `scope` asked for, WITHOUT
 *   client authentication (the Basic credentials only name the token's client_id; the secret is
 *   never checked). Bench use only.
 * Tokens are RFC 9068 at+jwt with the claim set the real auth server issues: iss, aud, sub,
 * client_id, scope, iat, exp, jti (header alg ES256, typ at+jwt, kid).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { isResourceId } from '../config/resources.js';

/** One token to mint; a client token has `sub` equal to `clientId`, a user token does not. */
export interface MintOptions {
  readonly sub: string;
  readonly clientId: string;
  /** The resource indicator (aud), e.g. urn:chirp:tweets. */
  readonly audience: string;
  /** Space-separated scopes. */
  readonly scope: string;
  /** Lifetime in seconds (default one hour: longer than any bench run). */
  readonly ttlSeconds?: number;
}

export interface StubIssuer {
  /** The issuer identifier, an origin such as http://127.0.0.1:41234. */
  readonly issuer: string;
  mint(options: MintOptions): Promise<string>;
  /** How many /token requests were answered (feeds asks once per resource and scope). */
  tokenRequests(): number;
  close(): Promise<void>;
}

const DEFAULT_TTL_SECONDS = 3600;
const MAX_FORM_BYTES = 4096;

export async function startStubIssuer(): Promise<StubIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };
  let issuer = '';
  let tokenCount = 0;

  const mint = (o: MintOptions): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ client_id: o.clientId, scope: o.scope })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
      .setIssuer(issuer)
      .setAudience(o.audience)
      .setSubject(o.sub)
      .setIssuedAt(now)
      .setExpirationTime(now + (o.ttlSeconds ?? DEFAULT_TTL_SECONDS))
      .setJti(randomUUID())
      .sign(privateKey);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      send(res, 500, { error: 'server_error', error_description: (e as Error).message });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (req.method === 'GET' && path === '/.well-known/oauth-authorization-server') {
      send(res, 200, {
        issuer,
        jwks_uri: `${issuer}/jwks`,
        token_endpoint: `${issuer}/token`,
        grant_types_supported: ['client_credentials'],
      });
      return;
    }
    if (req.method === 'GET' && path === '/jwks') {
      send(res, 200, jwks);
      return;
    }
    if (req.method === 'POST' && path === '/token') {
      const form = new URLSearchParams(await readBody(req));
      const resource = form.get('resource') ?? '';
      const scope = form.get('scope') ?? '';
      if (form.get('grant_type') !== 'client_credentials') {
        send(res, 400, { error: 'unsupported_grant_type' });
        return;
      }
      if (!isResourceId(resource)) {
        send(res, 400, { error: 'invalid_target' });
        return;
      }
      const clientId = basicClientId(req.headers.authorization) ?? 'bench-stub-client';
      tokenCount += 1;
      send(res, 200, {
        access_token: await mint({ sub: clientId, clientId, audience: resource, scope }),
        token_type: 'Bearer',
        expires_in: DEFAULT_TTL_SECONDS,
        scope,
      });
      return;
    }
    send(res, 404, { error: 'not_found' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    mint,
    tokenRequests: () => tokenCount,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new Error('form body too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The client id of an RFC 6749 2.3.1 Basic header; the secret is ignored (stub). */
function basicClientId(header: string | undefined): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) {
    return undefined;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const raw = colon < 0 ? decoded : decoded.slice(0, colon);
  return decodeURIComponent(raw.replace(/\+/g, ' '));
}
