// `npm run demo -- path [--input name=value]`: the bundled action on the user's own project, cold
// then warm through the local cache service, in a temporary copy that leaves the project untouched.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/python-fixtures.js';

/** Every file under dir except .git, with its content hash and modification time. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, full);
    if (rel.split(path.sep)[0] === '.git') continue;
    const stat = statSync(full);
    files[rel] = entry.isFile()
      ? `${createHash('sha256').update(readFileSync(full)).digest('hex')} ${stat.mtimeMs}`
      : 'dir';
  }
  return files;
}

const demoDirs = (): string[] =>
  readdirSync(os.tmpdir()).filter(name => name.startsWith('setup-django-demo-'));

describe('npm run demo on your own project', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'demo-test-'));
  const project = path.join(root, 'my-project');
  const summaries = path.join(root, 'summaries');

  beforeAll(() => {
    cpSync(path.join(repoRoot, '__tests__', 'fixtures', 'projects', 'crlf'), project, {
      recursive: true
    });
    writeFileSync(path.join(project, '.gitignore'), 'local.env\n.venv/\n');
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
        cwd: project,
        encoding: 'utf8'
      });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'initial');
    // Work in progress is tried too; ignored files and heavy folders are not copied.
    writeFileSync(path.join(project, 'NOTES.txt'), 'untracked, not ignored\n');
    writeFileSync(path.join(project, 'local.env'), 'SECRET=ignored\n');
    mkdirSync(path.join(project, '.venv', 'bin'), { recursive: true });
    writeFileSync(path.join(project, '.venv', 'bin', 'python'), 'not a python');
    mkdirSync(path.join(project, 'node_modules', 'left-pad'), { recursive: true });
    writeFileSync(path.join(project, 'node_modules', 'left-pad', 'index.js'), '');
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs cold then warm on a copy, prints the table, outputs and summaries, and leaves the tree untouched', () => {
    const before = snapshot(project);
    const dirsBefore = new Set(demoDirs());
    const tracked = execFileSync(
      'git',
      ['ls-files', '--cached', '--others', '--exclude-standard'],
      { cwd: project, encoding: 'utf8' }
    )
      .split('\n')
      .filter(Boolean)
      .filter(file => !file.startsWith('.venv/') && !file.startsWith('node_modules/'));
    const run = spawnSync(
      process.execPath,
      [
        path.join(repoRoot, 'scripts', 'demo.mjs'),
        project,
        '--input',
        'collectstatic=false',
        '--input',
        'check=deploy',
        '--summary-dir',
        summaries
      ],
      { cwd: repoRoot, encoding: 'utf8', timeout: 600000 }
    );
    const out = run.stdout;
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    expect(out).toContain(
      `${tracked.length} tracked and untracked non-ignored files (git ls-files) copied to the workspace`
    );
    expect(tracked).toContain('NOTES.txt');
    expect(out).toContain('inputs: collectstatic=false check=deploy');
    expect(out).toMatch(/=== cold run \(empty cache\): succeeded/);
    expect(out).toMatch(/=== warm run .*: succeeded/);
    // The phase table, the outputs, the annotations, where each summary went.
    expect(out).toMatch(/^ {4}venv +\+[\d.]+ +[\d.]+ s +pip, cache miss/m);
    expect(out).toMatch(/^ {4}venv +\+[\d.]+ +[\d.]+ s +pip, cache hit/m);
    expect(out).toMatch(/^ {4}static-files-count +0$/m);
    expect(out).toMatch(/^ {4}settings-module +crlfsite\.settings$/m);
    expect(out).toMatch(/^ {2}warning \(Django check security\.W\d+\): /m);
    expect(out).toMatch(/cache-hit on the warm run: true/);
    for (const name of ['cold', 'warm']) {
      const file = path.join(summaries, `summary-${name}.md`);
      expect(out).toContain(`job summary: ${file}`);
      expect(readFileSync(file, 'utf8')).toContain('<h2>setup-django</h2>');
    }
    expect(readFileSync(path.join(summaries, 'summary-cold.md'), 'utf8')).toContain('Cache saved:');
    // The project is as it was (no venv, database or static files), the temporary copy is gone.
    expect(snapshot(project)).toEqual(before);
    expect(existsSync(path.join(project, 'db.sqlite3'))).toBe(false);
    expect(demoDirs().filter(dir => !dirsBefore.has(dir))).toEqual([]);
  });

  it('rejects an --input that is not name=value, with the usage', () => {
    const run = spawnSync(
      process.execPath,
      [path.join(repoRoot, 'scripts', 'demo.mjs'), project, '--input', 'collectstatic'],
      { cwd: repoRoot, encoding: 'utf8' }
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /--input takes name=value, as under 'with:' \(got 'collectstatic'\)/
    );
    expect(run.stderr).toMatch(/usage: npm run demo --/);
  });
});
