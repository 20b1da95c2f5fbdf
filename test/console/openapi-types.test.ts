import path from 'node:path';
import { spawnSync } from 'node:child_process';

jest.setTimeout(90_000);

const ROOT = path.resolve(__dirname, '..', '..');
// openapi-typescript is an ES module jest's CommonJS runtime cannot load: the check runs as node does it.
const check = () => spawnSync('node', ['-r', './test/miniprogram/helpers/register-ts.js', 'scripts/openapi-dump.ts', '--check'], { cwd: ROOT, encoding: 'utf8' });

// The console's and the mini-program's API types are generated from the route table; a route change
// without `npm run openapi:dump` would leave them typed against an API that no longer exists.
describe('the console’s and the mini-program’s generated API types', () => {
  it('are current: regenerating them from the route table changes nothing', () => {
    const res = check();
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });

});
