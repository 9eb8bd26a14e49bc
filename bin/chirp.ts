import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { isConfigError, loadConfig } from '../config/index.js';
import { openAdmin } from '../auth-server/admin/context.js';
import type { AdminContext } from '../auth-server/admin/context.js';
import {
  clientsCreate,
  clientsDelete,
  clientsList,
  clientsShow,
} from '../auth-server/admin/clients.js';
import { keysList, keysRotate } from '../auth-server/admin/keys.js';
import { initialAccessTokenCreate } from '../auth-server/admin/initial-access-tokens.js';
import { migrateAuth } from '../auth-server/admin/migrate.js';
import { createUserAdmin, migrateUsers } from '../resource-services/users/admin.js';
import { migrateTweets } from '../resource-services/tweets/admin.js';

const USAGE = `usage: chirp <command> [options] [--json]

  clients create --name N [--grant G]... [--scope "S S"] [--resource R]...
                 [--auth-method M] [--redirect-uri U]... [--jwks-file F] [--serves R]
                 [--first-party]
  clients list | clients show ID | clients delete ID
  initial-access-token create [--expires-in SECONDS]   (default 3600, at most 604800)
  keys list | keys rotate
  users create --handle H --password P [--display-name D]
  migrate

Reads the same configuration as the servers (CHIRP_DATA_DIR, CHIRP_CONFIG, ...).`;

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  name: { type: 'string' },
  grant: { type: 'string', multiple: true },
  scope: { type: 'string' },
  resource: { type: 'string', multiple: true },
  'auth-method': { type: 'string' },
  'redirect-uri': { type: 'string', multiple: true },
  'jwks-file': { type: 'string' },
  serves: { type: 'string' },
  'first-party': { type: 'boolean' },
  'expires-in': { type: 'string' },
  handle: { type: 'string' },
  password: { type: 'string' },
  'display-name': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type Values = ReturnType<
  typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>
>['values'];
/** Opens the auth server's storage on first use: `users create` never needs it. */
type Admin = () => Promise<AdminContext>;
type Command = (admin: Admin, args: readonly string[], v: Values) => Promise<object>;

class UsageError extends Error {}

const COMMANDS: Readonly<Record<string, Command>> = {
  'clients create': async (admin, _args, v) =>
    clientsCreate(await admin(), {
      name: required(v.name, '--name'),
      grants: v.grant,
      scope: v.scope,
      resources: v.resource,
      authMethod: v['auth-method'],
      redirectUris: v['redirect-uri'],
      jwksFile: v['jwks-file'],
      serves: v.serves,
      firstParty: v['first-party'],
    }),
  'clients list': async (admin) => ({ clients: await clientsList(await admin()) }),
  'clients show': async (admin, args) => clientsShow(await admin(), required(args[0], 'client id')),
  'clients delete': async (admin, args) =>
    clientsDelete(await admin(), required(args[0], 'client id')),
  'initial-access-token create': async (admin, _args, v) =>
    initialAccessTokenCreate(await admin(), seconds(v['expires-in'], '--expires-in')),
  'keys list': async (admin) => ({ keys: await keysList(await admin()) }),
  'keys rotate': async (admin) => ({ keys: await keysRotate(await admin()) }),
  'users create': (_admin, _args, v) =>
    createUserAdmin(loadConfig('users'), {
      handle: required(v.handle, '--handle'),
      password: required(v.password, '--password'),
      displayName: v['display-name'],
    }),
  migrate: async (admin) => {
    const users = loadConfig('users');
    return {
      ...(await migrateAuth(await admin())),
      users: (await migrateUsers(users)).applied,
      tweets: (await migrateTweets(loadConfig('tweets'))).applied,
    };
  },
};

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const [name, args] = findCommand(positionals);
  let opened: Promise<AdminContext> | undefined;
  const admin: Admin = () => (opened ??= openAdmin(loadConfig('auth')));
  try {
    print(await COMMANDS[name]!(admin, args, values), values.json === true);
    return 0;
  } finally {
    await (await opened)?.close();
  }
}

function findCommand(positionals: readonly string[]): [string, string[]] {
  const two = positionals.slice(0, 2).join(' ');
  if (two in COMMANDS) {
    return [two, positionals.slice(2)];
  }
  if (positionals[0] !== undefined && positionals[0] in COMMANDS) {
    return [positionals[0], positionals.slice(1)];
  }
  throw new UsageError(`unknown command: ${positionals.join(' ')}`);
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value === '') {
    throw new UsageError(`missing ${what}`);
  }
  return value;
}

function seconds(value: string | undefined, what: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    throw new UsageError(`${what} must be a whole number of seconds`);
  }
  return Number(value);
}

function print(result: object, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  process.stdout.write(`${human(result, '')}\n`);
}

function human(value: unknown, indent: string): string {
  if (Array.isArray(value)) {
    return value.length === 0
      ? `${indent}(none)`
      : value
          .map((v) =>
            typeof v === 'object' ? `${human(v, `${indent}  `)}\n` : `${indent}- ${String(v)}`,
          )
          .join('\n');
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([k, v]) =>
        typeof v === 'object' &&
        v !== null &&
        !(Array.isArray(v) && v.every((x) => typeof x !== 'object'))
          ? `${indent}${k}:\n${human(v, `${indent}  `)}`
          : `${indent}${k}: ${Array.isArray(v) ? v.join(' ') : String(v)}`,
      )
      .join('\n');
  }
  return `${indent}${String(value)}`;
}

// oidc-provider prints notices with console.info; stdout is reserved for the command's answer.
// eslint-disable-next-line no-console
console.info = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isConfigError(e)) {
      e.problems.forEach((p) => process.stderr.write(`config error: ${p}\n`));
      process.exit(2);
    }
    const usage =
      e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`chirp: ${(e as Error).message}\n`);
    if (usage) {
      process.stderr.write(`${USAGE}\n`);
    }
    process.exit(usage ? 2 : 1);
  },
);
