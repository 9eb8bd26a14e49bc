import type { z } from 'zod';
import { DEFAULT_BODY_LIMIT_BYTES } from '../../platform/middleware/json-body.js';
import { idParam } from '../../platform/middleware/validate.js';
import {
  authErrors,
  bodyErrors,
  jsonRequestBody,
  jsonResponse,
  notFound,
  openApiDocument,
  openIdConnectScheme,
  pageParameters,
  pathParameter,
  problemResponse,
  requiresScope,
} from '../../platform/openapi.js';
import type { OpenApiDocument, OpenApiObject, OpenApiResponses } from '../../platform/openapi.js';
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

export type { OpenApiDocument };

/**
 * The users service's OpenAPI 3.1 document: bodies and answers are generated from the same zod
 * schemas the routes validate and present with; paths and responses are written out below.
 */
export function buildOpenApi(issuer: string): OpenApiDocument {
  return openApiDocument({
    title: 'Chirp users service',
    description:
      'Accounts, profiles and the follow graph. Routes under /internal/ serve other services and are never routed by the gateway.',
    tags: [
      { name: 'users', description: 'Public API, reached through the gateway.' },
      { name: 'internal', description: 'Service-to-service only.' },
    ],
    securitySchemes: openIdConnectScheme(issuer, 'urn:chirp:users'),
    requestSchemas: { CreateUserBody, PasswordCheckBody, BatchBody },
    responseSchemas: {
      User: UserJson,
      UserPage: UserPageJson,
      PasswordCheckResult: PasswordCheckJson,
      FollowingIds: FollowingIdsJson,
      BatchResult: BatchJson,
    },
    paths: PATHS,
  });
}

const pathParam = (name: string, schema: z.ZodType = idParam) => pathParameter(name, schema);

const bodyProblems = bodyErrors(DEFAULT_BODY_LIMIT_BYTES);
const badParam = { '400': problemResponse('A path or query value is invalid (named in detail).') };
const missing = (what: string) => notFound(`${what} does not exist.`);

const operation = (
  o: {
    summary: string;
    scope: string;
    /** A user token is needed (a client_credentials token is 403). */
    userToken?: boolean;
    internal?: boolean;
    parameters?: readonly OpenApiObject[];
    body?: string;
  },
  answers: OpenApiResponses,
) => ({
  summary: o.summary,
  ...(o.userToken === true
    ? { description: 'Needs a user token, not a client_credentials one.' }
    : {}),
  tags: [o.internal === true ? 'internal' : 'users'],
  security: requiresScope(o.scope),
  ...(o.parameters ? { parameters: o.parameters } : {}),
  ...(o.body ? { requestBody: jsonRequestBody(o.body) } : {}),
  responses: { ...answers, ...authErrors() },
});

const followList = (who: string) =>
  operation(
    { summary: who, scope: 'users:read', parameters: [pathParam('id'), ...pageParameters] },
    {
      '200': jsonResponse('A page, newest follow first.', 'UserPage'),
      ...badParam,
      ...missing('The user'),
    },
  );

const follow = (summary: string, answers: OpenApiResponses) =>
  operation(
    { summary, scope: 'users:write', userToken: true, parameters: [pathParam('userId')] },
    { '204': { description: 'Done (also when nothing changed).' }, ...badParam, ...answers },
  );

const PATHS = {
  '/users': {
    post: operation(
      { summary: 'Create an account.', scope: 'users:admin', body: 'CreateUserBody' },
      {
        '201': jsonResponse('The new user.', 'User'),
        ...bodyProblems,
        '409': problemResponse('The handle is taken (in any case).'),
      },
    ),
  },
  '/users/{id}': {
    get: operation(
      { summary: 'A user by id.', scope: 'users:read', parameters: [pathParam('id')] },
      { '200': jsonResponse('The user.', 'User'), ...badParam, ...missing('The user') },
    ),
  },
  '/users/by-handle/{handle}': {
    get: operation(
      {
        summary: 'A user by handle, in any case.',
        scope: 'users:read',
        parameters: [pathParam('handle', Handle)],
      },
      { '200': jsonResponse('The user.', 'User'), ...badParam, ...missing('The user') },
    ),
  },
  '/me': {
    get: operation(
      { summary: "The caller's own profile.", scope: 'users:read', userToken: true },
      { '200': jsonResponse('The user.', 'User'), ...missing("The token's user") },
    ),
  },
  '/me/following/{userId}': {
    put: follow('Follow a user (idempotent).', missing('The user to follow')),
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
        '200': jsonResponse(
          'Whether the pair is valid, and the user when it is.',
          'PasswordCheckResult',
        ),
        ...bodyProblems,
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
      { '200': jsonResponse('The ids.', 'FollowingIds'), ...badParam, ...missing('The user') },
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
      {
        '200': jsonResponse('The users that exist, in the order asked.', 'BatchResult'),
        ...bodyProblems,
      },
    ),
  },
};
