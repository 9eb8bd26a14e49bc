/**
 * The baseline of the services suite: a bare Koa 3 hello world, no middleware, on 127.0.0.1.
 * Every request, whatever its method, path and headers, is answered 200 "Hello World".
 * Run by bench/services.ts as its own process pinned like the services; env: BENCH_PORT.
 */
import Koa from 'koa';
import { exitOnSignals } from './support.js';

const port = Number(process.env['BENCH_PORT'] ?? '');
if (!Number.isInteger(port) || port <= 0) {
  throw new Error('BENCH_PORT is required');
}

const app = new Koa();
app.use((ctx) => {
  ctx.body = 'Hello World';
});

const server = app.listen(port, '127.0.0.1');

exitOnSignals(server);
