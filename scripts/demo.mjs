// `npm run demo`: runs the bundled action on examples/django-project twice against a local
// GitHub cache service: a cold run (empty cache), then a warm run on a fresh copy of the
// workspace at the same path, as a second workflow run would. Prints outputs and timings.
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer } from './e2e/cache-server.mjs';
import { localPipEnv, repoRoot, runnerPath, toolCacheWithMachinePython } from './e2e/local-env.mjs';
import { runAction } from './e2e/runner.mjs';
import { freshCheckout as checkout, summaryPhases } from './e2e/workspace.mjs';

const example = path.join(repoRoot, 'examples', 'django-project');
const root = path.join(os.tmpdir(), 'setup-django-demo');
const workspace = path.join(root, 'workspace');

if (!existsSync(path.join(repoRoot, 'dist', 'index.js'))) {
  console.error('dist/index.js is missing: run `npm run bundle` first.');
  process.exit(1);
}

function freshCheckout() {
  checkout(example, workspace);
}

function phaseRows(summary) {
  return summaryPhases(summary).map(
    phase =>
      `    ${phase.name.padEnd(8)} +${(phase.startMs / 1000).toFixed(1).padEnd(7)} ${phase.durationMs === null ? ''.padStart(7) : `${(phase.durationMs / 1000).toFixed(1)} s`.padStart(7)}  ${phase.detail}`
  );
}

function report(title, result) {
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
      console.log(`  ${c.command}: ${c.message.split('\n')[0]}`);
  }
  if (result.exitCode !== 0) console.log(result.stdout.slice(-4000));
}

rmSync(root, { recursive: true, force: true });
const server = await startCacheServer({ dir: path.join(root, 'cache-service') });
try {
  const options = {
    workspace,
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
  console.log(`setup-django demo on ${path.relative(repoRoot, example)} (workspace ${workspace})`);
  freshCheckout();
  const cold = await runAction(options);
  report('cold run (empty cache)', cold);
  freshCheckout();
  const warm = await runAction(options);
  report('warm run (fresh checkout, cache hit)', warm);
  const total = r => r.durationMs + (r.post?.durationMs ?? 0);
  console.log(
    `\ncold ${(total(cold) / 1000).toFixed(1)} s, warm ${(total(warm) / 1000).toFixed(1)} s, cache-hit on the warm run: ${warm.outputs['cache-hit']}`
  );
  process.exitCode =
    cold.exitCode || warm.exitCode || (warm.outputs['cache-hit'] === 'true' ? 0 : 1);
} finally {
  await server.close();
}
