import { expect } from 'chai';
import request from 'supertest';
import { openApiContract } from '../helpers/openapi.js';
import { useWorld } from './world.js';

interface Document {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
}

describe('feeds OpenAPI document', function () {
  const world = useWorld('SQLite', { per: 'all' });

  it('is served without a token as OpenAPI 3.1, documenting GET /feeds/home', async function () {
    const res = await request(world.feeds.app.callback()).get('/openapi.json');
    expect(res.status).to.equal(200);
    const doc = res.body as Document;
    expect(doc.openapi).to.equal('3.1.0');
    expect(Object.keys(doc.paths).sort()).to.deep.equal(['/feeds/home', '/openapi.json']);
    expect(Object.keys(doc.paths['/feeds/home'] ?? {})).to.deep.equal(['get']);
    // The document compiles as a whole: every $ref resolves.
    expect(() => openApiContract(doc, 'feeds-doc').compileAll()).to.not.throw();
  });

  it('documents every status GET /feeds/home answers, and each answer matches it', async function () {
    const res = await request(world.feeds.app.callback()).get('/openapi.json');
    const documented = Object.keys(
      (res.body as Document).paths['/feeds/home']?.['get']?.responses ?? {},
    );
    const me = await world.createUser();
    const newcomer = await world.createUser();
    const cached = await world.createUser();
    await world.post(cached, 'cached');
    const seen = new Set<string>();
    // world.home validates every answer against the document.
    const record = async (answer: Promise<{ status: number }>) =>
      seen.add(String((await answer).status));
    await record(world.home(me));
    await record(world.home(cached));
    await record(world.home(me, { limit: 0 }));
    await record(world.home(undefined));
    await record(
      world.home(
        undefined,
        {},
        await world.issuer.mint({ aud: 'urn:chirp:feeds', scope: 'feeds:read' }),
      ),
    );
    await world.stopTweets();
    try {
      await record(world.home(newcomer));
      const degraded = await world.home(cached);
      expect(degraded.body).to.have.property('degraded', true);
    } finally {
      await world.startTweets();
    }
    expect([...seen].sort()).to.deep.equal([...documented].sort());
  });
});
