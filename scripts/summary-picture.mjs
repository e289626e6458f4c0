// @ts-check
// `node scripts/summary-picture.mjs [summary.md] [--out docs/job-summary.png]`: the README's picture
// of a job summary, from a real run. Without a file it runs `npm run demo` on examples/django-project
// (with gunicorn and the smoke test, so every phase shows) and takes the warm run's summary. The
// summary's markdown is rendered to HTML with marked, styled like GitHub's job summary page, and
// photographed by headless Chromium (Debian's `chromium` package; CHROMIUM overrides the binary).
// The demo's temporary workspace path is shown as a hosted runner's (/home/runner/work/app/app).
// `npm run demo` saves its summaries in .demo/: `node scripts/summary-picture.mjs .demo/summary-warm.md`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { marked } from 'marked';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const STYLE = `
  body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans",
    Helvetica, Arial, sans-serif; color: #1f2328; }
  .frame { margin: 16px; background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }
  .bar { padding: 10px 16px; border-bottom: 1px solid #d0d7de; font-weight: 600; }
  .bar span { color: #59636e; font-weight: 400; }
  .body { padding: 8px 24px 16px; }
  h2 { font-size: 1.5em; border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; margin: .6em 0 .8em; }
  h3 { font-size: 1.25em; margin: 1.2em 0 .6em; }
  table { border-collapse: collapse; margin: 0 0 12px; display: block; width: max-content; max-width: 100%; }
  th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; }
  th { font-weight: 600; }
  tr:nth-child(2n) { background: #f6f8fa; }
  code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eff1f3;
    padding: .2em .4em; border-radius: 6px; }
  details { margin: 8px 0; }
  p { margin: 8px 0; }
  .ok { color: #1a7f37; font-weight: 700; } .failed { color: #d1242f; font-weight: 700; }
  .skipped { color: #59636e; }
`;

/** The warm run's summary of a demo on the example project. */
function demoSummary() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'summary-picture-'));
  try {
    execFileSync(
      process.execPath,
      [
        path.join(root, 'scripts', 'demo.mjs'),
        path.join(root, 'examples', 'django-project'),
        '--input',
        'server=gunicorn',
        '--input',
        'smoke-test=true',
        '--summary-dir',
        dir
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] }
    );
    return readFileSync(path.join(dir, 'summary-warm.md'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** @param {string} markdown */
function page(markdown) {
  const shown = markdown
    .replace(/\/[^\s<>"]*\/setup-django-demo-[^/\s<>"]+\/workspace/g, '/home/runner/work/app/app')
    // Debian's Chromium has no colour-emoji font unless fonts-noto-color-emoji is installed: the
    // result icons are drawn as the text glyphs GitHub's page shows in their place.
    .replace(/✅/g, '<span class="ok">✔</span>')
    .replace(/❌/g, '<span class="failed">✘</span>')
    .replace(/⏭️/g, '<span class="skipped">⏭</span>');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${STYLE}</style></head><body>
<div class="frame"><div class="bar">build summary <span>· setup-django/setup-django</span></div>
<div class="body">${marked.parse(shown, { async: false })}</div></div></body></html>`;
}

/** A window tall enough for the page: rows and blocks at their rendered heights, plus margins. */
function heightOf(html) {
  const rows = (html.match(/<tr>/g) ?? []).length;
  const blocks = (html.match(/<(h2|h3|p|details)\b/g) ?? []).length;
  const wrapped = (html.match(/<td>[^<]{90,}<\/td>/g) ?? []).length;
  return 120 + rows * 37 + wrapped * 21 + blocks * 44;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string', default: path.join(root, 'docs', 'job-summary.png') } }
});
const markdown = positionals[0] ? readFileSync(positionals[0], 'utf8') : demoSummary();
const html = page(markdown);
const work = mkdtempSync(path.join(os.tmpdir(), 'summary-picture-'));
try {
  const file = path.join(work, 'summary.html');
  writeFileSync(file, html);
  const chromium =
    process.env.CHROMIUM ??
    (existsSync('/usr/lib/chromium/chromium') ? '/usr/lib/chromium/chromium' : 'chromium');
  const out = path.resolve(values.out ?? '');
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(work, 'profile')}`,
      `--screenshot=${out}`,
      `--window-size=1100,${heightOf(html)}`,
      `file://${file}`
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120000 }
  );
  console.log(`${path.relative(process.cwd(), out)}: the job summary of a real run`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
