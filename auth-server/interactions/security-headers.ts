import type { ServerResponse } from 'node:http';

/** Where a page's forms may lead, redirects included (see {@link pagePolicy}). */
export type FormTargets = readonly string[];

/**
 * The Content-Security-Policy of every page: nothing loads but our own stylesheet and images,
 * no script at all, no framing, no <base>. `form-action` names every place a form submission
 * may end up, because Chromium applies it to the redirects that follow the submission too: a
 * consent POST ends at the app's redirect URI, a logout at its post-logout redirect URI.
 */
export function pagePolicy(issuer: string, formTargets: FormTargets = []): string {
  const sources = new Set(["'self'", new URL(issuer).origin]);
  for (const target of formTargets) {
    const source = cspSource(target);
    if (source !== undefined) {
      sources.add(source);
    }
  }
  return [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self'",
    `form-action ${[...sources].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** The headers every page carries besides its CSP. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  // For browsers that predate frame-ancestors.
  'X-Frame-Options': 'DENY',
});

/** Sets the page headers through any `set(name, value)` (a Koa ctx or a Node response). */
export function setPageHeaders(
  set: (name: string, value: string) => unknown,
  issuer: string,
  formTargets: FormTargets = [],
): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) {
    set(name, value);
  }
  set('Content-Security-Policy', pagePolicy(issuer, formTargets));
}

/**
 * Headers for everything oidc-provider answers, set before it runs. Its own HTML (the error
 * page, the logout pages) is rendered by our functions, which replace this policy with the
 * page policy. The remaining HTML is the auto-submitting form of `response_mode=form_post`:
 * oidc-provider adds the hash of its one inline script to an existing `script-src`, so the
 * empty `script-src` here allows exactly that script. That form posts to a redirect URI the
 * provider has already checked, which we cannot know here, so this policy has no form-action.
 */
export function setProviderHeaders(res: ServerResponse): void {
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

/** An http(s) URI's origin, or a private-use scheme (`com.example.app:`) for a native app. */
function cspSource(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    return url.origin;
  }
  return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
}
