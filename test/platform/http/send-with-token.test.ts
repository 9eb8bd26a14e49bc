import { expect } from 'chai';
import { sendWithToken } from '../../../platform/http/token-source.js';
import type { TokenSource } from '../../../platform/http/token-source.js';

/** Hands out t1, t2, … and records what was invalidated. */
function countingTokens(): TokenSource & { invalidated: (string | undefined)[] } {
  let n = 0;
  const invalidated: (string | undefined)[] = [];
  return {
    invalidated,
    token: () => Promise.resolve(`t${(n += 1)}`),
    invalidate: (_resource, _scope, token) => {
      invalidated.push(token);
    },
  };
}

describe('sendWithToken', function () {
  it('sends once more with a fresh token after a 401, dropping the refused one', async function () {
    const tokens = countingTokens();
    const sent: string[] = [];
    const res = await sendWithToken(tokens, 'urn:x', 'x:read', (token) => {
      sent.push(token);
      return Promise.resolve({ status: token === 't1' ? 401 : 200 });
    });
    expect(res.status).to.equal(200);
    expect(sent).to.deep.equal(['t1', 't2']);
    expect(tokens.invalidated).to.deep.equal(['t1']);
  });

  it('returns any other answer as it is, without a second request', async function () {
    const tokens = countingTokens();
    const sent: string[] = [];
    const res = await sendWithToken(tokens, 'urn:x', 'x:read', (token) => {
      sent.push(token);
      return Promise.resolve({ status: 403 });
    });
    expect(res.status).to.equal(403);
    expect(sent).to.deep.equal(['t1']);
    expect(tokens.invalidated).to.deep.equal([]);
  });
});
