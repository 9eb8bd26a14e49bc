import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import axios from 'axios';
import type { AxiosResponse, Method } from 'axios';
import { z } from 'zod';
import { sanitizedCause } from '../http/errors.js';
import { sendWithToken } from '../http/token-source.js';
import type { TokenSource } from '../http/token-source.js';
import type { ServiceInstance } from './resolver.js';

/** The audience of registry tokens (config/resources.ts). */
export const REGISTRY_RESOURCE = 'urn:chirp:registry';

/** What an instance tells the registry about itself. */
export interface Registration {
  readonly name: string;
  readonly instanceId: string;
  readonly baseUrl: string;
  readonly healthUrl: string;
  readonly version: string;
  readonly openapiUrl?: string | undefined;
}

/** The registry's HTTP API (gateway internal port), as components call it. */
export interface RegistryClient {
  /** Registers or refreshes; resolves with the registry's TTL in seconds. */
  register(registration: Registration): Promise<{ ttlSeconds: number }>;
  /** Extends the registration; `unknown` when the registry no longer has it (expired, restarted). */
  heartbeat(name: string, instanceId: string): Promise<'ok' | 'unknown'>;
  deregister(name: string, instanceId: string): Promise<void>;
  /** The live instances of a service. */
  list(name: string): Promise<ServiceInstance[]>;
  close(): void;
}

/** A registry call that did not succeed; `status` when the registry answered. */
export class RegistryCallError extends Error {
  readonly isRegistryCallError = true;
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RegistryCallError';
  }
}

export function isRegistryCallError(e: unknown): e is RegistryCallError {
  return e instanceof Error && 'isRegistryCallError' in e;
}

export interface RegistryClientOptions {
  /** Base URL of the registry, e.g. http://127.0.0.1:8081 */
  readonly registryUrl: string;
  /** Client-credentials tokens for {@link REGISTRY_RESOURCE}. */
  readonly tokens: TokenSource;
  /** Bound on one call, in milliseconds (default 2000). */
  readonly timeoutMs?: number;
}

const Registered = z.object({ ttlSeconds: z.number().int().positive() });
const Listed = z.object({
  items: z.array(z.object({ name: z.string(), instanceId: z.string(), baseUrl: z.string() })),
});

/** Creates the client; one per component, shared by its registration agent and its resolver. */
export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const agents = {
    httpAgent: new HttpAgent({ keepAlive: true }),
    httpsAgent: new HttpsAgent({ keepAlive: true }),
  };
  const http = axios.create({
    ...agents,
    baseURL: options.registryUrl.replace(/\/+$/, ''),
    // The registry is configured: no environment proxy, no redirect carrying our token away.
    proxy: false,
    maxRedirects: 0,
    responseType: 'json',
    validateStatus: () => true,
  });
  const call = (method: Method, path: string, scope: string, data?: unknown) =>
    sendWithToken(options.tokens, REGISTRY_RESOURCE, scope, (token) =>
      http
        .request<unknown>({
          method,
          url: path,
          data,
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
          signal: AbortSignal.timeout(options.timeoutMs ?? 2000),
        })
        .catch((e: unknown) => {
          throw new RegistryCallError(`registry ${method} ${path} failed`, undefined, {
            cause: sanitizedCause(e),
          });
        }),
    );
  const instancePath = (name: string, id: string) =>
    `/registry/services/${encodeURIComponent(name)}/instances/${encodeURIComponent(id)}`;
  return {
    async register(r) {
      const { name, instanceId, ...body } = r;
      const res = await call('PUT', instancePath(name, instanceId), 'registry:write', body);
      return expectBody(res, [200, 201], Registered);
    },
    async heartbeat(name, id) {
      const res = await call('PUT', `${instancePath(name, id)}/heartbeat`, 'registry:write');
      if (res.status === 404) {
        return 'unknown';
      }
      expectStatus(res, [204]);
      return 'ok';
    },
    async deregister(name, id) {
      expectStatus(await call('DELETE', instancePath(name, id), 'registry:write'), [204]);
    },
    async list(name) {
      const path = `/registry/services/${encodeURIComponent(name)}/instances`;
      const res = await call('GET', path, 'registry:read');
      return expectBody(res, [200], Listed).items.map(({ name: n, instanceId, baseUrl }) => ({
        name: n,
        instanceId,
        baseUrl: baseUrl.replace(/\/+$/, ''),
      }));
    },
    close() {
      agents.httpAgent.destroy();
      agents.httpsAgent.destroy();
    },
  };
}

function expectStatus(res: AxiosResponse<unknown>, ok: readonly number[]): void {
  if (!ok.includes(res.status)) {
    const method = res.config.method?.toUpperCase() ?? '';
    throw new RegistryCallError(
      `registry answered ${res.status} to ${method} ${res.config.url ?? ''}`,
      res.status,
    );
  }
}

function expectBody<S extends z.ZodType>(
  res: AxiosResponse<unknown>,
  ok: readonly number[],
  schema: S,
): z.output<S> {
  expectStatus(res, ok);
  const parsed = schema.safeParse(res.data);
  if (!parsed.success) {
    throw new RegistryCallError('registry answered with an unexpected body', res.status);
  }
  return parsed.data;
}
