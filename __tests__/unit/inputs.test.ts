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
      expect(() => readInputs(env({ migrate: value }))).toThrow(
        `Input 'migrate' must be a boolean: one of true, True, TRUE, false, False, FALSE (got '${value}').`
      );
    }
  );

  it('fails on an input action.yml does not declare, listing the valid ones', () => {
    expect(() => readInputs({ ...env(), INPUT_PYTHON_VERSON: '3.12' })).toThrow(
      /Unknown input 'python_verson'\. Valid inputs: .*python-version.*/
    );
  });

  it('rejects a settings module that is not a dotted path', () => {
    expect(() => readInputs(env({ 'settings-module': 'mysite.settings; rm -rf /' }))).toThrow(
      /'settings-module'/
    );
  });

  it('rejects shell characters in python-version', () => {
    expect(() => readInputs(env({ 'python-version': '3.11$(id)' }))).toThrow(/'python-version'/);
  });

  it('rejects a cache-suffix that could break the key', () => {
    expect(() => readInputs(env({ 'cache-suffix': 'a b' }))).toThrow(/'cache-suffix'/);
  });

  it('rejects very long values', () => {
    expect(() => readInputs(env({ 'cache-suffix': 'a'.repeat(5000) }))).toThrow(/limit is 4096/);
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
