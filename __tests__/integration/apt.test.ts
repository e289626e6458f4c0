// installAptPackages for real on this Debian/Ubuntu machine: a small package absent from it
// (`sl`, 13 kB) is installed, then found installed without `apt-get update`; an unknown name
// fails naming it; a hostile token never reaches apt. `sl` is removed again only when this test
// installed it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ActionError } from '../../src/errors.js';
import { execCommand, type ExecOptions, type ExecResult } from '../../src/exec.js';
import { aptAvailable, installAptPackages, parseAptPackages } from '../../src/oslibs/apt.js';
import { detectPlatform } from '../../src/platform.js';
import { requireAdministration } from '../helpers/privileges.js';

const execFileAsync = promisify(execFile);
const platform = detectPlatform();
const PACKAGE = 'sl';

async function dpkgStatus(name: string): Promise<string> {
  const { stdout } = await execFileAsync('dpkg-query', ['-W', '-f=${Status}', name]).catch(() => ({
    stdout: ''
  }));
  return stdout;
}

/** The real exec, recording each command line. */
function recordingExec() {
  const commands: string[] = [];
  const exec = (command: string, args: string[], options?: ExecOptions): Promise<ExecResult> => {
    commands.push([command, ...args].join(' '));
    return execCommand(command, args, options);
  };
  return {
    exec,
    commands,
    aptGet: () => commands.filter(c => / apt-get |^apt-get /.test(` ${c}`))
  };
}

async function aptGetAs(...args: string[]): Promise<void> {
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const [command, ...rest] = [...sudo, 'apt-get', ...args];
  await execFileAsync(command, rest, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  });
}

let installedHere = false;

describe('installAptPackages on this machine', () => {
  let wasInstalled: boolean;

  beforeAll(async () => {
    if (!aptAvailable(platform)) throw new Error('These tests need apt (Debian or Ubuntu).');
    requireAdministration('installAptPackages on this machine');
    // Absent when the test starts, so the fresh install really runs; put back afterwards.
    wasInstalled = (await dpkgStatus(PACKAGE)) === 'install ok installed';
    if (wasInstalled) await aptGetAs('remove', '-y', PACKAGE);
  });

  afterAll(async () => {
    // Installed before: the test installed it again. Absent before: take it away again.
    if (installedHere && !wasInstalled) await aptGetAs('remove', '-y', PACKAGE);
  });

  it('installs a package missing from the runner, after apt-get update', async () => {
    const { exec, aptGet } = recordingExec();
    const result = await installAptPackages(parseAptPackages(PACKAGE), platform, { exec });
    installedHere = true;
    expect(result).toMatchObject({ installed: [PACKAGE], skipped: [] });
    expect(aptGet()).toEqual([
      expect.stringMatching(/apt-get .*update/),
      expect.stringMatching(/apt-get .*install -y --no-install-recommends sl$/)
    ]);
    expect(await dpkgStatus(PACKAGE)).toBe('install ok installed');
  }, 55000);

  it('skips an installed package without running apt-get at all', async () => {
    const { exec, commands, aptGet } = recordingExec();
    const result = await installAptPackages(parseAptPackages(`${PACKAGE}\nlibc6`), platform, {
      exec
    });
    expect(result).toMatchObject({ installed: [], skipped: [PACKAGE, 'libc6'] });
    expect(aptGet()).toEqual([]);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(/^dpkg-query /);
  });

  it('fails naming a package apt does not know', async () => {
    const name = 'setup-django-no-such-package';
    const promise = installAptPackages(parseAptPackages(`${PACKAGE} ${name}`), platform);
    await expect(promise).rejects.toBeInstanceOf(ActionError);
    await expect(promise).rejects.toThrow(
      new RegExp(`'apt-packages': apt-get found no package '${name}'`)
    );
  }, 55000);

  it('takes a name that is an apt regex literally: python3-dj.+ installs nothing', async () => {
    const { exec, aptGet } = recordingExec();
    await expect(
      installAptPackages(parseAptPackages('python3-dj.+'), platform, { exec })
    ).rejects.toThrow(/apt knows no package named exactly 'python3-dj\.\+'/);
    expect(aptGet().filter(c => / install /.test(c))).toEqual([]);
    expect(await dpkgStatus('python3-django')).not.toBe('install ok installed');
  }, 55000);

  it('rejects hostile tokens before anything runs', async () => {
    const { exec, commands } = recordingExec();
    for (const raw of ['-o foo', 'a;b', '$(id)', 'sl=1;id']) {
      await expect(async () =>
        installAptPackages(parseAptPackages(raw), platform, { exec })
      ).rejects.toThrow(/Input 'apt-packages' has an invalid/);
    }
    expect(commands).toEqual([]);
  });
});
