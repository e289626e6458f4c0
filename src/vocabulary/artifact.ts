// The `artifact` formats and the `artifact-name` grammar. A leaf: the inputs door validates
// against these and the artifact phase builds with them.
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

export const ARTIFACT_FORMATS = ['tar.gz', 'tar.zst'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

/** Whether an artifact name is accepted: a plain file name, no path, no leading dash or dot. */
export function isValidArtifactName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,199}$/.test(name) && !name.includes('..');
}

export function checkArtifactName(name: string, format: ArtifactFormat = 'tar.gz'): void {
  if (!isValidArtifactName(name)) {
    throw new ActionError(
      `'${Inputs.ArtifactName}' is '${name}': use letters, digits, '.', '_', '+' and '-' only (no '/', no leading '-' or '.'), for example mysite-build; the action adds .${format}.`
    );
  }
  if (/\.(tar\.gz|tgz|tar\.zst|tzst|tar)$/i.test(name)) {
    throw new ActionError(
      `'${Inputs.ArtifactName}' is '${name}': give the name without an extension; the action adds .${format}.`
    );
  }
}
