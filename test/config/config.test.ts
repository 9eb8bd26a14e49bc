import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isConfigError, loadConfig } from '../../config/index.js';
import type { AuthConfig, ConfigError } from '../../config/index.js';
import { useTempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const AUTH_DEFAULTS: AuthConfig = {
  dataDir: './data',
  logLevel: 'info',
  shutdownTimeoutSeconds: 10,
  issuer: 'http://localhost:4000',
  host: '127.0.0.1',
  port: 4000,
  metricsPort: 4001,
  databaseUrl: undefined,
  masterKey: undefined,
  accessTokenTtlSeconds: 300,
  keyRefreshSeconds: 30,
  purgeIntervalSeconds: 600,
  usersUrl: 'http://127.0.0.1:4101',
  clientId: undefined,
  clientSecret: undefined,
  usersTimeoutMs: 1500,
  redisUrl: undefined,
  loginMaxFailuresPerHandle: 10,
  loginMaxFailuresPerIp: 100,
  loginFailureWindowSeconds: 900,
  clientAuthMaxFailures: 30,
  registrationsPerIpHour: 300,
  refreshTokenTtlSeconds: 1209600,
  refreshGraceSeconds: 10,
};

/** The ConfigError that `load` throws; fails the test when it throws nothing or something else. */
function configErrorOf(load: () => unknown): ConfigError {
  try {
    load();
  } catch (e) {
    if (isConfigError(e)) {
      return e;
    }
    expect.fail(`expected a ConfigError, got ${String(e)}`);
  }
  expect.fail('expected a ConfigError, but nothing was thrown');
}

describe("loadConfig('auth')", function () {
  const dir = useTempDir('config');

  async function configFile(content: string): Promise<string> {
    const file = join(dir.path, 'chirp.json');
    await writeFile(file, content);
    return file;
  }

  it('gives the documented defaults when nothing is set', function () {
    expect(loadConfig('auth', {})).to.deep.equal(AUTH_DEFAULTS);
  });

  it('returns a frozen object', function () {
    const config = loadConfig('auth', {});
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('takes values from the environment, converted to their types', function () {
    const config = loadConfig('auth', {
      CHIRP_AUTH_PORT: '4100',
      CHIRP_ISSUER: 'https://auth.example.com',
      CHIRP_AUTH_DATABASE_URL: 'postgres://chirp@db.example.com:5432/auth',
      CHIRP_LOG_LEVEL: 'debug',
      CHIRP_ACCESS_TOKEN_TTL: '600',
      CHIRP_DATA_DIR: '/var/lib/chirp',
    });
    expect(config).to.deep.equal({
      ...AUTH_DEFAULTS,
      port: 4100,
      issuer: 'https://auth.example.com',
      databaseUrl: 'postgres://chirp@db.example.com:5432/auth',
      logLevel: 'debug',
      accessTokenTtlSeconds: 600,
      dataDir: '/var/lib/chirp',
    });
  });

  it('treats an empty CHIRP_AUTH_DATABASE_URL or CHIRP_MASTER_KEY as unset', function () {
    const config = loadConfig('auth', { CHIRP_AUTH_DATABASE_URL: '', CHIRP_MASTER_KEY: '' });
    expect(config.databaseUrl).to.equal(undefined);
    expect(config.masterKey).to.equal(undefined);
  });

  it('never turns an empty CHIRP_AUTH_PORT into port 0 (a random port)', function () {
    let port: number | undefined;
    try {
      port = loadConfig('auth', { CHIRP_AUTH_PORT: '' }).port;
    } catch (e) {
      // Refusing the empty value, naming the variable, is as good as falling back to the default.
      expect(isConfigError(e) && e.problems.some((p) => p.startsWith('CHIRP_AUTH_PORT'))).to.equal(
        true,
      );
      return;
    }
    expect(port).to.equal(AUTH_DEFAULTS.port);
  });

  it('applies the CHIRP_CONFIG JSON file, and the environment wins over it', async function () {
    const file = await configFile(
      JSON.stringify({
        CHIRP_AUTH_PORT: 4200,
        CHIRP_ISSUER: 'https://from-file.example.com',
        CHIRP_ACCESS_TOKEN_TTL: 120,
      }),
    );
    const config = loadConfig('auth', { CHIRP_CONFIG: file, CHIRP_AUTH_PORT: '4300' });
    expect(config).to.deep.equal({
      ...AUTH_DEFAULTS,
      port: 4300,
      issuer: 'https://from-file.example.com',
      accessTokenTtlSeconds: 120,
    });
  });

  it('reports every bad value in one ConfigError, one problem per variable', function () {
    const error = configErrorOf(() =>
      loadConfig('auth', {
        CHIRP_AUTH_PORT: 'notaport',
        CHIRP_AUTH_METRICS_PORT: '70000',
        CHIRP_ACCESS_TOKEN_TTL: '5',
        CHIRP_ISSUER: 'http://localhost:4000/',
        CHIRP_LOG_LEVEL: 'loud',
        CHIRP_MASTER_KEY: 'too-short',
        CHIRP_AUTH_DATABASE_URL: 'mysql://db/auth',
      }),
    );
    const variables = [
      'CHIRP_AUTH_PORT',
      'CHIRP_AUTH_METRICS_PORT',
      'CHIRP_ACCESS_TOKEN_TTL',
      'CHIRP_ISSUER',
      'CHIRP_LOG_LEVEL',
      'CHIRP_MASTER_KEY',
      'CHIRP_AUTH_DATABASE_URL',
    ];
    expect(error.problems).to.have.length(variables.length);
    for (const variable of variables) {
      expect(
        error.problems.filter((p) => p.startsWith(`${variable}:`)),
        `problems naming ${variable}`,
      ).to.have.length(1);
      expect(error.message).to.include(variable);
    }
  });

  it('names the variable of a bad value that came from the CHIRP_CONFIG file', async function () {
    const file = await configFile(JSON.stringify({ CHIRP_ACCESS_TOKEN_TTL: 1 }));
    const error = configErrorOf(() => loadConfig('auth', { CHIRP_CONFIG: file }));
    expect(error.problems).to.have.length(1);
    expect(error.problems[0]).to.match(/^CHIRP_ACCESS_TOKEN_TTL:/);
  });

  it('reports an unreadable CHIRP_CONFIG file as a ConfigError naming CHIRP_CONFIG', function () {
    const missing = join(dir.path, 'missing.json');
    const error = configErrorOf(() => loadConfig('auth', { CHIRP_CONFIG: missing }));
    expect(error.problems).to.have.length(1);
    expect(error.problems[0])
      .to.match(/^CHIRP_CONFIG:/)
      .and.include(missing);
  });

  for (const [what, content] of [
    ['invalid JSON', '{ "CHIRP_AUTH_PORT": 4000, }'],
    ['a JSON array', '["CHIRP_AUTH_PORT"]'],
    ['JSON null', 'null'],
  ] as const) {
    it(`reports a CHIRP_CONFIG file holding ${what} as a ConfigError naming CHIRP_CONFIG`, async function () {
      const file = await configFile(content);
      const error = configErrorOf(() => loadConfig('auth', { CHIRP_CONFIG: file }));
      expect(error.problems).to.have.length(1);
      expect(error.problems[0])
        .to.match(/^CHIRP_CONFIG:/)
        .and.include(file);
    });
  }
});

describe('auth-server process with bad configuration', function () {
  const dir = useTempDir('config-process');

  it('exits with code 2 before listening, printing one stderr line per problem', async function () {
    // Nothing CHIRP_* from the developer's shell may leak in and change the outcome.
    const env: NodeJS.ProcessEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('CHIRP_')),
    );
    const dataDir = join(dir.path, 'data');
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'auth-server/main.ts'],
          {
            cwd: ROOT,
            env: {
              ...env,
              CHIRP_AUTH_PORT: 'notaport',
              CHIRP_ACCESS_TOKEN_TTL: '5',
              CHIRP_DATA_DIR: dataDir,
            },
            timeout: 15_000,
          },
          (error, stdout, stderr) => {
            const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
            resolve({ code, stdout, stderr });
          },
        );
      },
    );

    expect(result.code, `stderr: ${result.stderr}`).to.equal(2);
    const lines = result.stderr
      .split('\n')
      .filter((l) => l.trim() !== '')
      // oidc-provider warns on import under Node 20, which package.json supports; not ours.
      .filter((l) => !l.startsWith('oidc-provider WARNING: Unsupported runtime'));
    expect(lines).to.have.length(2);
    expect(lines.filter((l) => l.includes('CHIRP_AUTH_PORT'))).to.have.length(1);
    expect(lines.filter((l) => l.includes('CHIRP_ACCESS_TOKEN_TTL'))).to.have.length(1);
    expect(result.stdout).not.to.include('listening');
    // It stopped before opening storage: the data folder was never created.
    expect(await readdir(dir.path)).to.deep.equal([]);
  });
});
