// Renders the migration review a test produced (the job summary section written by
// __tests__/e2e/from-artifact.test.ts to .fixtures/summaries/migration-review.html) the way
// GitHub shows a job summary, and screenshots it with headless Chromium (Debian `chromium`) for
// the README: docs/migration-review.png. Usage: node scripts/migration-review-picture.mjs [out.png]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, '.fixtures', 'summaries', 'migration-review.html');
const out = path.resolve(process.argv[2] ?? path.join(root, 'docs', 'migration-review.png'));

const summary = readFileSync(source, 'utf8');
const start = summary.indexOf('<h3>Migration review');
const end = summary.indexOf('<h3>Outputs');
if (start < 0)
  throw new Error(`${source} holds no migration review: run the from-artifact e2e test`);
const section = summary.slice(start, end > start ? end : undefined);

// GitHub's job summary look: system font, 14px, code blocks on a grey background.
const page = `<!doctype html><html><head><meta charset="utf-8"><style>
body { margin: 0; background: #fff; font: 14px/1.5 -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2328; }
main { margin: 16px; padding: 16px 24px; border: 1px solid #d1d9e0; border-radius: 6px; }
h3 { font-size: 16px; margin: 8px 0 12px; }
code { font: 12px "DejaVu Sans Mono", monospace; background: #eff1f3; padding: 2px 4px; border-radius: 4px; }
pre { background: #f6f8fa; padding: 12px 16px; border-radius: 6px; overflow: auto; }
pre code { background: none; padding: 0; }
details { margin: 8px 0; } summary { cursor: pointer; }
ul { padding-left: 24px; }
</style></head><body><main>${section}</main></body></html>`;

// Debian's /usr/bin/chromium is a wrapper that reads /etc/chromium.d: call the browser itself.
const chromium = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find(p => existsSync(p));
if (!chromium) throw new Error('Chromium is not installed: apt-get install chromium');

const dir = mkdtempSync(path.join(os.tmpdir(), 'migration-review-picture-'));
try {
  const html = path.join(dir, 'summary.html');
  writeFileSync(html, page);
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(dir, 'profile')}`,
      '--window-size=1000,480',
      `--screenshot=${out}`,
      `file://${html}`
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  );
  console.log(`Wrote ${out}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
