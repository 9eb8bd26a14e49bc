import {
  authErrors,
  jsonResponse,
  openApiDocument,
  openIdConnectScheme,
  pageParameters,
  problemResponse,
  requiresScope,
  unavailable,
} from '../../platform/openapi.js';
import type { OpenApiDocument } from '../../platform/openapi.js';
import { HomePageJson } from './schemas.js';

export type { OpenApiDocument };

/**
 * The feeds service's OpenAPI 3.1 document: answers are generated from the zod schemas the
 * presenters are typed by; paths and responses are written out below.
 */
export function buildOpenApi(issuer: string): OpenApiDocument {
  return openApiDocument({
    title: 'Chirp feeds service',
    description:
      'Home timelines composed from the users and tweets services. When one of them cannot ' +
      'answer, the last composed first page is served marked `degraded: true`.',
    tags: [{ name: 'feeds', description: 'Public API, reached through the gateway.' }],
    securitySchemes: openIdConnectScheme(issuer, 'urn:chirp:feeds'),
    responseSchemas: { HomePage: HomePageJson },
    paths: { '/feeds/home': { get: home } },
  });
}

const home = {
  summary: "The caller's home timeline, newest first",
  description:
    'Tweets of the users the caller follows and of the caller, each with its author. Needs a ' +
    'user token with feeds:read (a client_credentials token is 403). When users or tweets ' +
    'cannot answer in time, the first page composed last is answered with `degraded: true`; ' +
    'without one (or for a later page) the answer is 503 with Retry-After.',
  tags: ['feeds'],
  security: requiresScope('feeds:read'),
  parameters: pageParameters,
  responses: {
    '200': jsonResponse(
      'A page of the timeline (cached and marked degraded when a dependency failed).',
      'HomePage',
      { 'Cache-Control': { schema: { type: 'string', enum: ['no-store'] } } },
    ),
    '400': problemResponse('limit or cursor is invalid (named in detail and errors).'),
    ...authErrors('The token lacks feeds:read, or is not a user token.'),
    ...unavailable(
      'A dependency failed and no cached timeline can stand in (none yet, or a later page).',
    ),
  },
};
