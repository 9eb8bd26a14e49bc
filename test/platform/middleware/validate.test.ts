import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import { quietService } from '../../helpers/service.js';
import request from 'supertest';
import type { Response } from 'supertest';
import { z } from 'zod';
import { encodeCursor } from '../../../platform/db/cursor.js';
import { jsonBody } from '../../../platform/middleware/json-body.js';
import {
  cursorQuery,
  cursorQueryOf,
  idParam,
  input,
  limitQuery,
  validate,
} from '../../../platform/middleware/validate.js';
import type { Input } from '../../../platform/middleware/validate.js';
import { mountRouters } from '../../../platform/service.js';

const PROBLEM_JSON = /^application\/problem\+json(;|$)/;

const ListItems = { query: z.object({ limit: limitQuery, cursor: cursorQuery }) };
const Position = z.object({ createdAt: z.iso.datetime(), id: idParam });
const ListByPosition = { query: z.object({ cursor: cursorQueryOf(Position) }) };
const GetUser = { params: z.object({ id: idParam }) };
const CreateTweet = {
  params: z.object({ id: idParam }),
  body: z.object({ text: z.string().min(1).max(280), tags: z.array(z.string()).optional() }),
};

interface FieldError {
  field: string;
  message: string;
}

/** A 400 problem: its detail and its list of `{ field, message }`. */
function badRequest(res: Response): { detail: string; errors: FieldError[] } {
  expect(res.status, res.text).to.equal(400);
  expect(res.headers['content-type']).to.match(PROBLEM_JSON);
  const body = res.body as { title: string; detail: string; errors: FieldError[] };
  expect(body.title).to.equal('Bad Request');
  const [first] = body.errors;
  expect(body.detail, 'detail reads `field: message` of the first issue').to.equal(
    `${first?.field}: ${first?.message}`,
  );
  return body;
}

describe('validate()', function () {
  let app: Koa;
  let handled: number;

  beforeEach(function () {
    handled = 0;
    app = quietService();
    const router = new Router();
    router.get('/items', validate(ListItems), (ctx) => {
      handled += 1;
      // The typed accessor: `limit` is a number and `cursor` a decoded position, without casts.
      const { query } = input(ctx, ListItems);
      const limit: number = query.limit;
      // @ts-expect-error the parsed limit is a number; this line also proves input() is not `any`.
      const raw: string = query.limit;
      void raw;
      ctx.body = { limit, cursor: query.cursor ?? null };
    });
    router.get('/positions', validate(ListByPosition), (ctx) => {
      const { query }: Input<typeof ListByPosition> = input<typeof ListByPosition>(ctx);
      ctx.body = { createdAt: query.cursor?.createdAt ?? null, id: query.cursor?.id ?? null };
    });
    router.get('/users/:id', validate(GetUser), (ctx) => {
      handled += 1;
      ctx.body = { id: input(ctx, GetUser).params.id };
    });
    router.post('/users/:id/tweets', jsonBody(), validate(CreateTweet), (ctx) => {
      handled += 1;
      const { params, body } = input(ctx, CreateTweet);
      ctx.body = { author: params.id, text: body.text };
    });
    router.get('/unvalidated', (ctx) => {
      ctx.body = input(ctx, GetUser);
    });
    router.get('/other-schemas', validate(ListItems), (ctx) => {
      ctx.body = input(ctx, GetUser);
    });
    mountRouters(app, [router]);
  });

  describe('limit', function () {
    it('defaults to 20', async function () {
      const res = await request(app.callback()).get('/items').expect(200);
      expect(res.body).to.deep.equal({ limit: 20, cursor: null });
    });

    for (const ok of ['1', '100', '42']) {
      it(`accepts limit=${ok} as a number`, async function () {
        const res = await request(app.callback()).get(`/items?limit=${ok}`).expect(200);
        expect(res.body).to.have.property('limit', Number(ok));
      });
    }

    for (const bad of ['0', '101', 'abc', '1.5', '-1', '', ' 5', '1e1', '0x10']) {
      it(`refuses limit=${JSON.stringify(bad)} naming limit`, async function () {
        const res = await request(app.callback()).get('/items').query({ limit: bad });
        const problem = badRequest(res);
        expect(problem.detail).to.equal('limit: must be an integer from 1 to 100');
        expect(problem.errors).to.deep.equal([
          { field: 'limit', message: 'must be an integer from 1 to 100' },
        ]);
        expect(handled).to.equal(0);
      });
    }

    it('refuses a repeated limit naming it', async function () {
      const res = await request(app.callback()).get('/items?limit=1&limit=2');
      expect(badRequest(res).errors).to.deep.equal([
        { field: 'limit', message: 'must not be repeated' },
      ]);
      expect(handled).to.equal(0);
    });

    it('refuses any repeated parameter, naming each', async function () {
      const res = await request(app.callback()).get('/items?cursor=a&limit=3&cursor=b&x=1&x=2');
      expect(badRequest(res).errors.map((e) => e.field)).to.deep.equal(['cursor', 'x']);
    });

    it('ignores parameters the schema does not name', async function () {
      await request(app.callback()).get('/items?utm_source=mail').expect(200);
    });
  });

  describe('cursor', function () {
    it('decodes a cursor made by encodeCursor', async function () {
      const position = { createdAt: '2024-05-01T12:00:00.000Z', id: 'abc' };
      const res = await request(app.callback())
        .get('/items')
        .query({ cursor: encodeCursor(position) })
        .expect(200);
      expect(res.body).to.deep.equal({ limit: 20, cursor: position });
    });

    const garbage = [
      'garbage',
      '',
      'v1.',
      'v1.!!!!',
      `v1.${Buffer.from('not json').toString('base64url')}`,
      `v1.${'A'.repeat(600)}`,
    ];
    for (const cursor of garbage) {
      it(`refuses cursor=${JSON.stringify(cursor.slice(0, 20))} naming cursor`, async function () {
        const res = await request(app.callback()).get('/items').query({ cursor });
        const problem = badRequest(res);
        expect(problem.errors).to.have.length(1);
        expect(problem.errors[0]).to.have.property('field', 'cursor');
        expect(problem.detail).to.match(/^cursor: is not a valid cursor/);
        expect(handled).to.equal(0);
      });
    }

    it('cursorQueryOf(schema) types the position and refuses a cursor of another shape', async function () {
      const position = { createdAt: '2024-05-01T12:00:00.000Z', id: 'abc' };
      const ok = await request(app.callback())
        .get('/positions')
        .query({ cursor: encodeCursor(position) })
        .expect(200);
      expect(ok.body).to.deep.equal(position);
      const res = await request(app.callback())
        .get('/positions')
        .query({ cursor: encodeCursor({ page: 2 }) });
      expect(badRequest(res).errors).to.deep.equal([
        {
          field: 'cursor',
          message: 'is not a valid cursor; pass the nextCursor of a previous page',
        },
      ]);
    });

    it('reports limit and cursor together', async function () {
      const res = await request(app.callback()).get('/items?limit=0&cursor=nope');
      expect(badRequest(res).errors.map((e) => e.field)).to.deep.equal(['limit', 'cursor']);
    });
  });

  describe('params', function () {
    it('accepts an id of A-Z a-z 0-9 _ -', async function () {
      const id = `Ab_-9${'x'.repeat(59)}`;
      const res = await request(app.callback()).get(`/users/${id}`).expect(200);
      expect(res.body).to.deep.equal({ id });
    });

    for (const [name, id] of [
      ['65 characters', 'x'.repeat(65)],
      ['a dot', 'a.b'],
      ['an encoded slash', 'a%2Fb'],
      ['a space', 'a%20b'],
      ['non-ASCII', '%C3%A9'],
    ] as const) {
      it(`refuses an id with ${name}, naming id`, async function () {
        const res = await request(app.callback()).get(`/users/${id}`);
        expect(badRequest(res).errors).to.deep.equal([
          { field: 'id', message: 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -' },
        ]);
        expect(handled).to.equal(0);
      });
    }
  });

  describe('body', function () {
    it('hands the handler the parsed body', async function () {
      const res = await request(app.callback())
        .post('/users/u1/tweets')
        .send({ text: 'hello', extra: 'stripped' })
        .expect(200);
      expect(res.body).to.deep.equal({ author: 'u1', text: 'hello' });
    });

    it('names a bad body field as body.<path>', async function () {
      const res = await request(app.callback()).post('/users/u1/tweets').send({ text: '' });
      const problem = badRequest(res);
      expect(problem.errors).to.have.length(1);
      expect(problem.errors[0]).to.have.property('field', 'body.text');
      expect(problem.detail).to.match(/^body\.text: /);
      expect(handled).to.equal(0);
    });

    it('names a missing field and a nested array element', async function () {
      const res = await request(app.callback())
        .post('/users/u1/tweets')
        .send({ tags: ['ok', 7] });
      expect(badRequest(res).errors.map((e) => e.field)).to.deep.equal([
        'body.text',
        'body.tags.1',
      ]);
    });

    it('names the body itself when it is not an object', async function () {
      const res = await request(app.callback()).post('/users/u1/tweets').send([1]);
      expect(badRequest(res).errors.map((e) => e.field)).to.deep.equal(['body']);
    });

    it('lists URL problems before body problems', async function () {
      const res = await request(app.callback()).post('/users/a.b/tweets').send({});
      const problem = badRequest(res);
      expect(problem.errors.map((e) => e.field)).to.deep.equal(['id', 'body.text']);
      expect(problem.detail).to.match(/^id: /);
    });
  });

  describe('input()', function () {
    it('is a 500 when validate() did not run on the route', async function () {
      const res = await request(app.callback()).get('/unvalidated').expect(500);
      expect(res.text).not.to.include('validate');
    });

    it('is a 500 when the route was validated with other schemas', async function () {
      await request(app.callback()).get('/other-schemas').expect(500);
    });
  });
});
