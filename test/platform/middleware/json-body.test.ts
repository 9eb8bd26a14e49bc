import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import { quietService } from '../../helpers/service.js';
import request from 'supertest';
import type { Response } from 'supertest';
import { DEFAULT_BODY_LIMIT_BYTES, jsonBody } from '../../../platform/middleware/json-body.js';
import { mountRouters } from '../../../platform/service.js';

const PROBLEM_JSON = /^application\/problem\+json(;|$)/;
const KIB_64 = 64 * 1024;

/** A JSON document of exactly `bytes` bytes: {"t":"aaa…"}. */
function jsonOfSize(bytes: number): string {
  const frame = '{"t":""}';
  return `{"t":"${'a'.repeat(bytes - frame.length)}"}`;
}

function problemOf(res: Response, status: number): Record<string, unknown> {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  return res.body as Record<string, unknown>;
}

/** Sends `body` in chunks with no Content-Length, so it goes out chunked. */
async function postChunked(app: Koa, path: string, chunks: readonly string[]): Promise<Response> {
  const req = request(app.callback()).post(path).type('json');
  for (const chunk of chunks) {
    req.write(chunk);
  }
  return await req;
}

describe('jsonBody()', function () {
  let app: Koa;
  let handled: number;

  beforeEach(function () {
    handled = 0;
    app = quietService();
    const router = new Router();
    const echo = (ctx: Koa.Context): void => {
      handled += 1;
      ctx.body = { got: ctx.request.body };
    };
    router.post('/echo', jsonBody(), echo);
    router.post('/small', jsonBody({ limitBytes: 10 }), echo);
    mountRouters(app, [router]);
  });

  describe('parsing', function () {
    it('puts the parsed JSON on ctx.request.body', async function () {
      const res = await request(app.callback())
        .post('/echo')
        .send({ text: 'hi', n: [1, 2] })
        .expect(200);
      expect(res.body).to.deep.equal({ got: { text: 'hi', n: [1, 2] } });
    });

    it('accepts any JSON value, such as a bare string', async function () {
      const res = await request(app.callback())
        .post('/echo')
        .type('json')
        .send('"hello"')
        .expect(200);
      expect(res.body).to.deep.equal({ got: 'hello' });
    });

    it('accepts application/json; charset=utf-8 and a +json type', async function () {
      for (const type of [
        'application/json; charset=utf-8',
        'Application/JSON;Charset="UTF-8"',
        'application/merge-patch+json',
      ]) {
        const res = await request(app.callback())
          .post('/echo')
          .set('Content-Type', type)
          .send('{"a":1}');
        expect(res.status, type).to.equal(200);
        expect(res.body).to.deep.equal({ got: { a: 1 } });
      }
    });

    it('decodes multi-byte UTF-8 split across chunks', async function () {
      const bytes = Buffer.from('{"t":"héllo🙂"}', 'utf8');
      const req = request(app.callback()).post('/echo').type('json');
      // Split inside the 4-byte emoji so a per-chunk decode would corrupt it.
      req.write(bytes.subarray(0, 12));
      req.write(bytes.subarray(12));
      const res = await req.expect(200);
      expect(res.body).to.deep.equal({ got: { t: 'héllo🙂' } });
    });
  });

  describe('413 Content Too Large', function () {
    it('refuses a declared Content-Length over the limit before reading, and quickly', async function () {
      const started = Date.now();
      // Declares 10 MB but sends two bytes: only a server that does not wait for the body answers.
      const res = await request(app.callback())
        .post('/echo')
        .set('Content-Type', 'application/json')
        .set('Content-Length', String(10 * 1024 * 1024))
        .send('{}')
        // A server waiting for the declared 10 MB would never answer: fail fast instead.
        .timeout(3000);
      const body = problemOf(res, 413);
      expect(Date.now() - started, 'ms to answer').to.be.below(2000);
      expect(body).to.include({ title: 'Content Too Large', status: 413 });
      expect(body['detail']).to.equal(`The request body must be at most ${KIB_64} bytes.`);
      expect(res.headers['connection']).to.equal('close');
      expect(handled, 'handler runs').to.equal(0);
    });

    it('answers 413 before the client has sent a byte of a declared-too-large body', async function () {
      this.timeout(5000);
      const server = app.listen(0);
      try {
        const { port } = server.address() as AddressInfo;
        const status = await new Promise<number | undefined>((resolve, reject) => {
          const req = http.request({
            port,
            method: 'POST',
            path: '/echo',
            headers: { 'Content-Type': 'application/json', 'Content-Length': 10 * 1024 * 1024 },
          });
          req.on('response', (res) => {
            res.resume();
            resolve(res.statusCode);
            req.destroy();
          });
          req.on('error', reject);
          // Headers only: the body is never written.
          req.flushHeaders();
        });
        expect(status).to.equal(413);
        expect(handled).to.equal(0);
      } finally {
        server.close();
      }
    });

    it('refuses a chunked body as soon as it passes the limit', async function () {
      const chunk = 'a'.repeat(16 * 1024);
      const chunks = ['{"t":"', chunk, chunk, chunk, chunk, '"}'];
      const res = await postChunked(app, '/echo', chunks);
      expect(problemOf(res, 413)).to.include({ title: 'Content Too Large' });
      expect(handled).to.equal(0);
    });

    it('answers a never-ending chunked body with 413 without waiting for its end', async function () {
      this.timeout(5000);
      const server = app.listen(0);
      try {
        const { port } = server.address() as AddressInfo;
        const chunk = Buffer.alloc(16 * 1024, 'a');
        const outcome = await new Promise<{ status?: number; sent: number }>((resolve, reject) => {
          let sent = 0;
          let answered = false;
          const req = http.request({
            port,
            method: 'POST',
            path: '/echo',
            headers: { 'Content-Type': 'application/json' },
          });
          req.on('response', (res) => {
            answered = true;
            res.resume();
            resolve({ status: res.statusCode, sent });
            req.destroy();
          });
          req.on('error', (e) => {
            if (!answered) {
              reject(e);
            }
          });
          // Up to 50 MB: far more than the socket buffers, so only an early answer ends this.
          const pump = (): void => {
            if (answered || sent >= 50 * 1024 * 1024) {
              return;
            }
            sent += chunk.length;
            if (req.write(chunk)) {
              setImmediate(pump);
            } else {
              req.once('drain', pump);
            }
          };
          pump();
        });
        expect(outcome.status).to.equal(413);
        expect(outcome.sent, 'bytes the client sent before the answer').to.be.below(
          50 * 1024 * 1024,
        );
        expect(handled).to.equal(0);
      } finally {
        server.close();
      }
    });

    it('accepts a body of exactly the limit, declared or chunked', async function () {
      const body = jsonOfSize(DEFAULT_BODY_LIMIT_BYTES);
      expect(Buffer.byteLength(body)).to.equal(KIB_64);
      const declared = await request(app.callback()).post('/echo').type('json').send(body);
      expect(declared.status, declared.text).to.equal(200);
      const chunked = await postChunked(app, '/echo', [body.slice(0, 1000), body.slice(1000)]);
      expect(chunked.status, chunked.text).to.equal(200);
      expect(handled).to.equal(2);
    });

    it('refuses one byte over the limit, declared or chunked', async function () {
      const body = jsonOfSize(DEFAULT_BODY_LIMIT_BYTES + 1);
      const declared = await request(app.callback()).post('/echo').type('json').send(body);
      problemOf(declared, 413);
      const chunked = await postChunked(app, '/echo', [body.slice(0, 1000), body.slice(1000)]);
      problemOf(chunked, 413);
      expect(handled).to.equal(0);
    });

    it('honours a smaller limitBytes', async function () {
      await request(app.callback()).post('/small').type('json').send('"12345678"').expect(200);
      const res = await request(app.callback()).post('/small').type('json').send('"123456789"');
      expect(problemOf(res, 413)['detail']).to.equal('The request body must be at most 10 bytes.');
    });
  });

  describe('415 Unsupported Media Type', function () {
    for (const type of [
      'text/plain',
      'application/xml',
      'application/jsonp',
      'multipart/form-data',
    ]) {
      it(`refuses Content-Type ${type}`, async function () {
        const res = await request(app.callback())
          .post('/echo')
          .set('Content-Type', type)
          .send('{"a":1}');
        expect(problemOf(res, 415)).to.include({ title: 'Unsupported Media Type' });
        expect(handled).to.equal(0);
      });
    }

    it('refuses a missing Content-Type', async function () {
      const res = await request(app.callback()).post('/echo');
      expect(problemOf(res, 415)['detail']).to.equal(
        'Content-Type must be application/json (UTF-8).',
      );
    });

    it('refuses JSON declared in another charset', async function () {
      const res = await request(app.callback())
        .post('/echo')
        .set('Content-Type', 'application/json; charset=iso-8859-1')
        .send('{"a":1}');
      problemOf(res, 415);
    });

    it('refuses a content-encoded (gzip) body', async function () {
      const res = await request(app.callback())
        .post('/echo')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send('{"a":1}');
      problemOf(res, 415);
      expect(handled).to.equal(0);
    });
  });

  describe('400 Bad Request', function () {
    it('names malformed JSON in a problem+json body', async function () {
      const res = await request(app.callback()).post('/echo').type('json').send('{"text": "hi"');
      const body = problemOf(res, 400);
      expect(body).to.include({ title: 'Bad Request', status: 400 });
      expect(body['detail']).to.equal('The request body is malformed JSON: it does not parse.');
      expect(body['requestId']).to.equal(res.headers['x-request-id']);
      expect(handled).to.equal(0);
    });

    it('does not echo the body back in the error', async function () {
      const res = await request(app.callback())
        .post('/echo')
        .type('json')
        .send('{"password": "hunter2" oops}');
      problemOf(res, 400);
      expect(res.text).not.to.include('hunter2');
    });

    it('refuses invalid UTF-8 as malformed JSON', async function () {
      // write(), because send() would serialise a Buffer as JSON.
      const req = request(app.callback()).post('/echo').type('json');
      req.write(Buffer.from([0x22, 0xc3, 0x28, 0x22]));
      const res = await req;
      expect(problemOf(res, 400)['detail']).to.equal(
        'The request body is malformed JSON: it is not valid UTF-8.',
      );
    });

    it('refuses an empty body', async function () {
      const res = await request(app.callback()).post('/echo').type('json').send('');
      expect(problemOf(res, 400)['detail']).to.equal(
        'The request body is empty; send a JSON value.',
      );
      expect(handled).to.equal(0);
    });

    it('refuses a whitespace-only body as malformed', async function () {
      const res = await request(app.callback()).post('/echo').type('json').send('  \n ');
      expect(problemOf(res, 400)['detail']).to.match(/malformed JSON/);
    });
  });

  it('refuses a limitBytes that is not a non-negative integer at construction', function () {
    expect(() => jsonBody({ limitBytes: -1 })).to.throw(TypeError);
    expect(() => jsonBody({ limitBytes: 1.5 })).to.throw(TypeError);
    expect(() => jsonBody({ limitBytes: Number.NaN })).to.throw(TypeError);
  });
});
