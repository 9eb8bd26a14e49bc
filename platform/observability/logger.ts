import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Creates the JSON-lines logger of a component. Secrets never reach it: the redact list covers
 * the header and body fields that can carry one.
 */
export function createLogger(component: string, level: string): Logger {
  return pino({
    level,
    base: { component },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'client_secret',
        'password',
        '*.client_secret',
        '*.password',
      ],
      censor: '[redacted]',
    },
  });
}
