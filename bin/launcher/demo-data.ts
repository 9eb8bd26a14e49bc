import type { TweetsConfig, UsersConfig } from '../../config/index.js';
import {
  createUserAdmin,
  findUserIdAdmin,
  followAdmin,
} from '../../resource-services/users/admin.js';
import { createTweetsAdmin } from '../../resource-services/tweets/admin.js';

/** Development only: the demo accounts' shared password, printed by `npm start -- --demo`. */
export const DEMO_PASSWORD = 'chirp-demo-password';

const PEOPLE = [
  { handle: 'alice', displayName: 'Alice Liddell', follows: ['bob', 'carol'] },
  { handle: 'bob', displayName: 'Bob Builder', follows: ['alice'] },
  { handle: 'carol', displayName: 'Carol Danvers', follows: ['alice', 'bob'] },
] as const;

const POSTS: ReadonlyArray<readonly [string, string]> = [
  ['alice', 'Down the rabbit hole of service meshes today.'],
  ['bob', 'Can we fix it? Retries with jitter say yes.'],
  ['carol', 'Zero trust: every service checks every token.'],
  ['alice', 'Curiouser and curiouser: JWKS rotation without a restart.'],
  ['bob', 'Circuit breakers: because some days the build is on fire.'],
];

/**
 * Creates the demo users, follows and tweets once: when `alice` exists already, it changes
 * nothing. Returns every demo handle's user id.
 */
export async function ensureDemoData(
  users: UsersConfig,
  tweets: TweetsConfig,
): Promise<{ created: boolean; ids: Record<string, string> }> {
  const existing = await findUserIdAdmin(users, 'alice');
  if (existing !== undefined) {
    return { created: false, ids: await idsOf(users) };
  }
  for (const p of PEOPLE) {
    await createUserAdmin(users, {
      handle: p.handle,
      password: DEMO_PASSWORD,
      displayName: p.displayName,
    });
  }
  const ids = await idsOf(users);
  for (const p of PEOPLE) {
    await followAdmin(
      users,
      ids[p.handle]!,
      p.follows.map((h) => ids[h]!),
    );
  }
  await createTweetsAdmin(
    tweets,
    POSTS.map(([handle, text]) => ({ authorId: ids[handle]!, text })),
  );
  return { created: true, ids };
}

async function idsOf(users: UsersConfig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const p of PEOPLE) {
    const id = await findUserIdAdmin(users, p.handle);
    if (id !== undefined) {
      out[p.handle] = id;
    }
  }
  return out;
}
