import { expect } from 'chai';
import type { Response } from 'supertest';
import { encodeCursor } from '../../platform/db/cursor.js';
import { DATABASE_KINDS } from '../helpers/postgres.js';
import { FEEDS_RESOURCE, useWorld } from './world.js';
import type { TestUser } from './world.js';

interface Problem {
  readonly detail?: string;
  readonly errors?: readonly { readonly field: string }[];
  readonly scope?: string;
}

function problemOf(res: Response): Problem {
  return res.body as Problem;
}

for (const kind of DATABASE_KINDS) {
  describe(`GET /feeds/home: input and authorization [${kind}]`, function () {
    const world = useWorld(kind, { per: 'all' });
    let me: TestUser;

    beforeEach(async function () {
      me ??= await world.createUser();
      world.tokens.asked.length = 0;
    });

    /** The request was refused before feeds asked anyone for anything. */
    function expectNoDependencyCall(): void {
      expect(world.tokens.asked).to.deep.equal([]);
    }

    for (const limit of ['0', '101', 'abc', '1.5', '-1', '']) {
      it(`answers 400 naming limit for limit=${JSON.stringify(limit)}`, async function () {
        const res = await world.home(me, { limit });
        expect(res.status, res.text).to.equal(400);
        expect(problemOf(res).errors?.map((e) => e.field)).to.deep.equal(['limit']);
        expect(problemOf(res).detail).to.match(/^limit: /);
        expectNoDependencyCall();
      });
    }

    const badCursors: Record<string, string> = {
      'not one of ours': 'abc',
      'a cursor of another shape': encodeCursor({ t: 1, id: 'u_x' }),
      'a cursor with an extra field': encodeCursor({ before: '1', more: 'x' }),
      'a cursor whose id is not an id': encodeCursor({ before: 'a b' }),
      'a cursor whose id is not a tweet id': encodeCursor({ before: 'u_someUserId' }),
      'a cursor whose id is a number': encodeCursor({ before: 1234567890123 }),
    };
    for (const [what, cursor] of Object.entries(badCursors)) {
      it(`answers 400 naming cursor for ${what}`, async function () {
        const res = await world.home(me, { cursor });
        expect(res.status, res.text).to.equal(400);
        expect(problemOf(res).errors?.map((e) => e.field)).to.deep.equal(['cursor']);
        expectNoDependencyCall();
      });
    }

    it('answers 400 naming limit when it is repeated', async function () {
      const res = await world.home(me, 'limit=1&limit=2');
      expect(res.status, res.text).to.equal(400);
      expect(problemOf(res).errors?.map((e) => e.field)).to.deep.equal(['limit']);
    });

    it('answers 401 with a bare Bearer challenge without a token', async function () {
      const res = await world.home(undefined);
      expect(res.status, res.text).to.equal(401);
      expect(res.headers['www-authenticate']).to.match(/^Bearer /);
      expect(res.headers['www-authenticate']).to.not.include('error=');
      expectNoDependencyCall();
    });

    it('answers 401 invalid_token for a token of another audience', async function () {
      const token = await world.issuer.mint({
        aud: 'urn:chirp:tweets',
        scope: 'feeds:read',
        user: me.id,
      });
      const res = await world.home(me, {}, token);
      expect(res.status, res.text).to.equal(401);
      expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
      expectNoDependencyCall();
    });

    it('answers 401 invalid_token for an expired token', async function () {
      const token = await world.issuer.mint({
        aud: FEEDS_RESOURCE,
        scope: 'feeds:read',
        user: me.id,
        expiresIn: -600,
      });
      const res = await world.home(me, {}, token);
      expect(res.status, res.text).to.equal(401);
      expect(res.headers['www-authenticate']).to.include('error="invalid_token"');
    });

    it('answers 403 insufficient_scope for a client_credentials token', async function () {
      const token = await world.issuer.mint({ aud: FEEDS_RESOURCE, scope: 'feeds:read' });
      const res = await world.home(undefined, {}, token);
      expect(res.status, res.text).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('error="insufficient_scope"');
      expectNoDependencyCall();
    });

    it('answers 403 insufficient_scope naming feeds:read for a user token without it', async function () {
      const res = await world.home(me, {}, await world.feedsToken(me, 'openid'));
      expect(res.status, res.text).to.equal(403);
      expect(res.headers['www-authenticate']).to.include('scope="feeds:read"');
      expect(problemOf(res).scope).to.equal('feeds:read');
      expectNoDependencyCall();
    });
  });
}
