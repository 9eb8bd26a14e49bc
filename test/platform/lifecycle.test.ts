import { expect } from 'chai';
import { request } from 'node:http';
import { listen } from '../../platform/lifecycle.js';

/** A GET that resolves with the status and body, or rejects on a connection error. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('graceful shutdown', function () {
  it('finishes an in-flight request, then refuses new connections', async function () {
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((r) => (arrived = r));
    const server = await listen(
      (_req, res) => {
        arrived();
        release = () => res.end('done');
      },
      '127.0.0.1',
      0,
    );
    const pending = get(`${server.url}/slow`);
    await inFlight;
    const closed = server.close(5000);
    release();
    expect(await pending).to.deep.equal({ status: 200, body: 'done' });
    await closed;
    let refused = false;
    await get(`${server.url}/again`).catch(() => (refused = true));
    expect(refused).to.equal(true);
  });

  it('cuts a request that outlives the deadline instead of hanging', async function () {
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((r) => (arrived = r));
    const server = await listen(() => arrived(), '127.0.0.1', 0);
    const pending = get(`${server.url}/never`).then(
      () => 'answered',
      () => 'cut',
    );
    await inFlight;
    const started = Date.now();
    await server.close(100);
    expect(await pending).to.equal('cut');
    expect(Date.now() - started).to.be.lessThan(2000);
  });
});
