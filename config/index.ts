import { readFileSync } from 'node:fs';
import {
  authSettings,
  feedsSettings,
  gatewaySettings,
  launcherSettings,
  registrySettings,
  tweetsSettings,
  usersSettings,
} from './settings.js';
import type { ConfigOf, SettingGroup } from './settings.js';

export type {
  AuthConfig,
  CommonConfig,
  LauncherConfig,
  UsersConfig,
  TweetsConfig,
  FeedsConfig,
  GatewayConfig,
  RegistryConfig,
  ConfigOf,
  Setting,
} from './settings.js';
export {
  authSettings,
  launcherSettings,
  commonSettings,
  usersSettings,
  tweetsSettings,
  feedsSettings,
  gatewaySettings,
  registrySettings,
} from './settings.js';

const groups = {
  auth: authSettings,
  launcher: launcherSettings,
  users: usersSettings,
  tweets: tweetsSettings,
  feeds: feedsSettings,
  gateway: gatewaySettings,
  registry: registrySettings,
} as const;
type Component = keyof typeof groups;

/** Every problem found in the configuration, one line each, naming the variable. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function isConfigError(e: unknown): e is ConfigError {
  return e instanceof ConfigError;
}

type Source = Readonly<Record<string, unknown>>;

/**
 * Loads one component's configuration: defaults, then the JSON file named by CHIRP_CONFIG
 * (keys are the variable names), then the environment. Throws ConfigError listing every problem.
 */
export function loadConfig<C extends Component>(
  component: C,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<(typeof groups)[C]> {
  const file = readConfigFile(env['CHIRP_CONFIG']);
  return resolveGroup(groups[component], { ...file, ...definedOnly(env) });
}

function resolveGroup<G extends SettingGroup>(group: G, source: Source): ConfigOf<G> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(group)) {
    const raw = source[s.env];
    // An empty variable means unset, as in most shells' `VAR= command`; z.coerce would read 0.
    if (raw === undefined || raw === '') {
      out[key] = s.fallback;
      continue;
    }
    const parsed = s.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const message = parsed.error.issues.map((i) => i.message).join('; ');
      problems.push(`${s.env}: ${message} (got ${JSON.stringify(raw)})`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return Object.freeze(out) as ConfigOf<G>;
}

function definedOnly(env: NodeJS.ProcessEnv): Source {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined));
}

function readConfigFile(path: string | undefined): Source {
  if (path === undefined || path === '') {
    return {};
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([`CHIRP_CONFIG: cannot read ${path}: ${(e as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`CHIRP_CONFIG: ${path} is not valid JSON: ${(e as Error).message}`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`CHIRP_CONFIG: ${path} must hold a JSON object of CHIRP_* variables`]);
  }
  return parsed as Source;
}
