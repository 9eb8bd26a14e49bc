import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GATEWAY_NODE_FLAGS } from '../../gateway/runtime.js';
import { freePort } from '../helpers/ports.js';
import { exited, spawnTs, waitForOutput } from '../helpers/processes.js';

/** `npm start` as a user runs it: the launcher and its child processes. */
describe('launcher (npm start)', function () {
  this.timeout(120_000);
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let launcher: ChildProcess | undefined;

  before(async function () {
    dataDir = mkdtempSync(join(tmpdir(), 'chirp-launch-'));
    const port = await freePort();
    const free = async () => String(await freePort());
    env = {
      CHIRP_DATA_DIR: dataDir,
      CHIRP_AUTH_PORT: String(port),
      CHIRP_AUTH_METRICS_PORT: await free(),
      CHIRP_ISSUER: `http://127.0.0.1:${port}`,
      CHIRP_GATEWAY_PORT: await free(),
      CHIRP_GATEWAY_METRICS_PORT: await free(),
    };
  });

  afterEach(function () {
    launcher?.kill('SIGKILL');
  });

  after(function () {
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<{ clientId: string; secret: string }> {
    launcher = spawnTs('bin/start-all.ts', [], env);
    const out = await waitForOutput(launcher, /Get a token[\s\S]*\/token/);
    const clientId = /client_id\s+(\S+)/.exec(out)![1]!;
    const secret = /client_secret\s+(\S+)/.exec(out)![1]!;
    return { clientId, secret };
  }

  async function tokenStatus(clientId: string, secret: string): Promise<number> {
    return (await tokenResponse(clientId, secret)).status;
  }

  async function tokenResponse(clientId: string, secret: string): Promise<Response> {
    return fetch(`${env['CHIRP_ISSUER']}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&resource=urn:chirp:tweets&scope=tweets:read',
    });
  }

  /** A component's process among the launcher's children (tsx runs an esbuild child too). */
  function childPids(pid: number, entry = 'auth-server/main.ts'): number[] {
    try {
      return execFileSync('pgrep', ['-P', String(pid), '-f', entry])
        .toString()
        .trim()
        .split('\n')
        .map(Number);
    } catch {
      return [];
    }
  }

  it('prints a working demo client, restarts a dead child, and stops cleanly on SIGTERM', async function () {
    const { clientId, secret } = await start();
    const { access_token: token } = (await (await tokenResponse(clientId, secret)).json()) as {
      access_token: string;
    };
    const viaGateway = await fetch(
      `http://127.0.0.1:${env['CHIRP_GATEWAY_PORT']}/tweets?author=nobody`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    expect(viaGateway.status, 'the gateway routes to tweets').to.equal(200);
    const [gateway] = childPids(launcher!.pid!, 'gateway/main.ts');
    const argv = readFileSync(`/proc/${gateway}/cmdline`, 'utf8').split('\0');
    expect(argv, 'the gateway runs with its Node flags').to.include.members([
      ...GATEWAY_NODE_FLAGS,
    ]);

    const [child] = childPids(launcher!.pid!);
    expect(child, 'the auth server runs as its own process').to.be.a('number');
    process.kill(child!, 'SIGKILL');
    await waitForOutput(launcher!, /auth-server exited \(SIGKILL\); restarting/);
    await waitForOutput(launcher!, /auth-server listening/);
    expect(await tokenStatus(clientId, secret)).to.equal(200);

    const [restarted] = childPids(launcher!.pid!);
    launcher!.kill('SIGTERM');
    expect(await exited(launcher!)).to.equal(0);
    expect(() => process.kill(restarted!, 0), 'no child left behind').to.throw();
  });

  it('reuses the demo client, keys and clients on a second start', async function () {
    const first = await start();
    launcher!.kill('SIGINT');
    expect(await exited(launcher!)).to.equal(0);
    const second = await start();
    expect(second.clientId).to.equal(first.clientId);
    expect(await tokenStatus(second.clientId, second.secret)).to.equal(200);
    launcher!.kill('SIGINT');
    expect(await exited(launcher!)).to.equal(0);
  });
});
