import { describeScope, scopeList } from '../scopes.js';
import { html } from './html.js';
import type { SafeHtml } from './html.js';
import { csrfField, errorSummary, field, layout } from './layout.js';

/** One app holding a grant for the signed-in account. */
export interface ConnectedApp {
  readonly grantId: string;
  readonly name: string;
  readonly scope: string;
  /** When the grant was made. */
  readonly grantedAt: Date;
}

/** What the connected-apps page shows. */
export interface AppsView {
  readonly apps: readonly ConnectedApp[];
  readonly csrf: string;
  /** Where a revoke form posts. */
  readonly revokeAction: string;
  /** Minutes an access token already issued may still be used after a revoke. */
  readonly accessTokenMinutes: number;
  /** A notice after an action ("… was disconnected"). */
  readonly notice?: string;
}

/** The connected-apps page: every third-party app with a grant, each with a revoke form. */
export function appsPage(v: AppsView): SafeHtml {
  return layout(
    'Connected apps',
    html`${v.notice !== undefined && html`<p class="notice" role="status">${v.notice}</p>`}
      <p>
        These apps can use your Chirp account. Disconnecting an app ends its access at once for
        anything it would need to sign in again for; an access token it already holds stops working
        within ${v.accessTokenMinutes} minutes.
      </p>
      ${v.apps.length === 0 ? html`<p>No apps are connected to your account.</p>` : appsTable(v)}`,
  );
}

function appsTable(v: AppsView): SafeHtml {
  return html`<table>
    <caption>
      Apps with access to your account
    </caption>
    <thead>
      <tr>
        <th scope="col">App</th>
        <th scope="col">Can</th>
        <th scope="col">Connected</th>
        <th scope="col">Action</th>
      </tr>
    </thead>
    <tbody>
      ${v.apps.map(
        (app) =>
          html`<tr>
            <th scope="row">${app.name}</th>
            <td>
              <ul class="scopes">
                ${scopeList(app.scope).map((s) => html`<li>${describeScope(s)}</li>`)}
              </ul>
            </td>
            <td>
              <time datetime="${app.grantedAt.toISOString()}">${app.grantedAt.toUTCString()}</time>
            </td>
            <td>
              <form method="post" action="${v.revokeAction}">
                ${csrfField(v.csrf)}
                <input type="hidden" name="grant" value="${app.grantId}" />
                <button type="submit" aria-label="Disconnect ${app.name}">Disconnect</button>
              </form>
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** What the account sign-in page shows (to reach connected apps without an app). */
export interface AccountLoginView {
  readonly action: string;
  readonly csrf: string;
  readonly handle?: string;
  readonly error?: string;
}

/** Sign-in for the account pages; same fields as the interaction's sign-in. */
export function accountLoginPage(v: AccountLoginView): SafeHtml {
  return layout(
    'Sign in to manage your account',
    html`${errorSummary(v.error)}
      <form method="post" action="${v.action}">
        ${csrfField(v.csrf)}
        ${field({ name: 'handle', label: 'Handle', value: v.handle, autocomplete: 'username' })}
        ${field({ name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password' })}
        <button type="submit">Sign in</button>
      </form>`,
  );
}
