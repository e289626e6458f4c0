// The venv cache archive: packed into tar shards with real tar and zstd, unpacked side by side,
// the marker written last; damaged or hostile entries leave no marker and nothing outside.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { VENV_MARKER } from '../../src/constants.js';
import {
  checkMembers,
  packVenv,
  parseListing,
  planShards,
  removeShards,
  shardDirFor,
  unpackVenv
} from '../../src/cache/shards.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'shards-it-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A small venv-shaped tree: nested packages, an empty folder, both kinds of symlink, a marker. */
function fakeVenv(dir: string): void {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  mkdirSync(path.join(dir, 'include'), { recursive: true });
  symlinkSync('/usr/bin/python3', path.join(dir, 'bin', 'python'));
  symlinkSync('python', path.join(dir, 'bin', 'python3'));
  symlinkSync('lib', path.join(dir, 'lib64'));
  writeFileSync(path.join(dir, 'pyvenv.cfg'), 'home = /usr/bin\n');
  for (let p = 0; p < 12; p++) {
    const pkg = path.join(dir, 'lib', 'python3.11', 'site-packages', `pkg${p}`, 'sub');
    mkdirSync(pkg, { recursive: true });
    for (let f = 0; f < 20; f++) {
      writeFileSync(path.join(pkg, `m${f}.py`), `# ${p}/${f}\n${'x = 1\n'.repeat(f * p)}`);
    }
  }
  writeFileSync(path.join(dir, 'bin', 'gunicorn'), '#!/venv/bin/python\n', { mode: 0o755 });
  writeFileSync(path.join(dir, VENV_MARKER), '{"format":"v2"}');
}

/** type, mode, link target or content of every entry, for comparing two trees. */
function describeTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const stat = lstatSync(full);
    const name = path.relative(dir, full);
    if (entry.isSymbolicLink()) out[name] = `link ${readlinkSync(full)}`;
    else if (entry.isDirectory()) out[name] = `dir ${(stat.mode & 0o777).toString(8)}`;
    else out[name] = `file ${(stat.mode & 0o777).toString(8)} ${readFileSync(full, 'utf8')}`;
  }
  return out;
}

describe('venv shards', () => {
  it('round-trips a venv through shards, keeping links, modes and empty folders', async () => {
    const venv = path.join(root, 'a', '.venv');
    fakeVenv(venv);
    const shardDir = shardDirFor(venv);
    expect(shardDir).toBe(path.join(root, 'a', '.setup-django-cache', '.venv'));
    const manifest = await packVenv(venv, shardDir);
    expect(manifest.shards).toHaveLength(4);
    expect(manifest.compression).toBe('zstd');
    expect(manifest.marker).toBe('{"format":"v2"}');
    expect(readdirSync(shardDir).sort()).toEqual([...manifest.shards, 'manifest.json'].sort());

    const target = path.join(root, 'b', '.venv');
    await unpackVenv(shardDir, target);
    expect(describeTree(target)).toEqual(describeTree(venv));
    removeShards(shardDir);
    expect(existsSync(path.join(root, 'a', '.setup-django-cache'))).toBe(false);
  });

  it('never puts a folder and its contents in different shards', () => {
    const leaf = (name: string, weight: number) => ({ name, weight, children: [] });
    const small = Array.from({ length: 8 }, (_, i) => leaf(`lib/sp/small${i}.py`, 100));
    const big = {
      name: 'lib/sp/big',
      weight: 5000,
      children: [leaf('lib/sp/big/a', 2500), leaf('lib/sp/big/b', 2500)]
    };
    const sp = { name: 'lib/sp', weight: 5800, children: [big, ...small] };
    const tree = {
      name: '',
      weight: 6000,
      children: [{ name: 'lib', weight: 5900, children: [sp] }, leaf('pyvenv.cfg', 100)]
    };
    const plan = planShards(tree, 2);
    expect(plan.skeleton).toEqual(['lib', 'lib/sp', 'lib/sp/big']);
    const all = plan.shards.flat();
    expect(all.sort()).toEqual(
      ['lib/sp/big/a', 'lib/sp/big/b', 'pyvenv.cfg', ...small.map(s => s.name)].sort()
    );
    expect(plan.shards).toHaveLength(2);
  });

  it('a damaged shard fails the unpack, and the marker is never written', async () => {
    const venv = path.join(root, 'c', '.venv');
    fakeVenv(venv);
    const shardDir = shardDirFor(venv);
    const manifest = await packVenv(venv, shardDir);
    truncateSync(path.join(shardDir, manifest.shards[1]), 100);
    const target = path.join(root, 'd', '.venv');
    await expect(unpackVenv(shardDir, target)).rejects.toThrow(/tar/);
    expect(existsSync(path.join(target, VENV_MARKER))).toBe(false);
  });

  it('refuses a manifest naming files outside the shard folder', async () => {
    const shardDir = path.join(root, 'e');
    mkdirSync(shardDir, { recursive: true });
    writeFileSync(
      path.join(shardDir, 'manifest.json'),
      JSON.stringify({ format: 1, compression: 'none', shards: ['../../etc/x.tar'], marker: '' })
    );
    await expect(unpackVenv(shardDir, path.join(root, 'f'))).rejects.toThrow(/not in the format/);
  });

  it('writes nothing outside the venv for a member that climbs out of it', async () => {
    const shardDir = path.join(root, 'g');
    mkdirSync(shardDir, { recursive: true });
    const absolute = path.join(root, 'absolute-escaped.txt');
    // Python's tarfile writes member names as given (GNU tar would refuse to create them).
    execFileSync('python3', [
      '-c',
      [
        'import io, sys, tarfile',
        'with tarfile.open(sys.argv[1], "w") as tar:',
        '    for name in sys.argv[2:]:',
        '        info = tarfile.TarInfo(name); info.size = 5',
        '        tar.addfile(info, io.BytesIO(b"pwned"))'
      ].join('\n'),
      path.join(shardDir, 'shard-0.tar'),
      'ok.txt',
      '../../escaped.txt',
      absolute
    ]);
    writeFileSync(
      path.join(shardDir, 'manifest.json'),
      JSON.stringify({
        format: 1,
        compression: 'none',
        shards: ['shard-0.tar'],
        skeleton: [],
        marker: '{}'
      })
    );
    const target = path.join(root, 'h', 'venv');
    await expect(unpackVenv(shardDir, target)).rejects.toThrow(/a member outside the venv/);
    expect(existsSync(path.join(root, 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(root, 'h', 'escaped.txt'))).toBe(false);
    expect(existsSync(absolute)).toBe(false);
  });

  it('refuses a symlink out of the venv that another shard writes through, before unpacking', async () => {
    // A small shard creates `x -> <outside>`; a large one, unpacked at the same time, holds
    // padding then `x/pwned.txt`: without the check, the file lands in <outside>.
    const shardDir = path.join(root, 'race');
    const outside = path.join(root, 'outside-dir');
    mkdirSync(shardDir, { recursive: true });
    mkdirSync(outside, { recursive: true });
    const src = path.join(root, 'race-src');
    mkdirSync(path.join(src, 'a', 'x'), { recursive: true });
    symlinkSync(outside, path.join(src, 'b-x'));
    writeFileSync(path.join(src, 'a', 'padding.bin'), Buffer.alloc(8 * 1024 * 1024, 7));
    writeFileSync(path.join(src, 'a', 'x', 'pwned.txt'), 'pwned');
    // shard-0: the link as `x`; shard-1: padding first, then x/pwned.txt.
    execFileSync('tar', [
      '-cf',
      path.join(shardDir, 'shard-0.tar'),
      '-C',
      src,
      '--transform',
      's,^b-x$,x,',
      'b-x'
    ]);
    execFileSync('tar', [
      '-cf',
      path.join(shardDir, 'shard-1.tar'),
      '-C',
      path.join(src, 'a'),
      'padding.bin',
      'x/pwned.txt'
    ]);
    writeFileSync(
      path.join(shardDir, 'manifest.json'),
      JSON.stringify({
        format: 1,
        compression: 'none',
        shards: ['shard-0.tar', 'shard-1.tar'],
        skeleton: [],
        marker: '{}'
      })
    );
    const target = path.join(root, 'race-venv');
    await expect(unpackVenv(shardDir, target)).rejects.toThrow(
      `the cache entry holds a symbolic link pointing outside the venv ('x' -> '${outside}'); it is not unpacked`
    );
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });
});

describe('shard members', () => {
  const listing = [
    'drwxr-xr-x 0/0               0 2026-12-04 18:51 "bin/"',
    'lrwxrwxrwx 0/0               0 2026-12-04 18:51 "bin/python" -> "/opt/hostedtoolcache/Python/3.12.3/x64/bin/python3.12"',
    'lrwxrwxrwx 0/0               0 2026-12-04 18:51 "bin/python3" -> "python"',
    'lrwxrwxrwx 0/0               0 2026-12-04 18:51 "lib64" -> "lib"',
    '-rw-r--r-- 0/0               3 2026-12-04 18:51 "lib/we\\"ird -> name"',
    '-rw-r--r-- 0/0               2 2026-12-04 18:51 "lib/new\\nline \\303\\251"',
    'hrw-r--r-- 0/0               0 2026-12-04 18:51 "lib/hard" link to "lib/we\\"ird -> name"'
  ].join('\n');

  it('reads tar --list --verbose --quoting-style=c output', () => {
    expect(parseListing(listing)).toEqual([
      { type: 'd', name: 'bin' },
      {
        type: 'l',
        name: 'bin/python',
        link: '/opt/hostedtoolcache/Python/3.12.3/x64/bin/python3.12'
      },
      { type: 'l', name: 'bin/python3', link: 'python' },
      { type: 'l', name: 'lib64', link: 'lib' },
      { type: '-', name: 'lib/we"ird -> name' },
      { type: '-', name: 'lib/new\nline é' },
      { type: 'h', name: 'lib/hard', link: 'lib/we"ird -> name' }
    ]);
  });

  it('accepts what a venv holds: interpreter links out of it, relative links inside', () => {
    expect(() => checkMembers(parseListing(listing), ['lib'])).not.toThrow();
  });

  it.each([
    [
      [{ type: 'l', name: 'x', link: '/etc' }],
      [],
      /symbolic link pointing outside the venv \('x' -> '\/etc'\)/
    ],
    [[{ type: 'l', name: 'lib/x', link: '../../..' }], [], /pointing outside the venv/],
    [
      [
        { type: 'l', name: 'bin/python', link: '/usr/bin' },
        { type: '-', name: 'bin/python/x' }
      ],
      [],
      /'bin\/python\/x' below the symbolic link 'bin\/python'/
    ],
    [
      [{ type: 'l', name: 'lib', link: 'include' }],
      ['lib/python3.11'],
      /'lib\/python3.11' below the symbolic link 'lib'/
    ],
    [[{ type: 'l', name: 'lib', link: 'include' }], ['lib'], /symbolic link over the folder 'lib'/],
    [[{ type: 'h', name: 'h', link: '/etc/shadow' }], [], /hard link to a file outside the venv/],
    [[{ type: 'c', name: 'null' }], [], /device, pipe or other special file/],
    [[{ type: '-', name: '../escape' }], [], /member outside the venv/]
  ])('refuses %j', (members, skeleton, message) => {
    expect(() => checkMembers(members, skeleton)).toThrow(message);
  });
});
