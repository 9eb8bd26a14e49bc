import { z } from 'zod';
import { idParam } from '../../platform/middleware/validate.js';
import {
  BatchBody,
  BatchJson,
  CreateUserBody,
  FollowingIdsJson,
  Handle,
  PasswordCheckBody,
  PasswordCheckJson,
  UserJson,
  UserPageJson,
} from './schemas.js';

/** An OpenAPI 3.1 document, as plain JSON. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

/**
 * The users service's OpenAPI 3.1 document: bodies and answers are generated from the same zod
 * schemas the routes validate and present with; paths and responses are written out below.
 */
export function buildOpenApi(issuer: string): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chirp users service',
      version: '1.0.0',
      description:
        'Accounts, profiles and the follow graph. Routes under /internal/ serve other services and are never routed by the gateway.',
    },
    tags: [
      { name: 'users', description: 'Public API, reached through the gateway.' },
      { name: 'internal', description: 'Service-to-service only.' },
    ],
    components: {
      schemas: { ...componentSchemas(requests, 'input'), ...componentSchemas(responses, 'output') },
      securitySchemes: {
        chirp: {
          type: 'openIdConnect',
          openIdConnectUrl: `${issuer}/.well-known/openid-configuration`,
          description: 'RFC 9068 JWT access tokens for the resource urn:chirp:users.',
        },
      },
    },
    paths: PATHS,
  };
}

const REF_PREFIX = '#/components/schemas/';
const ref = (name: string) => ({ $ref: `${REF_PREFIX}${name}` });

const ProblemJson = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  requestId: z.string(),
  errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
  scope: z.string().optional(),
});

type Registry = ReturnType<typeof z.registry<{ id: string }>>;

function registryOf(schemas: Readonly<Record<string, z.ZodType>>): Registry {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) {
    registry.add(schema, { id });
  }
  return registry;
}

const requests = registryOf({ CreateUserBody, PasswordCheckBody, BatchBody });
const responses = registryOf({
  User: UserJson,
  UserPage: UserPageJson,
  PasswordCheckResult: PasswordCheckJson,
  FollowingIds: FollowingIdsJson,
  BatchResult: BatchJson,
  Problem: ProblemJson,
});

/** Request bodies are documented as clients write them, answers as the service sends them. */
function componentSchemas(registry: Registry, io: 'input' | 'output') {
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `${REF_PREFIX}${id}` });
  // Each entry is embedded in the document, so it carries neither a dialect nor an id of its own.
  return Object.fromEntries(
    Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [id, schema]),
  );
}

function paramSchema(schema: z.ZodType) {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}

const pathParam = (name: string, schema: z.ZodType = idParam) => ({
  name,
  in: 'path',
  required: true,
  schema: paramSchema(schema),
});

const pageParams = [
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  },
  {
    name: 'cursor',
    in: 'query',
    description: 'The nextCursor of the previous page.',
    schema: { type: 'string' },
  },
];

const json = (description: string, schema: string) => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
});
const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: ref('Problem') } },
});
const challenge = { 'WWW-Authenticate': { schema: { type: 'string' } } };

/** The errors every authenticated route can answer. */
const authErrors = {
  '401': problem('No token, or an invalid, expired or wrong-audience token.', challenge),
  '403': problem(
    'The token lacks the scope (or is not a user token where one is needed).',
    challenge,
  ),
};
const bodyErrors = {
  '400': problem('Malformed JSON, or a field is invalid (named in detail and errors).'),
  '413': problem('The body is larger than 64 KiB.'),
  '415': problem('The body is not application/json.'),
};
const badParam = { '400': problem('A path or query value is invalid (named in detail).') };
const notFound = (what: string) => ({ '404': problem(`${what} does not exist.`) });

const operation = (
  o: {
    summary: string;
    scope: string;
    /** A user token is needed (a client_credentials token is 403). */
    userToken?: boolean;
    internal?: boolean;
    parameters?: unknown[];
    body?: string;
  },
  answers: Record<string, unknown>,
) => ({
  summary: o.summary,
  ...(o.userToken === true
    ? { description: 'Needs a user token, not a client_credentials one.' }
    : {}),
  tags: [o.internal === true ? 'internal' : 'users'],
  security: [{ chirp: [o.scope] }],
  ...(o.parameters ? { parameters: o.parameters } : {}),
  ...(o.body
    ? { requestBody: { required: true, content: { 'application/json': { schema: ref(o.body) } } } }
    : {}),
  responses: { ...answers, ...authErrors },
});

const followList = (who: string) =>
  operation(
    { summary: who, scope: 'users:read', parameters: [pathParam('id'), ...pageParams] },
    {
      '200': json('A page, newest follow first.', 'UserPage'),
      ...badParam,
      ...notFound('The user'),
    },
  );

const follow = (summary: string, answers: Record<string, unknown>) =>
  operation(
    { summary, scope: 'users:write', userToken: true, parameters: [pathParam('userId')] },
    { '204': { description: 'Done (also when nothing changed).' }, ...badParam, ...answers },
  );

const PATHS = {
  '/users': {
    post: operation(
      { summary: 'Create an account.', scope: 'users:admin', body: 'CreateUserBody' },
      {
        '201': json('The new user.', 'User'),
        ...bodyErrors,
        '409': problem('The handle is taken (in any case).'),
      },
    ),
  },
  '/users/{id}': {
    get: operation(
      { summary: 'A user by id.', scope: 'users:read', parameters: [pathParam('id')] },
      { '200': json('The user.', 'User'), ...badParam, ...notFound('The user') },
    ),
  },
  '/users/by-handle/{handle}': {
    get: operation(
      {
        summary: 'A user by handle, in any case.',
        scope: 'users:read',
        parameters: [pathParam('handle', Handle)],
      },
      { '200': json('The user.', 'User'), ...badParam, ...notFound('The user') },
    ),
  },
  '/me': {
    get: operation(
      { summary: "The caller's own profile.", scope: 'users:read', userToken: true },
      { '200': json('The user.', 'User'), ...notFound("The token's user") },
    ),
  },
  '/me/following/{userId}': {
    put: follow('Follow a user (idempotent).', {
      ...notFound('The user to follow'),
    }),
    delete: follow('Unfollow a user (idempotent).', {}),
  },
  '/users/{id}/following': { get: followList('Whom a user follows.') },
  '/users/{id}/followers': { get: followList('Who follows a user.') },
  '/internal/password-checks': {
    post: operation(
      {
        summary:
          'Check a handle and password (for the auth server); never says whether the handle exists.',
        scope: 'users:credentials',
        internal: true,
        body: 'PasswordCheckBody',
      },
      {
        '200': json('Whether the pair is valid, and the user when it is.', 'PasswordCheckResult'),
        ...bodyErrors,
      },
    ),
  },
  '/internal/users/{id}/following-ids': {
    get: operation(
      {
        summary: 'Ids of everyone a user follows, up to 5,000 (for feeds).',
        scope: 'users:read',
        internal: true,
        parameters: [pathParam('id')],
      },
      { '200': json('The ids.', 'FollowingIds'), ...badParam, ...notFound('The user') },
    ),
  },
  '/internal/users/batch': {
    post: operation(
      {
        summary: 'The users among up to 500 ids (for feeds).',
        scope: 'users:read',
        internal: true,
        body: 'BatchBody',
      },
      { '200': json('The users that exist, in the order asked.', 'BatchResult'), ...bodyErrors },
    ),
  },
  '/openapi.json': {
    get: {
      summary: 'This document.',
      tags: ['users'],
      security: [],
      responses: {
        '200': { description: 'The OpenAPI 3.1 document.', content: { 'application/json': {} } },
      },
    },
  },
};
