// @ts-check
// Generates the README's inputs and outputs tables from action.yml (between marker comments).
// `node scripts/readme-tables.mjs` rewrites README.md; `--check` exits 1 when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {string} text */
const cell = text =>
  String(text)
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

/** @param {string} actionYml */
export function renderTables(actionYml) {
  const action = parse(actionYml);
  const inputs = Object.entries(action.inputs ?? {}).map(
    ([name, spec]) =>
      `| \`${name}\` | ${cell(spec.description ?? '')} | ${spec.default === undefined || spec.default === '' ? '' : `\`${cell(spec.default)}\``} |`
  );
  const outputs = Object.entries(action.outputs ?? {}).map(
    ([name, spec]) => `| \`${name}\` | ${cell(spec.description ?? '')} |`
  );
  return {
    inputs: ['| input | description | default |', '|---|---|---|', ...inputs].join('\n'),
    outputs: ['| output | description |', '|---|---|', ...outputs].join('\n')
  };
}

/**
 * @param {string} readme
 * @param {string} actionYml
 */
export function updateReadme(readme, actionYml) {
  const tables = renderTables(actionYml);
  let text = readme;
  for (const name of /** @type {const} */ (['inputs', 'outputs'])) {
    const start = `<!-- ${name}:start -->`;
    const end = `<!-- ${name}:end -->`;
    const pattern = new RegExp(`${start}[\\s\\S]*?${end}`);
    if (!pattern.test(text)) throw new Error(`README.md lacks the ${start} … ${end} markers`);
    text = text.replace(pattern, `${start}\n${tables[name]}\n${end}`);
  }
  return text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readmePath = path.join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const updated = updateReadme(readme, readFileSync(path.join(root, 'action.yml'), 'utf8'));
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md tables are stale: run `node scripts/readme-tables.mjs`.');
      process.exit(1);
    }
  } else {
    writeFileSync(readmePath, updated);
  }
}
