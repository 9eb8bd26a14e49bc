import { html } from './html.js';
import type { SafeHtml } from './html.js';

/** Where the pages' one stylesheet is served (see routes.ts); CSP allows only 'self' styles. */
export const STYLESHEET_PATH = '/assets/chirp.css';

/**
 * The frame of every page: language, title, our stylesheet, a banner and one main landmark with
 * the page's only h1. No script, no inline style: the CSP forbids both.
 */
export function layout(title: string, content: SafeHtml): SafeHtml {
  return html`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Chirp</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <header class="banner"><p class="brand">Chirp</p></header>
        <main>
          <h1>${title}</h1>
          ${content}
        </main>
      </body>
    </html> `;
}

/** A hidden anti-forgery field; every form has one. */
export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${token}" />`;
}

/** An error summary read out when the page loads (role=alert), or nothing. */
export function errorSummary(message: string | undefined): SafeHtml {
  return html`${message !== undefined && html`<p class="error" role="alert" id="form-error">${message}</p>`}`;
}

/** A labelled text input; `error` marks it invalid and ties the message to it. */
export function field(f: {
  readonly name: string;
  readonly label: string;
  readonly type?: string;
  readonly value?: string;
  readonly autocomplete: string;
  readonly hint?: string;
  readonly error?: string;
  readonly maxlength?: number;
  /** Default true. */
  readonly required?: boolean;
}): SafeHtml {
  const id = `field-${f.name}`;
  const described = [f.hint && `${id}-hint`, f.error && `${id}-error`].filter(Boolean).join(' ');
  return html`<div class="field">
    <label for="${id}">${f.label}</label>
    ${f.hint !== undefined && html`<p class="hint" id="${id}-hint">${f.hint}</p>`}
    ${f.error !== undefined && html`<p class="field-error" id="${id}-error">${f.error}</p>`}
    <input
      id="${id}"
      name="${f.name}"
      type="${f.type ?? 'text'}"
      autocomplete="${f.autocomplete}"
      ${f.required !== false && html` required`}${f.maxlength !== undefined && html` maxlength="${f.maxlength}"`}${f.value !== undefined && html` value="${f.value}"`}${described !== '' && html` aria-describedby="${described}"`}${f.error !== undefined && html` aria-invalid="true"`}
    />
  </div>`;
}
