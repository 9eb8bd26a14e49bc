import type { Middleware } from 'koa';
import { invalidInput } from './validate.js';

declare module 'koa' {
  interface DefaultState {
    /** The request's valid `Idempotency-Key`, set by {@link idempotencyKey} when one was sent. */
    idempotencyKey?: string;
  }
}

/** The header name, as it appears in problem details. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** DESIGN.md "Resource APIs": a key is 1–255 characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * Reads the optional `Idempotency-Key` header into `ctx.state.idempotencyKey`. When present it
 * must be sent once and be 1–255 printable ASCII characters (0x20–0x7E); otherwise the request is
 * a 400 naming `Idempotency-Key`. Whether a key was used before is the use case's question.
 */
export function idempotencyKey(): Middleware {
  return async function idempotencyKeyMiddleware(ctx, next) {
    // headersDistinct, because Node joins a repeated unknown header into one "a, b" string.
    const sent = ctx.req.headersDistinct['idempotency-key'];
    if (sent !== undefined) {
      const problem = problemWith(sent);
      if (problem !== undefined) {
        throw invalidInput([{ field: IDEMPOTENCY_KEY_HEADER, message: problem }]);
      }
      ctx.state.idempotencyKey = sent[0];
    }
    await next();
  };
}

// Node hands header bytes over 0x7F through as Latin-1 characters, so this also refuses those.
const PRINTABLE_ASCII = /^[\x20-\x7E]*$/;

function problemWith(values: readonly string[]): string | undefined {
  const [key] = values;
  if (values.length !== 1 || key === undefined) {
    return 'must be sent once';
  }
  if (key.length === 0) {
    return 'must not be empty';
  }
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`;
  }
  if (!PRINTABLE_ASCII.test(key)) {
    return 'must be printable ASCII characters only (0x20 to 0x7E)';
  }
  return undefined;
}
