// Checks what the inputs name against the project and the runner before any work starts (no
// apt, no download, no venv): the Python version spec and the file it comes from, the Oracle
// Instant Client release for this runner, the python-mirror URL and the requirements files.
import { Inputs } from './constants.js';
import { ActionError } from './errors.js';
import type { ActionInputs } from './inputs.js';
import { resolveOracleRelease } from './oslibs/oracle/versions.js';
import type { Platform } from './platform.js';
import { parseSpecFrom } from './python/find.js';
import { manifestUrl } from './python/manifest.js';
import { findVersionSpec, type SpecSource } from './python/version-file.js';
import { resolveRequirementFiles } from './venv/requirements.js';

export interface Preflight {
  /** Where the Python version spec comes from (undefined: the newest Python 3 found). */
  versionSource: SpecSource | undefined;
}

export function preflight(
  inputs: Pick<
    ActionInputs,
    | 'pythonVersion'
    | 'pythonVersionFile'
    | 'pythonMirror'
    | 'workingDirectory'
    | 'oracleInstantClient'
    | 'oracleComponents'
    | 'oracleMirror'
    | 'oracleSha256'
    | 'requirementsFiles'
  >,
  platform: Pick<Platform, 'os' | 'arch'>
): Preflight {
  const versionSource = findVersionSpec(
    inputs.pythonVersion,
    inputs.pythonVersionFile,
    inputs.workingDirectory
  );
  parseSpecFrom(versionSource);
  if (inputs.pythonMirror !== '') manifestUrl(inputs.pythonMirror);
  if (inputs.oracleInstantClient !== '') {
    if (platform.os !== 'linux') {
      throw new ActionError(
        `Input '${Inputs.OracleInstantClient}' installs the Linux Instant Client; this runner is ${platform.os}. Leave it empty here.`
      );
    }
    resolveOracleRelease(inputs.oracleInstantClient, inputs.oracleComponents, platform.arch, {
      mirror: inputs.oracleMirror || undefined,
      sha256Overrides: inputs.oracleSha256
    });
  }
  resolveRequirementFiles(inputs.requirementsFiles, inputs.workingDirectory);
  return { versionSource };
}
