// Packs a venv into a few tar shards and unpacks them in parallel. A venv is thousands of small
// files, and a single `tar -x` creates them one after another, each waiting on the file system:
// four extractions side by side restored the bench's heavy venv about twice as fast (README,
// Performance). The shards (a few large files) are what goes through @actions/cache.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ActionError } from '../errors.js';
import { execCommand } from '../exec.js';
import { VENV_MARKER } from '../constants.js';

const SHARD_COUNT = 4;
const MANIFEST = 'manifest.json';
const MANIFEST_FORMAT = 1;
/** What creating one file or directory costs, in bytes of extraction: balances file counts. */
const ENTRY_WEIGHT = 16 * 1024;

export interface ShardManifest {
  format: number;
  compression: 'zstd' | 'none';
  shards: string[];
  /** Folders to create before unpacking (relative to the venv). */
  skeleton: string[];
  entries: number;
  bytes: number;
  /** The completion marker, written into the venv only after every shard is unpacked. */
  marker: string;
}

/** Where the shards of `venvPath` go: a stable path (its hash is part of the cache version). */
export function shardDirFor(venvPath: string): string {
  return path.join(path.dirname(venvPath), '.setup-django-cache', path.basename(venvPath));
}

/** Removes the shard folder, and its parent when nothing else is left there. */
export function removeShards(shardDir: string): void {
  rmSync(shardDir, { recursive: true, force: true });
  try {
    const parent = path.dirname(shardDir);
    if (readdirSync(parent).length === 0) rmSync(parent, { recursive: true, force: true });
  } catch {
    // already gone
  }
}

interface TreeNode {
  name: string;
  /** Bytes to extract, plus ENTRY_WEIGHT per entry, for the whole subtree. */
  weight: number;
  children: TreeNode[];
}

/**
 * The tree below `root` (relative names), without the marker. Symlinks are leaves, never
 * followed (a venv's `lib64 -> lib`; Node 24's recursive readdir would descend into it).
 */
function readTree(root: string, name = ''): TreeNode {
  const node: TreeNode = { name, weight: ENTRY_WEIGHT, children: [] };
  for (const dirent of readdirSync(path.join(root, name), { withFileTypes: true })) {
    const child = path.join(name, dirent.name);
    if (child === VENV_MARKER) continue;
    const leaf = dirent.isDirectory()
      ? readTree(root, child)
      : {
          name: child,
          weight: ENTRY_WEIGHT + (dirent.isFile() ? lstatSync(path.join(root, child)).size : 0),
          children: []
        };
    node.children.push(leaf);
    node.weight += leaf.weight;
  }
  return node;
}

function subtreeNames(node: TreeNode, into: string[] = []): string[] {
  into.push(node.name);
  for (const child of node.children) subtreeNames(child, into);
  return into;
}

export interface ShardPlan {
  /** Folders created before the shards are unpacked: none of them is in a shard. */
  skeleton: string[];
  shards: string[][];
}

/**
 * Splits the tree into `count` shards such that no two shards create the same folder (two
 * tar processes making one directory race): a folder heavier than a share is split into its
 * children and created up front; anything lighter goes whole into one shard, heaviest first
 * into the lightest shard.
 */
export function planShards(tree: TreeNode, count: number): ShardPlan {
  const threshold = tree.weight / (count * 4);
  const skeleton: string[] = [];
  const units: TreeNode[] = [];
  const split = (node: TreeNode): void => {
    for (const child of node.children) {
      if (child.children.length > 0 && child.weight > threshold) {
        skeleton.push(child.name);
        split(child);
      } else {
        units.push(child);
      }
    }
  };
  split(tree);
  const shards = Array.from({ length: count }, () => ({ weight: 0, names: [] as string[] }));
  for (const unit of units.sort((a, b) => b.weight - a.weight)) {
    const lightest = shards.reduce((min, shard) => (shard.weight < min.weight ? shard : min));
    lightest.weight += unit.weight;
    subtreeNames(unit, lightest.names);
  }
  return {
    skeleton: skeleton.sort(),
    shards: shards.filter(s => s.names.length > 0).map(s => s.names.sort())
  };
}

/**
 * Promise.all that waits for every tar to end before it rejects: a failed shard must not let
 * the caller delete a folder another tar is still writing to.
 */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find(r => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map(r => (r as PromiseFulfilledResult<T>).value);
}

async function zstdAvailable(): Promise<boolean> {
  const result = await execCommand('zstd', ['--version'], {
    allowFailure: true,
    kind: 'probe'
  }).catch(() => undefined);
  return result?.exitCode === 0;
}

/** Packs the venv (its marker kept aside in the manifest) into `shardDir`. */
export async function packVenv(venvPath: string, shardDir: string): Promise<ShardManifest> {
  // A command first: it installs the cancel handler that runs the clean-up (cleanup.ts).
  const compression = (await zstdAvailable()) ? 'zstd' : 'none';
  removeShards(shardDir);
  mkdirSync(shardDir, { recursive: true });
  const marker = readFileSync(path.join(venvPath, VENV_MARKER), 'utf8');
  const tree = readTree(venvPath);
  const plan = planShards(tree, SHARD_COUNT);
  const groups = plan.shards;
  const shards = await settleAll(
    groups.map(async (names, index) => {
      const list = path.join(shardDir, `shard-${index}.list`);
      writeFileSync(list, `${names.join('\0')}\0`);
      const file = `shard-${index}.tar${compression === 'zstd' ? '.zst' : ''}`;
      const args = ['-c', '-f', path.join(shardDir, file)];
      if (compression === 'zstd') args.push('--use-compress-program', 'zstd');
      args.push('-C', venvPath, '--no-recursion', '--null', '-T', list);
      await execCommand('tar', args, { kind: 'archive' });
      rmSync(list);
      return file;
    })
  );
  const manifest: ShardManifest = {
    format: MANIFEST_FORMAT,
    compression,
    shards,
    skeleton: plan.skeleton,
    entries: groups.reduce((sum, names) => sum + names.length, plan.skeleton.length),
    bytes: shards.reduce((sum, file) => sum + lstatSync(path.join(shardDir, file)).size, 0),
    marker
  };
  writeFileSync(path.join(shardDir, MANIFEST), JSON.stringify(manifest));
  return manifest;
}

function readManifest(shardDir: string): ShardManifest {
  let manifest: ShardManifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(shardDir, MANIFEST), 'utf8')) as ShardManifest;
  } catch (error) {
    throw new ActionError(`the cache entry has no readable manifest (${(error as Error).message})`);
  }
  const valid =
    manifest?.format === MANIFEST_FORMAT &&
    (manifest.compression === 'zstd' || manifest.compression === 'none') &&
    Array.isArray(manifest.shards) &&
    manifest.shards.every(s => typeof s === 'string' && /^shard-\d+\.tar(\.zst)?$/.test(s)) &&
    Array.isArray(manifest.skeleton) &&
    manifest.skeleton.every(
      d => typeof d === 'string' && !path.isAbsolute(d) && !d.split('/').includes('..')
    ) &&
    typeof manifest.marker === 'string';
  if (!valid) throw new ActionError('the cache entry is not in the format this version writes');
  return manifest;
}

/** One member of a shard, as `tar --list --verbose` shows it. */
export interface ShardMember {
  /** `-` file, `d` directory, `l` symbolic link, `h` hard link; anything else is refused. */
  type: string;
  name: string;
  /** The target of a link. */
  link?: string;
}

/** A `--quoting-style=c` string: backslash escapes, octal for bytes outside ASCII. */
function unquoteC(quoted: string): string {
  const bytes = quoted.slice(1, -1).replace(/\\([0-7]{1,3}|.)/gs, (_, escape: string) => {
    if (/^[0-7]/.test(escape)) return String.fromCharCode(Number.parseInt(escape, 8));
    const named: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v'
    };
    return named[escape] ?? escape;
  });
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

const QUOTED = '"(?:[^"\\\\]|\\\\.)*"';
const LISTING_LINE = new RegExp(`^(\\S)\\S*\\s[^"]*?(${QUOTED})(?: (?:->|link to) (${QUOTED}))?$`);

/** Parses `LC_ALL=C tar --list --verbose --quoting-style=c --numeric-owner` output. */
export function parseListing(text: string): ShardMember[] {
  return text
    .split('\n')
    .filter(line => line.trim() !== '')
    .map(line => {
      const match = LISTING_LINE.exec(line);
      if (!match)
        throw new ActionError(`the cache entry has a member tar cannot describe: ${line}`);
      const name = unquoteC(match[2]).replace(/^\.\//, '').replace(/\/+$/, '');
      return match[3]
        ? { type: match[1], name, link: unquoteC(match[3]) }
        : { type: match[1], name };
    });
}

/** The venv's interpreter links, which point at the interpreter outside it by design. */
const INTERPRETER_LINK = /^bin\/python[0-9.]*$/;

function climbs(name: string): boolean {
  return path.posix.isAbsolute(name) || name.split('/').includes('..');
}

/**
 * Refuses an entry that could write outside the venv once its shards are unpacked side by side:
 * a member named outside it, a symbolic link pointing outside it (other than the interpreter
 * links in bin/), a hard link to anything but another member, a device or pipe, and any member
 * or skeleton folder below a symbolic link (one tar could create `x -> /dir` while another
 * writes `x/file` through it).
 */
export function checkMembers(members: ShardMember[], skeleton: string[]): void {
  const refuse = (what: string): never => {
    throw new ActionError(`the cache entry holds ${what}; it is not unpacked`);
  };
  const links = new Set<string>();
  for (const member of members) {
    if (climbs(member.name)) refuse(`a member outside the venv ('${member.name}')`);
    if (!['-', 'd', 'l', 'h'].includes(member.type))
      refuse(`a device, pipe or other special file ('${member.name}')`);
    if (member.type === 'h' && (!member.link || climbs(member.link)))
      refuse(`a hard link to a file outside the venv ('${member.name}' -> '${member.link}')`);
    if (member.type === 'l') {
      const target = member.link ?? '';
      const resolved = path.posix.normalize(
        path.posix.join(path.posix.dirname(member.name), target)
      );
      const outside =
        path.posix.isAbsolute(target) || resolved === '..' || resolved.startsWith('../');
      if (outside && !INTERPRETER_LINK.test(member.name))
        refuse(`a symbolic link pointing outside the venv ('${member.name}' -> '${target}')`);
      links.add(member.name);
    }
  }
  const below = (name: string): string | undefined => {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join('/');
      if (links.has(ancestor)) return ancestor;
    }
    return undefined;
  };
  for (const name of [...members.map(m => m.name), ...skeleton]) {
    const link = below(name);
    if (link) refuse(`'${name}' below the symbolic link '${link}'`);
  }
  for (const dir of skeleton)
    if (links.has(dir)) refuse(`a symbolic link over the folder '${dir}'`);
  for (const member of members)
    if (member.type === 'd' && links.has(member.name))
      refuse(`a symbolic link over the folder '${member.name}'`);
}

async function listShard(
  shardDir: string,
  file: string,
  manifest: ShardManifest
): Promise<ShardMember[]> {
  const args = [
    '--list',
    '--verbose',
    '--quoting-style=c',
    '--numeric-owner',
    '-f',
    path.join(shardDir, file)
  ];
  if (manifest.compression === 'zstd') args.push('--use-compress-program', 'zstd');
  const result = await execCommand('tar', args, { env: { LC_ALL: 'C' } });
  return parseListing(result.stdout);
}

/**
 * Unpacks the shards into `venvPath` side by side, then writes the marker: a venv cut short
 * (cancelled, disk full) never carries it. Every shard is listed and checked (checkMembers)
 * before any is unpacked.
 */
export async function unpackVenv(shardDir: string, venvPath: string): Promise<ShardManifest> {
  const manifest = readManifest(shardDir);
  const listings = await settleAll(
    manifest.shards.map(file => listShard(shardDir, file, manifest))
  );
  checkMembers(
    listings.flat(),
    manifest.skeleton.map(d => d.replace(/^\.\//, '').replace(/\/+$/, ''))
  );
  mkdirSync(venvPath, { recursive: true });
  for (const dir of manifest.skeleton) mkdirSync(path.join(venvPath, dir), { recursive: true });
  await settleAll(
    manifest.shards.map(file => {
      const args = ['-x', '-f', path.join(shardDir, file)];
      if (manifest.compression === 'zstd') args.push('--use-compress-program', 'zstd');
      args.push('-C', venvPath);
      return execCommand('tar', args, { kind: 'archive' });
    })
  );
  writeFileSync(path.join(venvPath, VENV_MARKER), manifest.marker);
  return manifest;
}
