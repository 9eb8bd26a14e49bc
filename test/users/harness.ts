import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import type { Response, Test } from 'supertest';
import { loadConfig } from '../../config/index.js';
import type { UsersConfig } from '../../config/index.js';
import { USERS_RESOURCE, createUsersService } from '../../resource-services/users/app.js';
import type { UsersService } from '../../resource-services/users/app.js';
import type { UserJson } from '../../resource-services/users/schemas.js';
import { openApiContract } from '../helpers/openapi.js';
import type { OpenApiContract } from '../helpers/openapi.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';
import {
  DATABASE_KINDS,
  POSTGRES_SKIP_REASON,
  dropSchema,
  postgresUrl,
  uniqueSchemaName,
} from '../helpers/postgres.js';
import type { DatabaseKind } from '../helpers/postgres.js';

export { USERS_RESOURCE };

/** Every scope of urn:chirp:users. */
export const ALL_SCOPES = 'users:read users:write users:admin users:credentials';

/** The password every factory-made user has. */
export const PASSWORD = 'correct horse battery';

/** A response body, typed as the document says it is (the contract check validates it). */
export function bodyOf<T>(res: Response): T {
  return res.body as T;
}

/** The `detail` of a problem response, or '' when it has none. */
export function detailOf(res: Response): string {
  return bodyOf<{ detail?: string }>(res).detail ?? '';
}

/** A users service of its own for one test, on SQLite or PostgreSQL, and ways to drive it. */
export interface UsersHarness {
  readonly kind: DatabaseKind;
  readonly config: UsersConfig;
  /** The PostgreSQL schema the service works in; undefined on SQLite. */
  readonly schema: string | undefined;
  readonly service: UsersService;
  readonly issuer: TestIssuer;
  /** Checks responses against the service's own /openapi.json. */
  readonly contract: OpenApiContract;
  /** supertest on the service; every response is checked against the contract. */
  readonly api: Api;
  /** supertest without the contract check, for requests outside the documented API. */
  raw(): ReturnType<typeof request>;
  /** A token for urn:chirp:users: a user token with `user`, else client_credentials. */
  token(scope: string, user?: string): Promise<string>;
  /** Creates a user through POST /users (password {@link PASSWORD}). */
  createUser(handle: string, displayName?: string): Promise<UserJson>;
  /** `follower` follows `followee` through PUT /me/following/{id}. */
  follow(follower: UserJson, followee: UserJson): Promise<void>;
}

export interface Api {
  get(path: string): Test;
  post(path: string): Test;
  put(path: string): Test;
  delete(path: string): Test;
}

/**
 * Declares the suite `body` once per database: SQLite always, PostgreSQL when
 * CHIRP_TEST_DATABASE_URL is set (skipped with the printed reason otherwise).
 */
export function describeOnEachDatabase(title: string, body: (h: UsersHarness) => void): void {
  for (const kind of DATABASE_KINDS) {
    describe(`${title} [${kind}]`, function () {
      body(useUsersService(kind));
    });
  }
}

/** A clock that moves one millisecond per reading, so follows have a strict order. */
function steppingClock(): () => number {
  let t = Date.parse('2025-01-01T00:00:00.000Z');
  return () => (t += 1);
}

/** Mocha hooks for the enclosing describe: a fresh service per test; read it inside tests. */
export function useUsersService(kind: DatabaseKind): UsersHarness {
  let issuer: TestIssuer | undefined;
  let contract: OpenApiContract | undefined;
  let current: Awaited<ReturnType<typeof startFor>> | undefined;

  before(async function () {
    if (kind === 'PostgreSQL' && postgresUrl() === undefined) {
      console.log(`    ${POSTGRES_SKIP_REASON}`);
      this.skip();
    }
    issuer = await createTestIssuer();
  });
  beforeEach(async function () {
    current = await startFor(kind, need(issuer));
    if (contract === undefined) {
      const res = await request(current.service.app.callback()).get('/openapi.json');
      contract = openApiContract(res.body);
    }
  });
  afterEach(async function () {
    await current?.cleanup();
    current = undefined;
  });

  const h: UsersHarness = {
    kind,
    get config() {
      return need(current).config;
    },
    get schema() {
      return need(current).schema;
    },
    get service() {
      return need(current).service;
    },
    get issuer() {
      return need(issuer);
    },
    get contract() {
      return need(contract);
    },
    api: {
      get: (path) => checked(h, (r) => r.get(path)),
      post: (path) => checked(h, (r) => r.post(path)),
      put: (path) => checked(h, (r) => r.put(path)),
      delete: (path) => checked(h, (r) => r.delete(path)),
    },
    raw: () => request(need(current).service.app.callback()),
    token: (scope, user) => need(issuer).mint({ aud: USERS_RESOURCE, scope, user }),
    async createUser(handle, displayName) {
      const res = await h.api
        .post('/users')
        .auth(await h.token('users:admin'), { type: 'bearer' })
        .send({ handle, password: PASSWORD, ...(displayName ? { displayName } : {}) });
      expect(res.status, res.text).to.equal(201);
      return res.body as UserJson;
    },
    async follow(follower, followee) {
      const res = await h.api
        .put(`/me/following/${followee.id}`)
        .auth(await h.token('users:write', follower.id), { type: 'bearer' });
      expect(res.status, res.text).to.equal(204);
    },
  };
  return h;
}

function checked(h: UsersHarness, start: (r: ReturnType<typeof request>) => Test): Test {
  return start(h.raw()).expect((res) => h.contract.checkResponse(res));
}

async function startFor(kind: DatabaseKind, issuer: TestIssuer) {
  const dir: TempDir = await createTempDir('users');
  const url = kind === 'PostgreSQL' ? postgresUrl() : undefined;
  const schema = url === undefined ? undefined : uniqueSchemaName('users');
  const config = loadConfig('users', {
    CHIRP_DATA_DIR: dir.path,
    CHIRP_LOG_LEVEL: 'silent',
    CHIRP_ISSUER: issuer.issuer,
    CHIRP_USERS_DATABASE_URL: url,
  });
  const service = await createUsersService(config, {
    getKey: issuer.getKey,
    logger: pino({ level: 'silent' }),
    now: steppingClock(),
    ...(schema === undefined ? {} : { schema }),
  });
  return {
    service,
    config,
    schema,
    async cleanup() {
      await service.close();
      if (url !== undefined && schema !== undefined) {
        await dropSchema(url, schema);
      }
      await dir.remove();
    },
  };
}

function need<T>(value: T | undefined): T {
  if (value === undefined) {
    throw new Error('the users service exists only while a test runs');
  }
  return value;
}
