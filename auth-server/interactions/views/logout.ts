import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { layout } from './layout.js';

/** What the logout confirmation shows. */
export interface LogoutView {
  /** oidc-provider's confirmation endpoint. */
  readonly action: string;
  /** oidc-provider's own anti-forgery value for this logout (its `xsrf` field). */
  readonly xsrf: string;
  readonly appName?: string;
}

/**
 * The RP-initiated logout confirmation. `logout=yes` ends the whole Chirp session; the other
 * button signs out of the asking app only (oidc-provider's two outcomes).
 */
export function logoutPage(v: LogoutView): SafeHtml {
  return layout(
    'Sign out?',
    html`<p>
        ${v.appName !== undefined ? html`<strong>${v.appName}</strong> asks to sign you out.` : 'Do you want to sign out of Chirp?'}
      </p>
      <form method="post" action="${v.action}" class="decision">
        <input type="hidden" name="xsrf" value="${v.xsrf}" />
        <button type="submit" name="logout" value="yes">Sign out of Chirp</button>
        ${v.appName !== undefined && html`<button type="submit" class="secondary-button">Sign out of this app only</button>`}
      </form>`,
  );
}
