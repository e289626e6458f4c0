import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { removeVenv, whyNotRemovable } from '../../src/venv/ownership.js';

describe('the action deletes only what it can prove it made', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ownership-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const dir = (name: string, files: Record<string, string> = {}): string => {
    const at = path.join(root, name);
    mkdirSync(at, { recursive: true });
    for (const [file, body] of Object.entries(files)) writeFileSync(path.join(at, file), body);
    return at;
  };

  it.each([
    ['absent', () => path.join(root, 'absent')],
    ['an empty folder', () => dir('empty')],
    ['a venv (pyvenv.cfg)', () => dir('venv', { 'pyvenv.cfg': 'home = /usr/bin\n', x: '' })],
    ['a folder with only the marker', () => dir('marker-only', { '.setup-django.json': '{}' })]
  ])('removes %s', (_name, make) => {
    const at = make();
    expect(whyNotRemovable(at)).toBeUndefined();
    removeVenv(at);
    expect(existsSync(at)).toBe(false);
  });

  it.each([
    ['a project folder', () => dir('polls', { 'models.py': '', 'views.py': '' }), /2 entries/],
    [
      'a file',
      () => (writeFileSync(path.join(root, 'file'), 'x'), path.join(root, 'file')),
      /a file/
    ],
    [
      'a symlink to a venv',
      () => {
        const target = dir('target-venv', { 'pyvenv.cfg': '' });
        symlinkSync(target, path.join(root, 'link'));
        return path.join(root, 'link');
      },
      /symbolic link/
    ]
  ])('refuses %s, naming the path and the fix, and leaves it', (_name, make, reason) => {
    const at = make();
    expect(whyNotRemovable(at)).toMatch(reason);
    expect(() => removeVenv(at)).toThrow(
      new RegExp(`'venv-path' is ${at}, which .*choose another 'venv-path'`)
    );
    expect(existsSync(at)).toBe(true);
  });
});
