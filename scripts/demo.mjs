// @ts-check
// `npm run demo [-- path/to/django-project] [--input name=value ...] [--summary-dir DIR]`:
// runs the bundled action on a project (default examples/django-project) twice against a local
// GitHub cache service: a cold run (empty cache), then a warm run on a fresh copy of the
// workspace at the same path, as a second workflow run would. The project is copied into a
// temporary workspace first (your tree is never touched; see copyProject for what is copied);
// prints the phases, the outputs and the annotations of each run, and where the job summaries
// were saved. The temporary directory is removed at the end.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCacheServer } from './e2e/cache-server.mjs';
import { localPipEnv, repoRoot, runnerPath, toolCacheWithMachinePython } from './e2e/local-env.mjs';
import { runAction } from './e2e/runner.mjs';
import { summaryPhases } from './e2e/workspace.mjs';

/** Never copied, git or not: environments, caches and build output, not the project. */
const HEAVY = new Set([
  '.git',
  '.venv',
  'venv',
  'env',
  'node_modules',
  '__pycache__',
  '.tox',
  '.nox',
  '.mypy_cache',
  '.pytest_cache',
  '.ruff_cache',
  'staticfiles',
  '.setup-django-cache'
]);

const usage = `usage: npm run demo -- [path/to/django-project] [--input name=value ...] [--summary-dir DIR]

  path           the project to run the action on (default: examples/django-project); it is
                 copied to a temporary workspace, so your tree is left as it is
  --input        an input as you would write it under 'with:' (repeatable), e.g.
                 --input working-directory=backend --input check=deploy
  --summary-dir  where the job summaries of both runs are saved (default: .demo/ in this repository)`;

/** @returns {{ project: string, inputs: Record<string, string>, summaryDir: string }} */
function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string', multiple: true, default: [] },
      'summary-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  if (positionals.length > 1) fail(`Give one project path (got ${positionals.join(', ')}).`);
  /** @type {Record<string, string>} */
  const inputs = {};
  for (const pair of values.input ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`--input takes name=value, as under 'with:' (got '${pair}').`);
    inputs[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  const project = path.resolve(positionals[0] ?? path.join(repoRoot, 'examples', 'django-project'));
  if (!existsSync(project) || !statSync(project).isDirectory())
    fail(`${project} is not a directory: give the path of a Django project (or its repository).`);
  return {
    project,
    inputs,
    summaryDir: path.resolve(values['summary-dir'] ?? path.join(repoRoot, '.demo'))
  };
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

/**
 * The files a checkout of the project would have: in a git work tree, the files git tracks plus
 * untracked files that .gitignore does not exclude (so work in progress is tried too, a local
 * .env or db.sqlite3 is not); elsewhere every file. Heavy folders (.git, venvs, node_modules,
 * caches, staticfiles) are never copied.
 * @param {string} project
 * @returns {{ files: string[], how: string }}
 */
export function projectFiles(project) {
  try {
    const listed = execFileSync(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
    );
    const files = listed
      .split('\0')
      .filter(Boolean)
      .filter(file => !file.split('/').some(part => HEAVY.has(part)))
      .filter(file => existsSync(path.join(project, file)));
    return { files, how: 'tracked and untracked non-ignored files (git ls-files)' };
  } catch {
    /** @type {string[]} */
    const files = [];
    const walk = (/** @type {string} */ dir) => {
      for (const entry of readdirSync(path.join(project, dir), { withFileTypes: true })) {
        if (HEAVY.has(entry.name)) continue;
        const rel = dir ? `${dir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(rel);
        else if (entry.isFile() || entry.isSymbolicLink()) files.push(rel);
      }
    };
    walk('');
    return { files, how: 'all files (not a git work tree)' };
  }
}

/** Replaces `workspace` with a copy of the project's files, as actions/checkout leaves a clone. */
function checkout(project, files, workspace) {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  for (const file of files) {
    const target = path.join(workspace, file);
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(project, file), target, { verbatimSymlinks: true });
  }
}

function phaseRows(summary) {
  return summaryPhases(summary).map(
    phase =>
      `    ${phase.name.padEnd(10)} +${(phase.startMs / 1000).toFixed(1).padEnd(7)} ${phase.durationMs === null ? ''.padStart(7) : `${(phase.durationMs / 1000).toFixed(1)} s`.padStart(7)}  ${phase.detail}`
  );
}

function report(title, result, summaryFile) {
  console.log(
    `\n=== ${title}: ${result.exitCode === 0 ? 'succeeded' : 'FAILED'} in ${(result.durationMs / 1000).toFixed(1)} s (main step)` +
      (result.post ? ` + ${(result.post.durationMs / 1000).toFixed(1)} s (post step)` : '')
  );
  console.log('  phases:');
  console.log(phaseRows(result.summary).join('\n'));
  console.log('  outputs:');
  for (const [name, value] of Object.entries(result.outputs))
    console.log(`    ${name.padEnd(20)} ${value}`);
  for (const c of [...result.commands, ...(result.post?.commands ?? [])]) {
    if (['error', 'warning', 'notice'].includes(c.command))
      console.log(
        `  ${c.command}${c.properties.title ? ` (${c.properties.title})` : ''}: ${c.message.split('\n')[0]}`
      );
  }
  console.log(`  job summary: ${summaryFile}`);
  if (result.exitCode !== 0) console.log(result.stdout.slice(-4000));
}

async function main() {
  if (!existsSync(path.join(repoRoot, 'dist', 'index.js'))) {
    console.error('dist/index.js is missing: run `npm run bundle` first.');
    process.exit(1);
  }
  const { project, inputs, summaryDir } = parseCommandLine(process.argv.slice(2));
  const { files, how } = projectFiles(project);
  if (files.length === 0) fail(`${project} holds no files to copy.`);
  const root = mkdtempSync(path.join(os.tmpdir(), 'setup-django-demo-'));
  const workspace = path.join(root, 'workspace');
  const server = await startCacheServer({ dir: path.join(root, 'cache-service') });
  try {
    const options = {
      workspace,
      inputs,
      runnerTemp: path.join(root, 'runner-temp'),
      toolCache: toolCacheWithMachinePython(),
      // Python writes bytecode as on a hosted runner (some sandboxes set PYTHONDONTWRITEBYTECODE).
      env: {
        PATH: runnerPath(),
        ...localPipEnv(),
        ...server.envFor('v2'),
        PYTHONDONTWRITEBYTECODE: undefined
      }
    };
    const shown = path.relative(process.cwd(), project) || '.';
    console.log(
      `setup-django demo on ${shown}: ${files.length} ${how} copied to the workspace ${workspace}`
    );
    if (Object.keys(inputs).length > 0)
      console.log(
        `inputs: ${Object.entries(inputs)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
      );
    mkdirSync(summaryDir, { recursive: true });
    const runs = [
      ['cold', 'cold run (empty cache)'],
      ['warm', 'warm run (fresh checkout, cache service warmed by the cold run)']
    ];
    /** @type {any[]} */
    const results = [];
    for (const [name, title] of runs) {
      checkout(project, files, workspace);
      const result = await runAction(options);
      const summaryFile = path.join(summaryDir, `summary-${name}.md`);
      writeFileSync(summaryFile, result.post?.summary ?? result.summary);
      report(title, result, summaryFile);
      results.push(result);
      if (result.exitCode !== 0) break;
    }
    const [cold, warm] = results;
    const total = r => r.durationMs + (r.post?.durationMs ?? 0);
    if (warm) {
      console.log(
        `\ncold ${(total(cold) / 1000).toFixed(1)} s, warm ${(total(warm) / 1000).toFixed(1)} s, cache-hit on the warm run: ${warm.outputs['cache-hit']}`
      );
    }
    process.exitCode = !warm
      ? 1
      : cold.exitCode || warm.exitCode || (warm.outputs['cache-hit'] === 'true' ? 0 : 1);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
