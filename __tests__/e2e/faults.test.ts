// Faults and hostile input: a cancelled install leaves nothing that is reused or cached, and
// no input reaches a shell or becomes a command-line option.
import { existsSync, mkdtempSync, rmSync, mkdirSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCacheServer, type CacheServer } from '../../scripts/e2e/cache-server.mjs';
import { annotations, errors, fixtureProject, runSetupDjango } from '../helpers/e2e.js';

function freshCheckout(workspace: string): void {
  rmSync(workspace, { recursive: true, force: true });
  mkdirSync(workspace, { recursive: true });
  cpSync(fixtureProject('crlf'), workspace, { recursive: true });
}

describe('a cancelled run (SIGTERM mid-install)', () => {
  let server: CacheServer;
  const root = mkdtempSync(path.join(os.tmpdir(), 'cancel-'));
  const workspace = path.join(root, 'workspace');
  beforeAll(async () => {
    server = await startCacheServer({ dir: path.join(root, 'service') });
  });
  afterAll(async () => {
    await server.close();
  });

  it('leaves no venv that a rerun trusts and no cache entry', async () => {
    freshCheckout(workspace);
    const venv = path.join(workspace, '.venv');
    const cancelled = await runSetupDjango(
      workspace,
      {},
      { env: server.envFor('v2'), cancelWhen: () => existsSync(path.join(venv, 'pyvenv.cfg')) }
    );
    expect(cancelled.exitCode).not.toBe(0);
    expect(errors(cancelled)).toMatch(/cancelled \(SIGTERM\)/);
    expect(cancelled.post).toBeUndefined();
    expect(existsSync(path.join(venv, '.setup-django.json'))).toBe(false);
    expect(server.entries()).toEqual([]);

    const rerun = await runSetupDjango(
      workspace,
      { collectstatic: 'false' },
      { env: server.envFor('v2') }
    );
    expect(errors(rerun)).toBe('');
    expect(rerun.outputs['cache-hit']).toBe('false');
    expect(existsSync(path.join(venv, '.setup-django.json'))).toBe(true);
    expect(server.entries().map(e => e.key)).toEqual([rerun.outputs['cache-key']]);
  });
});

describe('hostile inputs reach no shell and no command-line option', () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { 'requirements-file': '--index-url=http://evil.invalid/simple' },
      /requirements file --index-url=http:\/+evil.invalid\/simple named in 'requirements-file' does not exist/
    ],
    [{ 'settings-module': '$(id)' }, /'settings-module' must be a dotted Python module path/],
    [{ 'settings-module': 'mysite.settings`id`' }, /'settings-module'/],
    [{ 'python-version': '3.11\nid' }, /'python-version'/],
    [{ 'python-version': '3.11; touch /tmp/pwned' }, /'python-version'/],
    [{ 'working-directory': '../../..' }, /'working-directory'.*outside the workspace/],
    [{ 'venv-path': '../../../tmp/evil venv' }, /'venv-path'.*outside the workspace/],
    [{ 'cache-suffix': 'x,y' }, /'cache-suffix'/],
    [{ 'apt-packages': '-o APT::Update::Pre-Invoke::=id' }, /'apt-packages'/],
    [{ 'apt-packages': 'curl;id' }, /'apt-packages'/],
    [{ 'server-version': '1.0 --index-url http://evil' }, /'server-version'/],
    [{ artifact: 'true', 'artifact-name': '../../etc/cron.d/x' }, /'artifact-name'/],
    [
      { 'smoke-test-path': 'http://evil.invalid/' },
      /'smoke-test-path'|'smoke-test' is true but 'server' is none/
    ],
    [
      { 'oracle-instant-client': 'latest', 'oracle-instant-client-url': 'file:///etc' },
      /'oracle-instant-client-url'/
    ],
    [{ 'migrate-database': 'default --run-syncdb' }, /'migrate-database'/],
    [{ 'python-version': 'x'.repeat(5000) }, /limit is 4096/]
  ];

  it.each(cases)('%j', async (inputs, message) => {
    const workspace = mkdtempSync(path.join(os.tmpdir(), 'hostile-'));
    cpSync(fixtureProject('crlf'), workspace, { recursive: true });
    const result = await runSetupDjango(workspace, inputs);
    expect(result.exitCode).toBe(1);
    expect(errors(result)).toMatch(message);
    expect(existsSync(path.join(workspace, '.venv'))).toBe(false);
    expect(existsSync('/tmp/pwned')).toBe(false);
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at .*\.js:\d+:\d+/);
    expect(annotations(result, 'error')).toHaveLength(1);
  });
});
