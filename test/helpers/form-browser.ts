import { expect } from 'chai';

/** One response as a person's browser got it. */
export interface Visit {
  readonly status: number;
  readonly url: URL;
  readonly headers: Headers;
  readonly text: string;
  /** The absolute Location of a redirect. */
  readonly location?: URL;
}

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/**
 * A small browser for HTTP tests of server-rendered pages: a cookie jar (name and path; the
 * tests speak to one host), forms sent as application/x-www-form-urlencoded, and redirects
 * followed while they stay on `origin`. A redirect elsewhere (to an app's redirect URI) ends
 * the navigation, with its target in `location`.
 */
export class Browser {
  private readonly cookies = new Map<string, StoredCookie>();

  /** `timeoutMs` bounds each request (none by default: a test's own timeout applies). */
  constructor(
    readonly origin: string,
    private readonly timeoutMs?: number,
  ) {}

  /** GET, following same-origin redirects. */
  async open(url: string | URL): Promise<Visit> {
    return this.follow(await this.request('GET', new URL(url, this.origin)));
  }

  /** POSTs a form, following same-origin redirects (as a browser does, with GET). */
  async submit(action: string | URL, fields: Readonly<Record<string, string>>): Promise<Visit> {
    const body = new URLSearchParams(fields).toString();
    return this.follow(await this.request('POST', new URL(action, this.origin), body));
  }

  /** One request without following its redirect. */
  async request(
    method: string,
    url: URL,
    body?: string,
    extra: Record<string, string> = {},
  ): Promise<Visit> {
    const headers: Record<string, string> = { ...extra };
    const cookie = this.cookieHeader(url);
    if (cookie !== '') {
      headers['cookie'] = cookie;
    }
    if (body !== undefined) {
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const signal = this.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.timeoutMs);
    const res = await fetch(url, { method, headers, body, redirect: 'manual', signal });
    this.store(res, url);
    const location = res.headers.get('location');
    return {
      status: res.status,
      url,
      headers: res.headers,
      text: await res.text(),
      location: location === null ? undefined : new URL(location, url),
    };
  }

  /** The value of a cookie the browser holds (any path). */
  cookie(name: string): string | undefined {
    return [...this.cookies.values()].find((c) => c.name === name)?.value;
  }

  private async follow(visit: Visit): Promise<Visit> {
    let current = visit;
    for (let hops = 0; hops < 10; hops += 1) {
      const next = current.location;
      if (current.status < 300 || current.status >= 400 || next === undefined) {
        return current;
      }
      if (next.origin !== new URL(this.origin).origin) {
        return current;
      }
      current = await this.request('GET', next);
    }
    throw new Error('too many redirects');
  }

  private cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private store(res: Response, url: URL): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const pathAttr = attributes.find((a) => a.toLowerCase().startsWith('path='));
      const path = pathAttr?.slice(5) ?? defaultPath(url);
      const key = `${name};${path}`;
      const expired = attributes.some((a) => /^expires=.*1970/i.test(a) || /^max-age=0$/i.test(a));
      if (expired || value === '') {
        this.cookies.delete(key);
      } else {
        this.cookies.set(key, { name, value, path });
      }
    }
  }
}

function defaultPath(url: URL): string {
  const i = url.pathname.lastIndexOf('/');
  return i <= 0 ? '/' : url.pathname.slice(0, i);
}

/** A form of a page, as the page's HTML declares it. */
export interface PageForm {
  readonly action: string;
  /** The hidden fields with their values. */
  readonly hidden: Readonly<Record<string, string>>;
}

/**
 * The forms of a page (our pages' simple markup: `<form method="post" action="…">` with hidden
 * inputs written `name="…" value="…"`), in document order.
 */
export function formsOf(html: string): PageForm[] {
  const forms = [...html.matchAll(/<form\b[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
  return forms.map(([, action = '', inner = '']) => ({
    action: decode(action),
    hidden: Object.fromEntries(
      [...inner.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(
        ([, name = '', value = '']) => [name, decode(value)],
      ),
    ),
  }));
}

/** The one form whose action ends with `suffix`. */
export function formEndingWith(html: string, suffix: string): PageForm {
  const found = formsOf(html).filter((f) => f.action.endsWith(suffix));
  expect(found, `one form posting to …${suffix}`).to.have.length(1);
  return found[0] as PageForm;
}

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#96;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
