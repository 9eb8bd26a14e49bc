import { expect } from 'chai';
import {
  NonPublicUrlError,
  isPublicAddress,
  publicOnlyFetch,
} from '../../auth-server/provider/public-urls.js';

describe('public URLs (SSRF guard)', function () {
  const resolve = (name: string) =>
    name === 'intranet.example.com'
      ? Promise.resolve(['10.0.0.7'])
      : Promise.reject(new Error('ENOTFOUND'));

  it('tells public addresses from special-use ones', function () {
    const cases: Record<string, boolean> = {
      '93.184.216.34': true,
      '2606:2800:220:1:248:1893:25c8:1946': true,
      '127.0.0.1': false,
      '10.1.2.3': false,
      '172.31.255.255': false,
      '192.168.0.1': false,
      '169.254.169.254': false,
      '100.100.100.100': false,
      '0.0.0.0': false,
      '239.1.1.1': false,
      '::': false,
      '::1': false,
      'fc00::1': false,
      'fe80::1': false,
      'ff02::1': false,
      '::ffff:127.0.0.1': false,
      '::ffff:7f00:1': false,
    };
    for (const [address, expected] of Object.entries(cases)) {
      expect(isPublicAddress(address), address).to.equal(expected);
    }
  });

  it("refuses the provider's fetches of non-public URLs before connecting", async function () {
    const fetchPublic = publicOnlyFetch(resolve);
    for (const url of [
      'https://localhost/jwks',
      'https://127.0.0.1/jwks',
      'http://app.example.com/jwks',
      'https://intranet.example.com/jwks',
    ]) {
      const outcome = await fetchPublic(url).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(outcome, url).to.be.instanceOf(NonPublicUrlError);
    }
  });
});
