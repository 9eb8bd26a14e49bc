import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { csrfField, errorSummary, field, layout } from './layout.js';
import { cancelForm } from './login.js';

/** A sign-up form's field that was refused, with why. */
export type SignupErrors = Readonly<Partial<Record<'handle' | 'displayName' | 'password', string>>>;

/** What the sign-up page shows. */
export interface SignupView {
  readonly action: string;
  readonly csrf: string;
  readonly appName?: string;
  readonly handle?: string;
  readonly displayName?: string;
  readonly error?: string;
  readonly fieldErrors?: SignupErrors;
  readonly loginUrl: string;
  readonly cancelAction: string;
}

/** The sign-up page: handle, display name and password; the password is never sent back. */
export function signupPage(v: SignupView): SafeHtml {
  const errors = v.fieldErrors ?? {};
  return layout(
    'Create your Chirp account',
    html`${v.appName !== undefined && html`<p>and continue to <strong>${v.appName}</strong></p>`}
      ${errorSummary(v.error)}
      <form method="post" action="${v.action}">
        ${csrfField(v.csrf)}
        ${field({ name: 'handle', label: 'Handle', value: v.handle, autocomplete: 'username', maxlength: 15, hint: '1 to 15 letters, digits or underscores.', error: errors.handle })}
        ${field({ name: 'displayName', label: 'Display name', value: v.displayName, autocomplete: 'name', maxlength: 50, hint: 'How others see you; up to 50 characters. Leave it empty to use your handle.', error: errors.displayName, required: false })}
        ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', hint: 'At least 8 characters.', error: errors.password })}
        <button type="submit">Create account</button>
      </form>
      <p>Already have an account? <a href="${v.loginUrl}">Sign in</a></p>
      ${cancelForm(v.cancelAction, v.csrf)}`,
  );
}
