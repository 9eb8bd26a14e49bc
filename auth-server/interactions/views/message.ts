import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { layout } from './layout.js';

/** A page that only tells something: an error, an outage, a finished logout. */
export function messagePage(
  title: string,
  message: string,
  link?: { readonly href: string; readonly text: string },
): SafeHtml {
  return layout(
    title,
    html`<p>${message}</p>
      ${link !== undefined && html`<p><a href="${link.href}">${link.text}</a></p>`}`,
  );
}
