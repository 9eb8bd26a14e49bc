import net from 'node:net';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import { quietService } from '../../helpers/service.js';
import request from 'supertest';
import type { Response } from 'supertest';
import { idempotencyKey } from '../../../platform/middleware/idempotency-key.js';
import { mountRouters } from '../../../platform/service.js';

const PROBLEM_JSON = /^application\/problem\+json(;|$)/;

/** A 400 problem naming Idempotency-Key, with the message given. */
function expectKeyProblem(res: Response, message: string): void {
  expect(res.status, res.text).to.equal(400);
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  expect(res.body).to.include({
    title: 'Bad Request',
    detail: `Idempotency-Key: ${message}`,
  });
  expect((res.body as { errors: unknown }).errors).to.deep.equal([
    { field: 'Idempotency-Key', message },
  ]);
}

/** Every printable ASCII character, cycled to `length`. */
function printable(length: number): string {
  const all = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
  // The HTTP parser trims spaces at either end of a header value, so start and end on a letter.
  return `k${all.repeat(4)}`.slice(0, length - 1) + 'k';
}

/**
 * Sends a POST /tweets with `headers` written byte for byte, for what an HTTP client library
 * refuses to send: repeated headers and control characters.
 */
async function sendRaw(
  app: Koa,
  headers: string | Buffer,
): Promise<{ statusLine: string; body: string }> {
  const server = app.listen(0);
  try {
    const { port } = server.address() as AddressInfo;
    const received = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ port }, () => {
        socket.write(
          Buffer.concat([
            Buffer.from('POST /tweets HTTP/1.1\r\nHost: test\r\n'),
            Buffer.from(headers),
            Buffer.from('\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
          ]),
        );
      });
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    const [head = '', body = ''] = received.split('\r\n\r\n');
    return { statusLine: head.split('\r\n')[0] ?? '', body };
  } finally {
    server.close();
  }
}

describe('idempotencyKey()', function () {
  let app: Koa;
  let handled: number;

  beforeEach(function () {
    handled = 0;
    app = quietService();
    const router = new Router();
    router.post('/tweets', idempotencyKey(), (ctx) => {
      handled += 1;
      const key: string | undefined = ctx.state.idempotencyKey;
      ctx.body = { key: key ?? null };
    });
    mountRouters(app, [router]);
  });

  it('lets a request without the header through with no key', async function () {
    const res = await request(app.callback()).post('/tweets').expect(200);
    expect(res.body).to.deep.equal({ key: null });
  });

  it('accepts 255 printable ASCII characters, spaces and symbols included', async function () {
    const key = printable(255);
    expect(key).to.have.length(255);
    expect(key).to.include(' ').and.include('~').and.include('"');
    const res = await request(app.callback())
      .post('/tweets')
      .set('Idempotency-Key', key)
      .expect(200);
    expect(res.body).to.deep.equal({ key });
  });

  it('accepts a one-character key', async function () {
    const res = await request(app.callback())
      .post('/tweets')
      .set('Idempotency-Key', 'x')
      .expect(200);
    expect(res.body).to.deep.equal({ key: 'x' });
  });

  it('refuses an empty key', async function () {
    const res = await request(app.callback()).post('/tweets').set('Idempotency-Key', '');
    expectKeyProblem(res, 'must not be empty');
    expect(handled).to.equal(0);
  });

  it('refuses a 256-character key', async function () {
    const res = await request(app.callback())
      .post('/tweets')
      .set('Idempotency-Key', printable(256));
    expectKeyProblem(res, 'must be at most 255 characters');
    expect(handled).to.equal(0);
  });

  it('refuses a non-ASCII key', async function () {
    // Node sends é as the single byte 0xE9, which the server reads back as Latin-1.
    const res = await request(app.callback()).post('/tweets').set('Idempotency-Key', 'clé-1');
    expectKeyProblem(res, 'must be printable ASCII characters only (0x20 to 0x7E)');
    expect(handled).to.equal(0);
  });

  it('refuses a key with a tab, the one control character HTTP lets through', async function () {
    const res = await request(app.callback()).post('/tweets').set('Idempotency-Key', 'a\tb');
    expectKeyProblem(res, 'must be printable ASCII characters only (0x20 to 0x7E)');
    expect(handled).to.equal(0);
  });

  it('refuses a key sent twice', async function () {
    const res = await sendRaw(app, 'Idempotency-Key: a\r\nIdempotency-Key: b');
    expect(res.statusLine).to.match(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(res.body)).to.deep.include({
      detail: 'Idempotency-Key: must be sent once',
    });
    expect(handled).to.equal(0);
  });

  for (const byte of [0x01, 0x7f]) {
    it(`answers a raw 0x${byte.toString(16)} in the key with 400 (Node's parser refuses it first)`, async function () {
      const { statusLine } = await sendRaw(
        app,
        Buffer.from([...Buffer.from('Idempotency-Key: a'), byte, 0x62]),
      );
      expect(statusLine).to.match(/^HTTP\/1\.1 400 /);
      expect(handled).to.equal(0);
    });
  }
});
