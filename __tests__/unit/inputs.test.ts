import path from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Inputs } from '../../src/constants.js';
import {
  checkUnknownInputs,
  inputVariable,
  parseBoolean,
  parseList,
  readInputs
} from '../../src/inputs.js';

const workspace = '/home/runner/work/app/app';

function env(inputs: Record<string, string> = {}): Record<string, string> {
  const vars: Record<string, string> = { GITHUB_WORKSPACE: workspace };
  for (const [name, value] of Object.entries(inputs)) vars[inputVariable(name)] = value;
  return vars;
}

describe('readInputs', () => {
  it('applies the documented defaults', () => {
    const inputs = readInputs(env());
    expect(inputs).toMatchObject({
      workspace,
      pythonVersion: '',
      workingDirectory: workspace,
      requirementsFiles: [],
      venvPath: path.join(workspace, '.venv'),
      cache: true,
      migrate: true,
      collectstatic: true,
      updateEnvironment: true
    });
  });

  it('resolves paths against working-directory', () => {
    const inputs = readInputs(
      env({
        'working-directory': 'backend',
        'requirements-file': 'requirements/base.txt\r\nrequirements/prod.txt\n',
        'venv-path': 'env'
      })
    );
    expect(inputs.workingDirectory).toBe(path.join(workspace, 'backend'));
    expect(inputs.requirementsFiles).toEqual([
      path.join(workspace, 'backend/requirements/base.txt'),
      path.join(workspace, 'backend/requirements/prod.txt')
    ]);
    expect(inputs.venvPath).toBe(path.join(workspace, 'backend/env'));
  });

  it('accepts an absolute venv-path', () => {
    expect(readInputs(env({ 'venv-path': '/opt/venv' })).venvPath).toBe('/opt/venv');
  });

  it.each([
    [{ 'venv-path': '.' }, /is \/home\/runner\/work\/app\/app, which is the working directory/],
    [{ 'venv-path': '/' }, /is \/, which contains the working directory/],
    [{ 'venv-path': '/home/runner' }, /which contains the working directory/],
    [{ 'working-directory': 'backend', 'venv-path': '..' }, /app\/app, which contains the working/],
    [{ 'working-directory': 'backend', 'venv-path': '.' }, /which is the working directory/]
  ])('refuses a venv-path that is or holds the project: %j', (inputs, message) => {
    expect(() => readInputs(env(inputs))).toThrow(message);
    expect(() => readInputs(env(inputs))).toThrow(/Choose another 'venv-path'/);
  });

  it.each([
    ['working-directory', '../other'],
    ['requirements-file', '../../etc/passwd'],
    ['venv-path', '../../outside'],
    ['working-directory', '/etc']
  ])('rejects %s=%s leading outside the workspace', (name, value) => {
    expect(() => readInputs(env({ [name]: value }))).toThrow(
      new RegExp(`'${name}'.*outside the workspace`)
    );
  });

  it.each(['yes', 'treu', '1', 'on'])(
    'rejects the boolean %j naming the input and the accepted values',
    value => {
      expect(() => readInputs(env({ collectstatic: value }))).toThrow(
        `Input 'collectstatic' must be a boolean: one of true, True, TRUE, false, False, FALSE (got '${value}').`
      );
    }
  );

  it('fails on an input action.yml does not declare, suggesting the nearest and listing the valid ones', () => {
    expect(() => readInputs({ ...env(), INPUT_PYTHON_VERSON: '3.12' })).toThrow(
      /^Unknown input 'python_verson': did you mean 'python-version'\? Valid inputs: .*python-version.*/
    );
  });

  it('suggests for each of several unknown inputs, and nothing for a name unlike any input', () => {
    const message = (() => {
      try {
        readInputs({ ...env(), INPUT_MIGRATTE: 'true', INPUT_FROBNICATE: 'x' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    expect(message).toMatch(
      /^Unknown inputs 'migratte' \(did you mean 'migrate'\?\), 'frobnicate'\. /
    );
  });

  it('carries a title for the annotation', () => {
    expect(() => readInputs({ ...env(), INPUT_CACHE_SUFIX: 'x' })).toThrow(
      expect.objectContaining({ title: 'setup-django: unknown input' })
    );
  });

  it('suggests the nearest value of a choice input', () => {
    expect(() => readInputs(env({ 'package-manager': 'poetyr' }))).toThrow(
      "Input 'package-manager' must be one of auto, pip, poetry, pipenv, uv (got 'poetyr': did you mean 'poetry'?)."
    );
  });

  it('python-version 3.1 (an unquoted 3.10 in YAML) says to quote it', () => {
    const value = '3.1';
    expect(() => readInputs(env({ 'python-version': value }))).toThrow(
      /Input 'python-version' is 3\.1: YAML reads an unquoted 3\.10 as the number 3\.1\. Quote the version: python-version: '3\.10'/
    );
  });

  it('takes 3.10 and 3.1.5 as they are', () => {
    expect(readInputs(env({ 'python-version': '3.10' })).pythonVersion).toBe('3.10');
    expect(readInputs(env({ 'python-version': '3.1.5' })).pythonVersion).toBe('3.1.5');
  });

  it('rejects a settings module that is not a dotted path', () => {
    expect(() => readInputs(env({ 'settings-module': 'mysite.settings; rm -rf /' }))).toThrow(
      /'settings-module'/
    );
  });

  it('rejects shell characters in python-version', () => {
    expect(() => readInputs(env({ 'python-version': '3.11$(id)' }))).toThrow(/'python-version'/);
  });

  it.each(['3.1x', '>=3.9;', '==3.*.1', 'latest', '3.11 3.12', '~=3'])(
    'parses python-version %j while reading the inputs, and names the input',
    spec => {
      expect(() => readInputs(env({ 'python-version': spec }))).toThrow(
        /^Input 'python-version': '.*' is not a Python version spec/
      );
    }
  );

  it.each(['>=3.9,!=3.10.*', '==3.12', '3.12', '~=3.11', '^3.10', '>= 3.10, < 3.13'])(
    'accepts the PEP 440 spec %j in python-version',
    spec => {
      expect(readInputs(env({ 'python-version': spec })).pythonVersion).toBe(spec);
    }
  );

  it('reads command-timeout as minutes, 0 for no limit, empty for the per-kind defaults', () => {
    expect(readInputs(env()).commandTimeoutMinutes).toBeUndefined();
    expect(readInputs(env({ 'command-timeout': '45' })).commandTimeoutMinutes).toBe(45);
    expect(readInputs(env({ 'command-timeout': '0.5' })).commandTimeoutMinutes).toBe(0.5);
    expect(readInputs(env({ 'command-timeout': '0' })).commandTimeoutMinutes).toBe(0);
    for (const bad of ['-1', '10m', 'never', '1e3', '99999'])
      expect(() => readInputs(env({ 'command-timeout': bad }))).toThrow(
        /^Input 'command-timeout' must be a number of minutes/
      );
  });

  it('rejects a cache-suffix that could break the key', () => {
    expect(() => readInputs(env({ 'cache-suffix': 'a b' }))).toThrow(/'cache-suffix'/);
  });

  it.each([
    ['venv-path', '.venv\n/tmp/evil', 'a new line'],
    ['venv-path', '/opt/venv\r/tmp/evil', 'a carriage return'],
    ['working-directory', 'app\u2028x', 'the control character U+2028'],
    ['settings-module', 'mysite.settings\u001b[2J', 'the control character U+001B'],
    ['artifact-name', 'build\tx', 'a tab'],
    ['token', 'ghs_x\u0000', 'a NUL character']
  ])('rejects %s holding a control character (%j)', (name, value, what) => {
    expect(() => readInputs(env({ [name]: value }))).toThrow(
      new RegExp(`Input '${name}' contains ${what.replace('+', '\\+')}`)
    );
  });

  it('lets list inputs separate items by new lines, and checks each item', () => {
    const inputs = readInputs(
      env({
        'apt-packages': 'libpq-dev\r\n\tgdal-bin\n',
        'cache-dependency-path': 'requirements/*.txt\r\n!requirements/dev.txt\n'
      })
    );
    expect(inputs.aptPackages.map(p => p.name)).toEqual(['libpq-dev', 'gdal-bin']);
    expect(inputs.cacheDependencyPath).toEqual(['requirements/*.txt', '!requirements/dev.txt']);
    expect(() => readInputs(env({ 'cache-dependency-path': 'a.txt\n\u001bb.txt' }))).toThrow(
      /Input 'cache-dependency-path' contains the control character U\+001B/
    );
    expect(() => readInputs(env({ 'cache-dependency-path': 'a\tb.txt' }))).toThrow(
      /Input 'cache-dependency-path' has an item with a tab/
    );
    expect(() => readInputs(env({ 'requirements-file': 'a.txt\nb\tc.txt' }))).toThrow(
      /Input 'requirements-file' contains a tab/
    );
  });

  it('rejects very long values', () => {
    expect(() => readInputs(env({ 'cache-suffix': 'a'.repeat(5000) }))).toThrow(/limit is 4096/);
  });
});

describe('deploy inputs', () => {
  it('defaults: system checks at ERROR, no server, no artifact, the default database', () => {
    expect(readInputs(env())).toMatchObject({
      check: 'system',
      checkFailLevel: 'ERROR',
      checkMigrations: false,
      migrateDatabase: 'default',
      server: 'none',
      smokeTest: false,
      smokeTestPath: '/',
      smokeTestStatus: undefined,
      artifact: undefined,
      aptPackages: [],
      oracleInstantClient: '',
      oracleComponents: ['basic']
    });
  });

  it.each([
    ['check', 'full', /Input 'check' must be one of none, system, deploy \(got 'full'\)/],
    ['check-fail-level', 'INFO', /Input 'check-fail-level' must be one of ERROR, WARNING/],
    ['server', 'waitress', /Input 'server' must be one of none, gunicorn, uvicorn/],
    ['artifact', 'zip', /Input 'artifact' must be one of false, true, tar.gz, tar.zst/],
    ['smoke-test-status', '2000', /'smoke-test-status' must be an HTTP status/],
    ['smoke-test-path', 'health', /'smoke-test-path' must be a URL path/],
    ['migrate-database', 'a;b', /'migrate-database' must be a DATABASES alias/],
    [
      'oracle-instant-client',
      '23.8; rm -rf /',
      /'oracle-instant-client' must be 'latest' or a version/
    ],
    [
      'oracle-instant-client-url',
      'ftp://mirror',
      /'oracle-instant-client-url' must be an http\(s\) URL/
    ],
    ['apt-packages', '-o APT::Foo=1', /'apt-packages'/],
    ['apt-packages', 'libpq-dev;id', /'apt-packages'/],
    ['apt-packages', '$(id)', /'apt-packages'/]
  ])('rejects %s=%j naming the input', (name, value, message) => {
    expect(() => readInputs(env({ [name]: value }))).toThrow(message);
  });

  it('accepts enum values in any case and maps artifact: true to tar.gz', () => {
    const inputs = readInputs(
      env({ check: 'Deploy', 'check-fail-level': 'warning', server: 'GUNICORN', artifact: 'true' })
    );
    expect(inputs).toMatchObject({
      check: 'deploy',
      checkFailLevel: 'WARNING',
      server: 'gunicorn',
      artifact: 'tar.gz'
    });
  });

  it('refuses a smoke test without a server', () => {
    expect(() => readInputs(env({ 'smoke-test': 'true' }))).toThrow(
      /'smoke-test' is true but 'server' is none/
    );
  });

  it('names the artifact after the repository and commit by default', () => {
    const inputs = readInputs({
      ...env({ artifact: 'tar.zst' }),
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abcdef1234567'
    });
    expect(inputs.artifactName).toBe('shop-abcdef1');
    expect(inputs.artifact).toBe('tar.zst');
  });

  it('parses apt packages and Oracle components', () => {
    const inputs = readInputs(
      env({
        'apt-packages': 'libpq-dev\nlibxml2-dev=2.9.14+dfsg-1',
        'oracle-instant-client': '23.8',
        'oracle-instant-client-components': 'basiclite sdk'
      })
    );
    expect(inputs.aptPackages).toEqual([
      { name: 'libpq-dev' },
      { name: 'libxml2-dev', version: '2.9.14+dfsg-1' }
    ]);
    expect(inputs.oracleComponents).toEqual(['basiclite', 'sdk']);
  });
});

describe('helpers', () => {
  it('parseList drops blanks and comments and handles CRLF', () => {
    expect(parseList('a\r\n\n# note\n  b  \n')).toEqual(['a', 'b']);
  });
  it('parseBoolean falls back on empty', () => {
    expect(parseBoolean('x', '', true)).toBe(true);
    expect(parseBoolean('x', 'False', true)).toBe(false);
  });
  it('checkUnknownInputs accepts every declared input', () => {
    expect(() =>
      checkUnknownInputs(env(Object.fromEntries(Object.values(Inputs).map(n => [n, '']))))
    ).not.toThrow();
  });
});

describe('action.yml', () => {
  const action = parse(readFileSync(path.join(process.cwd(), 'action.yml'), 'utf8'));
  it('declares exactly the inputs the code reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...Object.values(Inputs)].sort());
  });
});

describe('package-manager and dependency-groups', () => {
  it('default to auto and no groups', () => {
    expect(readInputs(env())).toMatchObject({ packageManager: 'auto', dependencyGroups: [] });
  });

  it.each(['pip', 'poetry', 'pipenv', 'uv', 'Poetry'])('accepts package-manager %s', value => {
    expect(readInputs(env({ 'package-manager': value })).packageManager).toBe(value.toLowerCase());
  });

  it('rejects an unknown manager, naming the accepted values', () => {
    expect(() => readInputs(env({ 'package-manager': 'conda' }))).toThrow(
      "Input 'package-manager' must be one of auto, pip, poetry, pipenv, uv (got 'conda')."
    );
  });

  it('splits dependency-groups on spaces, commas and newlines, each once', () => {
    expect(
      readInputs(env({ 'dependency-groups': 'dev, test\nlint docs,dev' })).dependencyGroups
    ).toEqual(['dev', 'test', 'lint', 'docs']);
  });

  it.each(['dev;rm', '-dev', 'a/b', 'tests[x]'])('rejects the group name %j', value => {
    expect(() => readInputs(env({ 'dependency-groups': value }))).toThrow(
      /Input 'dependency-groups' names '.*', which is not a group or extra name/
    );
  });

  it('reads manager version pins, and rejects anything but a version', () => {
    expect(
      readInputs(env({ 'poetry-version': '2.1.3', 'uv-version': '0.9' })).managerVersions
    ).toEqual({
      poetry: '2.1.3',
      pipenv: '',
      uv: '0.9'
    });
    expect(() => readInputs(env({ 'pipenv-version': '>=2024' }))).toThrow(
      "Input 'pipenv-version' must be a version such as 2.1.3, or 2.1 for any 2.1.x (got '>=2024')."
    );
  });

  it('reads migrate as true, false or plan, and the review inputs with their defaults', () => {
    expect(readInputs(env())).toMatchObject({
      migrate: true,
      migratePlan: false,
      migrationLint: 'warn',
      migrateLockTimeout: 10,
      migrateStatementTimeout: 300,
      fromArtifact: ''
    });
    expect(readInputs(env({ migrate: 'plan' }))).toMatchObject({
      migrate: false,
      migratePlan: true
    });
    expect(readInputs(env({ migrate: 'false' }))).toMatchObject({
      migrate: false,
      migratePlan: false
    });
    const chosen = readInputs(
      env({
        'migration-lint': 'error',
        'migrate-lock-timeout': '0.5',
        'migrate-statement-timeout': '0',
        'from-artifact': '/home/runner/work/_temp/artifact/site.tar.gz'
      })
    );
    expect(chosen).toMatchObject({
      migrationLint: 'error',
      migrateLockTimeout: 0.5,
      migrateStatementTimeout: 0,
      fromArtifact: '/home/runner/work/_temp/artifact/site.tar.gz'
    });
    expect(readInputs(env({ 'from-artifact': 'build/site.tar.gz' })).fromArtifact).toBe(
      path.join(workspace, 'build', 'site.tar.gz')
    );
  });

  it.each([
    ['migrate', 'yes', "Input 'migrate' must be true, false or plan (got 'yes')."],
    ['migration-lint', 'strict', "Input 'migration-lint' must be one of none, warn, error"],
    ['migrate-lock-timeout', '-1', "Input 'migrate-lock-timeout' must be a number of seconds"],
    ['migrate-statement-timeout', '5m', "Input 'migrate-statement-timeout' must be a number"]
  ])('rejects %s=%s', (name, value, message) => {
    expect(() => readInputs(env({ [name]: value }))).toThrow(message);
  });

  it('refuses from-artifact together with artifact', () => {
    expect(() => readInputs(env({ 'from-artifact': 'a.tar.gz', artifact: 'true' }))).toThrow(
      /'from-artifact' and 'artifact' exclude each other/
    );
  });
});
