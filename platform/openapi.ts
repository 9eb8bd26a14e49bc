import { z } from 'zod';
import type { ResourceId } from '../config/resources.js';

/** An OpenAPI 3.1 document, as plain JSON. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

/** One object of an OpenAPI document (an operation, a response, a parameter…), as plain JSON. */
export type OpenApiObject = Readonly<Record<string, unknown>>;

/** Responses by status code, as an operation's `responses` lists them. */
export type OpenApiResponses = Readonly<Record<string, OpenApiObject>>;

/** Zod schemas by the component name they get under `#/components/schemas/`. */
export type NamedSchemas = Readonly<Record<string, z.ZodType>>;

/** A tag of the document, with what the operations under it are for. */
export interface OpenApiTag {
  readonly name: string;
  readonly description: string;
}

/** What makes one service's document; {@link openApiDocument} adds what every document has. */
export interface OpenApiDocumentParts {
  readonly title: string;
  readonly description: string;
  /** The first tag is the service's public one; it also tags `GET /openapi.json`. */
  readonly tags: readonly [OpenApiTag, ...OpenApiTag[]];
  /** From {@link openIdConnectScheme} or {@link bearerScheme}. */
  readonly securitySchemes: OpenApiObject;
  /** Request bodies, documented as clients write them (zod input). */
  readonly requestSchemas?: NamedSchemas;
  /** Answers, documented as the service sends them (zod output); `Problem` is added. */
  readonly responseSchemas: NamedSchemas;
  /** The service's own paths; `/openapi.json` is added after them. */
  readonly paths: OpenApiObject;
}

/** The component name of {@link ProblemJson} in every document. */
export const PROBLEM_SCHEMA = 'Problem';

/**
 * An RFC 9457 problem as platform/middleware/problem-json.ts renders it: the request id always,
 * `errors` for invalid input (one `{ field, message }` per bad field), `scope` for a 403.
 */
export const ProblemJson = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string().optional(),
  requestId: z.string(),
  errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
  scope: z.string().optional(),
});

/** The key of {@link openIdConnectScheme} under `components.securitySchemes`. */
export const OPENID_CONNECT_SCHEME = 'chirp';

/** The key of {@link bearerScheme} under `components.securitySchemes`. */
export const BEARER_SCHEME = 'bearer';

/**
 * The whole document: OpenAPI 3.1, `info`, the tags, the paths followed by `GET /openapi.json`,
 * and the components generated from the zod schemas plus {@link ProblemJson}.
 */
export function openApiDocument(parts: OpenApiDocumentParts): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: { title: parts.title, version: '1.0.0', description: parts.description },
    tags: parts.tags,
    components: {
      schemas: {
        ...componentSchemas(parts.requestSchemas ?? {}, 'input'),
        ...componentSchemas({ ...parts.responseSchemas, [PROBLEM_SCHEMA]: ProblemJson }, 'output'),
      },
      securitySchemes: parts.securitySchemes,
    },
    paths: { ...parts.paths, '/openapi.json': { get: documentOperation(parts.tags[0].name) } },
  };
}

/**
 * RFC 9068 JWT access tokens for `resource`, described by the issuer's OpenID Connect discovery
 * document; operations name it with {@link requiresScope}.
 */
export function openIdConnectScheme(issuer: string, resource: ResourceId): OpenApiObject {
  return {
    [OPENID_CONNECT_SCHEME]: {
      type: 'openIdConnect',
      openIdConnectUrl: `${issuer}/.well-known/openid-configuration`,
      description: tokenDescription(resource),
    },
  };
}

/**
 * RFC 9068 JWT access tokens for `resource` as a plain HTTP bearer scheme, for a document built
 * without the issuer; operations name it with `requiresScope(scope, BEARER_SCHEME)`.
 */
export function bearerScheme(resource: ResourceId): OpenApiObject {
  return {
    [BEARER_SCHEME]: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: tokenDescription(resource),
    },
  };
}

/** An operation's `security`: a token of `scheme` carrying `scope`. */
export function requiresScope(
  scope: string,
  scheme: string = OPENID_CONNECT_SCHEME,
): readonly OpenApiObject[] {
  return [{ [scheme]: [scope] }];
}

/** A reference to the component schema `name`. */
export function schemaRef(name: string): { readonly $ref: string } {
  return { $ref: `${SCHEMAS}${name}` };
}

/**
 * JSON Schemas of the named zod schemas, as the document's components: they refer to each other
 * by `#/components/schemas/<name>`, request bodies as clients write them (`io: 'input'`),
 * answers as the service sends them (`io: 'output'`).
 */
export function componentSchemas(
  schemas: NamedSchemas,
  io: 'input' | 'output',
): Record<string, OpenApiObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) {
    registry.add(schema, { id });
  }
  const generated = z.toJSONSchema(registry, { io, uri: (id) => `${SCHEMAS}${id}` });
  // Each entry is embedded in the document, so it carries neither a dialect nor an id of its own.
  return Object.fromEntries(
    Object.entries(generated.schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [
      id,
      schema,
    ]),
  );
}

/** The JSON Schema of a parameter's zod schema, as the client writes the value. */
export function parameterSchema(schema: z.ZodType): OpenApiObject {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}

/** A required path parameter `name` whose value `schema` checks. */
export function pathParameter(name: string, schema: z.ZodType): OpenApiObject {
  return { name, in: 'path', required: true, schema: parameterSchema(schema) };
}

/** One query parameter per property of a zod object, each with its description. */
export function queryParameters(
  schema: z.ZodObject,
  descriptions: Readonly<Record<string, string>>,
): OpenApiObject[] {
  const generated = parameterSchema(schema) as {
    readonly properties?: Readonly<Record<string, unknown>>;
    readonly required?: readonly string[];
  };
  const required = new Set(generated.required ?? []);
  return Object.entries(generated.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    description: descriptions[name],
    schema: property,
  }));
}

/** `limit` and `cursor`, the query of every paged list answered as `{ items, nextCursor }`. */
export const pageParameters: readonly OpenApiObject[] = [
  {
    name: 'limit',
    in: 'query',
    description: 'Page size, 1 to 100 (default 20).',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  {
    name: 'cursor',
    in: 'query',
    description: 'The nextCursor of the previous page.',
    schema: { type: 'string' },
  },
];

/** A required JSON request body of the component schema `name`. */
export function jsonRequestBody(name: string): OpenApiObject {
  return { required: true, content: { 'application/json': { schema: schemaRef(name) } } };
}

/** A JSON answer of the component schema `name`. */
export function jsonResponse(
  description: string,
  name: string,
  headers?: OpenApiObject,
): OpenApiObject {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: schemaRef(name) } },
  };
}

/** An `application/problem+json` answer ({@link ProblemJson}). */
export function problemResponse(description: string, headers?: OpenApiObject): OpenApiObject {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: schemaRef(PROBLEM_SCHEMA) } },
  };
}

/** The RFC 6750 `WWW-Authenticate` header of a 401 or 403. */
export const challengeHeader: OpenApiObject = {
  'WWW-Authenticate': {
    description:
      'RFC 6750 challenge: bare without a token, error="invalid_token" for a bad one, ' +
      'error="insufficient_scope" for a missing scope.',
    schema: { type: 'string' },
  },
};

/** The 401 and 403 every route behind a bearer token answers; `forbidden` describes the 403. */
export function authErrors(
  forbidden = 'The token lacks the scope (or is not a user token where one is needed).',
): OpenApiResponses {
  return {
    '401': problemResponse(
      'No token, or an invalid, expired or wrong-audience token.',
      challengeHeader,
    ),
    '403': problemResponse(forbidden, challengeHeader),
  };
}

/** The 400, 413 and 415 of every route that reads a JSON body of at most `limitBytes`. */
export function bodyErrors(limitBytes: number): OpenApiResponses {
  return {
    '400': problemResponse('Malformed JSON, or a field is invalid (named in detail and errors).'),
    '413': problemResponse(`The body is larger than ${sizeOf(limitBytes)}.`),
    '415': problemResponse('The body is not application/json.'),
  };
}

/** A 404 problem. */
export function notFound(description: string): OpenApiResponses {
  return { '404': problemResponse(description) };
}

/** A 503 problem with the Retry-After the platform sends with it. */
export function unavailable(description: string): OpenApiResponses {
  return {
    '503': problemResponse(description, {
      'Retry-After': {
        description: 'Seconds after which trying again may succeed.',
        schema: { type: 'integer', minimum: 0 },
      },
    }),
  };
}

const SCHEMAS = '#/components/schemas/';

function tokenDescription(resource: ResourceId): string {
  return `RFC 9068 JWT access tokens for the resource ${resource}.`;
}

function sizeOf(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}

/** GET /openapi.json: public, so clients and contract tests can read it without a token. */
function documentOperation(tag: string): OpenApiObject {
  return {
    summary: 'This document.',
    tags: [tag],
    security: [],
    responses: {
      '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': {} } },
    },
  };
}
