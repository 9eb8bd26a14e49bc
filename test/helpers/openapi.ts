import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import type { Response } from 'supertest';

/** A documented outcome: an operation and one of its statuses, as `METHOD /template STATUS`. */
export type Outcome = string;

/** A JSON Schema object, as found in an OpenAPI document. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** An HTTP exchange as a contract sees it: what was asked, and what came back. */
export interface Exchange {
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  /** The parsed JSON request body, if one was sent. */
  readonly requestBody?: unknown;
  readonly status: number;
  /** The response's media type, without parameters ('' when it had no body). */
  readonly contentType: string;
  /** The parsed response body (undefined when empty). */
  readonly responseBody: unknown;
}

/** An operation of the document: its method (any case) and its path template. */
export interface OperationRef {
  readonly method: string;
  readonly template: string;
}

/**
 * Checks real traffic against one OpenAPI 3.1 document with ajv, and remembers which documented
 * outcomes it saw, so a test can ask what was never exercised.
 */
export interface OpenApiContract {
  /**
   * Fails unless the operation is documented, the status is documented for it, the media type
   * is a documented one (and the body empty when none is), and the body validates against the
   * documented schema. The operation is the response's own request (method and path), or `at`
   * when given (then the request, if the response has one, must fit `at`). Records the outcome
   * once it passed.
   */
  checkResponse(res: Response | Exchange, at?: OperationRef): void;
  /** Fails unless the request body is what the operation documents (none, or matching JSON). */
  checkRequest(x: Exchange): void;
  /** The path template with an operation for `method` that `path` matches; fails when none. */
  templateOf(method: string, path: string): string;
  /** Every documented outcome. */
  documented(): Outcome[];
  /** The outcomes checked (and passed) so far. */
  seen(): ReadonlySet<Outcome>;
  /** Fails unless every request and response schema of the document compiles ($refs resolve). */
  compileAll(): void;
  /** The JSON schema of an answer (`$ref`s resolved at the top), for field checks. */
  responseSchema(method: string, template: string, status: number): JsonSchema;
  /** Resolves a `#/...` reference of the document (and the reference that target makes). */
  resolve(schema: JsonSchema): JsonSchema;
  /** The scopes the operation's security requirements name. */
  scopes(method: string, template: string): string[];
}

/** Builds the contract of a document as served at GET /openapi.json; `id` names it in failures. */
export function openApiContract(document: unknown, id = 'openapi'): OpenApiContract {
  const doc = document as Document;
  // strict: false, as the document is an OpenAPI document and not only a JSON Schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The whole document is registered, so `#/components/schemas/…` refs resolve inside it.
  ajv.addSchema(document as object, id);
  const compiled = new Map<string, ValidateFunction>();
  const compile = (pointer: readonly string[]): ValidateFunction => {
    const key = `${id}#/${pointer.map(escapePointer).join('/')}`;
    let fn = compiled.get(key);
    if (fn === undefined) {
      fn = ajv.compile({ $ref: key });
      compiled.set(key, fn);
    }
    return fn;
  };
  const validate = (pointer: readonly string[], value: unknown, what: string): void => {
    const fn = compile(pointer);
    const ok = fn(value);
    expect(ok, `${what}: ${ajv.errorsText(fn.errors)}\n${JSON.stringify(value)}`).to.equal(true);
  };
  const operationAt = (method: string, template: string): Operation | undefined =>
    doc.paths[template]?.[method.toLowerCase()];
  const templates = Object.keys(doc.paths)
    .map((t) => ({ template: t, pattern: patternOf(t), params: (t.match(/\{/g) ?? []).length }))
    // A literal segment beats a parameter: /users/by-handle/x is not /users/{id}.
    .sort((a, b) => a.params - b.params);
  const seen = new Set<Outcome>();

  const contract: OpenApiContract = {
    checkResponse(res, at) {
      const x = isExchange(res) ? res : exchangeOf(res);
      const { method, template } = operationOf(contract, x, at, id);
      const m = method.toLowerCase();
      const outcome = `${method.toUpperCase()} ${template} ${x.status}`;
      const answer = operationAt(m, template)?.responses?.[String(x.status)];
      expect(answer, `${outcome} is not documented in ${id}`).to.not.equal(undefined);
      const content = answer?.content ?? {};
      const media = Object.keys(content);
      if (media.length === 0) {
        expect(x.responseBody, `${outcome} has no body`).to.equal(undefined);
        seen.add(outcome);
        return;
      }
      expect(media, `${outcome} media type`).to.include(x.contentType);
      if (content[x.contentType]?.schema !== undefined) {
        const pointer = ['paths', template, m, 'responses', String(x.status), 'content'];
        validate([...pointer, x.contentType, 'schema'], x.responseBody, `${outcome} body`);
      }
      seen.add(outcome);
    },
    checkRequest(x) {
      const m = x.method.toLowerCase();
      const template = contract.templateOf(x.method, x.path);
      const content = operationAt(m, template)?.requestBody?.content;
      if (x.requestBody === undefined) {
        expect(content, `${x.method} ${template} sent without a body`).to.equal(undefined);
        return;
      }
      expect(content?.['application/json'], `${x.method} ${template} takes JSON`).to.be.an(
        'object',
      );
      const pointer = ['paths', template, m, 'requestBody', 'content', 'application/json'];
      validate([...pointer, 'schema'], x.requestBody, `${x.method} ${template} request body`);
    },
    templateOf(method, path) {
      const found = templates.find(
        (t) => t.pattern.test(path) && operationAt(method, t.template) !== undefined,
      );
      expect(found, `${method.toUpperCase()} ${path} is not documented in ${id}`).to.not.equal(
        undefined,
      );
      return found?.template ?? '';
    },
    documented() {
      return operations(doc).flatMap(([method, template, op]) =>
        Object.keys(op.responses ?? {}).map((s) => `${method.toUpperCase()} ${template} ${s}`),
      );
    },
    seen: () => seen,
    compileAll() {
      for (const [method, template, op] of operations(doc)) {
        const at = ['paths', template, method];
        for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
          if (media.schema !== undefined) {
            compile([...at, 'requestBody', 'content', type, 'schema']);
          }
        }
        for (const [status, answer] of Object.entries(op.responses ?? {})) {
          for (const [type, media] of Object.entries(answer.content ?? {})) {
            if (media.schema !== undefined) {
              compile([...at, 'responses', status, 'content', type, 'schema']);
            }
          }
        }
      }
    },
    responseSchema(method, template, status) {
      const answer = operationAt(method, template)?.responses?.[String(status)];
      const schema = answer?.content?.['application/json']?.schema;
      expect(schema, `${method} ${template} ${status} has a JSON schema`).to.be.an('object');
      return contract.resolve(schema ?? {});
    },
    resolve(schema) {
      const ref = schema['$ref'];
      if (typeof ref !== 'string') {
        return schema;
      }
      const target = ref
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[unescape(key)], doc);
      expect(target, `${ref} resolves in ${id}`).to.be.an('object');
      return contract.resolve(target as JsonSchema);
    },
    scopes(method, template) {
      const security = operationAt(method, template)?.security ?? [];
      return security.flatMap((requirement) => Object.values(requirement).flat());
    },
  };
  return contract;
}

/** A supertest response as an {@link Exchange} (without the request body, which it does not keep). */
export function exchangeOf(res: Response): Exchange {
  const request = requestOf(res);
  return {
    method: request?.method ?? '',
    path: request?.path ?? '',
    status: res.status,
    contentType: String(res.headers['content-type'] ?? '').split(';')[0] ?? '',
    responseBody: (res.text ?? '') === '' ? undefined : (res.body as unknown),
  };
}

interface MediaType {
  readonly schema?: JsonSchema;
}
interface Operation {
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, MediaType>> };
  readonly responses?: Readonly<
    Record<string, { readonly content?: Readonly<Record<string, MediaType>> }>
  >;
}
interface Document {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

// ajv-formats is CommonJS; its `default` export is the plugin under every loader.
const addFormats = addFormatsModule.default;

/** Every operation of the document, as [method, template, operation]. */
function operations(doc: Document): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([template, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.has(method))
      .map(([method, op]): [string, string, Operation] => [method, template, op]),
  );
}

/** The operation an answer belongs to: `at`, which the request must fit, or the request's own. */
function operationOf(
  contract: OpenApiContract,
  x: Exchange,
  at: OperationRef | undefined,
  id: string,
): OperationRef {
  if (at === undefined) {
    return { method: x.method, template: contract.templateOf(x.method, x.path) };
  }
  if (x.method !== '') {
    const where = `${x.method} ${x.path}`;
    expect(x.method.toLowerCase(), `${where} is a ${at.method}`).to.equal(at.method.toLowerCase());
    expect(contract.templateOf(x.method, x.path), `${where} in ${id}`).to.equal(at.template);
  }
  return at;
}

function requestOf(res: Response): { method: string; path: string } | undefined {
  // A hand-made response (to test the contract itself) may have no request.
  const request = (res as Partial<Response>).request;
  if (request === undefined) {
    return undefined;
  }
  return { method: request.method, path: new URL(request.url).pathname };
}

function isExchange(value: Response | Exchange): value is Exchange {
  return 'responseBody' in value;
}

function patternOf(template: string): RegExp {
  const escaped = template
    .split(/\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${escaped}$`);
}

function escapePointer(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function unescape(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}
