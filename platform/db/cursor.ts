import { z } from 'zod';
import { ProblemError } from '../errors.js';

/** What a cursor may carry: a position such as `{ createdAt, id }`, never anything secret. */
export type CursorValue = Readonly<Record<string, string | number>>;

/** The outcome of {@link tryDecodeCursor}: the position, or a plain "not one of ours". */
export type CursorResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** Longest cursor accepted (and produced), so a client cannot make us decode megabytes. */
export const MAX_CURSOR_LENGTH = 512;

/** The message clients see; it does not say which check failed, as the format is ours alone. */
export const INVALID_CURSOR = 'is not a valid cursor; pass the nextCursor of a previous page';

/**
 * Encodes a list position as an opaque cursor: a version prefix and the base64url of its JSON.
 * Cursors are not signed: they only say where a page starts, and every value read back is
 * validated before it reaches a query.
 *
 * @throws Error (a programming error, not a client's) when a number is not finite or the cursor
 *   would exceed {@link MAX_CURSOR_LENGTH} characters, so we never hand out a cursor we refuse.
 */
export function encodeCursor(value: CursorValue): string {
  for (const [key, v] of Object.entries(value)) {
    // JSON.stringify turns NaN and Infinity into null, which would not read back.
    if (typeof v === 'number' && !Number.isFinite(v)) {
      throw new Error(`cursor field ${key} is not a finite number`);
    }
  }
  const cursor = PREFIX + Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  if (cursor.length > MAX_CURSOR_LENGTH) {
    throw new Error(`cursor is ${cursor.length} characters, over ${MAX_CURSOR_LENGTH}`);
  }
  return cursor;
}

/**
 * Reads a cursor made by {@link encodeCursor} and checks its position with `schema`.
 *
 * @throws ProblemError 400 naming `cursor` (never a 500) for anything else: too long, wrong
 *   prefix, bad base64url, bad UTF-8 or JSON, or a shape `schema` rejects.
 */
export function decodeCursor<T>(cursor: string, schema: z.ZodType<T>): T {
  const result = tryDecodeCursor(cursor, schema);
  if (!result.ok) {
    throw ProblemError.badRequest(`cursor: ${INVALID_CURSOR}`, {
      errors: [{ field: 'cursor', message: INVALID_CURSOR }],
    });
  }
  return result.value;
}

/**
 * Like {@link decodeCursor}, but says "not a cursor" with a result instead of throwing, for
 * callers that report the problem themselves (the `cursorQuery` zod piece).
 */
export function tryDecodeCursor<T>(cursor: string, schema: z.ZodType<T>): CursorResult<T> {
  const raw = rawValueOf(cursor);
  if (raw === undefined) {
    return NOT_A_CURSOR;
  }
  const parsed = schema.safeParse(raw);
  return parsed.success ? { ok: true, value: parsed.data } : NOT_A_CURSOR;
}

const PREFIX = 'v1.';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const NOT_A_CURSOR: CursorResult<never> = { ok: false };
const CURSOR_VALUE = z.record(z.string(), z.union([z.string(), z.number()]));
// fatal: invalid UTF-8 is refused instead of being read as U+FFFD.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The plain string/number record inside a cursor of ours, or undefined for anything else. */
function rawValueOf(cursor: string): CursorValue | undefined {
  if (cursor.length > MAX_CURSOR_LENGTH || !cursor.startsWith(PREFIX)) {
    return undefined;
  }
  const payload = cursor.slice(PREFIX.length);
  if (!BASE64URL.test(payload)) {
    return undefined;
  }
  const bytes = Buffer.from(payload, 'base64url');
  // Node's decoder drops stray trailing bits; re-encoding keeps only the exact form we produce.
  if (bytes.toString('base64url') !== payload) {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(UTF8.decode(bytes));
  } catch {
    return undefined;
  }
  const value = CURSOR_VALUE.safeParse(json);
  return value.success ? value.data : undefined;
}
