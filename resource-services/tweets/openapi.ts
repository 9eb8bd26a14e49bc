import { z } from 'zod';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../../platform/middleware/idempotency-key.js';
import { TWEET_ID_PATTERN } from './ids.js';
import {
  CreateTweetBody,
  ListTweetsQuery,
  ProblemSchema,
  TimelineBody,
  TIMELINE_BODY_LIMIT_BYTES,
  TimelineSchema,
  TweetPageSchema,
  TweetSchema,
} from './schemas.js';

/** A JSON object of the OpenAPI document. */
export type OpenApiDocument = Readonly<Record<string, unknown>>;

/**
 * The OpenAPI 3.1 description of every route, schemas generated from the same zod schemas the
 * routes validate with, so the document cannot drift from what the service accepts.
 */
export function tweetsOpenApi(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Chirp tweets service',
      version: '1.0.0',
      description:
        'Tweets of Chirp users. Routes under /internal/ are for other services and are never ' +
        'routed by the gateway.',
    },
    tags: [
      { name: 'tweets', description: 'Public API (through the gateway).' },
      { name: 'internal', description: 'Service-to-service only.' },
    ],
    paths: {
      '/tweets': { post: createTweet, get: listTweets },
      '/tweets/{id}': { get: getTweet, delete: deleteTweet },
      '/internal/timelines': { post: timeline },
      '/openapi.json': { get: openApi },
    },
    components: {
      schemas: { ...schemasOf(requestSchemas, 'input'), ...schemasOf(responseSchemas, 'output') },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'RFC 9068 access token for the resource urn:chirp:tweets.',
        },
      },
    },
  };
}

const requestSchemas = { CreateTweet: CreateTweetBody, TimelineRequest: TimelineBody };
const responseSchemas = {
  Tweet: TweetSchema,
  TweetPage: TweetPageSchema,
  Timeline: TimelineSchema,
  Problem: ProblemSchema,
};

/** Component schemas from zod, referring to each other by `#/components/schemas/<name>`. */
function schemasOf(
  schemas: Readonly<Record<string, z.ZodType>>,
  io: 'input' | 'output',
): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) {
    registry.add(schema, { id });
  }
  const generated = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` });
  // A component is not a standalone document: $schema is the OpenAPI default and a
  // fragment-only $id is not a valid identifier.
  return Object.fromEntries(
    Object.entries(generated.schemas).map(([id, { $schema: _s, $id: _i, ...schema }]) => [
      id,
      schema,
    ]),
  );
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });

function problem(description: string, headers?: Record<string, unknown>) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
}

const challenge = {
  'WWW-Authenticate': {
    description: 'RFC 6750 challenge: bare without a token, error="invalid_token" for a bad one.',
    schema: { type: 'string' },
  },
};

const needs = (scope: string) => [{ bearer: [scope] }];

const authProblems = {
  401: problem('No token, or an invalid, expired or wrong-audience token.', challenge),
  403: problem('The token lacks the scope (or is not a user token where one is needed).', {
    'WWW-Authenticate': { schema: { type: 'string' }, required: false },
  }),
};

const bodyProblems = {
  400: problem('Invalid input: `detail` and `errors` name each bad field.'),
  413: problem('The body is larger than 64 KiB.'),
  415: problem('The body is not JSON.'),
};

const timelineBodyProblems = {
  ...bodyProblems,
  413: problem(`The body is larger than ${TIMELINE_BODY_LIMIT_BYTES} bytes.`),
};

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'A tweet id; an id of another form is 404 like an unknown one.',
  schema: { type: 'string', pattern: TWEET_ID_PATTERN.source },
};

const createTweet = {
  tags: ['tweets'],
  summary: 'Post a tweet as the token’s user',
  description:
    'Needs a user token with tweets:write; the author is the token’s subject. With an ' +
    'Idempotency-Key, the same key and body from the same author within 24 hours replay the ' +
    'first response instead of posting again.',
  security: needs('tweets:write'),
  parameters: [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: {
        type: 'string',
        minLength: 1,
        maxLength: MAX_IDEMPOTENCY_KEY_LENGTH,
        pattern: '^[\\x20-\\x7E]+$',
      },
    },
  ],
  requestBody: { required: true, content: json('CreateTweet') },
  responses: {
    201: {
      description: 'The tweet (or, for a repeated Idempotency-Key, the first response again).',
      headers: {
        Location: { schema: { type: 'string' }, description: 'The tweet’s URL.' },
        'Idempotent-Replayed': {
          schema: { type: 'string', enum: ['true'] },
          description: 'Present when this response is a replay of an earlier one.',
        },
      },
      content: json('Tweet'),
    },
    ...bodyProblems,
    ...authProblems,
    422: problem('The Idempotency-Key was already used with a different body.'),
  },
};

const listTweets = {
  tags: ['tweets'],
  summary: 'An author’s tweets, newest first',
  security: needs('tweets:read'),
  parameters: queryParameters(ListTweetsQuery, {
    author: 'The author’s user id.',
    limit: 'Page size, 1 to 100 (default 20).',
    cursor: 'The nextCursor of the previous page.',
  }),
  responses: {
    200: { description: 'A page of tweets.', content: json('TweetPage') },
    400: bodyProblems[400],
    ...authProblems,
  },
};

const getTweet = {
  tags: ['tweets'],
  summary: 'One tweet',
  security: needs('tweets:read'),
  parameters: [idParameter],
  responses: {
    200: { description: 'The tweet.', content: json('Tweet') },
    ...authProblems,
    404: problem('No tweet has this id.'),
  },
};

const deleteTweet = {
  tags: ['tweets'],
  summary: 'Delete one of the caller’s tweets',
  security: needs('tweets:write'),
  parameters: [idParameter],
  responses: {
    204: { description: 'Deleted.' },
    ...authProblems,
    403: problem('The caller is not the author, or the token lacks tweets:write or a user.', {
      'WWW-Authenticate': { schema: { type: 'string' }, required: false },
    }),
    404: problem('No tweet has this id.'),
  },
};

const timeline = {
  tags: ['internal'],
  summary: 'The newest tweets of many authors, merged newest first (for feeds)',
  security: needs('tweets:read'),
  requestBody: { required: true, content: json('TimelineRequest') },
  responses: {
    200: { description: 'Up to `limit` tweets, newest first.', content: json('Timeline') },
    ...timelineBodyProblems,
    ...authProblems,
  },
};

const openApi = {
  tags: ['tweets'],
  summary: 'This document',
  security: [],
  responses: {
    200: { description: 'OpenAPI 3.1.', content: { 'application/json': { schema: {} } } },
  },
};

function queryParameters(schema: z.ZodObject, descriptions: Readonly<Record<string, string>>) {
  const generated = z.toJSONSchema(schema, { io: 'input' });
  const required = new Set(generated.required ?? []);
  return Object.entries(generated.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    description: descriptions[name],
    schema: property,
  }));
}
