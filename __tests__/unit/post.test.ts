// The post step never fails the job: exceptions from the cache library (here one that throws
// instead of rejecting, as a library bug would) and from anywhere else become warnings.
import { jest } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const libraryBug = (): never => {
  throw new TypeError("Cannot read properties of undefined (reading 'cacheKey')");
};
jest.unstable_mockModule('@actions/cache', () => ({
  saveCache: jest.fn(async () => libraryBug()),
  restoreCache: jest.fn(libraryBug),
  isFeatureAvailable: () => true
}));

const { runPost } = await import('../../src/post-main.js');
const { readVenvContents } = await import('../../src/venv/contents.js');

let root: string;
let written: string[];
let spy: ReturnType<typeof jest.spyOn>;
const saved = { ...process.env };

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'post-'));
  written = [];
  spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
  process.env.ACTIONS_CACHE_URL = 'http://127.0.0.1:1/';
  process.env.ACTIONS_RUNTIME_TOKEN = 'token';
  process.env.RUNNER_TEMP = root;
});
afterEach(() => {
  spy.mockRestore();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  process.exitCode = undefined;
  rmSync(root, { recursive: true, force: true });
});

function stateFor(name: string, value: string): void {
  process.env[`STATE_${name}`] = value;
}

function warnings(): string[] {
  return written.filter(line => line.startsWith('::warning::'));
}

it('turns an exception of the cache library into warnings while saving the tool venv and the venv', async () => {
  const tool = path.join(root, 'tools', 'poetry-2.1-py3.11.7');
  mkdirSync(tool, { recursive: true });
  writeFileSync(path.join(tool, '.setup-django-tool-complete'), '');
  stateFor('tool-cache-save', JSON.stringify({ key: 'tool-key', path: tool }));

  const venv = path.join(root, 'workspace', '.venv');
  mkdirSync(path.join(venv, 'bin'), { recursive: true });
  writeFileSync(path.join(venv, 'bin', 'python'), '');
  writeFileSync(path.join(venv, '.setup-django.json'), '{}');
  stateFor('cache-save-ready', 'true');
  stateFor('cache-primary-key', 'venv-key');
  stateFor('cache-paths', JSON.stringify([venv]));
  // What the main step recorded: the venv is unchanged, so the post step goes on to save it.
  stateFor('venv-contents', JSON.stringify(readVenvContents(venv)));

  await expect(runPost()).resolves.toBeUndefined();
  expect(process.exitCode).not.toBe(1);
  expect(written.join('')).not.toContain('::error');
  expect(warnings().join('\n')).toMatch(/tool venv.*Cannot read properties of undefined/);
  // saveConfirmed catches what its lookup throws, so the venv save reports it itself.
  expect(warnings().join('\n')).toMatch(
    /(could not save the cache|Saving the virtualenv to the cache failed).*Cannot read properties/
  );
});

it('turns anything runPost throws into a warning and exits 0 (the entry point)', async () => {
  jest.resetModules();
  jest.unstable_mockModule('../../src/post-main.js', () => ({
    runPost: jest.fn(async () => {
      throw new Error('boom outside every guard');
    })
  }));
  process.exitCode = 1; // as core.setFailed would leave it
  const entry = await import('../../src/post.js');
  process.removeListener('unhandledRejection', entry.warnInstead);
  process.removeListener('uncaughtException', entry.warnInstead);
  expect(process.exitCode).toBe(0);
  expect(warnings().join('\n')).toMatch(
    /The post step could not save the cache \(the job is not failed for it\): boom outside every guard/
  );
});
