import { listKeys, rotateKeys } from '../provider/keys.js';
import type { KeyInfo } from '../provider/keys.js';
import { CLOCK_TOLERANCE_SECONDS, ID_TOKEN_TTL_SECONDS } from '../provider/configuration.js';
import type { AdminContext } from './context.js';

export type { KeyInfo } from '../provider/keys.js';

export function keysList(ctx: AdminContext): Promise<KeyInfo[]> {
  return listKeys(ctx.db);
}

/**
 * Rotates signing keys. A retiring key stays published until the last token it may have signed
 * expires: a running server keeps signing with it until it notices the rotation (one refresh
 * interval), then that token lives its TTL, plus the verifiers' clock tolerance.
 */
export function keysRotate(ctx: AdminContext): Promise<KeyInfo[]> {
  const lag = ctx.config.keyRefreshSeconds + CLOCK_TOLERANCE_SECONDS;
  return rotateKeys(ctx.db, ctx.box, {
    access: (ctx.config.accessTokenTtlSeconds + lag) * 1000,
    id: (ID_TOKEN_TTL_SECONDS + lag) * 1000,
  });
}
