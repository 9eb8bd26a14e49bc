/** An RFC 9457 problem. `expose` says whether `detail` may reach the client. */
export class ProblemError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(init: {
    status: number;
    title: string;
    detail?: string;
    type?: string;
    headers?: Record<string, string>;
    extensions?: Record<string, unknown>;
    cause?: unknown;
    /** Whether `detail` may reach the client; by default only for 4xx. */
    expose?: boolean;
  }) {
    super(init.detail ?? init.title, { cause: init.cause });
    this.name = 'ProblemError';
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.type = init.type ?? 'about:blank';
    this.expose = init.expose ?? init.status < 500;
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }

  static badRequest(detail: string, extensions?: Record<string, unknown>): ProblemError {
    return new ProblemError({ status: 400, title: 'Bad Request', detail, extensions });
  }

  static notFound(detail = 'The resource does not exist.'): ProblemError {
    return new ProblemError({ status: 404, title: 'Not Found', detail });
  }

  static conflict(detail: string): ProblemError {
    return new ProblemError({ status: 409, title: 'Conflict', detail });
  }

  /** 413 for a body over `limitBytes`, closing the connection so Node does not read the rest. */
  static contentTooLarge(limitBytes: number): ProblemError {
    return new ProblemError({
      status: 413,
      title: 'Content Too Large',
      detail: `The request body must be at most ${limitBytes} bytes.`,
      headers: { Connection: 'close' },
    });
  }

  static tooManyRequests(retryAfterSeconds: number): ProblemError {
    return new ProblemError({
      status: 429,
      title: 'Too Many Requests',
      detail: `Retry after ${retryAfterSeconds} seconds.`,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }

  static unavailable(detail: string, retryAfterSeconds: number): ProblemError {
    return new ProblemError({
      status: 503,
      title: 'Service Unavailable',
      detail,
      expose: true,
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

export function isProblemError(e: unknown): e is ProblemError {
  return e instanceof ProblemError;
}

/** The HTTP status carried by an error thrown by Koa, a body parser or our code, if any. */
export function httpStatusOf(e: unknown): number | undefined {
  if (typeof e !== 'object' || e === null) {
    return undefined;
  }
  const status = (e as { status?: unknown; statusCode?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : undefined;
}
