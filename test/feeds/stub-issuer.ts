import { createServer } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '../helpers/tokens.js';
import type { TestIssuer } from '../helpers/tokens.js';

/** A request the stub issuer received. */
export interface IssuerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly form: URLSearchParams;
}

/** What the stub answers to the metadata request; tests change it. */
export interface MetadataAnswer {
  status: number;
  /** The issuer the metadata names; default the stub's own URL. */
  issuer?: string;
}

/**
 * A stand-in authorization server: RFC 8414 metadata and a client_credentials token endpoint
 * that mints tokens with a test issuer at its own URL, for `clientId`/`clientSecret` only.
 */
export interface StubIssuer {
  readonly url: string;
  readonly issuer: TestIssuer;
  readonly requests: IssuerRequest[];
  readonly metadata: MetadataAnswer;
  close(): Promise<void>;
}

export const STUB_CLIENT = { id: 'feeds', secret: 'feeds secret' } as const;

export async function startStubIssuer(): Promise<StubIssuer> {
  const requests: IssuerRequest[] = [];
  const metadata: MetadataAnswer = { status: 200 };
  // Known once the server listens: the test issuer is named after the stub's own URL.
  const at: { url: string; issuer?: TestIssuer } = { url: '' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      };
      requests.push(seen);
      void answer(seen, res);
    });
  });
  async function answer(req: IssuerRequest, res: ServerResponse): Promise<void> {
    if (req.path === '/.well-known/oauth-authorization-server') {
      const body = { issuer: metadata.issuer ?? at.url, token_endpoint: `${at.url}/token` };
      return send(res, metadata.status, metadata.status === 200 ? body : { error: 'down' });
    }
    const basic = Buffer.from(
      `${STUB_CLIENT.id}:${encodeURIComponent(STUB_CLIENT.secret).replace(/%20/g, '+')}`,
    ).toString('base64');
    if (req.path !== '/token' || req.headers.authorization !== `Basic ${basic}`) {
      return send(res, 401, { error: 'invalid_client' });
    }
    const token = await at.issuer?.mint({
      aud: req.form.get('resource') ?? '',
      scope: req.form.get('scope') ?? '',
      clientId: STUB_CLIENT.id,
    });
    send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 300 });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = await createTestIssuer(url);
  Object.assign(at, { url, issuer });
  return {
    url,
    issuer,
    requests,
    metadata,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
