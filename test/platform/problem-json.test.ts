import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import { pino } from 'pino';
import request from 'supertest';
import type { Response } from 'supertest';
import { ProblemError } from '../../platform/errors.js';
import { createMetrics } from '../../platform/observability/metrics.js';
import { createService, mountRouters } from '../../platform/service.js';

const PROBLEM_JSON = /^application\/problem\+json(;|$)/;
const LEAKY_MESSAGE = 'connect ECONNREFUSED db.internal:5432 as chirp_admin';

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { message?: string };
}

/** The body of a problem response, with the request id echoed in X-Request-Id. */
function problemOf(res: Response): Record<string, unknown> {
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  const body = res.body as Record<string, unknown>;
  expect(body['requestId'], 'requestId matches X-Request-Id').to.equal(res.headers['x-request-id']);
  expect(body['status'], 'status field').to.equal(res.status);
  return body;
}

describe('problem+json error rendering', function () {
  let app: Koa;
  let logs: LogLine[];

  beforeEach(function () {
    logs = [];
    const logger = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          logs.push(JSON.parse(line) as LogLine);
        },
      },
    );
    app = createService({ logger, metrics: createMetrics('problem-test'), readiness: {} });
    const router = new Router();
    router.get('/taken', () => {
      throw new ProblemError({
        status: 409,
        title: 'Conflict',
        detail: 'The handle alice is taken.',
        type: 'https://chirp.example/problems/handle-taken',
        extensions: { handle: 'alice' },
      });
    });
    router.get('/slow-down', () => {
      throw ProblemError.tooManyRequests(30);
    });
    router.get('/crash', () => {
      throw new Error(LEAKY_MESSAGE);
    });
    router.post('/upload', (ctx) => {
      ctx.throw(413);
    });
    mountRouters(app, [router]);
  });

  it('renders a thrown ProblemError with its status, type, title, detail and extensions', async function () {
    const res = await request(app.callback()).get('/taken').expect(409);
    expect(problemOf(res)).to.deep.equal({
      type: 'https://chirp.example/problems/handle-taken',
      title: 'Conflict',
      status: 409,
      detail: 'The handle alice is taken.',
      handle: 'alice',
      requestId: res.headers['x-request-id'],
    });
  });

  it("puts the caller's X-Request-Id in the problem body", async function () {
    const res = await request(app.callback())
      .get('/taken')
      .set('X-Request-Id', 'trace-me-42')
      .expect(409);
    expect(problemOf(res)['requestId']).to.equal('trace-me-42');
  });

  it("sends a ProblemError's headers, such as Retry-After on 429", async function () {
    const res = await request(app.callback()).get('/slow-down').expect(429);
    expect(res.headers['retry-after']).to.equal('30');
    expect(problemOf(res)).to.include({ title: 'Too Many Requests', type: 'about:blank' });
  });

  it('answers a plain Error with a 500 problem that hides its message', async function () {
    const res = await request(app.callback()).get('/crash').expect(500);
    const body = problemOf(res);
    expect(body).to.deep.equal({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      requestId: res.headers['x-request-id'],
    });
    expect(res.text).not.to.include('ECONNREFUSED');
  });

  it('logs the hidden message of a 500 with the request id', async function () {
    const res = await request(app.callback()).get('/crash').expect(500);
    const errors = logs.filter((l) => l.level >= 50);
    expect(errors).to.not.be.empty;
    expect(errors.every((l) => l.requestId === res.headers['x-request-id'])).to.equal(true);
    expect(errors.some((l) => l.err?.message === LEAKY_MESSAGE)).to.equal(true);
  });

  it('renders a Koa ctx.throw(413) as a 413 problem', async function () {
    const res = await request(app.callback()).post('/upload').send({ big: true }).expect(413);
    expect(problemOf(res)).to.include({
      type: 'about:blank',
      title: 'Content Too Large',
      status: 413,
    });
  });

  it('returns 404 problem+json for an unknown route', async function () {
    const res = await request(app.callback()).get('/no/such/route').expect(404);
    expect(problemOf(res)).to.include({ title: 'Not Found', status: 404 });
  });

  it('returns 405 problem+json with an Allow header for a known path and another method', async function () {
    const res = await request(app.callback()).delete('/taken').expect(405);
    expect(problemOf(res)).to.include({ title: 'Method Not Allowed' });
    expect(res.headers['allow'], 'RFC 9110 §15.5.6: a 405 response MUST send Allow')
      .to.be.a('string')
      .that.includes('GET');
  });
});
