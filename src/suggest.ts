// "Did you mean ...?": the nearest known name to a misspelt one, for input errors.
import { distance } from 'fastest-levenshtein';

/**
 * The known name closest to `name` (edit distance, case-insensitive, `_` read as `-`), when it is
 * close enough to be a typo: at most a third of the name's length, and at least 1 or 2 edits.
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const wanted = name.toLowerCase().replace(/_/g, '-');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(wanted, candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

/** `python-version: 3.1` is what YAML makes of an unquoted 3.10 (a float): the message to give. */
export function unquotedVersionHint(name: string, spec: string): string | undefined {
  if (spec !== '3.1') return undefined;
  return `Input '${name}' is 3.1: YAML reads an unquoted 3.10 as the number 3.1. Quote the version: ${name}: '3.10' (also in a matrix: ['3.10', '3.11']). For Python 3.1 itself, give a full version such as '3.1.5'.`;
}

/** The newest CPython minor released (3.15, October 2026); one more may be in pre-release. */
const NEWEST_PYTHON_MINOR = 15;

/**
 * Why no CPython release can match a plain version such as '3.99' or '4.0' (the manifest is not
 * needed to know it); undefined for specs that might exist.
 */
export function nonexistentPython(spec: string): string | undefined {
  const match = /^(?:==)?\s*(\d+)\.(\d+)(?:\.\d+)?$/.exec(spec.trim());
  if (!match) return undefined;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  const exists = (major === 3 && minor <= NEWEST_PYTHON_MINOR + 1) || (major === 2 && minor <= 7);
  if (exists) return undefined;
  return `Python ${major}.${minor} does not exist (the newest CPython is 3.${NEWEST_PYTHON_MINOR}): check the version you asked for.`;
}
