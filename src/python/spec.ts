// Python version specs (3.12, 3.11.7, 3.x, >=3.10,<3.13, ~=3.11, ==3.11.*) matched against versions.
import semver from 'semver';
import { ActionError } from '../errors.js';

export interface VersionSpec {
  /** As the user wrote it. */
  raw: string;
  /** A semver range equivalent to the spec, without the `!=` exclusions. */
  range: string;
  /** Exact versions excluded with `!=`. */
  excluded: string[];
  /** An exact version (3.11.7) was asked for. */
  exact: boolean;
}

const SHORT_PRERELEASE: Record<string, string> = { alpha: 'a', beta: 'b', rc: 'rc' };

/**
 * `3.13.0rc1` → `3.13.0-rc1`; `3.11` → `3.11.0`. Also the tool cache's and the versions
 * manifest's spelling of prereleases: `3.14.0-alpha.6` → `3.14.0-a6`, `3.13.0-rc.2` →
 * `3.13.0-rc2`. Returns null for anything else.
 */
export function toSemver(version: string): string | null {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:(a|b|rc)(\d+)|-(alpha|beta|rc)\.(\d+))?$/.exec(
    version.trim()
  );
  if (!match) return null;
  const [, major, minor = '0', patch = '0', short, shortNumber, long, longNumber] = match;
  const pre = short ?? (long ? SHORT_PRERELEASE[long] : undefined);
  return `${major}.${minor}.${patch}${pre ? `-${pre}${shortNumber ?? longNumber}` : ''}`;
}

function clauseToRange(clause: string, raw: string): { range?: string; exclude?: string } {
  const match = /^(===|==|!=|~=|>=|<=|>|<|\^|~)?\s*v?([0-9][0-9A-Za-z.*]*)$/.exec(clause);
  if (!match) throw invalidSpec(raw);
  const [, op = '', version] = match;
  const parts = version.split('.');
  if (version.endsWith('.*') || /^\d+(\.\d+)?\.x$/.test(version) || version === 'x') {
    const prefix = version.replace(/\.(\*|x)$/, '');
    if (op !== '' && op !== '==') throw invalidSpec(raw);
    return { range: `${prefix}.x` };
  }
  const full = toSemver(version);
  if (!full) throw invalidSpec(raw);
  switch (op) {
    case '':
      // A bare 3.11 means "any 3.11.x"; 3.11.7 means exactly that release.
      return { range: parts.length >= 3 ? full : `${version}.x` };
    case '==':
    case '===':
      return { range: parts.length >= 3 ? full : `${version}.x` };
    case '!=':
      return { exclude: full };
    case '~=': {
      if (parts.length < 2) throw invalidSpec(raw);
      const head = parts.slice(0, -1).map(Number);
      head[head.length - 1] += 1;
      const upper = toSemver(head.join('.'));
      return { range: `>=${full} <${upper}` };
    }
    case '^':
    case '~':
      // Poetry's caret and tilde mean what semver's do.
      return { range: `${op}${version}` };
    default:
      return { range: `${op}${full}` };
  }
}

function invalidSpec(raw: string): ActionError {
  return new ActionError(
    `'${raw}' is not a Python version spec. Use forms like 3.12, 3.11.7, 3.x or >=3.10,<3.13.`
  );
}

export function parseVersionSpec(raw: string): VersionSpec {
  const text = raw.trim();
  if (text === '') throw invalidSpec(raw);
  if (/^pypy/i.test(text) || /^graalpy/i.test(text)) {
    throw new ActionError(
      `'${raw}' asks for ${text.startsWith('g') ? 'GraalPy' : 'PyPy'}, which setup-django does not install yet. Use a CPython version such as 3.12.`
    );
  }
  const clauses = text
    .split(',')
    .map(clause => clause.trim())
    .filter(Boolean);
  const ranges: string[] = [];
  const excluded: string[] = [];
  for (const clause of clauses) {
    const { range, exclude } = clauseToRange(clause, raw);
    if (range) ranges.push(range);
    if (exclude) excluded.push(exclude);
  }
  const range = ranges.join(' ') || '*';
  if (!semver.validRange(range)) throw invalidSpec(raw);
  const exact = clauses.length === 1 && semver.valid(range) !== null;
  return { raw: text, range, excluded, exact };
}

export function satisfies(version: string, spec: VersionSpec): boolean {
  const sem = toSemver(version);
  if (!sem) return false;
  if (spec.excluded.includes(sem)) return false;
  return semver.satisfies(sem, spec.range, { includePrerelease: spec.exact });
}

/** The newest of `versions` that satisfies the spec, or undefined. */
export function pickNewest(versions: string[], spec: VersionSpec): string | undefined {
  return versions
    .filter(version => satisfies(version, spec))
    .sort((a, b) => semver.rcompare(toSemver(a)!, toSemver(b)!))[0];
}
