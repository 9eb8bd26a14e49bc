import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  authSettings,
  feedsSettings,
  launcherSettings,
  tweetsSettings,
  usersSettings,
} from '../../config/index.js';
import { shownDefault } from '../../config/docs.js';

describe('README configuration reference', function () {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  const all = [authSettings, usersSettings, tweetsSettings, feedsSettings, launcherSettings];
  for (const s of new Set(all.flatMap((g) => Object.values(g)))) {
    it(`documents ${s.env} with its default`, function () {
      const rows = readme.split('\n').map((l) => l.split('|').map((cell) => cell.trim()));
      const row = rows.find((cells) => cells[1] === `\`${s.env}\``);
      expect(row, `a table row for ${s.env}`).to.be.an('array');
      expect(row![2]).to.equal(shownDefault(s.fallback));
    });
  }
});
