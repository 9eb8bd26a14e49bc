/**
 * A second reference for the services suite: the least a `GET /tweets/{id}` can do with the
 * project's stack. Koa 3, one @koa/router route, one prepared better-sqlite3 point read on a
 * WAL-mode file, the row as JSON. No token check, request id, access log, metrics or error
 * mapping: what the tweets service adds over this is the price of those.
 * Env: BENCH_PORT, BENCH_DATA_DIR (the SQLite file goes there).
 */
import Router from '@koa/router';
import Database from 'better-sqlite3';
import Koa from 'koa';
import { exitOnSignals } from './support.js';
import { join } from 'node:path';

const port = Number(process.env['BENCH_PORT'] ?? '');
const dir = process.env['BENCH_DATA_DIR'] ?? '';
if (!Number.isInteger(port) || port <= 0 || dir === '') {
  throw new Error('BENCH_PORT and BENCH_DATA_DIR are required');
}

/** The id the suite asks for. */
const MINIMAL_TWEET_ID = '0000000000000000000';

const db = new Database(join(dir, 'minimal.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(
  'create table if not exists tweets (id text primary key, author_id text not null, text text not null)',
);
db.prepare('insert or replace into tweets values (?, ?, ?)').run(
  MINIMAL_TWEET_ID,
  'u_bench',
  'bench tweet',
);
const byId = db.prepare<[string], { id: string; author_id: string; text: string }>(
  'select id, author_id, text from tweets where id = ?',
);

const router = new Router();
router.get('/tweets/:id', (ctx) => {
  const row = byId.get(ctx.params['id'] ?? '');
  if (row === undefined) {
    ctx.status = 404;
    return;
  }
  ctx.body = {
    id: row.id,
    authorId: row.author_id,
    text: row.text,
    createdAt: new Date(0).toISOString(),
  };
});
router.get('/', (ctx) => {
  ctx.body = 'ok';
});

const app = new Koa();
app.use(router.routes());
const server = app.listen(port, '127.0.0.1');

exitOnSignals(server);
