import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { z } from 'zod';
import {
  MAX_CURSOR_LENGTH,
  decodeCursor,
  encodeCursor,
  tryDecodeCursor,
} from '../../platform/db/cursor.js';
import { ProblemError } from '../../platform/errors.js';

const Position = z.object({ createdAt: z.iso.datetime(), id: z.string().min(1) });
const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same bytes with a different last character: Node's decoder ignores its unused low bits. */
function nonCanonical(cursor: string): string {
  expect(cursor.length % 4, 'the payload ends in a partial group').to.not.equal(3);
  const last = ALPHABET.indexOf(cursor.slice(-1));
  const twin = `${cursor.slice(0, -1)}${ALPHABET[last ^ 1]}`;
  const bytes = (c: string): string => Buffer.from(c.slice(3), 'base64url').toString('hex');
  expect(bytes(twin), 'twin decodes to the same bytes').to.equal(bytes(cursor));
  return twin;
}

/** Asserts that decoding throws the client-facing 400 naming `cursor`, not any other error. */
function expectRefused(cursor: string): void {
  let thrown: unknown;
  try {
    decodeCursor(cursor, Position);
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `decodeCursor(${JSON.stringify(cursor.slice(0, 40))}) throws`).to.be.instanceOf(
    ProblemError,
  );
  const problem = thrown as ProblemError;
  expect(problem.status).to.equal(400);
  expect(problem.expose).to.equal(true);
  expect(problem.detail).to.match(/^cursor: /);
  expect(problem.extensions['errors']).to.deep.equal([
    { field: 'cursor', message: problem.detail?.slice('cursor: '.length) },
  ]);
}

describe('cursor', function () {
  const position = { createdAt: '2024-05-01T12:00:00.000Z', id: '7195342195849216' };

  it('round-trips a position', function () {
    const cursor = encodeCursor(position);
    expect(decodeCursor(cursor, Position)).to.deep.equal(position);
  });

  it('round-trips numbers and non-ASCII strings', function () {
    const value = { n: -12.5, zero: 0, s: 'héllo 🙂 "quoted"' };
    const cursor = encodeCursor(value);
    expect(
      decodeCursor(cursor, z.object({ n: z.number(), zero: z.number(), s: z.string() })),
    ).to.deep.equal(value);
  });

  it('is opaque: a URL-safe string with a version prefix', function () {
    const cursor = encodeCursor(position);
    expect(cursor).to.match(/^v1\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(cursor)).to.equal(cursor);
    expect(cursor).not.to.include(position.id);
  });

  it('refuses to make a cursor with NaN or Infinity, which would not read back', function () {
    expect(() => encodeCursor({ n: Number.NaN })).to.throw(Error, /finite/);
    expect(() => encodeCursor({ n: Number.POSITIVE_INFINITY })).to.throw(Error, /finite/);
  });

  it(`refuses to make a cursor over ${MAX_CURSOR_LENGTH} characters`, function () {
    expect(() => encodeCursor({ id: 'x'.repeat(MAX_CURSOR_LENGTH) })).to.throw(Error, /over 512/);
  });

  describe('refuses, with a 400 naming cursor', function () {
    const garbage: Record<string, string> = {
      'an empty string': '',
      'the bare prefix': 'v1.',
      'no prefix': b64(JSON.stringify(position)),
      'another version': `v2.${b64(JSON.stringify(position))}`,
      'characters outside base64url': 'v1.eyJpZCI6IjEifQ==',
      'standard base64 characters': `v1.${Buffer.from('{"id":"?>?"}').toString('base64')}`,
      'a non-canonical encoding of a good cursor': nonCanonical(encodeCursor(position)),
      'bytes that are not UTF-8': `v1.${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')}`,
      'text that is not JSON': `v1.${b64('hello')}`,
      'JSON that is an array': `v1.${b64('[1,2]')}`,
      'JSON null': `v1.${b64('null')}`,
      'a nested object': `v1.${b64('{"id":{"$gt":""},"createdAt":"2024-05-01T12:00:00.000Z"}')}`,
      'a null field': `v1.${b64('{"id":null,"createdAt":"2024-05-01T12:00:00.000Z"}')}`,
      'the wrong shape': encodeCursor({ page: 2 }),
      'a field of the wrong type': encodeCursor({ ...position, createdAt: 5 }),
      'a __proto__ key': `v1.${b64('{"__proto__":{"id":"1"}}')}`,
      'over 512 characters': `v1.${b64(JSON.stringify({ ...position, pad: 'x'.repeat(600) }))}`,
    };
    for (const [name, cursor] of Object.entries(garbage)) {
      it(name, function () {
        expectRefused(cursor);
      });
    }
  });

  it('never throws anything but the 400 for random input', function () {
    for (let i = 0; i < 2000; i += 1) {
      const bytes = randomBytes(1 + (i % 64));
      const candidates = [
        bytes.toString('latin1'),
        `v1.${bytes.toString('base64url')}`,
        `v1.${bytes.toString('base64')}`,
      ];
      for (const cursor of candidates) {
        expectRefused(cursor);
      }
    }
  });

  it('tryDecodeCursor reports instead of throwing', function () {
    expect(tryDecodeCursor(encodeCursor(position), Position)).to.deep.equal({
      ok: true,
      value: position,
    });
    expect(tryDecodeCursor('nope', Position)).to.deep.equal({ ok: false });
  });
});
