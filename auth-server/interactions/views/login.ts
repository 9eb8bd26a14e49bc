import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { csrfField, errorSummary, field, layout } from './layout.js';

/** What the sign-in page shows. */
export interface LoginView {
  /** Where the form posts. */
  readonly action: string;
  readonly csrf: string;
  /** The app the person is signing in to, when there is one. */
  readonly appName?: string;
  readonly handle?: string;
  readonly error?: string;
  /** Sign-up page of this interaction, when sign-up is offered. */
  readonly signupUrl?: string;
  /** Form that cancels the sign-in and returns to the app. */
  readonly cancel?: { readonly action: string };
}

/** The sign-in page; its fields are named `handle` and `password` (DESIGN.md). */
export function loginPage(v: LoginView): SafeHtml {
  return layout(
    'Sign in',
    html`${v.appName !== undefined && html`<p>to continue to <strong>${v.appName}</strong></p>`}
      ${errorSummary(v.error)}
      <form method="post" action="${v.action}">
        ${csrfField(v.csrf)}
        ${field({ name: 'handle', label: 'Handle', value: v.handle, autocomplete: 'username' })}
        ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' })}
        <button type="submit">Sign in</button>
      </form>
      ${v.signupUrl !== undefined && html`<p>New to Chirp? <a href="${v.signupUrl}">Create an account</a></p>`}
      ${v.cancel !== undefined && cancelForm(v.cancel.action, v.csrf)}`,
  );
}

/** A form that abandons the interaction: the app receives access_denied. */
export function cancelForm(action: string, csrf: string): SafeHtml {
  return html`<form method="post" action="${action}" class="secondary">
    ${csrfField(csrf)}
    <button type="submit" class="link-button">Cancel and return to the app</button>
  </form>`;
}
