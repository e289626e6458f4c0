// Unpacks verified zips into a staging folder beside the tool-cache target and renames it into place.
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cleanUpOnExit } from '../../cleanup.js';
import { ActionError, errorMessage } from '../../errors.js';
import { displayUrl } from '../../url.js';
import type { ExecFn } from '../apt.js';
import type { Fetched } from './download.js';
import { markComplete, removeInstall, writeManifest } from './tool-cache.js';

async function unzip(exec: ExecFn, file: string, topDir: string, dest: string): Promise<void> {
  // Only the client directory: META-INF/ (Oracle's signature files) stays out of the install.
  const result = await exec('unzip', ['-q', '-o', file, `${topDir}/*`, '-d', dest], {
    allowFailure: true,
    kind: 'archive'
  }).catch((error: unknown) => {
    throw new ActionError(
      `Unpacking Oracle Instant Client needs unzip: ${errorMessage(error)} Add 'unzip' to 'apt-packages'.`
    );
  });
  // 1 means warnings only (e.g. timestamps); anything above is a failed extraction.
  if (result.exitCode > 1) {
    throw new ActionError(
      `unzip could not unpack ${path.basename(file)} (exit ${result.exitCode}):\n${result.stderr}`
    );
  }
}

/** Unpacks into a staging directory beside the target, then renames it into place. */
export async function unpackInto(
  installDir: string,
  fetched: Fetched[],
  topDir: string,
  arch: string,
  exec: ExecFn
): Promise<void> {
  const staging = mkdtempSync(path.join(path.dirname(installDir), `.${arch}-staging-`));
  const dispose = cleanUpOnExit(() => rmSync(staging, { recursive: true, force: true }));
  try {
    for (const { file } of fetched) await unzip(exec, file, topDir, staging);
    const unpacked = path.join(staging, topDir);
    writeManifest(unpacked, {
      version: fetched[0].download.version,
      arch,
      dirName: topDir,
      zips: Object.fromEntries(
        fetched.map(f => [
          f.download.component,
          // Never the credentials a mirror URL may carry: the folder is cached and shared.
          { url: displayUrl(f.download.url), sha256: f.sha256 }
        ])
      )
    });
    removeInstall(installDir);
    renameSync(unpacked, installDir);
    markComplete(installDir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    dispose();
  }
}
