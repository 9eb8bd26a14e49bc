import { expect } from 'chai';
import { loadConfig } from '../../config/index.js';
import { migrateTweets } from '../../resource-services/tweets/admin.js';
import { DATABASE_KINDS, usePostgresSchema } from '../helpers/postgres.js';
import { useTempDir } from '../helpers/temp-dir.js';

for (const kind of DATABASE_KINDS) {
  describe(`chirp migrate for tweets (${kind})`, function () {
    const pg = kind === 'PostgreSQL' ? usePostgresSchema('tweets_migrate') : undefined;
    const dir = useTempDir('tweets-migrate');

    it('applies the migrations once and then has nothing left to apply', async function () {
      const config = loadConfig('tweets', {
        CHIRP_DATA_DIR: dir.path,
        CHIRP_TWEETS_DATABASE_URL: pg?.url,
      });
      const options = { schema: pg?.schema };
      expect(await migrateTweets(config, options)).to.deep.equal({ applied: ['001_tweets'] });
      expect(await migrateTweets(config, options)).to.deep.equal({ applied: [] });
    });
  });
}
