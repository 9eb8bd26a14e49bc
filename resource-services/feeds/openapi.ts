import { z } from 'zod';
import { HomePageJson, ProblemJson } from './schemas.js';

/** An OpenAPI 3.1 document, as plain JSON. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

/**
 * The feeds service's OpenAPI 3.1 document: answers are generated from the zod schemas the
 * presenters are typed by; paths and responses are written out below.
 */
export function buildOpenApi(issuer: string): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chirp feeds service',
      version: '1.0.0',
      description:
        'Home timelines composed from the users and tweets services. When one of them cannot ' +
        'answer, the last composed first page is served marked `degraded: true`.',
    },
    tags: [{ name: 'feeds', description: 'Public API, reached through the gateway.' }],
    components: {
      schemas: componentSchemas({ HomePage: HomePageJson, Problem: ProblemJson }),
      securitySchemes: {
        chirp: {
          type: 'openIdConnect',
          openIdConnectUrl: `${issuer}/.well-known/openid-configuration`,
          description: 'RFC 9068 JWT access tokens for the resource urn:chirp:feeds.',
        },
      },
    },
    paths: PATHS,
  };
}

const REF_PREFIX = '#/components/schemas/';
const ref = (name: string) => ({ $ref: `${REF_PREFIX}${name}` });

function componentSchemas(schemas: Readonly<Record<string, z.ZodType>>) {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) {
    registry.add(schema, { id });
  }
  const generated = z.toJSONSchema(registry, {
    io: 'output',
    uri: (id) => `${REF_PREFIX}${id}`,
  });
  // Each entry is embedded in the document, so it carries neither a dialect nor an id of its own.
  return Object.fromEntries(
    Object.entries(generated.schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [
      id,
      schema,
    ]),
  );
}

const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const challenge = {
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge: bare without a token, error="invalid_token" for a bad one.',
    schema: { type: 'string' },
  },
};

const home = {
  summary: "The caller's home timeline, newest first",
  description:
    'Tweets of the users the caller follows and of the caller, each with its author. Needs a ' +
    'user token with feeds:read (a client_credentials token is 403). When users or tweets ' +
    'cannot answer in time, the first page composed last is answered with `degraded: true`; ' +
    'without one (or for a later page) the answer is 503 with Retry-After.',
  tags: ['feeds'],
  security: [{ chirp: ['feeds:read'] }],
  parameters: [
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
  ],
  responses: {
    '200': {
      description: 'A page of the timeline (cached and marked degraded when a dependency failed).',
      headers: { 'Cache-Control': { schema: { type: 'string', enum: ['no-store'] } } },
      content: { 'application/json': { schema: ref('HomePage') } },
    },
    '400': problem('limit or cursor is invalid (named in detail and errors).'),
    '401': problem('No token, or an invalid, expired or wrong-audience token.', challenge),
    '403': problem('The token lacks feeds:read, or is not a user token.', challenge),
    '503': problem(
      'A dependency failed and no cached timeline can stand in (none yet, or a later page).',
      {
        'Retry-After': {
          description: 'Seconds after which trying again may succeed.',
          schema: { type: 'integer', minimum: 0 },
        },
      },
    ),
  },
};

const PATHS = {
  '/feeds/home': { get: home },
  '/openapi.json': {
    get: {
      summary: 'This document.',
      tags: ['feeds'],
      security: [],
      responses: {
        '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': {} } },
      },
    },
  },
};
