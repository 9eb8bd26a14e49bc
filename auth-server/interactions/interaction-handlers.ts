import type { Context } from 'koa';
import type { Provider } from 'oidc-provider';
import type { Csrf } from './csrf.js';
import { CSRF_FIELD } from './csrf.js';
import { readForm } from './form-body.js';
import type { FormFields } from './form-body.js';
import { grantConsent, isFirstParty } from './grants.js';
import { appNameOf, finishInteraction, loadInteraction, redirectHostOf } from './interaction.js';
import type { LoadedInteraction } from './interaction.js';
import { PageError, badForm, interactionGone } from './page-error.js';
import { sendPage } from './pages.js';
import { scopeList } from './scopes.js';
import { NOT_CONFIGURED, signIn } from './sign-in.js';
import type { SignInDeps, SignInRefusal } from './sign-in.js';
import { signUp } from './sign-up.js';
import { IMPLIED_CONSENT_PARAM } from '../provider/offline-access.js';
import { consentPage } from './views/consent.js';
import { loginPage } from './views/login.js';
import { signupPage } from './views/signup.js';
import type { SignupErrors } from './views/signup.js';

/** What the interaction pages need. */
export interface InteractionDeps extends SignInDeps {
  readonly issuer: string;
  /** The running provider; read at request time, because key rotation swaps it. */
  readonly provider: () => Provider;
  readonly csrf: Csrf;
}

/** The handlers of /interaction/:uid and its forms. */
export function interactionHandlers(deps: InteractionDeps) {
  const load = (ctx: Context) => loadInteraction(ctx, deps.provider());
  const base = (uid: string) => `/interaction/${encodeURIComponent(uid)}`;

  const showLogin = (
    ctx: Context,
    it: LoadedInteraction,
    refusal?: SignInRefusal,
    handle?: string,
  ) => {
    const uid = it.details.uid;
    const page = loginPage({
      action: `${base(uid)}/login`,
      csrf: deps.csrf.issue(ctx, it.csrfPurpose),
      appName: appNameOf(it.client),
      handle,
      error: refusal?.message,
      signupUrl: deps.users === undefined ? undefined : `${base(uid)}/signup`,
      cancel: { action: `${base(uid)}/abort` },
    });
    sendPage(ctx, deps.issuer, page, {
      status: refusal?.status,
      headers: refusal?.headers,
      formTargets: it.formTargets,
    });
  };

  const showSignup = (
    ctx: Context,
    it: LoadedInteraction,
    state: {
      status?: number;
      error?: string;
      fieldErrors?: SignupErrors;
      handle?: string;
      displayName?: string;
    } = {},
  ) => {
    const uid = it.details.uid;
    const page = signupPage({
      action: `${base(uid)}/signup`,
      csrf: deps.csrf.issue(ctx, it.csrfPurpose),
      appName: appNameOf(it.client),
      loginUrl: base(uid),
      cancelAction: `${base(uid)}/abort`,
      ...state,
    });
    sendPage(ctx, deps.issuer, page, { status: state.status, formTargets: it.formTargets });
  };

  const showConsent = (ctx: Context, it: LoadedInteraction) => {
    const details = it.details.prompt.details as {
      missingOIDCScope?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const missing = scopeList(
      (details.missingOIDCScope ?? []).join(' '),
      ...Object.values(details.missingResourceScopes ?? {}).map((s) => s.join(' ')),
    );
    // prompt=consent asks again for what is already granted: then show all that was asked.
    const scopes = missing.length > 0 ? missing : scopeList(requestedScope(it));
    const page = consentPage({
      action: `${base(it.details.uid)}/consent`,
      csrf: deps.csrf.issue(ctx, it.csrfPurpose),
      appName: appNameOf(it.client),
      redirectHost: redirectHostOf(it),
      scopes,
    });
    sendPage(ctx, deps.issuer, page, { formTargets: it.formTargets });
  };

  /** Reads the form and checks its anti-forgery token before anything else. */
  const verifiedForm = async (ctx: Context, it: LoadedInteraction): Promise<FormFields> => {
    const form = await readForm(ctx.req);
    deps.csrf.verify(ctx, it.csrfPurpose, form.get(CSRF_FIELD));
    return form;
  };

  const requirePrompt = (it: LoadedInteraction, name: string): void => {
    if (it.details.prompt.name !== name) {
      throw interactionGone();
    }
  };

  return {
    show: async (ctx: Context) => {
      const it = await load(ctx);
      const prompt = it.details.prompt.name;
      if (prompt === 'login') {
        const notConfigured = {
          status: 503,
          message: NOT_CONFIGURED,
          headers: { 'Retry-After': '60' },
        };
        showLogin(ctx, it, deps.users === undefined ? notConfigured : undefined);
        return;
      }
      if (prompt !== 'consent') {
        throw new PageError({
          status: 400,
          title: 'Unsupported step',
          message: 'Chirp cannot complete this sign-in step. Go back to the app and try again.',
        });
      }
      if (isFirstParty(it.client) || consentAlreadyGiven(it)) {
        // Our own apps need no consent, and consent given before for all asked is remembered.
        await allow(ctx, it);
        return;
      }
      showConsent(ctx, it);
    },

    login: async (ctx: Context) => {
      const it = await load(ctx);
      const form = await verifiedForm(ctx, it);
      requirePrompt(it, 'login');
      const handle = (form.get('handle') ?? '').trim();
      const outcome = await signIn(deps, ctx, handle, form.get('password') ?? '');
      if (!outcome.ok) {
        showLogin(ctx, it, outcome.refusal, handle);
        return;
      }
      const login = { accountId: outcome.user.id };
      await finishInteraction(ctx, deps.provider(), { login }, false);
    },

    showSignup: async (ctx: Context) => {
      const it = await load(ctx);
      requirePrompt(it, 'login');
      showSignup(ctx, it);
    },

    signup: async (ctx: Context) => {
      const it = await load(ctx);
      const form = await verifiedForm(ctx, it);
      requirePrompt(it, 'login');
      const input = {
        handle: (form.get('handle') ?? '').trim(),
        displayName: (form.get('displayName') ?? '').trim(),
        password: form.get('password') ?? '',
      };
      const outcome = await signUp(deps, ctx, input);
      if (!outcome.ok) {
        showSignup(ctx, it, {
          ...outcome.refusal,
          handle: input.handle,
          displayName: input.displayName,
        });
        return;
      }
      await finishInteraction(
        ctx,
        deps.provider(),
        { login: { accountId: outcome.user.id } },
        false,
      );
    },

    consent: async (ctx: Context) => {
      const it = await load(ctx);
      const form = await verifiedForm(ctx, it);
      requirePrompt(it, 'consent');
      const decision = form.get('decision');
      if (decision === 'allow') {
        await allow(ctx, it);
        return;
      }
      if (decision !== 'deny') {
        throw badForm('Choose Allow or Deny.');
      }
      const denied = { error: 'access_denied', error_description: 'The user denied the request.' };
      await finishInteraction(ctx, deps.provider(), denied, false);
    },

    abort: async (ctx: Context) => {
      const it = await load(ctx);
      await verifiedForm(ctx, it);
      const cancelled = {
        error: 'access_denied',
        error_description: 'The user cancelled the sign-in.',
      };
      await finishInteraction(ctx, deps.provider(), cancelled, false);
    },
  };

  async function allow(ctx: Context, it: LoadedInteraction): Promise<void> {
    const accountId = it.details.session?.accountId;
    if (accountId === undefined) {
      throw interactionGone();
    }
    const grantId = await grantConsent(deps.provider(), it.details, accountId);
    await finishInteraction(ctx, deps.provider(), { consent: { grantId } }, true);
  }
}

/**
 * The user already consented to everything asked, and the consent prompt is only the one the
 * provider implies for offline_access (see auth-server/provider/offline-access.ts), not the app's.
 */
function consentAlreadyGiven(it: LoadedInteraction): boolean {
  if (it.details.params[IMPLIED_CONSENT_PARAM] !== '1' || it.details.grantId === undefined) {
    return false;
  }
  const missing = it.details.prompt.details as {
    missingOIDCScope?: readonly string[];
    missingOIDCClaims?: readonly string[];
    missingResourceScopes?: Readonly<Record<string, readonly string[]>>;
  };
  return (
    (missing.missingOIDCScope?.length ?? 0) === 0 &&
    (missing.missingOIDCClaims?.length ?? 0) === 0 &&
    Object.values(missing.missingResourceScopes ?? {}).every((s) => s.length === 0)
  );
}

function requestedScope(it: LoadedInteraction): string {
  const scope = it.details.params['scope'];
  return typeof scope === 'string' ? scope : '';
}
