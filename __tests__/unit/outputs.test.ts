// What the action writes to GITHUB_PATH, GITHUB_ENV and GITHUB_OUTPUT cannot start a new entry.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseFileCommands } from '../../scripts/e2e/runner.mjs';
import { exportEnvironment, exportVariable, setOutputs } from '../../src/outputs.js';
import { Outputs } from '../../src/constants.js';

let dir: string;
const saved = { ...process.env };

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'outputs-'));
  for (const name of ['PATH', 'ENV', 'OUTPUT']) {
    writeFileSync(path.join(dir, name), '');
    process.env[`GITHUB_${name}`] = path.join(dir, name);
  }
});

afterEach(() => {
  process.env = { ...saved };
  rmSync(dir, { recursive: true, force: true });
});

const read = (name: string): string => readFileSync(path.join(dir, name), 'utf8');

describe('file commands', () => {
  it('refuses a venv path holding a new line: no PATH entry is written', () => {
    expect(() => exportEnvironment('/work/.venv\n/tmp/evil', 'mysite.settings')).toThrow(
      /Refusing to export a PATH entry: its value contains a line break/
    );
    expect(read('PATH')).toBe('');
    expect(read('ENV')).toBe('');
  });

  it('refuses an exported variable holding a control character', () => {
    expect(() => exportVariable('LD_LIBRARY_PATH', '/opt/oracle\r/tmp')).toThrow(
      /Refusing to export LD_LIBRARY_PATH/
    );
    expect(read('ENV')).toBe('');
  });

  it('writes one PATH line and one-line variables for an ordinary venv', () => {
    exportEnvironment('/work/app/.venv', 'mysite.settings');
    expect(read('PATH')).toBe('/work/app/.venv/bin\n');
    expect(parseFileCommands(read('ENV'))).toEqual({
      VIRTUAL_ENV: '/work/app/.venv',
      DJANGO_SETTINGS_MODULE: 'mysite.settings'
    });
  });

  it('writes outputs as heredocs: a line break in a value stays inside its output', () => {
    setOutputs({ [Outputs.DjangoVersion]: '5.2\ncache-hit=true' });
    const outputs = parseFileCommands(read('OUTPUT'));
    expect(outputs[Outputs.DjangoVersion]).toBe('5.2\ncache-hit=true');
    expect(outputs[Outputs.CacheHit]).toBe('');
  });
});
