import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';

/**
 * Cost of new hashes: N = 2^15, r = 8, p = 1 (32 MiB, about 90 ms on a development machine).
 * Each hash records its own parameters, so raising these later leaves old hashes readable.
 */
export const SCRYPT_PARAMS: Readonly<ScryptParams> = { logN: 15, r: 8, p: 1 };

/** The parameters stored with every hash, so they can be raised later without breaking old ones. */
export interface ScryptParams {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** 128·N·r is 32 MiB at the current cost; twice that leaves room without letting a bad row eat RAM. */
const MAX_MEMORY = 64 * 1024 * 1024;
// PHC string format: $scrypt$ln=15,r=8,p=1$<salt>$<key>, salt and key in unpadded base64.
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Hashes a password with a fresh salt; the result names the algorithm and its parameters. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, SCRYPT_PARAMS);
  return formatPhc(SCRYPT_PARAMS, salt, key);
}

/**
 * Whether `password` matches `stored`, compared in constant time.
 *
 * @throws Error when `stored` is not a hash this module wrote (a damaged row: a server error).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePhc(stored);
  if (parsed === undefined) {
    throw new Error('stored password hash is not a scrypt PHC string');
  }
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/**
 * A hash no password matches, with the current parameters: checked when a handle does not exist,
 * so that answer takes as long as a wrong password and does not reveal which handles exist.
 */
export function dummyHash(): string {
  return formatPhc(SCRYPT_PARAMS, randomBytes(SALT_BYTES), randomBytes(KEY_BYTES));
}

function derive(password: string, salt: Buffer, length: number, params: ScryptParams) {
  const options: ScryptOptions = {
    N: 2 ** params.logN,
    r: params.r,
    p: params.p,
    maxmem: MAX_MEMORY,
  };
  // The async form runs on the libuv pool: ~90 ms of hashing must not block the event loop.
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => {
      if (err) {
        reject(err);
        return;
      }
      resolve(key);
    });
  });
}

function formatPhc(params: ScryptParams, salt: Buffer, key: Buffer): string {
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${b64(salt)}$${b64(key)}`;
}

function parsePhc(stored: string) {
  const m = PHC.exec(stored);
  if (m === null) {
    return undefined;
  }
  const [, logN, r, p, salt, key] = m;
  return {
    params: { logN: Number(logN), r: Number(r), p: Number(p) },
    salt: Buffer.from(salt ?? '', 'base64'),
    key: Buffer.from(key ?? '', 'base64'),
  };
}
