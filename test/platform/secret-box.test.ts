import { randomBytes } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { createSecretBox, loadMasterKey } from '../../auth-server/storage/secret-box.js';
import { useTempDir } from '../helpers/temp-dir.js';

const PLAINTEXT = 'client secret ✓ with unicode and "quotes"';

/** Replaces one character of a base64url string with another valid one. */
function flipChar(text: string, index: number): string {
  const c = text[index];
  return `${text.slice(0, index)}${c === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
}

describe('secret box', function () {
  describe('seal and open', function () {
    const box = createSecretBox(randomBytes(32));

    it('opens what it sealed under the same context', function () {
      const sealed = box.seal(PLAINTEXT, 'client_secret:c1');
      expect(box.open(sealed, 'client_secret:c1')).to.equal(PLAINTEXT);
    });

    it('does not show the plaintext in the sealed value, and seals it differently each time', function () {
      const first = box.seal(PLAINTEXT, 'ctx');
      const second = box.seal(PLAINTEXT, 'ctx');
      expect(first).not.to.include('client secret');
      expect(first).not.to.equal(second);
    });

    it('refuses to open under another context', function () {
      const sealed = box.seal(PLAINTEXT, 'client_secret:c1');
      expect(() => box.open(sealed, 'client_secret:c2')).to.throw();
    });

    it('refuses a tampered ciphertext, iv or tag', function () {
      const sealed = box.seal(PLAINTEXT, 'ctx');
      const parts = sealed.split('.');
      expect(parts).to.have.length(4);
      for (const part of [1, 2, 3]) {
        const tampered = parts.map((p, i) => (i === part ? flipChar(p, 0) : p)).join('.');
        expect(() => box.open(tampered, 'ctx'), `part ${part} changed`).to.throw();
      }
    });

    it('refuses a value sealed under another master key', function () {
      const sealed = createSecretBox(randomBytes(32)).seal(PLAINTEXT, 'ctx');
      expect(() => box.open(sealed, 'ctx')).to.throw();
    });

    it('refuses a value that is not in the sealed format', function () {
      expect(() => box.open('{"kty":"EC"}', 'ctx')).to.throw(/unknown format/);
    });

    it('rejects a master key that is not 32 bytes', function () {
      expect(() => createSecretBox(randomBytes(16))).to.throw(/32 bytes/);
    });
  });

  describe('loadMasterKey', function () {
    const dir = useTempDir('master-key');

    it('creates master.key with mode 0600 on first use and returns a 32-byte key', async function () {
      const dataDir = join(dir.path, 'data');
      const key = loadMasterKey(undefined, dataDir);

      expect(key).to.have.length(32);
      const info = await stat(join(dataDir, 'master.key'));
      expect(info.mode & 0o777).to.equal(0o600);
    });

    it('returns the same key on the next start without rewriting the file', async function () {
      const first = loadMasterKey(undefined, dir.path);
      const file = join(dir.path, 'master.key');
      const before = await readFile(file, 'utf8');

      const second = loadMasterKey(undefined, dir.path);

      expect(second.equals(first)).to.equal(true);
      expect(await readFile(file, 'utf8')).to.equal(before);
    });

    it('opens secrets sealed before a restart', function () {
      const sealed = createSecretBox(loadMasterKey(undefined, dir.path)).seal(PLAINTEXT, 'ctx');
      expect(createSecretBox(loadMasterKey(undefined, dir.path)).open(sealed, 'ctx')).to.equal(
        PLAINTEXT,
      );
    });

    it('uses a configured key over the key file', function () {
      const fromFile = loadMasterKey(undefined, dir.path);
      const configured = randomBytes(32);

      const key = loadMasterKey(configured.toString('base64url'), dir.path);

      expect(key.equals(configured)).to.equal(true);
      expect(key.equals(fromFile)).to.equal(false);
    });

    it('creates no key file when a key is configured', async function () {
      loadMasterKey(randomBytes(32).toString('base64url'), dir.path);
      expect(await readdir(dir.path)).to.deep.equal([]);
    });

    it('refuses a key file that does not hold 32 bytes, naming the file', async function () {
      const file = join(dir.path, 'master.key');
      await writeFile(file, randomBytes(16).toString('base64url'), { mode: 0o600 });
      expect(() => loadMasterKey(undefined, dir.path)).to.throw(file);
    });
  });
});
