import { expect } from 'chai';
import { pino } from 'pino';
import request from 'supertest';
import { loadConfig } from '../../config/index.js';
import { startUsersService } from '../../resource-services/users/app.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';
import { createTestIssuer } from '../helpers/tokens.js';

describe('users service process shape', function () {
  let dir: TempDir;

  beforeEach(async function () {
    dir = await createTempDir('users-start');
  });
  afterEach(async function () {
    await dir.remove();
  });

  it('listens on both ports: health and readiness on each, metrics on the internal one', async function () {
    const issuer = await createTestIssuer();
    const config = loadConfig('users', {
      CHIRP_DATA_DIR: dir.path,
      CHIRP_ISSUER: issuer.issuer,
      CHIRP_USERS_PORT: '0',
      CHIRP_USERS_METRICS_PORT: '0',
    });
    const running = await startUsersService(config, {
      getKey: issuer.getKey,
      logger: pino({ level: 'silent' }),
    });
    try {
      expect((await request(running.url).get('/healthz')).status).to.equal(200);
      const ready = await request(running.url).get('/readyz');
      expect(ready.body).to.deep.equal({ status: 'ready', checks: { database: 'ok' } });
      const metrics = await request(running.metricsUrl).get('/metrics');
      expect(metrics.text).to.include('http_request_duration_seconds');
      expect((await request(running.url).get('/metrics')).status).to.equal(404);
    } finally {
      await running.stop();
    }
  });
});
