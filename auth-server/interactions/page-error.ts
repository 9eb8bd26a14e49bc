/**
 * A refusal a page shows to a person: the status, a heading and a sentence. Thrown deep in a
 * handler and rendered once by the page-error middleware (see routes.ts), never as JSON.
 */
export class PageError extends Error {
  readonly isPageError = true;
  readonly status: number;
  readonly title: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    init: Readonly<{
      status: number;
      title: string;
      message: string;
      headers?: Record<string, string>;
      cause?: unknown;
    }>,
  ) {
    super(init.message, { cause: init.cause });
    this.name = 'PageError';
    this.status = init.status;
    this.title = init.title;
    this.headers = init.headers ?? {};
  }
}

/** Whether `e` is a {@link PageError}. */
export function isPageError(e: unknown): e is PageError {
  return e instanceof Error && 'isPageError' in e && e.isPageError === true;
}

/** The page a browser lands on when its sign-in step is gone (expired, or cookies blocked). */
export function interactionGone(cause?: unknown): PageError {
  return new PageError({
    status: 400,
    title: 'This sign-in has expired',
    message:
      'The sign-in you were in the middle of is no longer valid (it took too long, or cookies are blocked). Go back to the app and start again.',
    cause,
  });
}

/** The answer to a form without a valid anti-forgery token. */
export function forbiddenForm(): PageError {
  return new PageError({
    status: 403,
    title: 'This form has expired',
    message:
      'The form could not be verified, so nothing was done. Reload the page and try again; if you did not submit this form yourself, you can ignore this page.',
  });
}

/** A form that is not what our pages send. */
export function badForm(message: string): PageError {
  return new PageError({ status: 400, title: 'The form could not be read', message });
}
