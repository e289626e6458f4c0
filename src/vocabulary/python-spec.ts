// Python version specs matched against versions, as PEP 440 (and pip) read them, through
// @renovatebot/pep440. Shorthands that setup-python and Poetry users write are translated first:
// a bare `3.12` or `3.12.x` means the newest 3.12.x (`==3.12.*`), `3` / `3.x` any Python 3,
// Poetry's `^3.10` / `~3.10`; `||` separates alternatives (Poetry). Everything else is PEP 440:
// `==3.12` is 3.12.0 only (zero padding), `>=3.9,!=3.10.*` excludes the 3.10 series.
import * as pep440 from '@renovatebot/pep440';
import { ActionError } from '../errors.js';

export interface VersionSpec {
  /** As the user wrote it. */
  raw: string;
  /** PEP 440 specifiers, any of which may match ('' matches every final release). */
  alternatives: string[];
}

/**
 * A version in any spelling the action meets (PEP 440 `3.13.0rc1`, the tool cache's and the
 * versions manifest's `3.14.0-alpha.6`), normalised to PEP 440 (`3.14.0a6`); null for text.
 */
export function normalizeVersion(version: string): string | null {
  const text = version.trim();
  if (!/^v?\d/i.test(text)) return null;
  return pep440.clean(text);
}

/** The release a version belongs to: `3.14.0rc1` → `3.14.0`; null for text. */
export function releaseOf(version: string): string | null {
  const normal = normalizeVersion(version);
  return normal === null ? null : (pep440.explain(normal)?.base_version ?? null);
}

export function isPrerelease(version: string): boolean {
  const normal = normalizeVersion(version);
  return normal !== null && (pep440.explain(normal)?.is_prerelease ?? false);
}

/** Newest first; versions that do not parse go last. */
export function newestFirst(a: string, b: string): number {
  const [na, nb] = [normalizeVersion(a), normalizeVersion(b)];
  if (na === null || nb === null) return na === nb ? 0 : na === null ? 1 : -1;
  return pep440.rcompare(na, nb);
}

function invalidSpec(raw: string): ActionError {
  return new ActionError(
    `'${raw}' is not a Python version spec. Use forms like 3.12 (the newest 3.12.x), 3.11.7, 3.x, >=3.10,<3.13 or >=3.9,!=3.10.* (PEP 440).`
  );
}

const SERIES = /^v?(\d+(?:\.\d+)?)$|^v?(\d+(?:\.\d+)*)\.[x*]$/i;
const BARE = /^v?\d+(?:\.\d+)*[0-9A-Za-z.+-]*$/i;

/** Poetry's caret: `^3.10` → `>=3.10,<4`; `^0.2` → `>=0.2,<0.3` (the first non-zero part bumps). */
function caret(version: string, raw: string): string {
  const release = pep440.explain(version)?.release;
  if (!release) throw invalidSpec(raw);
  const index = release.findIndex(part => part !== 0);
  const bump = index === -1 ? release.length - 1 : index;
  const upper = [...release.slice(0, bump), release[bump] + 1];
  return `>=${version},<${upper.join('.')}`;
}

/** Poetry's tilde: `~3.10` → `>=3.10,<3.11`; `~3` → `>=3,<4`. */
function tilde(version: string, raw: string): string {
  const release = pep440.explain(version)?.release;
  if (!release) throw invalidSpec(raw);
  const keep = release.length >= 2 ? 2 : 1;
  const upper = [...release.slice(0, keep - 1), release[keep - 1] + 1];
  return `>=${version},<${upper.join('.')}`;
}

/** One clause to PEP 440: the shorthands above, else the clause itself when pep440 accepts it. */
function translateClause(clause: string, raw: string): string {
  const series = SERIES.exec(clause);
  // A bare `3` or `3.12` (or `3.x`, `3.12.*`) is the series; a bare `3.11.7` the release.
  if (series) return `==${series[1] ?? series[2]}.*`;
  if (/^x$/i.test(clause) || clause === '*') return '';
  if (BARE.test(clause)) {
    const version = normalizeVersion(clause);
    if (version === null) throw invalidSpec(raw);
    return `==${version}`;
  }
  const poetry = /^([\^~])(?!=)\s*(\S+)$/.exec(clause);
  if (poetry) {
    const version = normalizeVersion(poetry[2]);
    if (version === null) throw invalidSpec(raw);
    return (poetry[1] === '^' ? caret : tilde)(version, raw);
  }
  // `==3.12.x` / `!=3.10.x`: the `.x` spelling of a wildcard, as semver users write it.
  const specifier = clause.replace(/\.x$/i, '.*');
  if (!pep440.validRange(specifier)) throw invalidSpec(raw);
  return specifier;
}

function translateAlternative(text: string, raw: string): string {
  const clauses = text
    .split(',')
    .map(clause => clause.trim())
    .filter(Boolean);
  if (clauses.length === 0) throw invalidSpec(raw);
  const specifier = clauses
    .map(clause => translateClause(clause, raw))
    .filter(Boolean)
    .join(',');
  if (specifier !== '' && !pep440.validRange(specifier)) throw invalidSpec(raw);
  return specifier;
}

export function parseVersionSpec(raw: string): VersionSpec {
  const text = raw.trim();
  if (text === '') throw invalidSpec(raw);
  if (/^pypy/i.test(text) || /^graalpy/i.test(text)) {
    throw new ActionError(
      `'${raw}' asks for ${/^g/i.test(text) ? 'GraalPy' : 'PyPy'}, which setup-django does not install yet. Use a CPython version such as 3.12.`
    );
  }
  return { raw: text, alternatives: text.split('||').map(part => translateAlternative(part, raw)) };
}

/**
 * Whether `version` satisfies the spec. As in pip, a prerelease matches only a spec that names
 * a prerelease itself (`==3.14.0rc1`, `>=3.14.0b1`), unless `prereleases` is set.
 */
export function satisfies(
  version: string,
  spec: VersionSpec,
  options: { prereleases?: boolean } = {}
): boolean {
  const normal = normalizeVersion(version);
  if (normal === null) return false;
  return spec.alternatives.some(specifier =>
    specifier === ''
      ? options.prereleases || !isPrerelease(normal)
      : pep440.satisfies(normal, specifier, options)
  );
}

/** Whether the spec excludes exactly this version with `!=` (a prerelease named on purpose). */
export function excludesExactly(version: string, spec: VersionSpec): boolean {
  const normal = normalizeVersion(version);
  if (normal === null) return false;
  return spec.alternatives.every(specifier =>
    specifier
      .split(',')
      .map(clause => /^!=\s*([^*]+)$/.exec(clause.trim())?.[1])
      .some(excluded => excluded !== undefined && pep440.eq(normal, excluded))
  );
}

/** Whether some release of the series `major.minor` (prereleases included) may match. */
export function mayMatchSeries(spec: VersionSpec, major: number, minor: number): boolean {
  // Sampled releases of the series, plus every version the spec names (`3.14.0rc1`).
  const named = spec.alternatives.join(',').match(/\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?/g) ?? [];
  const candidates = [`${major}.${minor}.0a1`, `${major}.${minor}.0rc9`, ...named];
  for (let patch = 0; patch <= 40; patch++) candidates.push(`${major}.${minor}.${patch}`);
  const inSeries = (version: string): boolean => {
    const release = pep440.explain(normalizeVersion(version) ?? '')?.release ?? [];
    return release[0] === major && (release[1] ?? 0) === minor;
  };
  return candidates.some(
    version => inSeries(version) && satisfies(version, spec, { prereleases: true })
  );
}

/** The newest of `versions` that satisfies the spec, or undefined. */
export function pickNewest(versions: string[], spec: VersionSpec): string | undefined {
  return versions.filter(version => satisfies(version, spec)).sort(newestFirst)[0];
}
