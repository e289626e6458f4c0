// The venv cache key: everything that makes a venv unusable elsewhere is a segment of it.
import { createHash } from 'node:crypto';
import { CACHE_FORMAT_VERSION } from '../constants.js';
import type { Platform } from '../platform.js';

export interface KeyParts {
  platform: Platform;
  pythonVersion: string;
  pythonExecutable: string;
  venvPath: string;
  packageManager: string;
  /** pip projects: what installed them (pip or uv); lock-file managers install their own. */
  installer?: string;
  dependencyHash: string;
  suffix: string;
}

export function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** OS, distribution with its release, arch: a cached environment is tied to all three. */
export function platformSegments(platform: Platform): string[] {
  return [platform.os, `${platform.distro}-${platform.distroVersion}`, platform.arch];
}

/** The full Python version and a hash of the interpreter's path (an environment links to it). */
export function pythonSegments(python: { version: string; executable: string }): string[] {
  return [`py${python.version}`, shortHash(python.executable)];
}

/** Segments joined with '-'; commas and whitespace (which the cache service rejects) become '_'. */
export function joinKey(segments: string[]): string {
  return segments.join('-').replace(/[,\s]/g, '_');
}

/** Length of the dependency-hash segment that ends every venv key. */
const DEPENDENCY_SEGMENT = 32;

/**
 * Everything in the key but the dependency hash, ending in '-': the same platform, Python, venv
 * path, manager, installer and suffix. Used as the restore-keys prefix when the dependencies
 * changed (a bump restores the newest venv of this prefix and brings it to the new set).
 */
export function cacheKeyPrefix(parts: Omit<KeyParts, 'dependencyHash'>): string {
  const segments = [
    'setup-django',
    CACHE_FORMAT_VERSION,
    ...platformSegments(parts.platform),
    ...pythonSegments({ version: parts.pythonVersion, executable: parts.pythonExecutable }),
    shortHash(parts.venvPath),
    parts.packageManager
  ];
  if (parts.installer) segments.push(parts.installer);
  if (parts.suffix) segments.push(parts.suffix);
  return `${joinKey(segments)}-`;
}

/**
 * `setup-django-v2-linux-ubuntu-24.04-x64-py3.12.3-<interpreter path hash>-<venv path hash>-pip-pip[-suffix]-<deps hash>`.
 * The interpreter path is hashed (the venv links to it); so is the venv path (its scripts
 * carry absolute shebangs). Keys never contain commas and stay far below 512 characters.
 */
export function buildCacheKey(parts: KeyParts): string {
  return `${cacheKeyPrefix(parts)}${parts.dependencyHash.slice(0, DEPENDENCY_SEGMENT)}`;
}

/**
 * Whether `matched` (what a prefix restore found) is a venv key of exactly `prefix`: another
 * suffix that merely starts like ours (`dev` and `dev-x`) is not.
 */
export function matchesKeyPrefix(matched: string, prefix: string): boolean {
  if (!matched.startsWith(prefix)) return false;
  return new RegExp(`^[0-9a-f]{${DEPENDENCY_SEGMENT}}$`).test(matched.slice(prefix.length));
}
