import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import type { Response } from 'supertest';

/** An operation and status of the OpenAPI document, as `METHOD /template STATUS`. */
export type Outcome = string;

/**
 * Validates real responses against the service's own OpenAPI document: the path, method and
 * status must be documented, the media type must be the documented one, and the body must match
 * its schema. Every checked outcome is remembered, so a test can ask what was never exercised.
 */
export interface Contract {
  check(res: Response): void;
  /** Every documented `METHOD /template STATUS`. */
  documented(): Outcome[];
  /** The outcomes checked so far. */
  seen(): ReadonlySet<Outcome>;
}

interface Operation {
  readonly responses?: Readonly<Record<string, ResponseObject>>;
}
interface ResponseObject {
  readonly content?: Readonly<Record<string, { readonly schema?: unknown }>>;
}
type Document = {
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

// ajv-formats is CommonJS; its `default` export is the plugin under every loader.
const addFormats = addFormatsModule.default;

/** Builds a contract checker for a document served at GET /openapi.json. */
export function contractOf(document: unknown): Contract {
  const doc = document as Document;
  // strict: false, as the document is an OpenAPI document and not only a JSON Schema.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document as object, 'openapi');
  const validators = new Map<string, ValidateFunction>();
  const seen = new Set<Outcome>();
  const templates = Object.keys(doc.paths)
    .map((t) => ({ template: t, pattern: patternOf(t), params: (t.match(/\{/g) ?? []).length }))
    // A literal segment beats a parameter: /users/by-handle/x is not /users/{id}/following.
    .sort((a, b) => a.params - b.params);
  return {
    check(res) {
      const method = res.request.method.toLowerCase();
      const path = new URL(res.request.url).pathname;
      const template = templates.find(
        (t) => t.pattern.test(path) && doc.paths[t.template]?.[method],
      );
      expect(template, `${method.toUpperCase()} ${path} is documented`).to.not.equal(undefined);
      const name = template?.template ?? '';
      const outcome = `${method.toUpperCase()} ${name} ${res.status}`;
      const answer = doc.paths[name]?.[method]?.responses?.[String(res.status)];
      expect(answer, `${outcome} is documented`).to.not.equal(undefined);
      seen.add(outcome);
      const media = Object.keys(answer?.content ?? {});
      if (media.length === 0) {
        expect(res.text ?? '', `${outcome} has no body`).to.equal('');
        return;
      }
      const type = (res.headers['content-type'] ?? '').split(';')[0];
      expect(media, `${outcome} content type`).to.include(type);
      const schema = answer?.content?.[type ?? '']?.schema as { $ref?: string } | undefined;
      if (schema?.$ref === undefined) {
        return;
      }
      // The document's schemas are all references into components, resolved within the document.
      const key = `openapi${schema.$ref}`;
      let validate = validators.get(key);
      if (validate === undefined) {
        validate = ajv.compile({ $ref: key });
        validators.set(key, validate);
      }
      const ok = validate(res.body);
      expect(ok, `${outcome} body: ${ajv.errorsText(validate.errors)}\n${res.text}`).to.equal(true);
    },
    documented() {
      return Object.entries(doc.paths).flatMap(([template, ops]) =>
        Object.entries(ops)
          .filter(([method]) => METHODS.includes(method))
          .flatMap(([method, op]) =>
            Object.keys(op.responses ?? {}).map((s) => `${method.toUpperCase()} ${template} ${s}`),
          ),
      );
    },
    seen: () => seen,
  };
}

function patternOf(template: string): RegExp {
  const escaped = template
    .split(/\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${escaped}$`);
}
