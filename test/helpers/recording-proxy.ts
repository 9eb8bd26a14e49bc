import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Exchange } from './openapi.js';

/** An exchange as the proxy saw it, with the request headers feeds sent. */
export interface RecordedExchange extends Exchange {
  readonly requestHeaders: IncomingHttpHeaders;
}

/** An HTTP proxy in front of one service that records every exchange passing through it. */
export interface RecordingProxy {
  readonly url: string;
  readonly exchanges: RecordedExchange[];
  close(): Promise<void>;
}

/** Starts a recording proxy on 127.0.0.1 in front of `target` (an http://host:port URL). */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const exchanges: RecordedExchange[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const requestText = await readAll(req);
      const headers = { ...req.headers, host: upstream.host };
      const answer = await forward(
        upstream,
        req.method ?? 'GET',
        req.url ?? '/',
        headers,
        requestText,
      );
      exchanges.push({
        method: req.method ?? '',
        path: new URL(req.url ?? '/', 'http://x').pathname,
        requestBody: requestText === '' ? undefined : (JSON.parse(requestText) as unknown),
        requestHeaders: req.headers,
        status: answer.status,
        contentType: String(answer.headers['content-type'] ?? '').split(';')[0] ?? '',
        responseBody: answer.text === '' ? undefined : (JSON.parse(answer.text) as unknown),
      });
      res.writeHead(answer.status, answer.headers);
      res.end(answer.text);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

function forward(
  upstream: URL,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method, path, headers },
      (res) => {
        readAll(res).then(
          (text) => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }),
          reject,
        );
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

async function readAll(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
