import { expect } from 'chai';
import type { Response } from 'supertest';
import { createAccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { buildOpenApi } from '../../resource-services/users/openapi.js';
import { usersRouter } from '../../resource-services/users/routes.js';
import type { Users } from '../../resource-services/users/users.js';
import { openApiContract } from '../helpers/openapi.js';
import { createTestIssuer } from '../helpers/tokens.js';
import { PASSWORD, USERS_RESOURCE, bodyOf, describeOnEachDatabase } from './harness.js';
import type { UsersHarness } from './harness.js';

const UNKNOWN = 'u_AAAAAAAAAAAAAAAAAAAAAA';
const HUGE = { pad: 'x'.repeat(70 * 1024) };

/** One request of the tour: who sends it, and the status it must produce. */
interface Probe {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  /** 'none': no token; 'noscope': a user token without scopes; else this scope (and user). */
  readonly auth: 'none' | 'noscope' | { readonly scope: string; readonly user?: string };
  readonly body?: object;
  readonly text?: string;
  readonly status: number;
}

describe('users OpenAPI document', function () {
  it('documents exactly the routes the service has', async function () {
    const issuer = await createTestIssuer();
    const verifier = createAccessTokenVerifier({ ...issuer, audience: USERS_RESOURCE });
    // The route table only stores the use cases in its handlers, so none is called here.
    const router = usersRouter({ verifier, users: {} as Users, openapi: {} });
    const routed = router.stack.flatMap((layer) =>
      layer.methods
        .filter((m) => m !== 'HEAD')
        .map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`),
    );
    const doc = buildOpenApi(issuer.issuer) as { paths: Record<string, object> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).to.deep.equal(routed.sort());
  });

  it('is strict enough to catch a leaked column or an undocumented status', async function () {
    const issuer = await createTestIssuer();
    const contract = openApiContract(buildOpenApi(issuer.issuer));
    const fake = (status: number, body: object) =>
      ({
        status,
        body,
        text: JSON.stringify(body),
        headers: { 'content-type': 'application/json; charset=utf-8' },
        request: { method: 'GET', url: `http://users.test/users/${UNKNOWN}` },
      }) as unknown as Response;
    const user = {
      id: UNKNOWN,
      handle: 'ada',
      displayName: 'Ada',
      createdAt: '2025-01-01T00:00:00.000Z',
      followersCount: 0,
      followingCount: 0,
    };
    expect(() => contract.checkResponse(fake(200, user))).to.not.throw();
    expect(() => contract.checkResponse(fake(200, { ...user, password_hash: 'x' }))).to.throw(
      /body/,
    );
    expect(() => contract.checkResponse(fake(200, { ...user, createdAt: 'yesterday' }))).to.throw(
      /body/,
    );
    expect(() => contract.checkResponse(fake(418, user))).to.throw(/documented/);
  });
});

describeOnEachDatabase(
  'users contract (every response validates against /openapi.json)',
  function (h) {
    it('serves an OpenAPI 3.1 document without a token, tagging internal routes', async function () {
      const res = await h.raw().get('/openapi.json');
      expect(res.status).to.equal(200);
      const doc = bodyOf<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(res);
      expect(doc.openapi).to.equal('3.1.0');
      expect(doc.paths['/internal/password-checks']?.['post']).to.deep.include({
        tags: ['internal'],
        security: [{ chirp: ['users:credentials'] }],
      });
    });

    it('produces every documented status of every route, each matching its schema', async function () {
      const contract = openApiContract((await h.raw().get('/openapi.json')).body);
      const [ada, bob] = await Promise.all([h.createUser('ada'), h.createUser('bob')]);
      await h.follow(ada, bob);
      for (const probe of tour(ada.id, bob.id)) {
        const res = await send(h, probe);
        expect(res.status, `${probe.method} ${probe.path}: ${res.text}`).to.equal(probe.status);
        contract.checkResponse(res);
      }
      const missing = contract.documented().filter((o) => !contract.seen().has(o));
      expect(missing, 'documented outcomes no request produced').to.deep.equal([]);
    });
  },
);

async function send(h: UsersHarness, probe: Probe) {
  let req = h.raw()[probe.method](probe.path);
  if (probe.auth === 'noscope') {
    req = req.auth(await h.token('', 'u_someone'), { type: 'bearer' });
  } else if (probe.auth !== 'none') {
    req = req.auth(await h.token(probe.auth.scope, probe.auth.user), { type: 'bearer' });
  }
  if (probe.text !== undefined) {
    return req.type('text/plain').send(probe.text);
  }
  return probe.body === undefined ? req : req.send(probe.body);
}

/** Requests that between them produce every documented outcome. */
function tour(ada: string, bob: string): Probe[] {
  const admin = { scope: 'users:admin' };
  const read = { scope: 'users:read' };
  const creds = { scope: 'users:credentials' };
  const adaRead = { scope: 'users:read', user: ada };
  const adaWrite = { scope: 'users:write', user: ada };
  const guarded = (method: Probe['method'], path: string): Probe[] => [
    { method, path, auth: 'none', status: 401 },
    { method, path, auth: 'noscope', status: 403 },
  ];
  const withBody = (path: string, scope: { scope: string }): Probe[] => [
    ...guarded('post', path),
    { method: 'post', path, auth: scope, body: {}, status: 400 },
    { method: 'post', path, auth: scope, body: HUGE, status: 413 },
    { method: 'post', path, auth: scope, text: 'plain', status: 415 },
  ];
  const list = (which: string): Probe[] => [
    ...guarded('get', `/users/${ada}/${which}`),
    { method: 'get', path: `/users/${ada}/${which}?limit=1`, auth: read, status: 200 },
    { method: 'get', path: `/users/${ada}/${which}?limit=0`, auth: read, status: 400 },
    { method: 'get', path: `/users/${UNKNOWN}/${which}`, auth: read, status: 404 },
  ];
  return [
    { method: 'get', path: '/openapi.json', auth: 'none', status: 200 },
    ...withBody('/users', admin),
    {
      method: 'post',
      path: '/users',
      auth: admin,
      body: { handle: 'cy', password: PASSWORD },
      status: 201,
    },
    {
      method: 'post',
      path: '/users',
      auth: admin,
      body: { handle: 'CY', password: PASSWORD },
      status: 409,
    },
    ...guarded('get', `/users/${ada}`),
    { method: 'get', path: `/users/${ada}`, auth: read, status: 200 },
    { method: 'get', path: '/users/a.b', auth: read, status: 400 },
    { method: 'get', path: `/users/${UNKNOWN}`, auth: read, status: 404 },
    ...guarded('get', '/users/by-handle/ada'),
    { method: 'get', path: '/users/by-handle/ADA', auth: read, status: 200 },
    { method: 'get', path: '/users/by-handle/a.b', auth: read, status: 400 },
    { method: 'get', path: '/users/by-handle/nobody', auth: read, status: 404 },
    ...guarded('get', '/me'),
    { method: 'get', path: '/me', auth: adaRead, status: 200 },
    { method: 'get', path: '/me', auth: { scope: 'users:read', user: UNKNOWN }, status: 404 },
    ...guarded('put', `/me/following/${bob}`),
    { method: 'put', path: `/me/following/${bob}`, auth: adaWrite, status: 204 },
    { method: 'put', path: `/me/following/${ada}`, auth: adaWrite, status: 400 },
    { method: 'put', path: `/me/following/${UNKNOWN}`, auth: adaWrite, status: 404 },
    ...guarded('delete', `/me/following/${bob}`),
    { method: 'delete', path: `/me/following/${UNKNOWN}`, auth: adaWrite, status: 204 },
    { method: 'delete', path: '/me/following/a.b', auth: adaWrite, status: 400 },
    ...list('following'),
    ...list('followers'),
    ...withBody('/internal/password-checks', creds),
    {
      method: 'post',
      path: '/internal/password-checks',
      auth: creds,
      body: { handle: 'ada', password: PASSWORD },
      status: 200,
    },
    {
      method: 'post',
      path: '/internal/password-checks',
      auth: creds,
      body: { handle: 'nobody', password: PASSWORD },
      status: 200,
    },
    ...guarded('get', `/internal/users/${ada}/following-ids`),
    { method: 'get', path: `/internal/users/${ada}/following-ids`, auth: read, status: 200 },
    { method: 'get', path: '/internal/users/a.b/following-ids', auth: read, status: 400 },
    { method: 'get', path: `/internal/users/${UNKNOWN}/following-ids`, auth: read, status: 404 },
    ...withBody('/internal/users/batch', read),
    {
      method: 'post',
      path: '/internal/users/batch',
      auth: read,
      body: { ids: [ada] },
      status: 200,
    },
  ];
}
