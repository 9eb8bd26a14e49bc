import { expect } from 'chai';
import { quietService } from '../helpers/service.js';
import request from 'supertest';
import { requestIdOf, traceparentOf } from '../../platform/middleware/request-id.js';

const ALLOWED_ID = /^[A-Za-z0-9._-]{1,128}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

/** The trace id, span id and flags of a traceparent this module produced. */
function partsOf(traceparent: string): { traceId: string; spanId: string; flags: string } {
  const m = TRACEPARENT.exec(traceparent);
  expect(m, `${traceparent} is a version-00 traceparent`).to.not.equal(null);
  const [, traceId = '', spanId = '', flags = ''] = m ?? [];
  return { traceId, spanId, flags };
}

describe('request ids', function () {
  describe('requestIdOf', function () {
    const kept: readonly [string, string][] = [
      ['of one character', 'a'],
      ['of 128 characters', 'x'.repeat(128)],
      ['using every allowed character class', 'Az09._-'],
      ['shaped like a UUID', '3f2c9a4e-8d1b-4c7a-9e2f-6b5d4c3a2b1c'],
    ];
    for (const [what, id] of kept) {
      it(`keeps a caller's id ${what}`, function () {
        expect(requestIdOf(id)).to.equal(id);
      });
    }

    const replaced: readonly [string, string | undefined][] = [
      ['a missing header', undefined],
      ['an empty header', ''],
      ['an id of 129 characters', 'x'.repeat(129)],
      ['an id with a space', 'has space'],
      ['an id with a line break (log injection)', 'abc\ninjected'],
      ['an id ending in a line break', 'abc\n'],
      ['an id with a slash', 'a/b'],
      ['an id with non-ASCII letters', 'café'],
    ];
    for (const [what, header] of replaced) {
      it(`replaces ${what} with a fresh valid id`, function () {
        const id = requestIdOf(header);
        expect(id).to.match(ALLOWED_ID);
        expect(id).not.to.equal(header);
      });
    }

    it('gives a different id to every request without one', function () {
      expect(requestIdOf(undefined)).not.to.equal(requestIdOf(undefined));
    });
  });

  describe('traceparentOf', function () {
    it('continues a valid trace with a new span id and the same flags', function () {
      for (const flags of ['01', '00']) {
        const incoming = `00-${TRACE_ID}-${PARENT_ID}-${flags}`;
        const next = partsOf(traceparentOf(incoming));
        expect(next.traceId).to.equal(TRACE_ID);
        expect(next.flags).to.equal(flags);
        expect(next.spanId).not.to.equal(PARENT_ID);
        expect(next.spanId).not.to.equal('0'.repeat(16));
      }
    });

    it('gives each hop of the same trace its own span id', function () {
      const incoming = `00-${TRACE_ID}-${PARENT_ID}-01`;
      expect(partsOf(traceparentOf(incoming)).spanId).not.to.equal(
        partsOf(traceparentOf(incoming)).spanId,
      );
    });

    it('never repeats a trace or span id, across many refills of its random pool', function () {
      const ids = new Set<string>();
      for (let i = 0; i < 2000; i++) {
        const { traceId, spanId } = partsOf(traceparentOf(undefined));
        ids.add(traceId).add(spanId);
      }
      expect(ids.size).to.equal(4000);
    });

    const malformed: readonly [string, string | undefined][] = [
      ['a missing header', undefined],
      ['garbage', 'not-a-traceparent'],
      ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
      ['a short trace id', `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
      ['a missing flags field', `00-${TRACE_ID}-${PARENT_ID}`],
      ['an all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
      ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ];
    for (const [what, header] of malformed) {
      it(`starts a new sampled trace for ${what}`, function () {
        const next = partsOf(traceparentOf(header));
        expect(next.traceId).not.to.equal(TRACE_ID);
        expect(next.traceId).not.to.equal('0'.repeat(32));
        expect(next.spanId).not.to.equal('0'.repeat(16));
        expect(next.flags).to.equal('01');
      });
    }
  });

  describe('on every response', function () {
    const app = quietService();

    it('echoes a valid X-Request-Id', async function () {
      await request(app.callback())
        .get('/healthz')
        .set('X-Request-Id', 'caller-id-1')
        .expect(200)
        .expect('X-Request-Id', 'caller-id-1');
    });

    it('answers an invalid X-Request-Id with a replacement', async function () {
      const res = await request(app.callback())
        .get('/healthz')
        .set('X-Request-Id', 'bad id!')
        .expect(200);
      expect(res.headers['x-request-id']).to.match(ALLOWED_ID);
    });

    it('sets X-Request-Id on error responses too', async function () {
      const res = await request(app.callback()).get('/no-such-route').expect(404);
      expect(res.headers['x-request-id']).to.match(ALLOWED_ID);
    });
  });
});
