// Both entry modules export `run`, the function @github/local-action calls for main and post.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname ?? '.', '..', '..');

describe('entry points', () => {
  it('main.ts and post-main.ts export run()', async () => {
    const main = await import('../../src/main.js');
    const post = await import('../../src/post-main.js');
    expect(typeof main.run).toBe('function');
    expect(typeof post.run).toBe('function');
    expect(post.run).toBe(post.runPost);
  });

  it('the bundled entries only call them (no work at import time elsewhere)', () => {
    expect(readFileSync(path.join(root, 'src', 'index.ts'), 'utf8')).toMatch(/await run\(\);/);
    expect(readFileSync(path.join(root, 'src', 'post.ts'), 'utf8')).toMatch(/await runPost\(\);/);
  });
});
