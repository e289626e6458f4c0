// Resolves the Python to use: an installed one (tool cache, PATH), else a download from the
// versions manifest; `check-latest` asks the manifest first.
import * as core from '@actions/core';
import type { ActionInputs } from '../inputs.js';
import type { Platform } from '../platform.js';
import { errorMessage, ActionError } from '../errors.js';
import { findPython, parseSpecFrom, PythonNotFoundError, type PythonInstall } from './find.js';
import { installPython } from './install.js';
import { ManifestFetchError } from './manifest.js';
import { nonexistentPython } from '../suggest.js';
import type { SpecSource } from './version-file.js';

export const ORIGIN_TEXT: Record<PythonInstall['origin'], string> = {
  'tool-cache': 'tool cache',
  path: 'PATH',
  download: 'downloaded'
};

export interface ResolveEnv {
  toolCacheDir: string | undefined;
  envPath: string;
  tempDir: string;
}

export async function resolvePython(
  inputs: Pick<ActionInputs, 'pythonMirror' | 'checkLatest' | 'allowPrereleases' | 'token'>,
  source: SpecSource | undefined,
  platform: Platform,
  env: ResolveEnv
): Promise<PythonInstall> {
  const install = (checkLatest: boolean): Promise<PythonInstall> =>
    installPython({
      spec: parseSpecFrom(source),
      source,
      platform,
      toolCacheDir: env.toolCacheDir,
      mirror: inputs.pythonMirror || undefined,
      token: inputs.token || undefined,
      allowPrereleases: inputs.allowPrereleases,
      checkLatest,
      tempDir: env.tempDir
    });
  if (inputs.checkLatest) return install(true);
  try {
    return await findPython(source, {
      toolCacheDir: env.toolCacheDir,
      arch: platform.arch,
      envPath: env.envPath
    });
  } catch (error) {
    if (!(error instanceof PythonNotFoundError)) throw error;
    core.info(`${error.finding} Trying a download.`);
    try {
      return await install(false);
    } catch (installError) {
      // Both halves matter: what is installed here, and why the download did not help. A
      // version that no release can have needs no "re-run later".
      const impossible = source ? nonexistentPython(source.spec) : undefined;
      if (impossible && installError instanceof ManifestFetchError) {
        throw new ActionError(
          `${error.finding} ${impossible} The versions manifest could not be fetched either: ${installError.reason}`
        );
      }
      throw new ActionError(
        `${error.finding} Downloading it failed too: ${errorMessage(installError)}`
      );
    }
  }
}
