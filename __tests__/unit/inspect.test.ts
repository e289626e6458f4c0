// Why an existing venv is not reused: each reason names what differs, once.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspectVenv } from '../../src/venv/inspect.js';
import { writeMarker } from '../../src/venv/marker.js';
import type { PythonInstall } from '../../src/python/find.js';

let dir: string;
let python: PythonInstall;
let other: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'inspect-'));
  const exe = path.join(dir, 'python-home', 'bin', 'python3.11');
  other = path.join(dir, 'elsewhere', 'bin', 'python3.11');
  for (const file of [exe, other]) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
  }
  python = { version: '3.11.7', executable: exe, origin: 'tool-cache' };
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function venv(linkTo: string, markerExe: string): string {
  const venvPath = path.join(dir, '.venv');
  mkdirSync(path.join(venvPath, 'bin'), { recursive: true });
  writeFileSync(path.join(venvPath, 'pyvenv.cfg'), `home = ${path.dirname(python.executable)}\n`);
  symlinkSync(linkTo, path.join(venvPath, 'bin', 'python'));
  writeMarker(venvPath, {
    pythonVersion: '3.11.7',
    pythonExecutable: markerExe,
    packageManager: 'pip',
    dependencyHash: 'x'
  });
  return venvPath;
}

describe('inspectVenv', () => {
  it('accepts a venv built by the resolved interpreter', () => {
    expect(inspectVenv(venv(python.executable, python.executable), python)).toEqual({
      usable: true
    });
  });

  it('names the interpreter the link resolves to, not the resolved one twice', () => {
    const check = inspectVenv(venv(other, python.executable), python);
    expect(check).toEqual({
      usable: false,
      reason: `its ${path.join(dir, '.venv', 'bin', 'python')} resolves to ${other}, not to ${python.executable}`
    });
  });

  it('names the interpreter the marker records when that is the other one', () => {
    const check = inspectVenv(venv(python.executable, other), python);
    expect(check.usable).toBe(false);
    expect((check as { reason: string }).reason).toBe(
      `it was built with ${other} (Python 3.11.7), not ${python.executable} (Python 3.11.7)`
    );
  });
});
