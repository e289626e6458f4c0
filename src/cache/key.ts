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
  dependencyHash: string;
  suffix: string;
}

export function shortHash(text: string, length = 12): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * `setup-django-v2-linux-ubuntu-24.04-x64-py3.12.3-<interpreter path hash>-<venv path hash>-pip-<deps hash>[-suffix]`.
 * The interpreter path is hashed (the venv links to it); so is the venv path (its scripts
 * carry absolute shebangs). Keys never contain commas and stay far below 512 characters.
 */
export function buildCacheKey(parts: KeyParts): string {
  const segments = [
    'setup-django',
    CACHE_FORMAT_VERSION,
    parts.platform.os,
    `${parts.platform.distro}-${parts.platform.distroVersion}`,
    parts.platform.arch,
    `py${parts.pythonVersion}`,
    shortHash(parts.pythonExecutable),
    shortHash(parts.venvPath),
    parts.packageManager,
    parts.dependencyHash.slice(0, 32)
  ];
  if (parts.suffix) segments.push(parts.suffix);
  return segments.join('-').replace(/[,\s]/g, '_');
}
