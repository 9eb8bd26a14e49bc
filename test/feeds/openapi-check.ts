import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';

// ajv-formats is CommonJS; its `default` export is the plugin under every loader.
const addFormats = addFormatsModule.default;

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

/** A JSON Schema object, as found in an OpenAPI document. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/**
 * Checks exchanges against one OpenAPI 3.1 document with ajv: the path template and method
 * must be documented, the request body must match the documented request schema, the status
 * must be documented, and the body must match that status's schema for its media type.
 */
export interface OpenApiCheck {
  /** The document's path template matching `path` with an operation for `method`. */
  templateOf(method: string, path: string): string;
  checkRequest(exchange: Exchange): void;
  checkResponse(exchange: Exchange): void;
  /** The documented schema of a response (`$ref`s resolved at the top), for field checks. */
  responseSchema(method: string, template: string, status: number): JsonSchema;
  /** Resolves a `#/components/...` reference of the document. */
  resolve(schema: JsonSchema): JsonSchema;
  /** The scopes the operation's security requirement names. */
  scopes(method: string, template: string): string[];
}

interface Operation {
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly requestBody?: { readonly content?: Readonly<Record<string, { schema?: JsonSchema }>> };
  readonly responses?: Readonly<
    Record<string, { readonly content?: Readonly<Record<string, { schema?: JsonSchema }>> }>
  >;
}
interface Document {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
}

/** Builds the check over a document as served at GET /openapi.json. */
export function openApiCheck(document: unknown, id: string): OpenApiCheck {
  const doc = document as Document;
  // strict: false, as the document is an OpenAPI document and not only a JSON Schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, id);
  const compiled = new Map<string, ValidateFunction>();
  const validate = (pointer: string[], value: unknown, what: string) => {
    const key = `${id}#/${pointer.map(escapePointer).join('/')}`;
    let fn = compiled.get(key);
    if (fn === undefined) {
      fn = ajv.compile({ $ref: key });
      compiled.set(key, fn);
    }
    expect(fn(value), `${what}: ${ajv.errorsText(fn.errors)}\n${JSON.stringify(value)}`).to.equal(
      true,
    );
  };
  const templates = Object.keys(doc.paths)
    .map((t) => ({ template: t, pattern: patternOf(t), params: (t.match(/\{/g) ?? []).length }))
    // A literal segment beats a parameter.
    .sort((a, b) => a.params - b.params);
  const check: OpenApiCheck = {
    templateOf(method, path) {
      const m = method.toLowerCase();
      const found = templates.find((t) => t.pattern.test(path) && doc.paths[t.template]?.[m]);
      expect(found, `${method} ${path} is documented in ${id}`).to.not.equal(undefined);
      return found?.template ?? '';
    },
    checkRequest(x) {
      const m = x.method.toLowerCase();
      const template = check.templateOf(x.method, x.path);
      const content = doc.paths[template]?.[m]?.requestBody?.content;
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
    checkResponse(x) {
      const m = x.method.toLowerCase();
      const template = check.templateOf(x.method, x.path);
      const where = `${x.method} ${template} ${x.status}`;
      const answer = doc.paths[template]?.[m]?.responses?.[String(x.status)];
      expect(answer, `${where} is documented in ${id}`).to.not.equal(undefined);
      const media = Object.keys(answer?.content ?? {});
      if (media.length === 0) {
        expect(x.responseBody, `${where} has no body`).to.equal(undefined);
        return;
      }
      expect(media, `${where} media type`).to.include(x.contentType);
      const pointer = ['paths', template, m, 'responses', String(x.status), 'content'];
      validate([...pointer, x.contentType, 'schema'], x.responseBody, `${where} body`);
    },
    responseSchema(method, template, status) {
      const answer = doc.paths[template]?.[method.toLowerCase()]?.responses?.[String(status)];
      const schema = answer?.content?.['application/json']?.schema;
      expect(schema, `${method} ${template} ${status} has a JSON schema`).to.be.an('object');
      return check.resolve(schema ?? {});
    },
    scopes(method, template) {
      const security = doc.paths[template]?.[method.toLowerCase()]?.security ?? [];
      return security.flatMap((requirement) => Object.values(requirement).flat());
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
      return check.resolve(target as JsonSchema);
    },
  };
  return check;
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
