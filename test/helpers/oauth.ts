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

/** A client of the code flow: public (no secret) or confidential (client_secret_basic). */
export interface CodeFlowClient {
  readonly client_id: string;
  readonly client_secret?: string;
}

export function clientAuthOf(client: CodeFlowClient): oauth.ClientAuth {
  return client.client_secret ? oauth.ClientSecretBasic(client.client_secret) : oauth.None();
}

/** An authorization request of the code flow with PKCE S256; `params` override or remove (''). */
export interface CodeRequest {
  readonly url: URL;
  readonly state: string;
  readonly codeVerifier: string;
  readonly redirectUri: string;
}

export async function codeRequest(
  as: oauth.AuthorizationServer,
  client: CodeFlowClient,
  redirectUri: string,
  params: Record<string, string>,
): Promise<CodeRequest> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint ?? '');
  const all: Record<string, string> = {
    client_id: client.client_id,
    response_type: 'code',
    redirect_uri: redirectUri,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) {
    if (v !== '') {
      url.searchParams.set(k, v);
    }
  }
  return { url, state, codeVerifier, redirectUri };
}

/**
 * Validates the authorization response (state, iss) and exchanges its code; resolves to the
 * token response or rejects with the OAuth error, as an app's library would.
 */
export async function exchangeCode(
  as: oauth.AuthorizationServer,
  client: CodeFlowClient,
  request: CodeRequest,
  callback: URL,
  params: Record<string, string> = {},
): Promise<oauth.TokenEndpointResponse> {
  const c: oauth.Client = { client_id: client.client_id };
  const validated = oauth.validateAuthResponse(as, c, callback, request.state);
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    c,
    clientAuthOf(client),
    validated,
    request.redirectUri,
    request.codeVerifier,
    { ...insecure, additionalParameters: params },
  );
  return oauth.processAuthorizationCodeResponse(as, c, res);
}

/** A refresh_token grant request; resolves to the response or rejects with the OAuth error. */
export async function refresh(
  as: oauth.AuthorizationServer,
  client: CodeFlowClient,
  refreshToken: string,
  params: Record<string, string> = {},
): Promise<oauth.TokenEndpointResponse> {
  const c: oauth.Client = { client_id: client.client_id };
  const res = await oauth.refreshTokenGrantRequest(as, c, clientAuthOf(client), refreshToken, {
    ...insecure,
    additionalParameters: params,
  });
  return oauth.processRefreshTokenResponse(as, c, res);
}

/** The error description of a rejected token request. */
export async function oauthErrorDescriptionOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof oauth.ResponseBodyError) {
      const description = e.cause['error_description'];
      return typeof description === 'string' ? description : undefined;
    }
    throw e;
  }
  throw new Error('expected the request to fail');
}
