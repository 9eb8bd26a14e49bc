import type { RouterMiddleware } from '@koa/router';
import type { DefaultState } from 'koa';
import { z } from 'zod';
import { INVALID_CURSOR, tryDecodeCursor } from '../db/cursor.js';
import type { CursorValue } from '../db/cursor.js';
import { ProblemError } from '../errors.js';
// For its typing of ctx.request.body, which validate() reads.
import './json-body.js';

declare module 'koa' {
  interface DefaultState {
    /** Set by {@link validate}; read it with {@link input}. */
    input?: ValidatedInput;
  }
}

/** The parts of a request that {@link validate} checks. */
export type InputPart = 'params' | 'query' | 'body';

/**
 * A route's input schemas, one optional zod schema per part. `query` sees each parameter as a
 * single string (a repeated one is refused before it); `body` sees what jsonBody() parsed.
 */
export interface InputSchemas {
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
}

/** The validated input of a route declared with schemas `S`: each part's zod output type. */
export type Input<S extends InputSchemas> = {
  readonly [K in keyof S & InputPart]-?: z.output<NonNullable<S[K]>>;
};

/** What {@link validate} leaves on `ctx.state.input`: the schemas it used and their outputs. */
export interface ValidatedInput {
  readonly schemas: InputSchemas;
  readonly values: Readonly<Partial<Record<InputPart, unknown>>>;
}

/** One invalid field: `field` is a dotted path such as `limit`, `id` or `body.text`. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/**
 * The 400 problem for invalid input: `detail` reads `field: message` for the first issue, and the
 * `errors` extension lists them all as `{ field, message }`.
 */
export function invalidInput(issues: readonly [FieldIssue, ...FieldIssue[]]): ProblemError {
  const [first] = issues;
  return ProblemError.badRequest(`${first.field}: ${first.message}`, {
    errors: issues.map(({ field, message }) => ({ field, message })),
  });
}

/**
 * Parses the route's params, query and body with `schemas` and stores the typed results for
 * {@link input}; any failure is a 400 from {@link invalidInput} naming every bad field (URL
 * parts first). Fields of the body are named `body.<path>`; params and query by their own name.
 */
export function validate<S extends InputSchemas>(schemas: S): RouterMiddleware {
  return async function validateMiddleware(ctx, next) {
    const issues: FieldIssue[] = [];
    const values: Partial<Record<InputPart, unknown>> = {};
    const parse = (part: InputPart, schema: z.ZodType | undefined, value: unknown): void => {
      if (schema === undefined) {
        return;
      }
      const result = schema.safeParse(value);
      if (result.success) {
        values[part] = result.data;
        return;
      }
      for (const issue of result.error.issues) {
        issues.push({ field: fieldName(part, issue.path), message: issue.message });
      }
    };
    parse('params', schemas.params, ctx.params);
    if (schemas.query !== undefined) {
      const repeated = repeatedParameters(ctx.query);
      issues.push(...repeated.map((field) => ({ field, message: 'must not be repeated' })));
      if (repeated.length === 0) {
        parse('query', schemas.query, ctx.query);
      }
    }
    parse('body', schemas.body, ctx.request.body);
    const [first, ...rest] = issues;
    if (first !== undefined) {
      throw invalidInput([first, ...rest]);
    }
    ctx.state.input = { schemas, values };
    await next();
  };
}

/**
 * The input that {@link validate} parsed on this route, typed by its schemas: call it as
 * `input(ctx, CreateTweet)` (checked at run time to be the route's schemas) or
 * `input<typeof CreateTweet>(ctx)`.
 *
 * @throws Error (a 500: the route is wired wrongly) when validate() did not run, or ran with other
 *   schemas than the ones passed.
 */
export function input<S extends InputSchemas>(
  ctx: { readonly state: DefaultState },
  schemas?: S,
): Input<S> {
  const validated = ctx.state.input;
  if (validated === undefined) {
    throw new Error('input(): validate() did not run on this route');
  }
  if (schemas !== undefined && validated.schemas !== schemas) {
    throw new Error('input(): this route was validated with other schemas');
  }
  // Sound by construction: validate(S) stored each part of S as that schema's parsed output.
  return validated.values as Input<S>;
}

/** `?limit=`: an integer from 1 to 100, default 20 (DESIGN.md "Resource APIs"). */
export const limitQuery = z
  .string()
  .regex(/^(?:100|[1-9][0-9]?)$/, 'must be an integer from 1 to 100')
  .transform(Number)
  .default(20);

/**
 * `?cursor=` whose position must match `schema`: an optional string that decodes, with
 * platform/db/cursor.ts, to a `T`; anything else is an issue on `cursor`, never a 500.
 */
export function cursorQueryOf<T>(schema: z.ZodType<T>): z.ZodOptional<z.ZodType<T, string>> {
  return z
    .string()
    .transform((value, ctx): T => {
      const result = tryDecodeCursor(value, schema);
      if (result.ok) {
        return result.value;
      }
      ctx.issues.push({ code: 'custom', message: INVALID_CURSOR, input: value });
      return z.NEVER;
    })
    .optional();
}

/** `?cursor=`: an optional cursor made by encodeCursor, decoded to its plain position. */
export const cursorQuery = cursorQueryOf<CursorValue>(
  z.record(z.string(), z.union([z.string(), z.number()])),
);

/** A path id: 1–64 characters of `A–Z a–z 0–9 _ -` (user and tweet ids, handles fit). */
export const idParam = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1 to 64 characters of A-Z, a-z, 0-9, _ or -');

/** Query and params are named as the client wrote them; body fields under `body.`. */
function fieldName(part: InputPart, path: readonly PropertyKey[]): string {
  const segments = path.map((p) => (typeof p === 'symbol' ? (p.description ?? '') : String(p)));
  if (part === 'body') {
    return ['body', ...segments].join('.');
  }
  return segments.length > 0 ? segments.join('.') : part;
}

/** `?limit=1&limit=2` has no single meaning, so it is refused rather than one value picked. */
function repeatedParameters(query: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(query)
    .filter(([, value]) => Array.isArray(value))
    .map(([name]) => name);
}
