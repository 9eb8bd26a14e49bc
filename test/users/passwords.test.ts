import { randomBytes, scryptSync } from 'node:crypto';
import { expect } from 'chai';
import {
  SCRYPT_PARAMS,
  dummyHash,
  hashPassword,
  verifyPassword,
} from '../../resource-services/users/passwords.js';

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

describe('users password hashing (scrypt)', function () {
  it('stores the algorithm, its parameters, a 16-byte salt and a 32-byte key', async function () {
    const stored = await hashPassword('correct horse');
    const m = /^\$scrypt\$ln=15,r=8,p=1\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(stored);
    expect(m, stored).to.not.equal(null);
    expect(Buffer.from(m![1]!, 'base64')).to.have.length(16);
    expect(Buffer.from(m![2]!, 'base64')).to.have.length(32);
    expect(SCRYPT_PARAMS).to.deep.equal({ logN: 15, r: 8, p: 1 });
  });

  it('salts every hash, and verifies the right password only', async function () {
    const [a, b] = await Promise.all([hashPassword('same words'), hashPassword('same words')]);
    expect(a).to.not.equal(b);
    expect(await verifyPassword('same words', a)).to.equal(true);
    expect(await verifyPassword('same words!', a)).to.equal(false);
    expect(await verifyPassword('', a)).to.equal(false);
  });

  it('verifies hashes made with other parameters, so the cost can change later', async function () {
    const salt = randomBytes(16);
    const key = scryptSync('older password', salt, 32, { N: 2 ** 10, r: 8, p: 2 });
    const stored = `$scrypt$ln=10,r=8,p=2$${b64(salt)}$${b64(key)}`;
    expect(await verifyPassword('older password', stored)).to.equal(true);
    expect(await verifyPassword('other password', stored)).to.equal(false);
  });

  it('treats the composed and decomposed forms of a password as the same (NFC)', async function () {
    const stored = await hashPassword('caf\u00e9 au lait');
    expect(await verifyPassword('cafe\u0301 au lait', stored)).to.equal(true);
  });

  it('matches no password with the dummy hash', async function () {
    expect(await verifyPassword('anything at all', dummyHash())).to.equal(false);
  });

  it('refuses to read a damaged hash rather than call it a match', async function () {
    let error: unknown;
    try {
      await verifyPassword('x', '$scrypt$ln=15$broken');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(Error);
  });

  it('costs tens of milliseconds per hash without blocking the event loop', async function () {
    const started = process.hrtime.bigint();
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 1);
    await hashPassword('timing the cost');
    clearInterval(timer);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`      scrypt N=2^15 r=8 p=1: ${ms.toFixed(1)} ms per hash`);
    expect(ms).to.be.above(10);
    expect(ticks, 'timer ticks while hashing').to.be.above(1);
  });
});
