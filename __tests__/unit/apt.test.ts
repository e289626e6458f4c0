// apt-packages: parsing against Debian's grammar, the libaio package name, and the install plan
// (what runs, as whom) with an injected exec.
import { ActionError } from '../../src/errors.js';
import type { ExecOptions, ExecResult } from '../../src/exec.js';
import {
  explainAptFailure,
  installAptPackages,
  isInstalled,
  libaioPackages,
  parseAptPackages
} from '../../src/oslibs/apt.js';
import type { Platform } from '../../src/platform.js';

const ubuntu = (distroVersion: string): Platform => ({
  os: 'linux',
  distro: 'ubuntu',
  distroVersion,
  arch: 'x64'
});
const debian = (distroVersion: string): Platform => ({
  ...ubuntu(distroVersion),
  distro: 'debian'
});

describe('parseAptPackages', () => {
  it('splits on spaces, tabs and new lines and drops comments', () => {
    expect(
      parseAptPackages('libpq-dev  gdal-bin\n\tlibxml2-dev # for lxml\n# all\nlibmysqlclient-dev\n')
    ).toEqual([
      { name: 'libpq-dev' },
      { name: 'gdal-bin' },
      { name: 'libxml2-dev' },
      { name: 'libmysqlclient-dev' }
    ]);
  });

  it('reads name=version pins, epochs and Debian revisions included', () => {
    expect(
      parseAptPackages('sl=5.02-1+b1 libc6=2.36-9+deb12u4 tzdata=1:2024a-0ubuntu0.22.04')
    ).toEqual([
      { name: 'sl', version: '5.02-1+b1' },
      { name: 'libc6', version: '2.36-9+deb12u4' },
      { name: 'tzdata', version: '1:2024a-0ubuntu0.22.04' }
    ]);
  });

  it('accepts the characters Debian allows in names', () => {
    expect(parseAptPackages('g++ libstdc++6 python3.11-venv 0ad').map(p => p.name)).toEqual([
      'g++',
      'libstdc++6',
      'python3.11-venv',
      '0ad'
    ]);
  });

  it('is empty for an empty input', () => {
    expect(parseAptPackages('')).toEqual([]);
    expect(parseAptPackages(' \n # nothing\n')).toEqual([]);
  });

  it('keeps one entry for a repeated name and refuses two different pins', () => {
    expect(parseAptPackages('sl sl')).toEqual([{ name: 'sl' }]);
    expect(() => parseAptPackages('sl=1.0 sl=2.0')).toThrow(/'sl' twice/);
  });

  const hostile = [
    '-o',
    '-oAPT::Get::AllowUnauthenticated=true',
    '--allow-unauthenticated',
    'a;b',
    '$(id)',
    '`id`',
    'a|b',
    'a&&b',
    '../etc/passwd',
    '/tmp/evil.deb',
    'Upper',
    'x',
    'sl=',
    'sl=abc',
    'sl=1.0;id',
    'sl=$(id)',
    'sl=-o',
    'name\u0000'
  ];
  it.each(hostile)('rejects %j naming the input and the token', token => {
    let error: unknown;
    try {
      parseAptPackages(`libpq-dev ${token}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ActionError);
    expect((error as Error).message).toContain("'apt-packages'");
    expect((error as Error).message).toContain(token.trim());
  });

  it('rejects a trailing -, which apt-get reads as a removal', () => {
    expect(() => parseAptPackages('postgresql-')).toThrow(/'postgresql-'.*remove postgresql/);
  });

  it('rejects `-o foo` at its first token, so nothing can become an apt option', () => {
    expect(() => parseAptPackages('-o foo')).toThrow("invalid package name in '-o'");
  });
});

describe('libaioPackages', () => {
  it.each([
    [ubuntu('20.04'), 'libaio1'],
    [ubuntu('22.04'), 'libaio1'],
    [ubuntu('24.04'), 'libaio1t64'],
    [ubuntu('24.10'), 'libaio1t64'],
    [ubuntu('26.04'), 'libaio1t64'],
    [debian('12'), 'libaio1'],
    [debian('13'), 'libaio1t64']
  ])('%o needs %s', (platform, pkg) => {
    expect(libaioPackages(platform)).toEqual([pkg]);
  });
});

describe('isInstalled', () => {
  const out = 'libaio1 install ok installed 0.3.113-4\nold deinstall ok config-files 1.0\n';
  it('needs the "install ok installed" status', () => {
    expect(isInstalled(out, { name: 'libaio1' })).toBe(true);
    expect(isInstalled(out, { name: 'old' })).toBe(false);
    expect(isInstalled(out, { name: 'sl' })).toBe(false);
  });
  it('matches the pinned version exactly', () => {
    expect(isInstalled(out, { name: 'libaio1', version: '0.3.113-4' })).toBe(true);
    expect(isInstalled(out, { name: 'libaio1', version: '0.3.113-5' })).toBe(false);
  });
});

describe('explainAptFailure', () => {
  it('names an unknown package', () => {
    expect(explainAptFailure('E: Unable to locate package nosuchpkg', ubuntu('24.04'))).toMatch(
      /no package 'nosuchpkg' on ubuntu 24.04/
    );
  });
  it('names a missing version', () => {
    expect(explainAptFailure("E: Version '9.9' for 'sl' was not found", ubuntu('22.04'))).toMatch(
      /version '9.9' of 'sl' is not available/
    );
  });
  it('leaves other failures alone', () => {
    expect(explainAptFailure('E: Could not get lock', ubuntu('22.04'))).toBeUndefined();
  });
});

interface Call {
  command: string;
  args: string[];
  env?: ExecOptions['env'];
}

/** An exec that records calls and answers dpkg-query / apt-get / sudo as told. */
function fakeExec(
  answers: { installed?: string; apt?: Partial<ExecResult>; sudo?: number; known?: string[] } = {}
) {
  const calls: Call[] = [];
  const exec = async (
    command: string,
    args: string[],
    options: ExecOptions = {}
  ): Promise<ExecResult> => {
    calls.push({ command, args, env: options.env });
    const base = { command, args, stdout: '', stderr: '', exitCode: 0, durationMs: 1 };
    if (command === 'dpkg-query') return { ...base, stdout: answers.installed ?? '', exitCode: 1 };
    if (command === 'sudo' && args[1] === 'true') return { ...base, exitCode: answers.sudo ?? 0 };
    if (command === 'apt-cache') {
      const prefix = args[args.length - 1];
      const names = (answers.known ?? []).filter(n => n.startsWith(prefix));
      return { ...base, stdout: names.map(n => `${n}\n`).join('') };
    }
    if (args.includes('install')) return { ...base, ...answers.apt };
    return base;
  };
  return { exec, calls };
}

// /usr/bin holds apt-get and dpkg-query on the machines these tests run on (Debian).
const searchPath = '/usr/bin:/bin';

describe('installAptPackages', () => {
  it('runs nothing but dpkg-query when everything is installed', async () => {
    const { exec, calls } = fakeExec({ installed: 'libaio1 install ok installed 0.3.113-4\n' });
    const result = await installAptPackages([{ name: 'libaio1' }], debian('12'), {
      exec,
      isRoot: true,
      searchPath
    });
    expect(result.installed).toEqual([]);
    expect(result.skipped).toEqual(['libaio1']);
    expect(calls.map(c => c.command)).toEqual(['dpkg-query']);
  });

  it('updates, then installs only what is missing, non-interactively, as root', async () => {
    const { exec, calls } = fakeExec({ installed: 'libaio1 install ok installed 0.3.113-4\n' });
    const result = await installAptPackages(
      [{ name: 'libaio1' }, { name: 'sl', version: '5.02-1+b1' }],
      debian('12'),
      {
        exec,
        isRoot: true,
        searchPath
      }
    );
    expect(result).toMatchObject({ installed: ['sl=5.02-1+b1'], skipped: ['libaio1'] });
    const apt = calls.filter(c => c.command === 'apt-get');
    expect(apt.map(c => c.args.filter(a => !a.startsWith('-') && !a.includes('Lock')))).toEqual([
      ['update'],
      ['install', 'sl=5.02-1+b1']
    ]);
    expect(apt[1].args).toEqual(expect.arrayContaining(['-y', '--no-install-recommends']));
    expect(apt.every(c => c.env?.DEBIAN_FRONTEND === 'noninteractive')).toBe(true);
  });

  it('goes through sudo -n when not root, carrying DEBIAN_FRONTEND past sudo', async () => {
    const { exec, calls } = fakeExec();
    await installAptPackages([{ name: 'sl' }], ubuntu('24.04'), {
      exec,
      isRoot: false,
      searchPath
    });
    const privileged = calls.filter(c => c.command === 'sudo' && c.args.includes('apt-get'));
    expect(privileged).toHaveLength(2);
    expect(privileged[1].args.slice(0, 4)).toEqual([
      '-n',
      'env',
      'DEBIAN_FRONTEND=noninteractive',
      'apt-get'
    ]);
  });

  it('fails clearly without root or passwordless sudo', async () => {
    const { exec } = fakeExec({ sudo: 1 });
    await expect(
      installAptPackages([{ name: 'sl' }], ubuntu('24.04'), { exec, isRoot: false, searchPath })
    ).rejects.toThrow(/needs root or passwordless sudo/);
  });

  it('names a package apt cannot locate', async () => {
    const { exec } = fakeExec({
      apt: { exitCode: 100, stderr: 'E: Unable to locate package nosuchpkg' }
    });
    await expect(
      installAptPackages([{ name: 'nosuchpkg' }], debian('12'), { exec, isRoot: true, searchPath })
    ).rejects.toThrow(/no package 'nosuchpkg'/);
  });

  it('says so on a runner without apt-get', async () => {
    const { exec, calls } = fakeExec();
    const fedora: Platform = { os: 'linux', distro: 'fedora', distroVersion: '40', arch: 'x64' };
    await expect(
      installAptPackages([{ name: 'sl' }], fedora, {
        exec,
        isRoot: true,
        searchPath: '/nonexistent'
      })
    ).rejects.toThrow(/needs a Debian or Ubuntu runner with apt-get, but this runner is fedora 40/);
    expect(calls).toEqual([]);
  });

  it('never hands apt-get a name it would read as a regex (python3-dj.+)', async () => {
    const { exec, calls } = fakeExec({ known: ['python3-django', 'python3-djangorestframework'] });
    await expect(
      installAptPackages([{ name: 'python3-dj.+' }], debian('12'), {
        exec,
        isRoot: true,
        searchPath
      })
    ).rejects.toThrow(
      /'apt-packages': apt knows no package named exactly 'python3-dj\.\+' on debian 12.*literally/
    );
    expect(calls.some(c => c.args.includes('install'))).toBe(false);
  });

  it('installs names with . and + that apt knows literally (g++, python3.11-venv)', async () => {
    const { exec, calls } = fakeExec({ known: ['g++', 'g++-12', 'python3.11-venv'] });
    const result = await installAptPackages(
      [{ name: 'g++' }, { name: 'python3.11-venv', version: '3.11.2-6' }, { name: 'sl' }],
      debian('12'),
      { exec, isRoot: true, searchPath }
    );
    expect(result.installed).toEqual(['g++', 'python3.11-venv=3.11.2-6', 'sl']);
    // Only the names apt could take as a pattern are looked up.
    expect(calls.filter(c => c.command === 'apt-cache').map(c => c.args.at(-1))).toEqual([
      'g++',
      'python3.11-venv'
    ]);
  });

  it('does nothing for an empty list', async () => {
    const { exec, calls } = fakeExec();
    expect(await installAptPackages([], debian('12'), { exec })).toEqual({
      installed: [],
      skipped: [],
      durationMs: 0
    });
    expect(calls).toEqual([]);
  });
});
