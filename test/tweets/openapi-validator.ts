import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Response } from 'supertest';

// ajv-formats is CommonJS; its `default` export is the plugin under every loader.
const addFormats = addFormatsModule.default;

/** An HTTP method as the OpenAPI document spells it. */
export type Method = 'get' | 'post' | 'put' | 'delete';

/** Checks real responses against the service's own OpenAPI document (provider-side contract). */
export interface OpenApiValidator {
  /**
   * Fails unless `path` + `method` documents `res.status`, the response's media type is the
   * documented one, and its body validates against the documented schema.
   */
  expectDocumented(res: Response, method: Method, path: string): void;
  /** Every path, method and status the document declares, as `METHOD path status`. */
  declared(): string[];
}

/** Builds a validator over an OpenAPI 3.1 document (as served at /openapi.json). */
export function openApiValidator(document: unknown): OpenApiValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // The whole document is registered so `#/components/schemas/...` refs resolve inside it.
  ajv.addSchema(document as object, DOC_ID);
  const paths = objectAt(document, 'paths');
  return {
    expectDocumented(res, method, path) {
      const where = `${method.toUpperCase()} ${path} ${res.status}`;
      const responses = objectAt(objectAt(paths, path), method, 'responses');
      const documented = responses[String(res.status)];
      expect(documented, `${where} is not documented`).to.be.an('object');
      const content = objectAt(responses, String(res.status))['content'];
      if (content === undefined) {
        expect(res.text ?? '', `${where} documents no body`).to.equal('');
        return;
      }
      const [mediaType] = Object.keys(content as object);
      const actualType = String(res.headers['content-type'] ?? '').split(';')[0];
      expect(actualType, `${where} media type`).to.equal(mediaType);
      const pointer = ['paths', path, method, 'responses', String(res.status), 'content']
        .concat([mediaType ?? '', 'schema'])
        .map(escapePointer)
        .join('/');
      const validate = ajv.compile({ $ref: `${DOC_ID}#/${pointer}` });
      const ok = validate(res.body);
      expect(ok, `${where}: ${ajv.errorsText(validate.errors)}`).to.equal(true);
    },
    declared() {
      return Object.entries(paths).flatMap(([path, operations]) =>
        Object.entries(operations as object).flatMap(([method, op]) =>
          Object.keys(objectAt(op, 'responses')).map(
            (status) => `${method.toUpperCase()} ${path} ${status}`,
          ),
        ),
      );
    },
  };
}

const DOC_ID = 'https://chirp.test/tweets/openapi.json';

function objectAt(value: unknown, ...keys: string[]): Record<string, unknown> {
  let current = value;
  for (const key of keys) {
    current =
      typeof current === 'object' && current !== null ? Reflect.get(current, key) : undefined;
  }
  if (typeof current !== 'object' || current === null) {
    throw new Error(`the OpenAPI document has no object at ${keys.join('.')}`);
  }
  return current as Record<string, unknown>;
}

function escapePointer(segment: string): string {
  return encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));
}
