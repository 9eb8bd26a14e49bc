import { describeScope } from '../scopes.js';
import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { csrfField, layout } from './layout.js';

/** What the consent page shows. */
export interface ConsentView {
  readonly action: string;
  readonly csrf: string;
  /** The app's client_name, or its client id when it has none. */
  readonly appName: string;
  /** The host the app receives the answer at (its redirect URI's), so a look-alike shows. */
  readonly redirectHost: string;
  /** The scopes asked for that are not granted yet. */
  readonly scopes: readonly string[];
}

/** The consent page: a button named `decision`, valued `allow` or `deny` (DESIGN.md). */
export function consentPage(v: ConsentView): SafeHtml {
  return layout(
    `Allow ${v.appName} to use your account?`,
    html`<p><strong>${v.appName}</strong> (at <strong>${v.redirectHost}</strong>) asks to:</p>
      <ul class="scopes">
        ${v.scopes.map((s) => html`<li>${describeScope(s)} <span class="scope-name">(${s})</span></li>`)}
      </ul>
      <p>You can disconnect it at any time from your connected apps.</p>
      <form method="post" action="${v.action}" class="decision">
        ${csrfField(v.csrf)}
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny" class="secondary-button">Deny</button>
      </form>`,
  );
}
