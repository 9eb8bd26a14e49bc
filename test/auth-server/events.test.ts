import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { startAuthServer } from '../../auth-server/app.js';
import type { RunningAuthServer } from '../../auth-server/app.js';
import { openAdmin } from '../../auth-server/admin/context.js';
import { clientsCreate } from '../../auth-server/admin/clients.js';
import { freePort } from '../helpers/ports.js';
import { createTempDir } from '../helpers/temp-dir.js';
import type { TempDir } from '../helpers/temp-dir.js';

/** Issued tokens and OAuth errors reach the logs (with request id and detail) and the metrics. */
describe('auth server events, logs and metrics', function () {
  const lines: Record<string, unknown>[] = [];
  let dir: TempDir;
  let running: RunningAuthServer;
  let basic: string;

  before(async function () {
    dir = await createTempDir('events');
    const port = await freePort();
    const config = loadConfig('auth', {
      CHIRP_DATA_DIR: dir.path,
      CHIRP_AUTH_PORT: String(port),
      CHIRP_AUTH_METRICS_PORT: '0',
      CHIRP_ISSUER: `http://127.0.0.1:${port}`,
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    running = await startAuthServer(config, { logger: pino({ level: 'info' }, sink) });
    const admin = await openAdmin(config);
    const client = await clientsCreate(admin, { name: 'events', scope: 'tweets:read' });
    await admin.close();
    basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  });

  after(async function () {
    await running.stop();
    await dir.remove();
  });

  function token(body: string, requestId: string): Promise<Response> {
    return fetch(`${running.url}/token`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
        'x-request-id': requestId,
      },
      body,
    });
  }

  async function metric(name: string): Promise<string[]> {
    const text = await (await fetch(`${running.metricsUrl}/metrics`)).text();
    return text.split('\n').filter((l) => l.startsWith(name));
  }

  it('counts issued access tokens', async function () {
    const res = await token('grant_type=client_credentials&resource=urn:chirp:tweets', 'issue-1');
    expect(res.status).to.equal(200);
    expect((await metric('oauth_tokens_issued_total')).join('\n')).to.match(
      /oauth_tokens_issued_total\{kind="ClientCredentials",component="auth-server"\} 1/,
    );
  });

  it('logs a grant error with its detail and the request id, and counts it', async function () {
    const res = await token(
      'grant_type=client_credentials&resource=urn:chirp:tweets&scope=users:read',
      'req-scope-1',
    );
    expect(res.status).to.equal(400);
    expect(res.headers.get('x-request-id')).to.equal('req-scope-1');
    const line = lines.find(
      (l) => l['event'] === 'grant.error' && l['requestId'] === 'req-scope-1',
    );
    expect(line, 'a grant.error log line with the request id').to.include({
      error: 'invalid_scope',
    });
    expect(line!['detail']).to.be.a('string').that.includes('users:read');
    expect((await metric('oauth_errors_total')).join('\n')).to.include(
      'oauth_errors_total{event="grant.error",error="invalid_scope",component="auth-server"} 1',
    );
  });

  it('writes one JSON access-log line per request with method, path and status', async function () {
    await token('grant_type=client_credentials&resource=urn:chirp:tweets', 'access-1');
    const line = lines.find((l) => l['msg'] === 'request' && l['requestId'] === 'access-1');
    expect(line).to.include({ method: 'POST', path: '/token', status: 200 });
  });

  it('exports the request-duration histogram on the internal port only', async function () {
    expect(await metric('http_request_duration_seconds_count')).not.to.be.empty;
    expect((await fetch(`${running.url}/metrics`)).status).to.not.equal(200);
  });
});
