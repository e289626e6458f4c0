import { readFileSync } from 'node:fs';
import path from 'node:path';
import { updateReadme } from '../../scripts/readme-tables.mjs';

const root = process.cwd();
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

describe('README.md', () => {
  it('has the inputs and outputs tables of action.yml (run `node scripts/readme-tables.mjs` when this fails)', () => {
    expect(read('README.md')).toBe(updateReadme(read('README.md'), read('action.yml')));
  });

  it('starts with the demo and the test command', () => {
    const top = read('README.md').split('\n').slice(0, 30).join('\n');
    expect(top).toContain('npm ci && npm run demo');
    expect(top).toContain('npm test');
  });

  it('.ci/run runs the README’s test command', () => {
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });
});
