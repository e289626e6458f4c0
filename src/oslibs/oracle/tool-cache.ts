// The client's folder in the tool cache: its path, the manifest of what it holds and its removal.
import { existsSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { OracleComponent, OracleDownload } from './versions.js';

export const ORACLE_TOOL_NAME = 'oracle-instantclient';
/** Written inside the client directory: what was installed, to decide reuse. */
const MANIFEST = '.setup-django-oracle.json';
const MANIFEST_FORMAT = 1;

export interface Manifest {
  format: number;
  version: string;
  arch: string;
  dirName: string;
  zips: Partial<Record<OracleComponent, { url: string; sha256: string }>>;
}

export function oracleInstallDir(toolCacheDir: string, version: string, arch: string): string {
  return path.join(toolCacheDir, ORACLE_TOOL_NAME, version, arch);
}

export function readManifest(dir: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    return manifest.format === MANIFEST_FORMAT ? manifest : undefined;
  } catch {
    return undefined;
  }
}

export function writeManifest(dir: string, manifest: Omit<Manifest, 'format'>): void {
  const written: Manifest = { format: MANIFEST_FORMAT, ...manifest };
  writeFileSync(path.join(dir, MANIFEST), `${JSON.stringify(written, null, 2)}\n`);
}

/** Whether an installed client holds every requested zip, with the expected checksums. */
export function satisfies(dir: string, downloads: OracleDownload[]): boolean {
  const manifest = readManifest(dir);
  if (!manifest || manifest.version !== downloads[0].version) return false;
  return downloads.every(d => {
    const zip = manifest.zips[d.component];
    return zip !== undefined && (d.sha256 === undefined || zip.sha256 === d.sha256);
  });
}

export function isComplete(dir: string): boolean {
  return existsSync(`${dir}.complete`);
}

export function markComplete(dir: string): void {
  writeFileSync(`${dir}.complete`, '');
}

export function removeInstall(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  rmSync(`${dir}.complete`, { force: true });
}

/** Drops the version and tool directories again when a failed install leaves them empty. */
export function pruneEmptyParents(dir: string, toolCacheDir: string): void {
  for (
    let parent = path.dirname(dir);
    parent.startsWith(toolCacheDir) && parent !== toolCacheDir;
    parent = path.dirname(parent)
  ) {
    try {
      if (readdirSync(parent).length > 0) return;
      rmdirSync(parent);
    } catch {
      return;
    }
  }
}
