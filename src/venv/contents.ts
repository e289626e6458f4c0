// What the main step left installed in the venv (each distribution with its version, and a hash of
// pip's RECORD files and the .pth files), so that the post step saves only that venv.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface VenvContents {
  /** `Django-5.2.17.dist-info`, ...: the installed distributions with their versions, sorted. */
  packages: string[];
  /** sha256 over every distribution's RECORD (or egg-info file list) and every top-level .pth file. */
  digest: string;
}

function sitePackagesDirs(venvPath: string): string[] {
  const lib = path.join(venvPath, 'lib');
  if (!existsSync(lib)) return [];
  return readdirSync(lib)
    .filter(name => name.startsWith('python'))
    .map(name => path.join(lib, name, 'site-packages'))
    .filter(dir => existsSync(dir));
}

function readIfPresent(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

export function readVenvContents(venvPath: string): VenvContents {
  const packages: string[] = [];
  const hash = createHash('sha256');
  for (const dir of sitePackagesDirs(venvPath)) {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (name.endsWith('.dist-info') || name.endsWith('.egg-info')) {
        packages.push(name);
        const record = name.endsWith('.dist-info') ? 'RECORD' : 'installed-files.txt';
        hash
          .update(`${name}\0`)
          .update(readIfPresent(path.join(full, record)))
          .update('\0');
      } else if (name.endsWith('.pth')) {
        hash.update(`${name}\0`).update(readIfPresent(full)).update('\0');
      }
    }
  }
  return { packages: packages.sort(), digest: hash.digest('hex') };
}

/** How the venv differs from what was recorded, in words; undefined when it does not. */
export function describeChange(recorded: VenvContents, now: VenvContents): string | undefined {
  const added = now.packages.filter(p => !recorded.packages.includes(p));
  const removed = recorded.packages.filter(p => !now.packages.includes(p));
  const strip = (names: string[]): string =>
    names.map(n => n.replace(/\.(dist|egg)-info$/, '')).join(', ');
  const parts: string[] = [];
  if (added.length) parts.push(`added ${strip(added)}`);
  if (removed.length) parts.push(`removed ${strip(removed)}`);
  if (parts.length) return parts.join('; ');
  if (recorded.digest !== now.digest)
    return 'the same packages, but their installed files (pip RECORD or .pth files) changed';
  return undefined;
}

/** The recorded contents from the main step's state, or undefined when it is missing or malformed. */
export function parseVenvContents(raw: string): VenvContents | undefined {
  try {
    const value = JSON.parse(raw) as Partial<VenvContents>;
    if (
      Array.isArray(value.packages) &&
      value.packages.every(p => typeof p === 'string') &&
      typeof value.digest === 'string'
    )
      return { packages: value.packages, digest: value.digest };
  } catch {
    // not JSON
  }
  return undefined;
}
