// Packs a venv into a few tar shards and unpacks them in parallel. A venv is thousands of small
// files, and a single `tar -x` creates them one after another, each waiting on the file system:
// four extractions side by side restored the bench's heavy venv about twice as fast (README,
// Performance). The shards (a few large files) are what goes through @actions/cache.
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ActionError } from '../errors.js';
import { execCommand } from '../exec.js';
import { VENV_MARKER } from '../constants.js';

export const SHARD_COUNT = 4;
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
export function readTree(root: string, name = ''): TreeNode {
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
  removeShards(shardDir);
  mkdirSync(shardDir, { recursive: true });
  const marker = readFileSync(path.join(venvPath, VENV_MARKER), 'utf8');
  const tree = readTree(venvPath);
  const compression = (await zstdAvailable()) ? 'zstd' : 'none';
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

/**
 * Unpacks the shards into `venvPath` side by side, then writes the marker: a venv cut short
 * (cancelled, disk full) never carries it. GNU tar skips members with `..` or a leading `/`.
 */
export async function unpackVenv(shardDir: string, venvPath: string): Promise<ShardManifest> {
  const manifest = readManifest(shardDir);
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
