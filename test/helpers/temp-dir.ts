import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A folder of its own under the OS temp folder, for one test or suite. */
export interface TempDir {
  readonly path: string;
  /** Deletes the folder and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

/** Creates a fresh, empty folder under os.tmpdir() whose name starts with `chirp-<label>-`. */
export async function createTempDir(label = 'test'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `chirp-${label}-`));
  return {
    path,
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/**
 * Mocha hooks for the enclosing `describe`: a fresh folder before each test, removed after it.
 * Read `.path` inside a test or hook, never at definition time.
 */
export function useTempDir(label = 'test'): { readonly path: string } {
  let current: TempDir | undefined;
  beforeEach(async () => {
    current = await createTempDir(label);
  });
  afterEach(async () => {
    await current?.remove();
    current = undefined;
  });
  return {
    get path(): string {
      if (current === undefined) {
        throw new Error('useTempDir: the folder exists only while a test runs');
      }
      return current.path;
    },
  };
}
