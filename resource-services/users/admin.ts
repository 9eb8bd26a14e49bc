import type { UsersConfig } from '../../config/index.js';
import { invalidInput } from '../../platform/middleware/validate.js';
import type { FieldIssue } from '../../platform/middleware/validate.js';
import { openUsersRepository } from './repository.js';
import { CreateUserBody } from './schemas.js';
import { createUsers } from './users.js';

/** What `chirp users create` takes. */
export interface CreateUserAdminInput {
  readonly handle: string;
  readonly password: string;
  readonly displayName?: string | undefined;
}

/** Options for tests: the PostgreSQL schema to work in. */
export interface UsersAdminOptions {
  readonly schema?: string;
}

/**
 * `chirp users create`: opens the users database (migrations applied), creates the account
 * through the same use case as POST /users, and closes the database.
 *
 * @throws ProblemError 400 naming the field (`handle: ...`) for invalid input, 409 when the
 *   handle is taken in any case; its message is fit for the operator.
 */
export async function createUserAdmin(
  config: UsersConfig,
  input: CreateUserAdminInput,
  options: UsersAdminOptions = {},
): Promise<{ id: string; handle: string }> {
  const parsed = CreateUserBody.safeParse(input);
  if (!parsed.success) {
    throw invalidInput(fieldIssues(parsed.error.issues));
  }
  const { repo } = await openUsersRepository(config, options.schema);
  try {
    const user = await createUsers(repo).create(parsed.data);
    return { id: user.id, handle: user.handle };
  } finally {
    await repo.close();
  }
}

/**
 * Makes `followerId` follow each of `followeeIds` through the same use case as
 * PUT /me/following/{id} (the demo data of `npm start -- --demo`).
 */
export async function followAdmin(
  config: UsersConfig,
  followerId: string,
  followeeIds: readonly string[],
  options: UsersAdminOptions = {},
): Promise<void> {
  const { repo } = await openUsersRepository(config, options.schema);
  try {
    const users = createUsers(repo);
    for (const followee of followeeIds) {
      await users.follow(followerId, followee);
    }
  } finally {
    await repo.close();
  }
}

/** The id of the account with this handle (any case), or undefined. */
export async function findUserIdAdmin(
  config: UsersConfig,
  handle: string,
  options: UsersAdminOptions = {},
): Promise<string | undefined> {
  const { repo } = await openUsersRepository(config, options.schema);
  try {
    return (await repo.findByHandle(handle))?.id;
  } finally {
    await repo.close();
  }
}

/** `chirp migrate`: applies the users service's pending migrations and names them. */
export async function migrateUsers(
  config: UsersConfig,
  options: UsersAdminOptions = {},
): Promise<{ applied: string[] }> {
  const { repo, applied } = await openUsersRepository(config, options.schema);
  await repo.close();
  return { applied };
}

function fieldIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): [FieldIssue, ...FieldIssue[]] {
  const [first, ...rest] = issues.map((i) => ({
    field: i.path.map(String).join('.') || 'input',
    message: i.message,
  }));
  // zod reports at least one issue whenever parsing fails.
  return [first ?? { field: 'input', message: 'is invalid' }, ...rest];
}
