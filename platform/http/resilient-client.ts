import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios, { isAxiosError } from 'axios';
import type { AxiosInstance, AxiosResponse } from 'axios';
import type { Logger } from '../observability/logger.js';
import {
  DependencyError,
  isDependencyError,
  isTokenRequestError,
  sanitizedCause,
} from './errors.js';
import type { DependencyPolicy } from './policies.js';
import { sendWithToken } from './token-source.js';
import type { TokenSource } from './token-source.js';

export { DependencyError, isDependencyError } from './errors.js';
export type { DependencyFailureKind } from './errors.js';

/** The methods services call each other with. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** One call to a dependency. */
export interface ResilientRequest {
  readonly method: HttpMethod;
  /** Path below the base URL, starting with `/`, with every segment already percent-encoded. */
  readonly path: string;
  /** Query parameters; `undefined` values are left out. */
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Sent as JSON when present. */
  readonly body?: unknown;
  /** Sent as `Idempotency-Key`; it is what makes a POST or PATCH safe to retry. */
  readonly idempotencyKey?: string;
  /**
   * The caller's word that this POST or PATCH changes nothing (a read with a body, such as a
   * batch lookup), so it may be retried like a GET.
   */
  readonly readOnly?: boolean;
  /** The incoming request's id, propagated as `X-Request-Id`. */
  readonly requestId?: string;
  /** The incoming request's W3C trace context, propagated as `traceparent`. */
  readonly traceparent?: string;
  /** Aborts the call; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Epoch ms by which the caller must answer its own client. */
  readonly deadline?: number;
}

/**
 * A dependency's answer: any 2xx–4xx except 429. `data` is the parsed JSON body (or the text of
 * a non-JSON one) and is not checked against `T`: validate it where its shape matters.
 */
export interface ResilientResponse<T> {
  readonly status: number;
  readonly data: T;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Where one attempt goes: a base URL, or a lease on an instance (a balancing resolver's), which
 * the client releases when the attempt ends, saying whether the instance failed it (no
 * answer, or a 5xx).
 */
export type AttemptTarget =
  | string
  | {
      readonly baseUrl: string;
      release(outcome?: { readonly failed: boolean }): void;
    };

/** Where a client sends its calls and how it authenticates them. */
export interface ResilientClientOptions {
  /** The dependency's name, used in logs and errors. */
  name: string;
  /** Resolved before every attempt, so that a retry can land on another healthy instance. */
  baseUrl: () => Promise<AttemptTarget> | AttemptTarget;
  /** The dependency's policy, shared by every client of that dependency. */
  policy: DependencyPolicy;
  /** When set, calls carry a client_credentials bearer token for `resource` and `scope`. */
  tokens?: Readonly<{ source: TokenSource; resource: string; scope: string }>;
  logger: Logger;
}

/** An HTTP client for one dependency, with its policy, token and request context applied. */
export interface ResilientClient {
  /**
   * Sends `req`. Resolves with any answer that is not a failure of the dependency (4xx other
   * than 429 included); rejects with a {@link DependencyError} for timeouts, network errors,
   * 5xx, 429, an open circuit or a full bulkhead.
   */
  request<T>(req: Readonly<ResilientRequest>): Promise<ResilientResponse<T>>;
  /** Closes idle keep-alive connections, at shutdown. */
  close(): void;
}

/** Creates the client of one dependency; build it once at start-up. */
export function createResilientClient(options: Readonly<ResilientClientOptions>): ResilientClient {
  const agents = {
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  };
  const http = axios.create({
    ...agents,
    // Calls stay inside the platform: no environment proxy, and no redirect that could carry
    // the bearer token to another host.
    proxy: false,
    maxRedirects: 0,
    // We parse JSON ourselves, so that an unreadable body becomes a `bad-response` failure.
    responseType: 'text',
    maxContentLength: MAX_RESPONSE_BYTES,
    validateStatus: () => true,
  });
  const send = sender(options, http);
  return {
    async request<T>(req: Readonly<ResilientRequest>): Promise<ResilientResponse<T>> {
      try {
        return await authenticated<T>(options, send, req);
      } catch (e) {
        logFailure(options.logger, options.name, req, e);
        throw e;
      }
    },
    close() {
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}

/** A sick dependency must not be able to fill our memory with one answer. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Repeating these cannot do the work twice (RFC 9110 9.2.2). */
const IDEMPOTENT: ReadonlySet<HttpMethod> = new Set<HttpMethod>(['GET', 'PUT', 'DELETE']);

/** DESIGN.md: 1–255 printable ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** A value Node would refuse in a header; refusing it here keeps it from looking like an outage. */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

/** Sends with a bearer token when the client has a token source, refreshing it once on a 401. */
async function authenticated<T>(
  options: Readonly<ResilientClientOptions>,
  send: Send,
  req: Readonly<ResilientRequest>,
): Promise<ResilientResponse<T>> {
  assertPath(req.path);
  const headers = requestHeaders(req);
  const tokens = options.tokens;
  if (tokens === undefined) {
    return send<T>(req, headers);
  }
  return sendWithToken(
    tokens.source,
    tokens.resource,
    tokens.scope,
    (token) => send<T>(req, { ...headers, authorization: `Bearer ${token}` }),
    {
      token: () => bearerToken(options.name, tokens, req.signal),
      onRefused: () =>
        options.logger.info(
          { dependency: options.name, requestId: req.requestId },
          'token refused',
        ),
    },
  );
}

type Send = <T>(
  req: Readonly<ResilientRequest>,
  headers: Readonly<Record<string, string>>,
) => Promise<ResilientResponse<T>>;

function sender(options: Readonly<ResilientClientOptions>, http: AxiosInstance): Send {
  const name = options.name;
  return async <T>(req: Readonly<ResilientRequest>, headers: Readonly<Record<string, string>>) => {
    const retryable =
      IDEMPOTENT.has(req.method) || req.idempotencyKey !== undefined || req.readOnly === true;
    const data = req.body === undefined ? undefined : JSON.stringify(req.body);
    return options.policy.execute(
      async ({ signal }) => {
        const target = await attemptTarget(name, options.baseUrl);
        const url = urlOf(target.baseUrl, req);
        const res = await http
          .request<string>({ method: req.method, url, headers, data, signal })
          .catch((e: unknown) => {
            // Our caller giving up is not the instance's fault; a timeout or a refusal is.
            target.release({ failed: req.signal?.aborted !== true });
            throw transportFailure(name, e);
          });
        target.release({ failed: res.status >= 500 });
        return toResponse<T>(name, res);
      },
      { retryable, signal: req.signal, deadline: req.deadline },
    );
  };
}

function requestHeaders(req: Readonly<ResilientRequest>): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (req.body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  if (req.idempotencyKey !== undefined) {
    if (!IDEMPOTENCY_KEY.test(req.idempotencyKey)) {
      throw new TypeError('Idempotency-Key must be 1-255 printable ASCII characters');
    }
    headers['idempotency-key'] = req.idempotencyKey;
  }
  setChecked(headers, 'x-request-id', req.requestId);
  setChecked(headers, 'traceparent', req.traceparent);
  return headers;
}

/** A path that is not absolute would be glued onto the base URL's last segment. */
function assertPath(path: string): void {
  if (!path.startsWith('/')) {
    throw new TypeError(`path must start with '/': ${path}`);
  }
}

function setChecked(
  headers: Record<string, string>,
  name: string,
  value: string | undefined,
): void {
  if (value === undefined) {
    return;
  }
  if (!HEADER_VALUE.test(value)) {
    throw new TypeError(`${name} must be printable ASCII`);
  }
  headers[name] = value;
}

async function bearerToken(
  name: string,
  tokens: Readonly<{ source: TokenSource; resource: string; scope: string }>,
  signal: AbortSignal | undefined,
): Promise<string> {
  signal?.throwIfAborted();
  try {
    return await tokens.source.token(tokens.resource, tokens.scope);
  } catch (e) {
    // Without a token the dependency is out of reach just as surely as when it is down, and the
    // caller's fallback is the same; the token failure itself is logged with its cause.
    if (isTokenRequestError(e)) {
      throw new DependencyError({
        dependency: name,
        kind: 'unavailable',
        message: `${name}: no access token: ${e.message}`,
        cause: e,
      });
    }
    throw e;
  }
}

/** The attempt's base URL and what ends its lease (nothing for a plain URL). */
async function attemptTarget(
  name: string,
  baseUrl: ResilientClientOptions['baseUrl'],
): Promise<{ baseUrl: string; release(outcome?: { readonly failed: boolean }): void }> {
  let target: AttemptTarget;
  try {
    target = await baseUrl();
  } catch (e) {
    throw new DependencyError({
      dependency: name,
      kind: 'unavailable',
      message: `${name}: no instance to call`,
      cause: sanitizedCause(e),
    });
  }
  return typeof target === 'string' ? { baseUrl: target, release: () => undefined } : target;
}

function urlOf(base: string, req: Readonly<ResilientRequest>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(req.query ?? {})) {
    if (value !== undefined) {
      query.append(key, String(value));
    }
  }
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return `${base.replace(/\/+$/, '')}${req.path}${search}`;
}

/** An error before any answer: the dependency is unreachable (or, rarely, sent garbage). */
function transportFailure(name: string, e: unknown): unknown {
  if (!isAxiosError(e)) {
    return e;
  }
  const kind = e.code === 'ERR_BAD_RESPONSE' ? 'bad-response' : 'unavailable';
  return new DependencyError({ dependency: name, kind, cause: sanitizedCause(e) });
}

function toResponse<T>(name: string, res: AxiosResponse<string>): ResilientResponse<T> {
  const headers = flatHeaders(res.headers);
  if (res.status >= 500 || res.status === 429) {
    throw new DependencyError({
      dependency: name,
      kind: 'unavailable',
      message: `${name}: answered ${res.status}`,
      status: res.status,
      retryAfterSeconds: retryAfterSeconds(headers['retry-after']),
    });
  }
  return { status: res.status, data: parseBody<T>(name, res, headers), headers };
}

function flatHeaders(raw: AxiosResponse['headers']): Record<string, string> {
  const entries: [string, unknown][] = Object.entries(raw);
  const flat: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (typeof value === 'string' || typeof value === 'number') {
      flat[name.toLowerCase()] = String(value);
    } else if (Array.isArray(value)) {
      flat[name.toLowerCase()] = value.join(', ');
    }
  }
  return flat;
}

function parseBody<T>(
  name: string,
  res: AxiosResponse<string>,
  headers: Record<string, string>,
): T {
  const text = typeof res.data === 'string' ? res.data : '';
  const isJson = /[/+]json\b/i.test(headers['content-type'] ?? '');
  if (!isJson || text === '') {
    return (text === '' ? undefined : text) as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new DependencyError({
      dependency: name,
      kind: 'bad-response',
      message: `${name}: answered ${res.status} with malformed JSON`,
      status: res.status,
    });
  }
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 10.2.3). */
function retryAfterSeconds(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (/^\d+$/.test(value.trim())) {
    return Number(value.trim());
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function logFailure(
  logger: Logger,
  name: string,
  req: Readonly<ResilientRequest>,
  e: unknown,
): void {
  if (!isDependencyError(e)) {
    return;
  }
  logger.warn(
    {
      dependency: name,
      requestId: req.requestId,
      method: req.method,
      path: req.path,
      kind: e.kind,
      status: e.status,
      error: e.message,
    },
    `call to ${name} failed: ${e.kind}`,
  );
}
