import { DEFAULT_BODY_LIMIT_BYTES } from '../../platform/middleware/json-body.js';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '../../platform/middleware/idempotency-key.js';
import {
  BEARER_SCHEME,
  authErrors,
  bearerScheme,
  bodyErrors,
  jsonRequestBody,
  jsonResponse,
  notFound,
  openApiDocument,
  problemResponse,
  queryParameters,
  requiresScope,
} from '../../platform/openapi.js';
import type { OpenApiDocument } from '../../platform/openapi.js';
import { TWEET_ID_PATTERN } from './ids.js';
import {
  CreateTweetBody,
  ListTweetsQuery,
  TimelineBody,
  TIMELINE_BODY_LIMIT_BYTES,
  TimelineSchema,
  TweetPageSchema,
  TweetSchema,
} from './schemas.js';

export type { OpenApiDocument };

/**
 * The OpenAPI 3.1 description of every route, schemas generated from the same zod schemas the
 * routes validate with, so the document cannot drift from what the service accepts.
 */
export function tweetsOpenApi(): OpenApiDocument {
  return openApiDocument({
    title: 'Chirp tweets service',
    description:
      'Tweets of Chirp users. Routes under /internal/ are for other services and are never ' +
      'routed by the gateway.',
    tags: [
      { name: 'tweets', description: 'Public API (through the gateway).' },
      { name: 'internal', description: 'Service-to-service only.' },
    ],
    securitySchemes: bearerScheme('urn:chirp:tweets'),
    requestSchemas: { CreateTweet: CreateTweetBody, TimelineRequest: TimelineBody },
    responseSchemas: { Tweet: TweetSchema, TweetPage: TweetPageSchema, Timeline: TimelineSchema },
    paths: {
      '/tweets': { post: createTweet, get: listTweets },
      '/tweets/{id}': { get: getTweet, delete: deleteTweet },
      '/internal/timelines': { post: timeline },
    },
  });
}

const needs = (scope: string) => requiresScope(scope, BEARER_SCHEME);

const idParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'A tweet id; an id of another form is 404 like an unknown one.',
  schema: { type: 'string', pattern: TWEET_ID_PATTERN.source },
};

const noSuchTweet = notFound('No tweet has this id.');

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
  requestBody: jsonRequestBody('CreateTweet'),
  responses: {
    201: jsonResponse(
      'The tweet (or, for a repeated Idempotency-Key, the first response again).',
      'Tweet',
      {
        Location: { schema: { type: 'string' }, description: 'The tweet’s URL.' },
        'Idempotent-Replayed': {
          schema: { type: 'string', enum: ['true'] },
          description: 'Present when this response is a replay of an earlier one.',
        },
      },
    ),
    ...bodyErrors(DEFAULT_BODY_LIMIT_BYTES),
    ...authErrors(),
    422: problemResponse('The Idempotency-Key was already used with a different body.'),
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
    200: jsonResponse('A page of tweets.', 'TweetPage'),
    400: problemResponse('Invalid input: `detail` and `errors` name each bad field.'),
    ...authErrors(),
  },
};

const getTweet = {
  tags: ['tweets'],
  summary: 'One tweet',
  security: needs('tweets:read'),
  parameters: [idParameter],
  responses: {
    200: jsonResponse('The tweet.', 'Tweet'),
    ...authErrors(),
    ...noSuchTweet,
  },
};

const deleteTweet = {
  tags: ['tweets'],
  summary: 'Delete one of the caller’s tweets',
  security: needs('tweets:write'),
  parameters: [idParameter],
  responses: {
    204: { description: 'Deleted.' },
    ...authErrors('The caller is not the author, or the token lacks tweets:write or a user.'),
    ...noSuchTweet,
  },
};

const timeline = {
  tags: ['internal'],
  summary: 'The newest tweets of many authors, merged newest first (for feeds)',
  security: needs('tweets:read'),
  requestBody: jsonRequestBody('TimelineRequest'),
  responses: {
    200: jsonResponse('Up to `limit` tweets, newest first.', 'Timeline'),
    ...bodyErrors(TIMELINE_BODY_LIMIT_BYTES),
    ...authErrors(),
  },
};
