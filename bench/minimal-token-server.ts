/**
 * "The ideal on this machine" for the token endpoint: the least a client_credentials endpoint
 * must do, in Koa 3 with no middleware stack. It parses the form body, authenticates the client
 * (client_secret_basic) against its SQLite row in constant time, checks grant, resource and
 * scopes, and signs the same ES256 at+jwt (RFC 9068) access token with jose as the auth server.
 *
 * Run by bench/run.ts as its own process; configured by environment:
 *   BENCH_DATA_DIR, BENCH_PORT, BENCH_ISSUER, BENCH_TOKEN_TTL,
 *   BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_CLIENT_SCOPE, BENCH_CLIENT_RESOURCES
 * The client row is written at start; every request reads it again, as the real server does.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Koa from 'koa';
import type { Context } from 'koa';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { isResourceId, resources } from '../config/resources.js';

const MAX_BODY_BYTES = 4096;

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is required`);
  }
  return value;
}

const dataDir = required('BENCH_DATA_DIR');
const port = Number(required('BENCH_PORT'));
const issuer = required('BENCH_ISSUER');
const ttlSeconds = Number(process.env['BENCH_TOKEN_TTL'] ?? '300');

interface ClientRow {
  secret_sha256: Buffer;
  scope: string;
  resources: string;
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

mkdirSync(dataDir, { recursive: true });
const db = new Database(join(dataDir, 'minimal.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`create table if not exists clients (
  client_id text primary key,
  secret_sha256 blob not null,
  scope text not null,
  resources text not null
)`);
db.prepare(
  'insert or replace into clients (client_id, secret_sha256, scope, resources) values (?, ?, ?, ?)',
).run(
  required('BENCH_CLIENT_ID'),
  sha256(required('BENCH_CLIENT_SECRET')),
  required('BENCH_CLIENT_SCOPE'),
  required('BENCH_CLIENT_RESOURCES'),
);
const findClient = db.prepare<[string], ClientRow>(
  'select secret_sha256, scope, resources from clients where client_id = ?',
);

const { privateKey, publicKey } = await generateKeyPair('ES256');
const publicJwk = await exportJWK(publicKey);
const kid = await calculateJwkThumbprint(publicJwk);
const jwks = { keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] };

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

async function readForm(ctx: Context): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new OAuthError(400, 'invalid_request', 'only application/x-www-form-urlencoded');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new OAuthError(413, 'invalid_request', 'request body too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** RFC 6749 2.3.1: id and secret are form-url-encoded before they are joined and base64'd. */
function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

function authenticate(header: string | undefined): { clientId: string; row: ClientRow } {
  // Built only on failure: an Error captures a stack trace, which costs on the hot path.
  const invalid = () => new OAuthError(401, 'invalid_client', 'client authentication failed');
  if (header === undefined || !header.startsWith('Basic ')) {
    throw invalid();
  }
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) {
    throw invalid();
  }
  let clientId: string;
  let secret: string;
  try {
    clientId = formDecode(decoded.slice(0, colon));
    secret = formDecode(decoded.slice(colon + 1));
  } catch {
    throw invalid();
  }
  const row = findClient.get(clientId);
  // Equal-length digests compared in constant time: neither content nor length leaks.
  if (row === undefined || !timingSafeEqual(sha256(secret), row.secret_sha256)) {
    throw invalid();
  }
  return { clientId, row };
}

async function token(ctx: Context): Promise<void> {
  const form = await readForm(ctx);
  const { clientId, row } = authenticate(ctx.get('authorization') || undefined);
  if (form.get('grant_type') !== 'client_credentials') {
    throw new OAuthError(400, 'unsupported_grant_type', 'only client_credentials');
  }
  const resource = form.get('resource') ?? '';
  if (!isResourceId(resource) || !row.resources.split(' ').includes(resource)) {
    throw new OAuthError(400, 'invalid_target', 'resource unknown or not allowed');
  }
  const registered = new Set(row.scope.split(' '));
  const grantable = resources[resource].filter((s) => registered.has(s));
  const requested = (form.get('scope') ?? '').split(' ').filter((s) => s !== '');
  for (const s of requested) {
    if (!(grantable as readonly string[]).includes(s)) {
      throw new OAuthError(400, 'invalid_scope', `scope ${s} not allowed`);
    }
  }
  const scope = (requested.length > 0 ? requested : grantable).join(' ');
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({ client_id: clientId, scope })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setJti(randomBytes(32).toString('base64url'))
    .setSubject(clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .setIssuer(issuer)
    .setAudience(resource)
    .sign(privateKey);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = { access_token: accessToken, expires_in: ttlSeconds, scope, token_type: 'Bearer' };
}

const app = new Koa();
app.use(async (ctx) => {
  try {
    if (ctx.method === 'POST' && ctx.path === '/token') {
      await token(ctx);
    } else if (ctx.method === 'GET' && ctx.path === '/healthz') {
      ctx.body = { status: 'ok' };
    } else if (ctx.method === 'GET' && ctx.path === '/jwks') {
      ctx.body = jwks;
    } else {
      ctx.status = 404;
      ctx.body = { error: 'not_found' };
    }
  } catch (e) {
    if (!(e instanceof OAuthError)) {
      throw e;
    }
    ctx.status = e.status;
    ctx.set('Cache-Control', 'no-store');
    if (e.status === 401) {
      ctx.set('WWW-Authenticate', 'Basic realm="chirp"');
    }
    ctx.body = { error: e.code, error_description: e.message };
  }
});

const handle = app.callback();
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  void handle(req, res);
});
server.listen(port, '127.0.0.1');
const stop = () => {
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
