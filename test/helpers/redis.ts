/** Printed once by every suite that needs Redis and is skipped without it. */
export const REDIS_SKIP_REASON = 'skipped: set CHIRP_TEST_REDIS_URL to run on Redis';

/** The Redis server tests may use, or undefined when none is configured. */
export function redisUrl(): string | undefined {
  const url = process.env['CHIRP_TEST_REDIS_URL'];
  return url === undefined || url === '' ? undefined : url;
}
