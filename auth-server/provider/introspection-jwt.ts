import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider answers 400 unsupported_token_type when a JWT access token is introspected,
 * an error RFC 7662 does not define: a token the server cannot vouch for is `active: false`
 * (section 2.2). JWT access tokens are not stored, so that is the honest answer.
 */
export async function jwtIntrospectionIsInactive(
  ctx: KoaContextWithOIDC,
  next: () => Promise<void>,
): Promise<void> {
  await next();
  const body = ctx.body as { error?: string } | undefined;
  if (ctx.oidc?.route === 'introspection' && body?.error === 'unsupported_token_type') {
    ctx.status = 200;
    ctx.body = { active: false };
  }
}
