import type { Context } from 'koa';
import { setPageHeaders } from './security-headers.js';
import type { FormTargets } from './security-headers.js';
import type { SafeHtml } from './views/html.js';

/** How a page is sent. */
export interface PageOptions {
  readonly status?: number;
  /** Where the page's forms may end up besides the issuer (see pagePolicy). */
  readonly formTargets?: FormTargets;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends a rendered page with the security headers every page carries. */
export function sendPage(
  ctx: Context,
  issuer: string,
  page: SafeHtml,
  options: PageOptions = {},
): void {
  setPageHeaders((name, value) => ctx.set(name, value), issuer, options.formTargets);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    ctx.set(name, value);
  }
  ctx.status = options.status ?? 200;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = page.text;
}
