// The build artifact made from a copy of the example project (with a venv, a .git, a .env and
// caches inside it), then unpacked in a fresh directory, installed offline from its wheelhouse
// into a new venv, and served by gunicorn.
import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildArtifact, MANIFEST_FILE, type ArtifactResult } from '../../src/django/artifact.js';
import { smokeTest } from '../../src/django/smoke-test.js';
import { layeredVenv, seededVenv } from '../helpers/fresh-venv.js';
import { ensureDjangoVenv, localPipEnv, repoRoot } from '../helpers/python-fixtures.js';

jest.setTimeout(90000);

const settings = { DJANGO_SETTINGS_MODULE: 'mysite.settings' };
const secret = 'SECRET_KEY=do-not-ship-this-3f9a';
const credential = 'credential-do-not-ship-77c1';
/** Files earlier steps write into a checkout (google-github-actions/auth, setup-node, ...). */
const untracked = [
  'gha-creds-3f9a1b2c.json',
  '.npmrc',
  '.pypirc',
  'id_rsa',
  'kubeconfig',
  'polls/notes-untracked.py',
  '.setup-django-cache/.venv/shard-0.tar.zst'
];

let work: string;
let project: string;
let python: string;
let sha: string;
let built: ArtifactResult;
let entries: string[];

function git(...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
    { cwd: project, encoding: 'utf8' }
  ).trim();
}

function write(rel: string, text = ''): void {
  mkdirSync(path.dirname(path.join(project, rel)), { recursive: true });
  writeFileSync(path.join(project, rel), text);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'setup-django-artifact-'));
  project = path.join(work, 'project');
  const skipped = new Set(['__pycache__', 'db.sqlite3', 'staticfiles']);
  cpSync(path.join(repoRoot, 'examples', 'django-project'), project, {
    recursive: true,
    filter: src => !skipped.has(path.basename(src))
  });
  // The venv inside the project, as the action makes it (.venv), layered over the Django venv.
  python = layeredVenv(path.join(project, '.venv'), ensureDjangoVenv());
  for (const args of [
    ['migrate', '--noinput', '-v0'],
    ['collectstatic', '--noinput', '-v0']
  ]) {
    execFileSync(python, ['manage.py', ...args], {
      cwd: project,
      env: { ...process.env, ...settings }
    });
  }
  // What a checkout accumulates and must not ship.
  write('.env', `${secret}\n`);
  write('.env.production', `${secret}\n`);
  write('.env.example', 'SECRET_KEY=change-me\n');
  write('node_modules/left-pad/index.js', 'module.exports = 1;\n');
  write('polls/__pycache__/views.cpython-311.pyc', 'x');
  write('stray.pyc', 'x');
  write('old-env/pyvenv.cfg', 'home = /usr/bin\n');
  write('old-env/lib/site.py', '');
  write('.pytest_cache/v/cache/nodeids', '[]');
  // Names a shell or tar would trip over.
  write('docs/-rf', 'not an option\n');
  write('docs/notes with spaces.txt', 'kept\n');
  // Collected static files are not committed, as in most projects.
  write('.gitignore', 'staticfiles/\n');
  git('init', '-q');
  git('add', '-A', '--', ':!.venv');
  git('commit', '-q', '-m', 'initial');
  sha = git('rev-parse', 'HEAD');
  // What earlier steps leave in a workspace, untracked: credentials above all.
  for (const file of untracked) write(file, `${credential}\n`);

  built = await buildArtifact({
    projectDir: project,
    venvPython: python,
    requirementFiles: ['requirements.txt'],
    extraRequirements: ['gunicorn'],
    staticRoot: path.join(project, 'staticfiles'),
    venvDir: path.join(project, '.venv'),
    outDir: path.join(work, 'out'),
    name: 'mysite-build',
    format: 'tar.gz',
    manifest: {
      djangoVersion: '5.2.17',
      settingsModule: 'mysite.settings',
      migrations: ['polls.0001_initial', 'catalog.0001_initial'],
      serverCommand: 'gunicorn mysite.wsgi:application --bind 0.0.0.0:8000'
    },
    env: { ...localPipEnv(), GITHUB_SHA: undefined }
  });
  entries = execFileSync('tar', ['-tzf', built.path], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(e => e.replace(/^\.\//, ''));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('buildArtifact', () => {
  it('writes <name>.tar.gz into the output directory and nothing else', () => {
    expect(built.path).toBe(path.join(work, 'out', 'mysite-build.tar.gz'));
    expect(built.sizeBytes).toBeGreaterThan(1000);
    expect(built.files).toBe(entries.length);
    expect(execFileSync('ls', ['-A', path.join(work, 'out')], { encoding: 'utf8' }).trim()).toBe(
      'mysite-build.tar.gz'
    );
  });

  it('holds the source, the collected static files, the wheelhouse and the manifest', () => {
    for (const file of [
      'manage.py',
      'requirements.txt',
      'mysite/settings.py',
      'polls/migrations/0001_initial.py',
      'staticfiles/css/site.css',
      'staticfiles/admin/css/base.css',
      '.env.example',
      'docs/-rf',
      'docs/notes with spaces.txt',
      MANIFEST_FILE,
      'setup-django-requirements/extra-requirements.txt'
    ])
      expect(entries).toContain(file);
    const wheels = entries.filter(e => e.startsWith('wheelhouse/'));
    expect(wheels.map(w => w.split('/')[1].split('-')[0].toLowerCase())).toEqual(
      expect.arrayContaining(['django', 'dj_database_url', 'python_dotenv', 'gunicorn', 'asgiref'])
    );
    expect(built.wheels.length).toBe(wheels.length);
  });

  it('leaves out VCS data, venvs, caches, .env files and the SQLite database', () => {
    const banned = [
      /^\.git\//,
      /^\.venv\//,
      /^old-env\//,
      /(^|\/)__pycache__\//,
      /\.pyc$/,
      /^node_modules\//,
      /^\.pytest_cache\//,
      /^\.env$/,
      /^\.env\.production$/,
      /^db\.sqlite3$/
    ];
    for (const pattern of banned) expect(entries.filter(e => pattern.test(e))).toEqual([]);
    const contents = execFileSync('tar', ['-xzOf', built.path], { maxBuffer: 1 << 30 });
    expect(contents.includes(Buffer.from('do-not-ship-this'))).toBe(false);
  });

  it('holds no untracked file: credentials and the action own working files stay out', () => {
    for (const file of untracked) expect(entries).not.toContain(file);
    expect(entries.filter(e => e.startsWith('.setup-django-cache'))).toEqual([]);
    const contents = execFileSync('tar', ['-xzOf', built.path], { maxBuffer: 1 << 30 });
    expect(contents.includes(Buffer.from(credential))).toBe(false);
  });

  it('lists what it holds in the manifest', () => {
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', built.path, `./${MANIFEST_FILE}`], { encoding: 'utf8' })
    ) as { files: string[] };
    expect(manifest.files).toEqual(entries.filter(e => e !== MANIFEST_FILE && e !== '').sort());
  });

  it('refuses to build outside a git checkout, saying how to fix it', async () => {
    const plain = path.join(work, 'no-git');
    cpSync(path.join(project, 'mysite'), path.join(plain, 'mysite'), { recursive: true });
    writeFileSync(path.join(plain, 'requirements.txt'), 'django\n');
    await expect(
      buildArtifact({
        projectDir: plain,
        venvPython: python,
        requirementFiles: ['requirements.txt'],
        outDir: path.join(work, 'out-no-git'),
        name: 'no-git',
        format: 'tar.gz',
        manifest: {},
        env: { ...localPipEnv(), GIT_CEILING_DIRECTORIES: work }
      })
    ).rejects.toThrow(
      /is not inside a git checkout\. Check the repository out with actions\/checkout/
    );
    expect(existsSync(path.join(work, 'out-no-git', 'no-git.tar.gz'))).toBe(false);
  });

  it('describes the build in setup-django-manifest.json', () => {
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', built.path, `./${MANIFEST_FILE}`], { encoding: 'utf8' })
    ) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      manifestVersion: 1,
      name: 'mysite-build',
      gitSha: sha,
      pythonVersion: expect.stringMatching(/^3\.\d+\.\d+/),
      djangoVersion: '5.2.17',
      settingsModule: 'mysite.settings',
      migrations: ['polls.0001_initial', 'catalog.0001_initial'],
      staticRoot: 'staticfiles',
      requirementsFiles: ['requirements.txt', 'setup-django-requirements/extra-requirements.txt'],
      wheelhouse: 'wheelhouse',
      serverCommand: 'gunicorn mysite.wsgi:application --bind 0.0.0.0:8000',
      installCommand:
        'python -m pip install --no-index --find-links wheelhouse -r requirements.txt -r setup-django-requirements/extra-requirements.txt'
    });
    expect(Date.now() - Date.parse(manifest.createdAt as string)).toBeLessThan(120000);
    expect(manifest.staticFiles as number).toBeGreaterThan(3);
  });

  it('unpacks in a fresh directory, installs offline from its wheelhouse and serves a request', async () => {
    const target = path.join(work, 'deploy');
    mkdirSync(target);
    execFileSync('tar', ['-xzf', built.path, '-C', target]);
    const targetPython = seededVenv(path.join(target, '.venv'));
    // Offline: no index at all, and no way to the local one either.
    const offline = {
      ...process.env,
      PIP_INDEX_URL: 'http://127.0.0.1:9/unreachable',
      PIP_EXTRA_INDEX_URL: '',
      PIP_FIND_LINKS: '',
      PIP_CONFIG_FILE: os.devNull
    };
    execFileSync(
      targetPython,
      [
        '-m',
        'pip',
        'install',
        '-q',
        '--disable-pip-version-check',
        '--no-index',
        '--find-links',
        'wheelhouse',
        '-r',
        'requirements.txt',
        '-r',
        'setup-django-requirements/extra-requirements.txt'
      ],
      { cwd: target, env: offline, stdio: ['ignore', 'pipe', 'pipe'] }
    );
    const env = { ...process.env, ...settings };
    execFileSync(targetPython, ['manage.py', 'check'], { cwd: target, env });
    execFileSync(targetPython, ['manage.py', 'migrate', '--noinput', '-v0'], { cwd: target, env });
    expect(existsSync(path.join(target, 'staticfiles', 'css', 'site.css'))).toBe(true);

    const result = await smokeTest({
      venvPython: targetPython,
      projectDir: target,
      kind: 'gunicorn',
      app: { wsgi: 'mysite.wsgi.application' },
      env: settings,
      expectStatus: 200,
      timeoutMs: 30000
    });
    expect(result.status).toBe(200);
  });

  it('makes a zstd archive too, taking the sha from GITHUB_SHA', async () => {
    const zst = await buildArtifact({
      projectDir: project,
      venvPython: python,
      requirementFiles: [path.join(project, 'requirements.txt')],
      staticRoot: 'staticfiles',
      venvDir: '.venv',
      outDir: path.join(work, 'out-zst'),
      name: 'mysite_1.0+build.7',
      format: 'tar.zst',
      manifest: {},
      env: { ...localPipEnv(), GITHUB_SHA: 'f'.repeat(40) }
    });
    expect(zst.path).toBe(path.join(work, 'out-zst', 'mysite_1.0+build.7.tar.zst'));
    const manifest = JSON.parse(
      execFileSync('tar', ['--zstd', '-xOf', zst.path, `./${MANIFEST_FILE}`], { encoding: 'utf8' })
    ) as Record<string, unknown>;
    expect(manifest.gitSha).toBe('f'.repeat(40));
    expect(manifest.requirementsFiles).toEqual(['requirements.txt']);
    expect(manifest.djangoVersion).toBeNull();
    expect(zst.wheels.some(w => w.startsWith('gunicorn'))).toBe(false);
  });

  it('rejects a name that is a path or an option before any work', async () => {
    for (const name of ['../evil', 'a/b', '-rf', '.hidden', 'x.tar.gz', '']) {
      await expect(
        buildArtifact({
          projectDir: project,
          venvPython: python,
          requirementFiles: ['requirements.txt'],
          outDir: path.join(work, 'never'),
          name,
          format: 'tar.gz',
          manifest: {}
        })
      ).rejects.toThrow(/'artifact-name' is/);
    }
    expect(existsSync(path.join(work, 'never'))).toBe(false);
  });

  it('explains a requirement that cannot be found', async () => {
    writeFileSync(path.join(work, 'bad-requirements.txt'), 'no-such-package-xyz==1.0\n');
    const error = await buildArtifact({
      projectDir: project,
      venvPython: python,
      requirementFiles: [path.join(work, 'bad-requirements.txt')],
      outDir: path.join(work, 'out-bad'),
      name: 'bad',
      format: 'tar.gz',
      manifest: {},
      env: localPipEnv()
    }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(
      /wheelhouse \(pip wheel\) failed: no release of 'no-such-package-xyz/
    );
    expect(existsSync(path.join(work, 'out-bad', 'bad.tar.gz'))).toBe(false);
    expect(readFileSync(path.join(work, 'bad-requirements.txt'), 'utf8')).toContain('xyz');
  });
});
