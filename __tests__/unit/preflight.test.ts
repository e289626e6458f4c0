// Everything the inputs name is checked before any work; version files never fail a step that
// the python-version input decides.
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { noticeDisagreement } from '../../src/main.js';
import { preflight } from '../../src/preflight.js';

const linux = { os: 'linux', arch: 'x64' } as const;

let project: string;
beforeEach(() => {
  project = mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

function inputs(overrides: Partial<Parameters<typeof preflight>[0]> = {}) {
  return {
    pythonVersion: '',
    pythonVersionFile: '',
    pythonMirror: '',
    workingDirectory: project,
    oracleInstantClient: '',
    oracleComponents: ['basic' as const],
    oracleMirror: '',
    oracleSha256: {},
    requirementsFiles: [],
    ...overrides
  };
}

describe('preflight', () => {
  it('returns where the version spec comes from', () => {
    writeFileSync(path.join(project, '.python-version'), '3.11\n');
    expect(preflight(inputs(), linux).versionSource).toMatchObject({
      spec: '3.11',
      source: 'file .python-version'
    });
    expect(preflight(inputs({ pythonVersion: '3.12' }), linux).versionSource?.spec).toBe('3.12');
  });

  it('fails on a version file that does not parse, naming the file', () => {
    writeFileSync(path.join(project, '.python-version'), 'three-eleven\n');
    expect(() => preflight(inputs(), linux)).toThrow(
      /'three-eleven' is not a Python version spec.*\(read from file \.python-version\)/
    );
  });

  it('accepts requires-python = ">=3.9,!=3.10.*" from pyproject.toml', () => {
    writeFileSync(
      path.join(project, 'pyproject.toml'),
      '[project]\nname = "x"\nrequires-python = ">=3.9,!=3.10.*"\n'
    );
    expect(preflight(inputs(), linux).versionSource?.spec).toBe('>=3.9,!=3.10.*');
  });

  it('fails on an Oracle version this runner cannot get, and on a non-Linux runner', () => {
    expect(() => preflight(inputs({ oracleInstantClient: '18.99' }), linux)).toThrow(
      /Input 'oracle-instant-client' is '18.99'/
    );
    expect(() =>
      preflight(inputs({ oracleInstantClient: '23.8' }), { os: 'darwin', arch: 'arm64' })
    ).toThrow(/installs the Linux Instant Client; this runner is darwin/);
    expect(() => preflight(inputs({ oracleInstantClient: '23.8' }), linux)).not.toThrow();
  });

  it('fails on a missing requirements file and on a python-mirror that is no URL', () => {
    expect(() =>
      preflight(inputs({ requirementsFiles: [path.join(project, 'missing.txt')] }), linux)
    ).toThrow(/missing.txt named in 'requirements-file' does not exist/);
    expect(() => preflight(inputs({ pythonMirror: 'ftp://mirror' }), linux)).toThrow(
      /'python-mirror' must be an http\(s\) URL/
    );
  });
});

describe('noticeDisagreement', () => {
  let written: string[];
  let spy: ReturnType<typeof jest.spyOn>;
  beforeEach(() => {
    written = [];
    spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
  });
  afterEach(() => spy.mockRestore());

  const chosen = { spec: '3.11', source: "input 'python-version'" };
  const python = { version: '3.11.7' };

  it('notices when a version file asks for something else', () => {
    writeFileSync(path.join(project, '.python-version'), '3.12\n');
    noticeDisagreement(inputs({ pythonVersion: '3.11' }), chosen, python);
    expect(written.join('')).toMatch(
      /::notice::Using Python 3.11.7 from input 'python-version' \('3.11'\), although file .python-version asks for '3.12'/
    );
  });

  it.each([
    ['an unparsable .python-version', '.python-version', 'three-eleven\n', ''],
    ['a pyproject.toml that is not TOML', 'pyproject.toml', '[project\nrequires-python = 3', ''],
    ['a python-version-file that does not exist', '', '', 'missing/.python-version']
  ])('never fails the step on %s when the input decides', (_, name, content, versionFile) => {
    if (name) writeFileSync(path.join(project, name), content);
    const given = inputs({
      pythonVersion: '3.11',
      pythonVersionFile: versionFile ? path.join(project, versionFile) : ''
    });
    expect(() => noticeDisagreement(given, chosen, python)).not.toThrow();
    expect(written.join('')).not.toContain('::error');
    expect(written.join('')).not.toContain('::notice');
  });
});
