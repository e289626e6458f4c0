// The Oracle Instant Client components and the `oracle-instant-client-sha256` grammar. A leaf:
// the inputs door validates with it and the Oracle phase installs what it returns.
import { Inputs } from '../constants.js';
import { ActionError } from '../errors.js';

/** The Oracle inputs' public names, by role. */
export const ORACLE_INPUTS = {
  version: Inputs.OracleInstantClient,
  components: Inputs.OracleInstantClientComponents,
  url: Inputs.OracleInstantClientUrl,
  sha256: Inputs.OracleInstantClientSha256
} as const;

export type OracleComponent = 'basic' | 'basiclite' | 'sdk' | 'sqlplus';

const COMPONENTS: readonly OracleComponent[] = ['basic', 'basiclite', 'sdk', 'sqlplus'];
const BASES: readonly OracleComponent[] = ['basic', 'basiclite'];
const SHA256 = /^[0-9a-f]{64}$/;

/** Parses `oracle-instant-client-components`: `basic` or `basiclite`, plus `sdk`, `sqlplus`. */
export function parseOracleComponents(raw: string): OracleComponent[] {
  const tokens = raw.split(/[\s,]+/).filter(token => token !== '');
  if (tokens.length === 0) return ['basic'];
  const unknown = tokens.filter(token => !COMPONENTS.includes(token as OracleComponent));
  if (unknown.length > 0) {
    throw new ActionError(
      `Input '${ORACLE_INPUTS.components}' has unknown component${unknown.length > 1 ? 's' : ''} ` +
        `${unknown.map(t => `'${t}'`).join(', ')}. Use 'basic' or 'basiclite', plus 'sdk' and/or 'sqlplus'.`
    );
  }
  const chosen = [...new Set(tokens as OracleComponent[])];
  const bases = chosen.filter(c => BASES.includes(c));
  if (bases.length !== 1) {
    throw new ActionError(
      `Input '${ORACLE_INPUTS.components}' must name exactly one of 'basic' or 'basiclite' ` +
        `(got ${bases.length === 0 ? 'neither' : 'both'}); add 'sdk' or 'sqlplus' next to it if needed.`
    );
  }
  return [bases[0], ...chosen.filter(c => !BASES.includes(c)).sort()];
}

/**
 * Parses `oracle-instant-client-sha256`: `component=sha256` (or `component:sha256`) entries
 * separated by spaces or new lines; a lone checksum applies to the basic/basiclite zip.
 */
export function parseOracleSha256(
  raw: string,
  components: OracleComponent[]
): Partial<Record<OracleComponent, string>> {
  const tokens = raw.split(/\s+/).filter(token => token !== '');
  const result: Partial<Record<OracleComponent, string>> = {};
  const fail = (token: string, why: string): ActionError =>
    new ActionError(
      `Input '${ORACLE_INPUTS.sha256}' has '${token}', ${why}. Give 64 hex digits per zip as ` +
        `component=sha256 (e.g. basic=<sha256> sdk=<sha256>), or one bare checksum for the ${components[0]} zip.`
    );
  for (const token of tokens) {
    const match = /^(?:([a-z]+)[=:])?([0-9A-Fa-f]+)$/.exec(token);
    if (!match) throw fail(token, 'which is not component=sha256');
    const component = (match[1] ?? components[0]) as OracleComponent;
    const sha = match[2].toLowerCase();
    if (!SHA256.test(sha)) throw fail(token, 'which is not a SHA-256 (64 hex digits)');
    if (!components.includes(component)) {
      throw fail(
        token,
        `but '${component}' is not among the components installed (${components.join(', ')})`
      );
    }
    if (match[1] === undefined && tokens.length > 1) {
      throw fail(token, 'a bare checksum among several (name the component of each)');
    }
    result[component] = sha;
  }
  return result;
}
