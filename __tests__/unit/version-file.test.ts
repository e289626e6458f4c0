import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  findVersionSpec,
  parsePyproject,
  parsePythonVersionFile,
  parseRuntimeTxt,
  parseToolVersions
} from '../../src/python/version-file.js';

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'version-file-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('version file parsers', () => {
  it('reads the first line of .python-version, with CRLF, BOM and comments', () => {
    expect(parsePythonVersionFile('\uFEFF# pinned\r\n3.11.7\r\n3.10\r\n')).toBe('3.11.7');
  });
  it('drops a pyenv virtualenv suffix', () => {
    expect(parsePythonVersionFile('3.11.7/envs/app\n')).toBe('3.11.7');
  });
  it('reads runtime.txt', () => {
    expect(parseRuntimeTxt('python-3.11.7\r\n')).toBe('3.11.7');
    expect(parseRuntimeTxt('3.11.7')).toBeUndefined();
  });
  it('reads the python line of .tool-versions', () => {
    expect(parseToolVersions('nodejs 20.1.0\npython 3.12.1 3.11.7\n')).toBe('3.12.1');
    expect(parseToolVersions('nodejs 20.1.0\n')).toBeUndefined();
  });
  it('reads requires-python, else Poetry’s python dependency', () => {
    expect(parsePyproject('[project]\nname="x"\nrequires-python = ">=3.10"\n', 'p')).toBe('>=3.10');
    expect(parsePyproject('[tool.poetry.dependencies]\npython = "^3.11"\n', 'p')).toBe('^3.11');
    expect(parsePyproject('[tool.black]\nline-length = 88\n', 'p')).toBeUndefined();
  });
  it('names the file when pyproject.toml is not TOML', () => {
    expect(() => parsePyproject('[project\n', '/x/pyproject.toml')).toThrow(
      /\/x\/pyproject.toml is not valid TOML/
    );
  });
});

describe('findVersionSpec', () => {
  it('prefers the input over every file', () => {
    const dir = project({ '.python-version': '3.10\n' });
    expect(findVersionSpec('3.12', '', dir)).toEqual({
      spec: '3.12',
      source: "input 'python-version'"
    });
  });
  it('reads python-version-file next', () => {
    const dir = project({ '.python-version': '3.10\n', 'runtime.txt': 'python-3.11.7\n' });
    expect(findVersionSpec('', path.join(dir, 'runtime.txt'), dir)).toMatchObject({
      spec: '3.11.7',
      source: 'file runtime.txt'
    });
  });
  it('searches .python-version, runtime.txt, .tool-versions, pyproject.toml in that order', () => {
    expect(
      findVersionSpec(
        '',
        '',
        project({ 'runtime.txt': 'python-3.11.7', '.tool-versions': 'python 3.12.1' })
      )
    ).toMatchObject({
      spec: '3.11.7'
    });
    expect(
      findVersionSpec(
        '',
        '',
        project({
          'pyproject.toml': '[project]\nrequires-python=">=3.10"',
          '.tool-versions': 'python 3.12.1'
        })
      )
    ).toMatchObject({
      spec: '3.12.1',
      source: 'file .tool-versions'
    });
    expect(
      findVersionSpec('', '', project({ 'pyproject.toml': '[project]\nrequires-python=">=3.10"' }))
    ).toMatchObject({
      spec: '>=3.10',
      source: 'file pyproject.toml'
    });
  });
  it('skips a pyproject.toml without a version and returns undefined', () => {
    expect(
      findVersionSpec('', '', project({ 'pyproject.toml': '[tool.black]\n' }))
    ).toBeUndefined();
  });
  it('fails naming a missing python-version-file', () => {
    const dir = project({});
    expect(() => findVersionSpec('', path.join(dir, '.nope'), dir)).toThrow(
      /python-version-file.*not found/
    );
  });
  it('fails when python-version-file names no version', () => {
    const dir = project({ 'runtime.txt': 'ruby-3.2\n' });
    expect(() => findVersionSpec('', path.join(dir, 'runtime.txt'), dir)).toThrow(
      /No Python version found/
    );
  });
});
