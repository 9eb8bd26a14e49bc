import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { GATEWAY_NODE_FLAGS } from '../../gateway/runtime.js';

describe('gateway runtime flags', function () {
  it('npm run start:gateway runs the gateway with the same Node flags as npm start', function () {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>;
    };
    const argv = (pkg.scripts['start:gateway'] ?? '').split(/\s+/);
    expect(argv).to.include.members([...GATEWAY_NODE_FLAGS]);
    expect(argv.indexOf('gateway/main.ts')).to.be.greaterThan(
      Math.max(...GATEWAY_NODE_FLAGS.map((f) => argv.indexOf(f))),
    );
  });
});
