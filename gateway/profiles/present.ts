import { z } from 'zod';

/** A user as the users service presents it (DESIGN.md "Resource APIs"). */
export const UserJson = z.object({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
  createdAt: z.string(),
  followersCount: z.number(),
  followingCount: z.number(),
});
export type UserJson = z.infer<typeof UserJson>;

/** A tweet as the tweets service presents it. */
export const TweetJson = z.object({
  id: z.string(),
  authorId: z.string(),
  text: z.string(),
  createdAt: z.string(),
});
export type TweetJson = z.infer<typeof TweetJson>;

/** A page of GET /tweets?author=. */
export const TweetPage = z.object({ items: z.array(TweetJson) });

/** GET /profiles/{handle}: the user, their newest tweets, and whether tweets were left out. */
export interface ProfileJson {
  readonly user: UserJson;
  readonly recentTweets: readonly TweetJson[];
  readonly degraded: boolean;
}

/** Only the documented fields go out, whatever else a service answered. */
export function presentProfile(
  user: UserJson,
  recentTweets: readonly TweetJson[],
  degraded: boolean,
): ProfileJson {
  return {
    user: UserJson.parse(user),
    recentTweets: recentTweets.map((t) => TweetJson.parse(t)),
    degraded,
  };
}
