// Builds the committed bundles: dist/index.js (main), dist/post.js (post) and dist/driver.py.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// `--out DIR` builds elsewhere (the check-dist test compares that with the committed dist/).
const outIndex = process.argv.indexOf('--out');
const dist = outIndex > 0 ? path.resolve(process.argv[outIndex + 1]) : path.join(root, 'dist');
const ncc = path.join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'setup-django-bundle-'));

try {
  mkdirSync(dist, { recursive: true });
  for (const [entry, name] of [
    ['src/index.ts', 'index.js'],
    ['src/post.ts', 'post.js']
  ]) {
    const out = path.join(work, name);
    execFileSync(
      process.execPath,
      [ncc, 'build', path.join(root, entry), '-o', out, '--minify', '--quiet'],
      {
        cwd: root,
        stdio: 'inherit'
      }
    );
    const emitted = readdirSync(out).filter(file => file !== 'package.json' && file !== 'index.js');
    if (emitted.length > 0)
      throw new Error(`ncc emitted unexpected files for ${entry}: ${emitted.join(', ')}`);
    copyFileSync(path.join(out, 'index.js'), path.join(dist, name));
  }
  copyFileSync(path.join(root, 'src', 'django', 'driver.py'), path.join(dist, 'driver.py'));
  writeFileSync(path.join(dist, 'package.json'), '{\n  "type": "module"\n}\n');
  for (const file of readdirSync(dist)) {
    if (!['index.js', 'post.js', 'driver.py', 'package.json'].includes(file))
      rmSync(path.join(dist, file), { recursive: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
