// The Django versions users run, through the bundled action: the LTS releases this machine's
// Python supports (4.2, and 5.2, also the newest release for Python 3.11), each pinned as a
// series in requirements.txt, installed exactly, and driven through check, migrate and
// collectstatic on the example project.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { laterStepEnv } from '../../scripts/e2e/runner.mjs';
import { errors, exampleProject, makeWorkspace, runSetupDjango } from '../helpers/e2e.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'django-versions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.each(['4.2', '5.2'])('Django %s LTS', series => {
  it(`a project pinning Django==${series}.* gets exactly a ${series}.x, checked, migrated and collected`, async () => {
    const workspace = makeWorkspace(exampleProject, root);
    const requirements = path.join(workspace, 'requirements.txt');
    writeFileSync(
      requirements,
      readFileSync(requirements, 'utf8').replace(/^Django==.*$/m, `Django==${series}.*`)
    );
    const result = await runSetupDjango(workspace, { 'python-version': '3.11' });
    expect(errors(result)).toBe('');
    expect(result.exitCode).toBe(0);
    const version = result.outputs['django-version'];
    expect(version).toMatch(new RegExp(`^${series.replace('.', '\\.')}\\.\\d+$`));
    expect(Number(result.outputs['migrations-applied'])).toBeGreaterThanOrEqual(6);
    expect(Number(result.outputs['static-files-count'])).toBeGreaterThan(0);
    // A later step runs that very Django.
    const out = execFileSync('python', ['-c', 'import django; print(django.get_version())'], {
      env: laterStepEnv(result),
      cwd: workspace,
      encoding: 'utf8'
    });
    expect(out.trim()).toBe(version);
  });
});
