import { isConfigError } from '../config/index.js';

/**
 * Loads configuration for a process entry point; on a bad value prints one line per problem to
 * stderr and exits 2 before anything listens.
 */
export function configOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (isConfigError(e)) {
      for (const line of e.problems) {
        process.stderr.write(`config error: ${line}\n`);
      }
      process.exit(2);
    }
    throw e;
  }
}
