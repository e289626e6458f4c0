// The bundled action, run like the runner runs it, on the example project and messy fixtures.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { laterStepEnv } from '../../scripts/e2e/runner.mjs';
import {
  annotations,
  errors,
  exampleProject,
  fixtureProject,
  makeWorkspace,
  machinePython,
  runnerPath,
  runSetupDjango
} from '../helpers/e2e.js';

function countFiles(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true }).filter(entry => entry.isFile())
    .length;
}

function sqliteTables(db: string): string[] {
  return execFileSync(
    'python3',
    [
      '-c',
      'import sqlite3,sys; print("\\n".join(r[0] for r in sqlite3.connect(sys.argv[1]).execute("select name from sqlite_master where type=\'table\'")))',
      db
    ],
    {
      encoding: 'utf8'
    }
  )
    .trim()
    .split('\n');
}

describe('the example project', () => {
  const workspace = makeWorkspace(exampleProject);
  let first: Awaited<ReturnType<typeof runSetupDjango>>;

  beforeAll(async () => {
    first = await runSetupDjango(workspace, { 'python-version': '3.11' });
  });

  it('migrates and collects static files, with the outputs a workflow needs', () => {
    expect(errors(first)).toBe('');
    expect(first.exitCode).toBe(0);
    const { version } = machinePython();
    expect(first.outputs).toMatchObject({
      'python-version': version,
      'venv-path': path.join(workspace, '.venv'),
      'package-manager': 'pip',
      'django-version': expect.stringMatching(/^5\.2\.\d+$/),
      'settings-module': 'mysite.settings',
      'static-root': path.join(workspace, 'staticfiles'),
      'cache-hit': 'false'
    });
    expect(existsSync(first.outputs['python-path'])).toBe(true);
    expect(Number(first.outputs['migrations-applied'])).toBeGreaterThanOrEqual(6);
    expect(sqliteTables(path.join(workspace, 'db.sqlite3'))).toEqual(
      expect.arrayContaining([
        'polls_question',
        'polls_choice',
        'catalog_category',
        'django_migrations'
      ])
    );
    expect(countFiles(path.join(workspace, 'staticfiles'))).toBe(
      Number(first.outputs['static-files-count'])
    );
    expect(existsSync(path.join(workspace, 'staticfiles', 'css', 'site.css'))).toBe(true);
    expect(existsSync(path.join(workspace, 'staticfiles', 'polls', 'polls.css'))).toBe(true);
  });

  it('gives later steps the venv first on PATH, VIRTUAL_ENV and DJANGO_SETTINGS_MODULE', () => {
    const env = laterStepEnv(first);
    expect(env.VIRTUAL_ENV).toBe(path.join(workspace, '.venv'));
    expect(env.DJANGO_SETTINGS_MODULE).toBe('mysite.settings');
    const out = execFileSync(
      'python',
      ['-c', 'import sys, django; print(sys.prefix); print(django.__version__)'],
      {
        env,
        cwd: workspace,
        encoding: 'utf8'
      }
    );
    expect(out.trim().split('\n')).toEqual([
      path.join(workspace, '.venv'),
      first.outputs['django-version']
    ]);
    expect(
      execFileSync('python', ['manage.py', 'check'], { env, cwd: workspace, encoding: 'utf8' })
    ).toMatch(/no issues/);
  });

  it('tells the story in the log: one plain line per decision, details in groups', () => {
    const { version } = machinePython();
    const log = first.stdout;
    const lines = log.split('\n');
    const line = (pattern: RegExp): string | undefined => lines.find(l => pattern.test(l));
    expect(line(/^Python /)).toMatch(
      new RegExp(
        `^Python ${version.replace(/\./g, '\\.')} \\(/.+\\), found in the runner tool cache, for '3\\.11' from input 'python-version'\\.$`
      )
    );
    expect(line(/^Dependencies: /)).toMatch(/^Dependencies: pip \(requirements\.txt found/);
    expect(line(/^Cache /)).toMatch(
      /^Cache key setup-django-v2-\S+: no cache service on this runner, the venv is not cached\.$/
    );
    expect(line(/^Django \d/)).toMatch(/^Django 5\.2\.\d+, settings module mysite\.settings\.$/);
    expect(line(/migrations? applied to/)).toBe(
      `${first.outputs['migrations-applied']} migrations applied to sqlite ${path.join(workspace, 'db.sqlite3')}.`
    );
    expect(line(/static files collected/)).toBe(
      `${first.outputs['static-files-count']} static files collected to ${path.join(workspace, 'staticfiles')}.`
    );
    // A database on this runner: no notice about a remote one.
    expect(annotations(first, 'notice').join('\n')).not.toMatch(/not on this runner/);
    // pip's own output stays in a collapsed group.
    const group = log.indexOf('::group::pip install');
    const installed = log.indexOf('Successfully installed');
    expect(group).toBeGreaterThanOrEqual(0);
    expect(installed).toBeGreaterThan(group);
    expect(log.indexOf('::endgroup::', group)).toBeGreaterThan(installed);
    expect(first.summary).toContain(
      `Database migrated: <code>sqlite ${path.join(workspace, 'db.sqlite3')}</code> (alias <code>default</code>, on this runner)`
    );
  });

  it('writes a job summary with the phases and the outputs', () => {
    for (const phase of ['python', 'venv', 'django'])
      expect(first.summary).toContain(`<td>${phase}</td>`);
    expect(first.summary).toContain('<code>migrations-applied</code>');
    expect(first.summary).toMatch(/Total: \d+\.\d s/);
  });

  it('says that no cache service is configured, and the post step saves nothing', () => {
    expect(annotations(first, 'notice').join('\n')).toMatch(/No cache service is configured/);
    expect(first.post?.exitCode).toBe(0);
  });

  it('reuses the venv and applies no migrations on a second run in the same workspace', async () => {
    const second = await runSetupDjango(workspace, { 'python-version': '3.11' });
    expect(second.exitCode).toBe(0);
    expect(second.outputs['migrations-applied']).toBe('0');
    expect(second.outputs['static-files-count']).toBe(first.outputs['static-files-count']);
    expect(second.stdout).not.toContain('pip install');
    expect(second.summary).toMatch(/reused, dependencies unchanged/);
  });
});

describe('choosing the Python', () => {
  it('takes the version from the tool cache when it has one', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    const result = await runSetupDjango(workspace, {
      'python-version': machinePython().version,
      migrate: 'false',
      collectstatic: 'false'
    });
    expect(errors(result)).toBe('');
    expect(result.summary).toMatch(/tool cache/);
  });

  it('finds the newest matching interpreter on PATH when the tool cache has none', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    const { prefix, version } = machinePython();
    const result = await runSetupDjango(
      workspace,
      {
        'python-version': version.split('.').slice(0, 2).join('.'),
        migrate: 'false',
        collectstatic: 'false'
      },
      {
        toolCache: path.join(workspace, 'no-tool-cache'),
        env: { PATH: `${path.join(prefix, 'bin')}${path.delimiter}${runnerPath()}` }
      }
    );
    expect(errors(result)).toBe('');
    expect(result.outputs['python-version']).toBe(version);
    expect(result.summary).toMatch(/PATH: /);
  });

  it('names the spec, its source and what exists when nothing matches', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    writeFileSync(path.join(workspace, '.python-version'), '3.4\n');
    const result = await runSetupDjango(workspace);
    expect(result.exitCode).not.toBe(0);
    expect(errors(result)).toMatch(
      new RegExp(
        `No Python matching '3.4' \\(from file .python-version\\) was found\\. Found in the tool cache .*: ${machinePython().version.replace(/\./g, '\\.')}; on PATH: 3\\.`
      )
    );
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
  });

  it('notices when the input disagrees with the project’s version file', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    writeFileSync(path.join(workspace, '.python-version'), '3.99\n');
    const result = await runSetupDjango(workspace, {
      'python-version': '3.x',
      migrate: 'false',
      collectstatic: 'false'
    });
    expect(result.exitCode).toBe(0);
    expect(annotations(result, 'notice').join('\n')).toMatch(
      /although file .python-version asks for '3.99'/
    );
  });
});

describe('bad input fails before any work', () => {
  it.each([
    [
      { 'pyhton-version': '3.11' },
      /Unknown input 'pyhton-version': did you mean 'python-version'\? Valid inputs: .*python-version/
    ],
    [{ migrate: 'yes' }, /Input 'migrate' must be true, false or plan \(got 'yes'\)/],
    [{ 'working-directory': '../elsewhere' }, /'working-directory'.*outside the workspace/],
    [
      { 'requirements-file': 'nope.txt' },
      /requirements file nope.txt named in 'requirements-file' does not exist/
    ]
  ])('%j', async (inputs, message) => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    const result = await runSetupDjango(workspace, inputs as Record<string, string>);
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(message);
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
    expect(result.stdout + result.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(result.post).toBeUndefined();
    expect(result.summary).toMatch(/Failed in <b>\w+<\/b>/);
  });

  it('the summary of an input error names the phase and the error, without an empty table', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('crlf')), {
      'pyhton-version': '3.11'
    });
    expect(result.commands.find(c => c.command === 'error')?.properties.title).toBe(
      'setup-django: unknown input'
    );
    expect(result.summary).toContain('Failed in <b>inputs</b>: setup-django: unknown input');
    expect(result.summary).toContain("did you mean 'python-version'?");
    expect(result.summary).not.toContain('Total:');
    expect(result.summary).not.toContain('<table>');
  });

  it.each([
    [
      'a working-directory that does not exist',
      { 'working-directory': 'backend' },
      /Input 'working-directory' is 'backend', but .*backend does not exist/
    ],
    [
      'a monorepo without working-directory',
      {},
      /No manage\.py in .*Found manage\.py in: backend\. Set 'working-directory' to that folder/
    ]
  ])('%s fails before any venv is built', async (_name, inputs, message) => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    if (!('working-directory' in inputs)) {
      execFileSync('mkdir', ['-p', path.join(workspace, 'backend')]);
      execFileSync('sh', ['-c', 'mv manage.py crlfsite backend/'], { cwd: workspace });
    }
    const result = await runSetupDjango(workspace, inputs as Record<string, string>);
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(message);
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
    expect(existsSync(path.join(workspace, 'backend', '.venv'))).toBe(false);
    expect(annotations(result, 'warning')).toEqual([]);
    expect(result.stdout).not.toContain('::group::');
  });
});

describe('failures name their cause', () => {
  it('a requirement pip cannot find, leaving no venv that a rerun would trust', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    const requirements = path.join(workspace, 'requirements.txt');
    const original = readFileSync(requirements, 'utf8');
    writeFileSync(requirements, `${original}no-such-package-xyz==1.0\r\n`);
    const failed = await runSetupDjango(workspace);
    expect(failed.exitCode).toBe(1);
    expect(errors(failed)).toMatch(
      /Installing the requirements from requirements.txt failed: no release of 'no-such-package-xyz==1.0'/
    );
    expect(existsSync(path.join(workspace, '.venv', '.setup-django.json'))).toBe(false);

    writeFileSync(requirements, original);
    const rerun = await runSetupDjango(workspace, { collectstatic: 'false' });
    expect(errors(rerun)).toBe('');
    expect(annotations(rerun, 'notice').join('\n')).toMatch(
      /Rebuilding the virtualenv .*no completion marker/
    );
  });

  it('a missing manage.py, pointing at the folder that has one', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    execFileSync('mkdir', ['-p', path.join(workspace, 'backend')]);
    execFileSync('sh', ['-c', 'mv manage.py crlfsite backend/'], { cwd: workspace });
    const result = await runSetupDjango(workspace, { migrate: 'false', collectstatic: 'false' });
    expect(errors(result)).toMatch(
      /No manage\.py in .*Found manage\.py in: backend\. Set 'working-directory' to that folder/
    );
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
  });

  it('settings that fail to import', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('broken-settings')));
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/brokensite\.settings/);
    expect(errors(result)).toMatch(/No module named/);
    // The annotation's title is the one the README's troubleshooting table lists.
    expect(result.commands.find(c => c.command === 'error')?.properties.title).toBe(
      'Django: settings import'
    );
    expect(result.summary).toContain('Failed in <b>django</b>: Django: settings import');
  });

  it('a failing migration, by name', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('bad-migration')));
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/ledger\.0002_backfill_amounts/);
  });

  it('collectstatic without STATIC_ROOT', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('no-static-root')));
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(/STATIC_ROOT/);
    expect(errors(result)).toMatch(/collectstatic: false/);
  });
});

describe('real-world project layouts, without extra configuration', () => {
  it('a settings package chosen by manage.py from the environment', async () => {
    const workspace = makeWorkspace(fixtureProject('settings-package'));
    const local = await runSetupDjango(workspace);
    expect(errors(local)).toBe('');
    expect(local.outputs['settings-module']).toBe('config.settings.local');
    const production = await runSetupDjango(workspace, {}, { env: { DJANGO_ENV: 'production' } });
    expect(errors(production)).toBe('');
    expect(production.outputs['settings-module']).toBe('config.settings.production');
  });

  it('a .env loaded by manage.py', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('dotenv')));
    expect(errors(result)).toBe('');
    expect(result.outputs['settings-module']).toBe('web.settings_ci');
  });

  it('apps in a src/ folder', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('src-layout')));
    expect(errors(result)).toBe('');
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThan(0);
  });

  it('Windows line endings', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    expect(readFileSync(path.join(workspace, 'manage.py'), 'utf8')).toContain('\r\n');
    const result = await runSetupDjango(workspace);
    expect(errors(result)).toBe('');
  });

  it('a project in a subfolder of the repository (working-directory)', async () => {
    const workspace = makeWorkspace(fixtureProject('crlf'));
    execFileSync('sh', ['-c', 'mkdir backend && mv manage.py crlfsite requirements.txt backend/'], {
      cwd: workspace
    });
    const result = await runSetupDjango(workspace, { 'working-directory': 'backend' });
    expect(errors(result)).toBe('');
    expect(result.outputs['venv-path']).toBe(path.join(workspace, 'backend', '.venv'));
  });

  it('the settings-module input wins over manage.py', async () => {
    const result = await runSetupDjango(makeWorkspace(fixtureProject('settings-package')), {
      'settings-module': 'config.settings.production'
    });
    expect(errors(result)).toBe('');
    expect(result.outputs['settings-module']).toBe('config.settings.production');
  });
});
