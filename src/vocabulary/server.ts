// The `server`, `server-version`, `smoke-test-path` and `smoke-test-status` vocabulary. A leaf:
// the inputs door validates against it, and src/django/server-*.ts and smoke-test.ts use it.
import * as pep440 from '@renovatebot/pep440';
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

export const SERVER_KINDS = ['gunicorn', 'uvicorn'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

const BARE_VERSION = /^\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?(?:\.\*)?$/;

/** The PEP 440 specifier a `server-version` value stands for: `23.0.0` → `==23.0.0`, `23.*` → `==23.*`. */
export function serverSpecifier(version: string): string {
  return BARE_VERSION.test(version) ? `==${version}` : version;
}

/**
 * Whether a `server-version` value is accepted: a version (`23.0.0`), a prefix (`23.*`) or a
 * PEP 440 specifier (`>=23,<24`, `~=23.0`), without spaces, extras or markers.
 */
export function isValidServerVersion(version: string): boolean {
  if (version === '' || /\s/.test(version) || version.includes('===')) return false;
  if (!BARE_VERSION.test(version) && !/^[<>=!~]/.test(version)) return false;
  return pep440.validRange(serverSpecifier(version));
}

export function checkServerVersion(version: string): void {
  if (!isValidServerVersion(version)) {
    throw new ActionError(
      `'${Inputs.ServerVersion}' is '${version}': give a version such as 23.0.0, 23.* for any 23 release, or a PEP 440 specifier such as >=23,<24 (no spaces, extras or markers).`
    );
  }
}

/** `smoke-test-path`: a path on the server, printable ASCII, not a protocol-relative URL. */
export function isValidSmokePath(value: string): boolean {
  return /^\/[\x21-\x7e]*$/.test(value) && !value.startsWith('//');
}

/** `smoke-test-status`: an HTTP status code. */
export function isValidStatus(value: number): boolean {
  return Number.isInteger(value) && value >= 100 && value <= 599;
}
