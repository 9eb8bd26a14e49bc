/**
 * What each scope lets an app do, in the words the consent and connected-apps pages use. A scope
 * missing here (a future one) is shown by its name rather than hidden.
 */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  openid: 'Know who you are (your Chirp user id)',
  profile: 'See your handle and display name',
  offline_access: 'Keep access while you are away, until you disconnect it',
  'users:read': 'See profiles, and who follows whom',
  'users:write': 'Follow and unfollow people as you',
  'tweets:read': 'Read tweets',
  'tweets:write': 'Post and delete tweets as you',
  'feeds:read': 'Read your home timeline',
};

/** The words for one scope. */
export function describeScope(scope: string): string {
  return DESCRIPTIONS[scope] ?? `Use the "${scope}" permission`;
}

/** Scopes from a space-separated list, each once, in a stable order (the table's, then others). */
export function scopeList(...lists: readonly (string | undefined)[]): string[] {
  const all = new Set(lists.flatMap((l) => (l ?? '').split(' ')).filter((s) => s !== ''));
  const known = Object.keys(DESCRIPTIONS).filter((s) => all.has(s));
  const other = [...all].filter((s) => !(s in DESCRIPTIONS)).sort();
  return [...known, ...other];
}
