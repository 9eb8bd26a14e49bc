import type { IncomingMessage } from 'node:http';
import { readBodyAtMost } from '../../platform/http/read-body.js';
import { PageError, badForm } from './page-error.js';

/** Our forms are a few short fields; anything bigger is not from them. */
export const FORM_LIMIT_BYTES = 16 * 1024;

/** The fields of a submitted form. */
export interface FormFields {
  /** The field's value; undefined when absent. A field sent twice is refused (400 page). */
  get(name: string): string | undefined;
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most {@link FORM_LIMIT_BYTES}.
 * @throws PageError 415 for another media type, 413 past the limit, 400 for a cut-short body.
 */
export async function readForm(req: IncomingMessage): Promise<FormFields> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new PageError({
      status: 415,
      title: 'The form could not be read',
      message: 'The form was not sent as a web form. Go back and submit it again.',
    });
  }
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > FORM_LIMIT_BYTES) {
    throw tooLarge();
  }
  const params = new URLSearchParams((await readAtMost(req)).toString('utf8'));
  return {
    get(name) {
      const values = params.getAll(name);
      if (values.length > 1) {
        throw badForm(`The field "${name}" was sent more than once.`);
      }
      return values[0];
    },
  };
}

function tooLarge(): PageError {
  return new PageError({
    status: 413,
    title: 'The form is too large',
    message: 'What you entered is longer than this form accepts.',
    // Node would otherwise read and discard the rest of the body to reuse the connection.
    headers: { Connection: 'close' },
  });
}

function readAtMost(req: IncomingMessage): Promise<Buffer> {
  return readBodyAtMost(req, FORM_LIMIT_BYTES, {
    tooLarge,
    cut: () => badForm('The form arrived incomplete. Submit it again.'),
  });
}
