// OS libraries that dependencies build against, through the bundled action: apt-packages brings
// the MySQL client headers and pkg-config, and pip compiles mysqlclient from source against them
// in the same run. The headers are absent when the run starts, so the build succeeding proves the
// venv phase waited for apt. Runs as root or with CI=true (like the apt integration test); the
// machine is left as it was: the headers removed again when this test brought them.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { laterStepEnv } from '../../scripts/e2e/runner.mjs';
import { aptAvailable } from '../../src/oslibs/apt.js';
import { detectPlatform } from '../../src/platform.js';
import { errors, fixtureProject, makeWorkspace, runSetupDjango } from '../helpers/e2e.js';
import { requireAdministration } from '../helpers/privileges.js';

const execFileAsync = promisify(execFile);
/** The package a user names, and the one holding the headers and mysqlclient.pc behind it. */
const HEADERS = ['default-libmysqlclient-dev', 'libmariadb-dev'];

async function installed(name: string): Promise<boolean> {
  const { stdout } = await execFileAsync('dpkg-query', ['-W', '-f=${Status}', name]).catch(() => ({
    stdout: ''
  }));
  return stdout === 'install ok installed';
}

async function aptRemove(names: string[]): Promise<void> {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const [command, ...args] = [
    ...sudo,
    'apt-get',
    '-o',
    'DPkg::Lock::Timeout=300',
    'remove',
    '-y',
    '-qq',
    ...names
  ];
  await execFileAsync(command, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  });
}

describe('apt-packages before pip: mysqlclient from source', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'native-libs-'));
  let hadHeaders = false;

  beforeAll(async () => {
    if (!aptAvailable(detectPlatform())) throw new Error('This test needs apt (Debian or Ubuntu).');
    requireAdministration('apt-packages before pip');
    hadHeaders = (await Promise.all(HEADERS.map(installed))).some(Boolean);
    if (hadHeaders) await aptRemove(HEADERS);
  });
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    // Installed before: the action put it back. Absent before: take it away again.
    if (!hadHeaders) await aptRemove(HEADERS).catch(() => undefined);
  });

  it('installs the headers with apt, then builds and installs mysqlclient against them', async () => {
    expect(await installed('libmariadb-dev')).toBe(false);
    const workspace = makeWorkspace(fixtureProject('settings-package'), root);
    const requirements = path.join(workspace, 'requirements.txt');
    writeFileSync(
      requirements,
      `--no-binary mysqlclient\n${readFileSync(requirements, 'utf8')}mysqlclient\n`
    );
    const result = await runSetupDjango(
      workspace,
      { 'apt-packages': 'default-libmysqlclient-dev pkg-config' },
      // A wheel built in an earlier run and kept in the shared cache would need no headers.
      { env: { PIP_NO_CACHE_DIR: '1' } }
    );
    expect(errors(result)).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Installing with apt-get: .*default-libmysqlclient-dev/);
    expect(result.stdout).toMatch(/Building wheel for mysqlclient|Created wheel for mysqlclient/);
    expect(await installed('libmariadb-dev')).toBe(true);
    // A later step imports the compiled driver (linked against the MariaDB client library).
    const { stdout } = await execFileAsync(
      'python',
      ['-c', 'import MySQLdb, MySQLdb._mysql as m; print(MySQLdb.version_info[0], m.__file__)'],
      { env: laterStepEnv(result), cwd: workspace }
    );
    expect(stdout).toMatch(/^\d+ .*\.venv\/.*_mysql.*\.so$/m);
  });
});
