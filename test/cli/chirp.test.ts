import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTs } from '../helpers/processes.js';
import type { Finished } from '../helpers/processes.js';

describe('chirp CLI', function () {
  let dataDir: string;
  const chirp = (...args: string[]): Promise<Finished> =>
    runTs('bin/chirp.ts', args, { CHIRP_DATA_DIR: dataDir, CHIRP_LOG_LEVEL: 'silent' });
  const json = (r: Finished): Record<string, unknown> => {
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines, 'one JSON object and nothing else on stdout').to.have.length(1);
    return JSON.parse(lines[0]!) as Record<string, unknown>;
  };

  before(function () {
    dataDir = mkdtempSync(join(tmpdir(), 'chirp-cli-'));
  });

  after(function () {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a service client and shows its 256-bit secret once', async function () {
    const created = json(
      await chirp(
        'clients',
        'create',
        '--name',
        'svc',
        '--scope',
        'tweets:read tweets:write',
        '--json',
      ),
    );
    expect(created).to.include({
      scope: 'tweets:read tweets:write',
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(created['grant_types']).to.deep.equal(['client_credentials']);
    expect(created['resources']).to.deep.equal(['urn:chirp:tweets']);
    expect(created['client_secret']).to.match(/^[A-Za-z0-9_-]{43}$/);

    const id = created['client_id'] as string;
    const shown = json(await chirp('clients', 'show', id, '--json'));
    expect(shown['client_id']).to.equal(id);
    expect(shown).not.to.have.property('client_secret');
    const listed = json(await chirp('clients', 'list', '--json'));
    expect((listed['clients'] as { client_id: string }[]).map((c) => c.client_id)).to.include(id);
    expect(JSON.stringify(listed)).not.to.include(created['client_secret']);
  });

  it('stores no client secret in plain text in the data folder', async function () {
    const created = json(
      await chirp('clients', 'create', '--name', 'svc2', '--scope', 'users:read', '--json'),
    );
    const secret = created['client_secret'] as string;
    for (const file of readdirSync(dataDir)) {
      expect(readFileSync(join(dataDir, file)).includes(secret), file).to.equal(false);
    }
  });

  it('deletes a client, after which show fails with a message on stderr', async function () {
    const id = json(await chirp('clients', 'create', '--name', 'gone', '--json'))[
      'client_id'
    ] as string;
    expect(json(await chirp('clients', 'delete', id, '--json'))).to.deep.equal({ deleted: id });
    const r = await chirp('clients', 'show', id, '--json');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    expect(r.stderr).to.include(id);
  });

  it('refuses an unknown scope, grant or resource with exit code 1', async function () {
    for (const args of [
      ['--scope', 'tweets:delete'],
      ['--grant', 'password'],
      ['--resource', 'urn:chirp:nope'],
      ['--auth-method', 'none'],
    ]) {
      const r = await chirp('clients', 'create', '--name', 'bad', ...args, '--json');
      expect(r.code, args.join(' ')).to.equal(1);
      expect(r.stdout).to.equal('');
      expect(r.stderr).to.match(/chirp: /);
    }
  });

  it('answers an unknown command or option with usage and exit code 2', async function () {
    expect((await chirp('frobnicate')).code).to.equal(2);
    expect((await chirp('clients', 'create', '--nmae', 'x')).code).to.equal(2);
    expect((await chirp('clients', 'create', '--json')).code).to.equal(2);
  });

  it('creates a first-party client and shows the flag in create, show and list', async function () {
    const created = json(
      await chirp(
        'clients',
        'create',
        '--name',
        'web',
        '--grant',
        'authorization_code',
        '--grant',
        'refresh_token',
        '--auth-method',
        'none',
        '--redirect-uri',
        'http://localhost:3000/callback',
        '--scope',
        'openid offline_access tweets:read',
        '--first-party',
        '--json',
      ),
    );
    expect(created['first_party']).to.equal(true);
    const id = created['client_id'] as string;
    expect(json(await chirp('clients', 'show', id, '--json'))['first_party']).to.equal(true);
    const listed = json(await chirp('clients', 'list', '--json'))['clients'] as {
      client_id: string;
      first_party: boolean;
    }[];
    expect(listed.find((c) => c.client_id === id)?.first_party).to.equal(true);
    const plain = json(await chirp('clients', 'create', '--name', 'svc3', '--json'));
    expect(plain['first_party']).to.equal(false);
  });

  it('creates an initial access token expiring in an hour by default', async function () {
    const started = Date.now();
    const out = json(await chirp('initial-access-token', 'create', '--json'));
    expect(Object.keys(out).sort()).to.deep.equal(['expires_at', 'token']);
    expect(out['token']).to.match(/^[A-Za-z0-9_-]{43,}$/);
    const expiresAt = out['expires_at'] as string;
    expect(expiresAt).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const seconds = (Date.parse(expiresAt) - started) / 1000;
    expect(seconds).to.be.within(3590, 3600 + 60);
  });

  it('creates an initial access token with --expires-in, within bounds', async function () {
    const started = Date.now();
    const out = json(
      await chirp('initial-access-token', 'create', '--expires-in', '120', '--json'),
    );
    expect((Date.parse(out['expires_at'] as string) - started) / 1000).to.be.within(110, 180);

    const human = await chirp('initial-access-token', 'create');
    expect(human.code).to.equal(0);
    expect(human.stdout)
      .to.match(/token: \S+/)
      .and.match(/expires_at: \S+Z/);

    const tooLong = await chirp('initial-access-token', 'create', '--expires-in', '9999999');
    expect(tooLong.code).to.equal(1);
    expect(tooLong.stderr).to.include('--expires-in');
    expect((await chirp('initial-access-token', 'create', '--expires-in', 'soon')).code).to.equal(
      2,
    );
  });

  it('lists keys and rotates them: next becomes current, current retiring', async function () {
    type Key = { kid: string; state: string; alg: string; use: string };
    const before = json(await chirp('keys', 'list', '--json'))['keys'] as Key[];
    expect(before.map((k) => k.state).sort()).to.deep.equal(['current', 'current', 'next', 'next']);
    const after = json(await chirp('keys', 'rotate', '--json'))['keys'] as Key[];
    for (const k of before) {
      const now = after.find((a) => a.kid === k.kid)!;
      expect(now.state).to.equal(k.state === 'next' ? 'current' : 'retiring');
    }
    expect(after.filter((k) => k.state === 'next')).to.have.length(2);
    expect(after.every((k) => k.use === 'sig' && ['ES256', 'RS256'].includes(k.alg))).to.equal(
      true,
    );
  });

  it('reports migrations as JSON', async function () {
    const out = json(await chirp('migrate', '--json'));
    expect(out['current']).to.include('001_oidc_payloads');
  });

  it('exits 2 naming the variable when the configuration is bad', async function () {
    const r = await runTs('bin/chirp.ts', ['keys', 'list'], {
      CHIRP_DATA_DIR: dataDir,
      CHIRP_ACCESS_TOKEN_TTL: 'soon',
    });
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('CHIRP_ACCESS_TOKEN_TTL');
  });

  it('creates a user in the users database, refusing a taken handle in any case', async function () {
    const user = json(
      await chirp(
        'users',
        'create',
        '--handle',
        'Alice_1',
        '--password',
        'correct horse battery',
        '--json',
      ),
    );
    expect(user['handle']).to.equal('Alice_1');
    expect(user['id']).to.be.a('string');
    const again = await chirp(
      'users',
      'create',
      '--handle',
      'alice_1',
      '--password',
      'another password',
      '--json',
    );
    expect(again.code).to.equal(1);
    expect(again.stdout).to.equal('');
    const bad = await chirp(
      'users',
      'create',
      '--handle',
      'no spaces',
      '--password',
      'secret password',
    );
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('handle');
    expect(bad.stderr).not.to.include('secret password');
  });
});
