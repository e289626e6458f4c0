// The `apt-packages` grammar: Debian package names and versions, nothing an option or a shell
// could read otherwise. A leaf: the inputs door parses with it and the apt phase installs its result.
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

export interface AptPackage {
  name: string;
  /** Exact Debian version to install (`name=version`); any installed version otherwise. */
  version?: string;
}

// Debian Policy 5.6.1: lower case letters, digits, + - . ; at least two characters.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
// Debian Policy 5.6.12: [epoch:]upstream_version[-debian_revision], upstream starting with a digit.
const PACKAGE_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$/;

const GRAMMAR_HELP =
  'Package names are lower-case letters, digits and + . - (at least two characters, starting ' +
  'with a letter or digit); pin a version with name=version. Separate packages with spaces or new lines.';

function invalidToken(token: string, what: string): ActionError {
  return new ActionError(
    `Input '${Inputs.AptPackages}' has an invalid ${what} in '${token}'. ${GRAMMAR_HELP}`
  );
}

function parseToken(token: string): AptPackage {
  const eq = token.indexOf('=');
  const name = eq === -1 ? token : token.slice(0, eq);
  const version = eq === -1 ? undefined : token.slice(eq + 1);
  if (!PACKAGE_NAME.test(name)) throw invalidToken(token, 'package name');
  // apt-get reads `name-` as "remove name": never a package to install.
  if (name.endsWith('-')) {
    throw new ActionError(
      `Input '${Inputs.AptPackages}' has '${token}', which apt-get would read as "remove ${name.slice(0, -1)}". Name the package to install without the trailing '-'.`
    );
  }
  if (version !== undefined && !PACKAGE_VERSION.test(version)) {
    throw invalidToken(token, 'version');
  }
  return version === undefined ? { name } : { name, version };
}

/**
 * Parses `apt-packages`: names (or name=version) separated by spaces or new lines, `#` starting
 * a comment. Anything outside Debian's grammar is rejected, so no token can become an apt
 * option (`-o …`) or reach a shell (`a;b`, `$(id)`).
 */
export function parseAptPackages(raw: string): AptPackage[] {
  const tokens = raw
    .split(/\r?\n/)
    .map(line => line.replace(/(^|\s)#.*$/, ''))
    .join(' ')
    .split(/\s+/)
    .filter(token => token !== '');
  const byName = new Map<string, AptPackage>();
  for (const token of tokens) {
    const pkg = parseToken(token);
    const seen = byName.get(pkg.name);
    if (seen && seen.version !== pkg.version) {
      throw new ActionError(
        `Input '${Inputs.AptPackages}' names '${pkg.name}' twice with different versions ` +
          `('${aptSpec(seen)}' and '${token}'). Keep one.`
      );
    }
    byName.set(pkg.name, pkg);
  }
  return [...byName.values()];
}

/** `name` or `name=version`, as apt-get takes it. */
export function aptSpec(pkg: AptPackage): string {
  return pkg.version === undefined ? pkg.name : `${pkg.name}=${pkg.version}`;
}
