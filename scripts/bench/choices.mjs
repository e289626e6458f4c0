// `node scripts/bench.mjs --measure-choices`: the numbers behind the design choices (issue 9).
//   1. venv archive compression: zstd (as @actions/cache runs it) vs gzip vs plain tar
//   2. __pycache__ in the cache: archive size and restore time vs first-import cost without it
//   3. one Django driver process vs one `manage.py` process per command
//   4. pip's cache on a venv miss (and pip's own costs: byte-compiling, seeding pip)
// Each measurement runs `runs` times on a venv built by the manual recipe for each fixture.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../e2e/local-env.mjs';
import { freshCheckout } from '../e2e/workspace.mjs';
import { median, secs, timed, timedShell } from './stats.mjs';

const pyVersion = python =>
  execFileSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
    encoding: 'utf8'
  }).trim();
const mib = bytes => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const q = s => `'${String(s).replace(/'/g, `'\\''`)}'`;

function dirStats(dir) {
  let files = 0;
  let bytes = 0;
  let pycacheBytes = 0;
  let pycacheDirs = 0;
  const walk = (d, inPycache) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) {
        const pyc = inPycache || entry.name === '__pycache__';
        if (entry.name === '__pycache__') pycacheDirs++;
        walk(p, pyc);
      } else if (entry.isFile()) {
        const size = statSync(p).size;
        files++;
        bytes += size;
        if (inPycache) pycacheBytes += size;
      }
    }
  };
  walk(dir, false);
  return { files, bytes, pycacheBytes, pycacheDirs };
}

function removePycache(dir) {
  execFileSync('find', [
    dir,
    '-name',
    '__pycache__',
    '-type',
    'd',
    '-prune',
    '-exec',
    'rm',
    '-rf',
    '{}',
    '+'
  ]);
}

/** The median of `runs` timings of `fn` (each gets a fresh `setup()` first, not timed). */
async function sample(runs, setup, fn) {
  const ms = [];
  for (let i = 0; i < runs; i++) {
    await setup?.();
    ms.push(Math.round(await fn()));
  }
  return { median: median(ms), samples: ms };
}

const COMPRESSORS = [
  {
    name: 'zstd -T0 --long=30 (@actions/cache today)',
    ext: 'tzst',
    create: 'zstdmt --long=30',
    extract: 'unzstd --long=30'
  },
  { name: 'zstd -T0 (no --long)', ext: 'tzst', create: 'zstdmt', extract: 'unzstd' },
  { name: 'gzip -6 (tar -z)', ext: 'tgz', create: 'gzip', extract: 'gzip -d' },
  { name: 'none (plain tar)', ext: 'tar', create: '', extract: '' }
];

async function compression({ runs, workspace, work }) {
  const dest = path.join(work, 'extract');
  const samples = COMPRESSORS.map(() => ({ create: [], decompress: [], extract: [] }));
  const sizes = [];
  // Methods interleaved within each repetition, so load drifts hit them alike.
  for (let i = 0; i < runs; i++) {
    for (const [index, c] of COMPRESSORS.entries()) {
      const archive = path.join(work, `venv.${c.ext}`);
      const program = c.create ? `--use-compress-program ${q(c.create)}` : '';
      const unprogram = c.extract ? `--use-compress-program ${q(c.extract)}` : '';
      rmSync(archive, { force: true });
      // As @actions/cache runs tar: --posix, -P, relative to the workspace.
      const create = await timedShell(
        `tar --posix -cf ${q(archive)} -P -C ${q(workspace)} ${program} .venv`
      );
      sizes[index] = statSync(archive).size;
      // Decompression alone (no files written): what the compression choice itself costs.
      const decompress = await timedShell(
        c.extract ? `${c.extract} -c < ${q(archive)} > /dev/null` : `cat ${q(archive)} > /dev/null`
      );
      rmSync(dest, { recursive: true, force: true });
      mkdirSync(dest, { recursive: true });
      execFileSync('sync');
      const extract = await timedShell(`tar -xf ${q(archive)} -P -C ${q(dest)} ${unprogram}`);
      samples[index].create.push(Math.round(create.ms));
      samples[index].decompress.push(Math.round(decompress.ms));
      samples[index].extract.push(Math.round(extract.ms));
      rmSync(archive, { force: true });
    }
  }
  rmSync(dest, { recursive: true, force: true });
  const of = values => ({ median: median(values), samples: values });
  return COMPRESSORS.map((c, index) => ({
    name: c.name,
    sizeBytes: sizes[index],
    createMs: of(samples[index].create),
    decompressMs: of(samples[index].decompress),
    extractMs: of(samples[index].extract)
  }));
}

async function pycache({ runs, workspace, work, env }) {
  const withPyc = path.join(work, 'with-pyc', '.venv');
  const withoutPyc = path.join(work, 'without-pyc', '.venv');
  rmSync(path.join(work, 'with-pyc'), { recursive: true, force: true });
  rmSync(path.join(work, 'without-pyc'), { recursive: true, force: true });
  cpSync(path.join(workspace, '.venv'), withPyc, { recursive: true, verbatimSymlinks: true });
  cpSync(path.join(workspace, '.venv'), withoutPyc, { recursive: true, verbatimSymlinks: true });
  removePycache(withoutPyc);
  const archives = {};
  for (const [name, venv] of [
    ['with', withPyc],
    ['without', withoutPyc]
  ]) {
    const archive = path.join(work, `${name}.tzst`);
    await timedShell(
      `tar --posix -cf ${q(archive)} -P -C ${q(path.dirname(venv))} --use-compress-program 'zstdmt --long=30' .venv`
    );
    const dest = path.join(work, 'extract');
    const extract = await sample(
      runs,
      () => {
        rmSync(dest, { recursive: true, force: true });
        mkdirSync(dest, { recursive: true });
        execFileSync('sync');
      },
      async () =>
        (
          await timedShell(
            `tar -xf ${q(archive)} -P -C ${q(dest)} --use-compress-program 'unzstd --long=30'`
          )
        ).ms
    );
    archives[name] = { sizeBytes: statSync(archive).size, extractMs: extract, ...dirStats(venv) };
    rmSync(archive, { force: true });
  }
  rmSync(path.join(work, 'extract'), { recursive: true, force: true });
  // What a venv without bytecode costs on its first use: manage.py check (django.setup(), the
  // project's imports, the system checks), run with the venv's Python in the project.
  const check = (venv, extraEnv = {}) =>
    timed(path.join(venv, 'bin', 'python'), ['manage.py', 'check'], {
      cwd: workspace,
      env: { ...env, ...extraEnv }
    }).then(r => Math.round(r.ms));
  const runsOf = { withPyc: [], withoutPycFirst: [], withoutPycNoWrite: [] };
  await check(withPyc); // warms the OS file cache for both copies' shared files (the project)
  for (let i = 0; i < runs; i++) {
    runsOf.withPyc.push(await check(withPyc));
    // Starts without bytecode; Python writes it during the run (as on a runner).
    removePycache(withoutPyc);
    runsOf.withoutPycFirst.push(await check(withoutPyc));
    // Without bytecode and unable to write it (read-only venv, PYTHONDONTWRITEBYTECODE).
    removePycache(withoutPyc);
    runsOf.withoutPycNoWrite.push(await check(withoutPyc, { PYTHONDONTWRITEBYTECODE: '1' }));
  }
  const firstUse = Object.fromEntries(
    Object.entries(runsOf).map(([k, v]) => [k, { median: median(v), samples: v }])
  );
  rmSync(path.join(work, 'with-pyc'), { recursive: true, force: true });
  rmSync(path.join(work, 'without-pyc'), { recursive: true, force: true });
  return { archives, firstUse };
}

async function driverVsCommands({ runs, fixture, workspace, work, env, driver }) {
  const python = path.join(workspace, '.venv', 'bin', 'python');
  // A fresh checkout keeps the venv (moved aside and back) but drops the database and static.
  const reset = () => {
    const venv = path.join(work, 'venv-aside');
    rmSync(venv, { recursive: true, force: true });
    execFileSync('mv', [path.join(workspace, '.venv'), venv]);
    freshCheckout(fixture.source, workspace, { settle: true });
    execFileSync('mv', [venv, path.join(workspace, '.venv')]);
  };
  const separate = { check: [], migrate: [], collectstatic: [], total: [] };
  for (let i = 0; i < runs; i++) {
    reset();
    let total = 0;
    for (const [name, args] of [
      ['check', ['check']],
      ['migrate', ['migrate', '--noinput']],
      ['collectstatic', ['collectstatic', '--noinput']]
    ]) {
      const { ms } = await timed(python, ['manage.py', ...args], { cwd: workspace, env });
      separate[name].push(Math.round(ms));
      total += ms;
    }
    separate.total.push(Math.round(total));
  }
  const driverRuns = [];
  const timings = [];
  for (let i = 0; i < runs; i++) {
    reset();
    const result = path.join(work, 'driver-result.json');
    const { ms } = await timed(
      python,
      [
        driver,
        '--project-dir',
        workspace,
        '--manage-py',
        'manage.py',
        '--result',
        result,
        '--migrate',
        '--collectstatic',
        '--database',
        'default',
        '--check',
        'system',
        '--check-fail-level',
        'ERROR'
      ],
      { cwd: workspace, env }
    );
    driverRuns.push(Math.round(ms));
    timings.push(JSON.parse(readFileSync(result, 'utf8')).timings);
  }
  // Python start-up + Django setup alone: what each extra process pays again.
  const setup = await sample(
    runs,
    undefined,
    async () =>
      (
        await timed(
          python,
          [
            '-c',
            'import os, django; os.environ.setdefault("DJANGO_SETTINGS_MODULE", ' +
              JSON.stringify(fixture.settings) +
              '); django.setup()'
          ],
          { cwd: workspace, env }
        )
      ).ms
  );
  return {
    separate: Object.fromEntries(
      Object.entries(separate).map(([k, v]) => [k, { median: median(v), samples: v }])
    ),
    driver: { median: median(driverRuns), samples: driverRuns, timings },
    djangoSetupProcess: setup
  };
}

async function pipCache({ runs, fixture, python, work, env }) {
  const requirements = path.join(fixture.source, 'requirements.txt');
  const venv = path.join(work, 'pip-venv');
  const cacheDir = path.join(work, 'pip-cache');
  const seedWheel = execFileSync(
    python,
    [
      '-c',
      'import ensurepip, glob, os; print(sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))[-1])'
    ],
    { encoding: 'utf8' }
  ).trim();
  const fresh = async () => {
    rmSync(venv, { recursive: true, force: true });
    await timed(python, ['-m', 'venv', '--without-pip', venv], { env });
    execFileSync('sync');
  };
  // The action's install: the base interpreter's pip installs pip's wheel and the requirements
  // into a venv made --without-pip.
  const install = (extraEnv, extraArgs = []) =>
    timed(
      python,
      [
        '-m',
        'pip',
        '--python',
        path.join(venv, 'bin', 'python'),
        'install',
        ...extraArgs,
        seedWheel,
        '-r',
        requirements
      ],
      { env: { ...env, ...extraEnv } }
    ).then(r => r.ms);
  const noCache = await sample(runs, fresh, () => install({ PIP_NO_CACHE_DIR: '1' }));
  rmSync(cacheDir, { recursive: true, force: true });
  const coldCache = await sample(1, fresh, () => install({ PIP_CACHE_DIR: cacheDir }));
  const warmCache = await sample(runs, fresh, () => install({ PIP_CACHE_DIR: cacheDir }));
  // With a file:// index pip caches nothing (no HTTP cache, no wheels it built): no dir at all.
  const cacheBytes = existsSync(cacheDir) ? dirStats(cacheDir).bytes : 0;
  const noCompile = await sample(runs, fresh, () =>
    install({ PIP_NO_CACHE_DIR: '1' }, ['--no-compile'])
  );
  // Byte-compiling after a --no-compile install, on every core (pip compiles on one).
  const site = path.join(venv, 'lib', `python${pyVersion(python)}`, 'site-packages');
  const noCompileThenCompileall = await sample(runs, fresh, async () => {
    const install1 = await install({ PIP_NO_CACHE_DIR: '1' }, ['--no-compile']);
    const compile = await timed(python, ['-m', 'compileall', '-q', '-j', '0', site], { env });
    return install1 + compile.ms;
  });
  // Seeding pip into the venv alone (what the action's install adds for the venv's own pip).
  const seedOnly = await sample(runs, fresh, () =>
    timed(
      python,
      ['-m', 'pip', '--python', path.join(venv, 'bin', 'python'), 'install', seedWheel],
      { env: { ...env, PIP_NO_CACHE_DIR: '1' } }
    ).then(r => r.ms)
  );
  // How a venv gets pip: ensurepip (python -m venv) vs --without-pip (the action's fast seed).
  const ensurepip = await sample(
    runs,
    () => {
      rmSync(venv, { recursive: true, force: true });
      execFileSync('sync');
    },
    async () => (await timed(python, ['-m', 'venv', venv], { env })).ms
  );
  const withoutPip = await sample(
    runs,
    () => {
      rmSync(venv, { recursive: true, force: true });
      execFileSync('sync');
    },
    async () => (await timed(python, ['-m', 'venv', '--without-pip', venv], { env })).ms
  );
  rmSync(venv, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
  return {
    noCache,
    coldCache,
    warmCache,
    cacheBytes,
    noCompile,
    noCompileThenCompileall,
    seedOnly,
    venvEnsurepip: ensurepip,
    venvWithoutPip: withoutPip
  };
}

export async function measureChoices({ fixtures, runs, python, env, root }) {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  // The driver as committed (HEAD), whatever the working tree holds.
  const driver = path.join(root, 'driver.py');
  writeFileSync(
    driver,
    execFileSync('git', ['show', 'HEAD:src/django/driver.py'], { cwd: repoRoot, encoding: 'utf8' })
  );
  const out = { runs, python, fixtures: {} };
  for (const fixture of fixtures) {
    const settings = /DJANGO_SETTINGS_MODULE",\s*"([^"]+)"/.exec(
      readFileSync(path.join(fixture.source, 'manage.py'), 'utf8')
    )?.[1];
    const f = { ...fixture, settings };
    const workspace = path.join(root, fixture.name, 'workspace');
    const work = path.join(root, fixture.name, 'work');
    mkdirSync(work, { recursive: true });
    freshCheckout(fixture.source, workspace, { settle: true });
    await timed(python, ['-m', 'venv', '.venv'], { cwd: workspace, env });
    await timed('.venv/bin/pip', ['install', '-r', 'requirements.txt'], { cwd: workspace, env });
    const venv = dirStats(path.join(workspace, '.venv'));
    console.log(
      `\n## ${fixture.name}: venv ${mib(venv.bytes)} in ${venv.files} files (__pycache__: ${mib(venv.pycacheBytes)} in ${venv.pycacheDirs} dirs); ${runs} run(s) each`
    );
    const ctx = { runs, fixture: f, workspace, work, env, python, driver };

    const comp = await compression(ctx);
    console.log(
      '\n  compression of the venv archive (tar as @actions/cache runs it; decomp. = decompress to /dev/null, extract = tar -x to disk):'
    );
    console.log(
      `    ${'method'.padEnd(42)} ${'size'.padStart(10)} ${'create'.padStart(8)} ${'decomp.'.padStart(8)} ${'extract'.padStart(8)}`
    );
    for (const r of comp) {
      console.log(
        `    ${r.name.padEnd(42)} ${mib(r.sizeBytes).padStart(10)} ${secs(r.createMs.median).padStart(8)} ${secs(r.decompressMs.median).padStart(8)} ${secs(r.extractMs.median).padStart(8)}`
      );
    }

    const pyc = await pycache(ctx);
    console.log('\n  __pycache__ in the cache:');
    for (const [name, a] of Object.entries(pyc.archives)) {
      console.log(
        `    ${`${name} __pycache__`.padEnd(20)} archive ${mib(a.sizeBytes).padStart(9)}, ${String(a.files).padStart(5)} files, extract ${secs(a.extractMs.median)}`
      );
    }
    console.log(
      `    manage.py check: with bytecode ${secs(pyc.firstUse.withPyc.median)}; without, first run (writes it) ${secs(pyc.firstUse.withoutPycFirst.median)}; without and not writable ${secs(pyc.firstUse.withoutPycNoWrite.median)}`
    );

    const drv = await driverVsCommands(ctx);
    console.log(
      '\n  one driver process vs one process per command (fresh database, no static yet):'
    );
    console.log(
      `    separate: check ${secs(drv.separate.check.median)} + migrate ${secs(drv.separate.migrate.median)} + collectstatic ${secs(drv.separate.collectstatic.median)} = ${secs(drv.separate.total.median)}`
    );
    const t = drv.driver.timings.at(-1) ?? {};
    console.log(
      `    driver.py (check + migrate + collectstatic + settings facts): ${secs(drv.driver.median)}` +
        ` (inside: ${Object.entries(t)
          .map(([k, v]) => `${k} ${secs(v * 1000)}`)
          .join(', ')})`
    );
    console.log(
      `    python + django.setup() alone: ${secs(drv.djangoSetupProcess.median)} per process`
    );

    const pip = await pipCache(ctx);
    console.log(
      '\n  pip on a venv miss (venv --without-pip + base pip --python, as the action installs):'
    );
    console.log(
      `    no pip cache ${secs(pip.noCache.median)}; empty cache (fills it) ${secs(pip.coldCache.median)}; warm cache (${mib(pip.cacheBytes)}) ${secs(pip.warmCache.median)}; no cache + --no-compile ${secs(pip.noCompile.median)}`
    );
    console.log(
      `    --no-compile, then compileall -j0 ${secs(pip.noCompileThenCompileall.median)}; the pip seed wheel alone ${secs(pip.seedOnly.median)}`
    );
    console.log(
      `    python -m venv (ensurepip) ${secs(pip.venvEnsurepip.median)} vs --without-pip ${secs(pip.venvWithoutPip.median)}`
    );
    out.fixtures[fixture.name] = {
      venv,
      compression: comp,
      pycache: pyc,
      driver: drv,
      pip
    };
    rmSync(path.join(root, fixture.name), { recursive: true, force: true });
  }
  return out;
}
