import type { Context } from 'koa';
import { errors } from 'oidc-provider';
import type { Client, Provider } from 'oidc-provider';
import { interactionGone } from './page-error.js';

/** An interaction as oidc-provider describes it. */
export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The interaction of this browser at this URL, and the app it is for. */
export interface LoadedInteraction {
  readonly details: InteractionDetails;
  readonly client: Client;
  /** The purpose the interaction's forms are signed for (see csrf.ts). */
  readonly csrfPurpose: string;
  /** Where its forms may end up: the app's redirect URIs (see security-headers.ts). */
  readonly formTargets: readonly string[];
}

/**
 * Loads the interaction named by the URL from the browser's interaction cookie. A missing or
 * expired one (oidc-provider's SessionNotFound), or a cookie for another interaction, is the
 * friendly "start again" page, never a 500.
 */
export async function loadInteraction(
  ctx: Context,
  provider: Provider,
): Promise<LoadedInteraction> {
  let details: InteractionDetails;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (e) {
    if (e instanceof errors.SessionNotFound) {
      throw interactionGone(e);
    }
    throw e;
  }
  const { params } = ctx as Context & { params?: Readonly<Record<string, string>> };
  if (details.uid !== params?.['uid']) {
    throw interactionGone();
  }
  const client = await provider.Client.find(String(details.params['client_id']));
  if (client === undefined) {
    throw interactionGone();
  }
  const requested = details.params['redirect_uri'];
  return {
    details,
    client,
    csrfPurpose: `interaction:${details.uid}`,
    formTargets: [
      ...(client.redirectUris ?? []),
      ...(typeof requested === 'string' ? [requested] : []),
    ],
  };
}

/** The name a person knows the app by. */
export function appNameOf(client: Client): string {
  return client.clientName ?? client.clientId;
}

/** The host the app gets its answer at, shown on the consent page. */
export function redirectHostOf(loaded: LoadedInteraction): string {
  const requested = loaded.details.params['redirect_uri'];
  const uri = typeof requested === 'string' ? requested : (loaded.client.redirectUris?.[0] ?? '');
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
}

/**
 * Records the interaction's result and sends the browser back to oidc-provider (303), which
 * goes on to the next prompt or to the app.
 */
export async function finishInteraction(
  ctx: Context,
  provider: Provider,
  result: Parameters<Provider['interactionResult']>[2],
  merge: boolean,
): Promise<void> {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, {
    mergeWithLastSubmission: merge,
  });
  ctx.status = 303;
  ctx.redirect(returnTo);
}
