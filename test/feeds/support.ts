import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Response } from 'supertest';
import type { TokenSource } from '../../platform/http/token-source.js';
import type { TestIssuer } from '../helpers/tokens.js';

/** A user as the users service answers it. */
export interface TestUser {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
}

/** A tweet as the tweets service answers it. */
export interface TestTweet {
  readonly id: string;
  readonly authorId: string;
  readonly text: string;
  readonly createdAt: string;
}

/** A feed item as GET /feeds/home answers it. */
export interface FeedItemJson extends TestTweet {
  readonly author: { readonly id: string; readonly handle: string; readonly displayName: string };
}

/** The body of GET /feeds/home. */
export interface HomePageJson {
  readonly items: readonly FeedItemJson[];
  readonly nextCursor: string | null;
  readonly degraded: boolean;
}

/** A token source that mints client_credentials tokens with the test issuer, and remembers what was asked. */
export interface MintingTokenSource extends TokenSource {
  readonly asked: { resource: string; scope: string }[];
}

/** Mints each token it is asked for with the test issuer, as feeds' own client would get them. */
export function mintingTokenSource(issuer: TestIssuer): MintingTokenSource {
  const asked: { resource: string; scope: string }[] = [];
  return {
    asked,
    token(resource, scope) {
      asked.push({ resource, scope });
      return issuer.mint({ aud: resource, scope, clientId: 'feeds' });
    },
    invalidate: () => undefined,
  };
}

/** A pino logger whose JSON lines land in `lines`. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** The body of a GET /feeds/home answer. */
export function pageOf(res: Response): HomePageJson {
  return res.body as HomePageJson;
}

/** Milliseconds `work` took, with its result. */
export async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}
