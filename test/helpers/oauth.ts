import * as oauth from 'oauth4webapi';

/** oauth4webapi, a real certified client library, pointed at a plain-HTTP test issuer. */
export const insecure = { [oauth.allowInsecureRequests]: true } as const;

export async function discover(issuer: string): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  const res = await oauth.discoveryRequest(url, { algorithm: 'oauth2', ...insecure });
  return oauth.processDiscoveryResponse(url, res);
}

/** A client_credentials token request; resolves to the response or rejects with the OAuth error. */
export async function clientCredentials(
  as: oauth.AuthorizationServer,
  client: { client_id: string; client_secret: string },
  params: Record<string, string>,
): Promise<oauth.TokenEndpointResponse> {
  const c: oauth.Client = { client_id: client.client_id };
  const res = await oauth.clientCredentialsGrantRequest(
    as,
    c,
    oauth.ClientSecretBasic(client.client_secret),
    new URLSearchParams(params),
    insecure,
  );
  return oauth.processClientCredentialsResponse(as, c, res);
}

/** The OAuth error code a rejected token request carried. */
export async function oauthErrorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) {
      return e.error;
    }
    // invalid_client comes as a 401 with a WWW-Authenticate challenge carrying the code.
    if (e instanceof oauth.WWWAuthenticateChallengeError) {
      return e.cause[0]?.parameters.error ?? 'no error parameter';
    }
    throw e;
  }
  throw new Error('expected the request to fail');
}
