import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A port free right now. The issuer URL must be known before the server starts, so tests pick
 * the port first instead of listening on 0.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
