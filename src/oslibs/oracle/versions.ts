// Oracle Instant Client releases for Linux: download URLs and SHA-256 checksums, and their resolution.
import { ActionError } from '../../errors.js';
import { displayUrl } from '../../url.js';
import { ORACLE_INPUTS, type OracleComponent } from '../../vocabulary/oracle.js';

export {
  ORACLE_INPUTS,
  parseOracleComponents,
  parseOracleSha256
} from '../../vocabulary/oracle.js';
export type { OracleComponent } from '../../vocabulary/oracle.js';
export type OracleArch = 'x64' | 'arm64';

const ORACLE_BASE_URL = 'https://download.oracle.com/otn_software/linux/instantclient';

type Checksums = Partial<Record<OracleArch, Partial<Record<OracleComponent, string>>>>;

export interface OracleReleaseEntry {
  /** Oracle's five-part version, e.g. 23.8.0.25.04. */
  version: string;
  /** The folder under ORACLE_BASE_URL; Oracle's naming is irregular, so it is written down. */
  directory: string;
  /** 19c and 21c zips end in `dbru.zip` (21.1 excepted), 23ai ones in `.zip`. */
  suffix: '' | 'dbru';
  arches: OracleArch[];
  /** Only values read from a published source (cited beside each entry); absent = unverified. */
  sha256: Checksums;
}

/**
 * Newest first. Entries without a checksum are still installable; they are treated like
 * `latest` (a notice says they cannot be verified) unless `oracle-instant-client-sha256` pins
 * them. Never add a checksum that was not read from a source cited here.
 */
export const ORACLE_RELEASES: readonly OracleReleaseEntry[] = [
  {
    version: '23.26.3.0.0',
    directory: '2326300',
    suffix: '',
    arches: ['x64', 'arm64'],
    sha256: {
      // Oracle's "Instant Client Downloads for Linux for Arm (aarch64)" page, "Downloads - Version
      // 23.26": instantclient-basic-linux.arm64-23.26.3.0.0.zip, 127,912,976 bytes
      // (https://www.oracle.com/bz/database/technologies/instant-client/linux-arm-aarch64-downloads.html)
      arm64: { basic: '74b0744d7bf1be28f60c3d90a135e5d9aaca1946bab0adcc0c8db5fbc2cc9758' }
    }
  },
  {
    version: '23.26.1.0.0',
    directory: '2326100',
    suffix: '',
    arches: ['x64', 'arm64'],
    sha256: {
      // A public PHP/oci8 image's Dockerfile pinning both zips with BuildKit's
      // `ADD --checksum=sha256:…` (a wrong digest fails that build). Oracle's page not reachable.
      x64: {
        basic: 'd6715e404a35b3a538280b78df6f7ee59da83a9d36b596218fd264051db977f3',
        sdk: '2d7ef8ec14c3e0240221620c12ce94d047092c9065171db17778cce7b1fdd5db'
      }
    }
  },
  {
    version: '23.26.0.0.0',
    directory: '2326000',
    suffix: '',
    arches: ['x64', 'arm64'],
    sha256: {}
  },
  {
    version: '23.9.0.25.07',
    directory: '2390000',
    suffix: '',
    arches: ['x64', 'arm64'],
    sha256: {}
  },
  {
    version: '23.8.0.25.04',
    directory: '2380000',
    suffix: '',
    arches: ['x64', 'arm64'],
    sha256: {
      // spiceai/spiceai Dockerfile: ORACLE_INSTANTCLIENT_SHA256_AMD64 / _ARM64, checked with
      // `sha256sum -c` after downloading instantclient-basiclite-linux.{x64,arm64}-23.8.0.25.04.zip.
      x64: { basiclite: '05b4c01c77521eee32c89550d3a2e2f4d9f9601a79af96da441dfdd2d2a32ec4' },
      arm64: { basiclite: '1d27641f16df1b1384f5d61cdcbd95a5ca57ba5d25ed881edde56543f8c6d135' }
    }
  },
  {
    version: '23.7.0.25.01',
    directory: '2370000',
    suffix: '',
    arches: ['x64', 'arm64'],
    sha256: {}
  },
  { version: '21.20.0.0.0', directory: '2120000', suffix: 'dbru', arches: ['x64'], sha256: {} },
  { version: '21.19.0.0.0', directory: '2119000', suffix: 'dbru', arches: ['x64'], sha256: {} },
  { version: '21.18.0.0.0', directory: '2118000', suffix: 'dbru', arches: ['x64'], sha256: {} },
  {
    version: '21.10.0.0.0',
    directory: '2110000',
    suffix: 'dbru',
    arches: ['x64'],
    sha256: {
      // NixOS/nixpkgs pkgs/by-name/or/oracle-instantclient/package.nix (x86_64-linux hashes,
      // SRI base64 converted to hex): fetchurl refuses any other content.
      x64: {
        basic: 'ba8d1004e9b1ed3432ae80fe02ceb42218c4933ffffb40a6d6d5af2c8dde75a1',
        sdk: '4c80458b58c72c987e494345bee2fb689a7187ad611ba817845221bdd3e0a6db',
        sqlplus: '985f642e38595defdf6ac6037e666b60f2f60b3029df10db8badb84490c0e253'
      }
    }
  },
  {
    version: '21.7.0.0.0',
    directory: '217000',
    suffix: 'dbru',
    arches: ['x64'],
    sha256: {
      // telkomdev/gitops-dibs alpine/install_oci_alpine.sh: `sha256sum -c` of
      // .../217000/instantclient-basiclite-linux.x64-21.7.0.0.0dbru.zip.
      x64: { basiclite: '8a745ad7f4290ff8f7bd1d9436f6afdf07644e390b5d6acc3dc50978687795cb' }
    }
  },
  {
    version: '21.1.0.0.0',
    directory: '211000',
    suffix: '',
    arches: ['x64'],
    sha256: {
      // spack/spack var/spack/repos/builtin/packages/oracle-instant-client/package.py (Spack
      // verifies every fetch against these). Oracle no longer lists 21.1: mirrors only.
      x64: {
        basic: '9b63e264c01ac54a0f0e61bd638576aed6f04a36b305bcd17847755e7b9855ce',
        sdk: '80a465530a565ed327ab9ae0d9fc067ed42338536c7e8721cf2c26e474f4f75f',
        sqlplus: '3220f486940e82f1a7825e8f0875729d63abd57cc708f1908e2d5f2163b93937'
      }
    }
  },
  {
    version: '19.30.0.0.0',
    directory: '1930000',
    suffix: 'dbru',
    arches: ['x64', 'arm64'],
    sha256: {}
  },
  {
    version: '19.29.0.0.0',
    directory: '1929000',
    suffix: 'dbru',
    arches: ['x64', 'arm64'],
    sha256: {}
  },
  {
    version: '19.28.0.0.0',
    directory: '1928000',
    suffix: 'dbru',
    arches: ['x64', 'arm64'],
    sha256: {}
  },
  {
    version: '19.11.0.0.0',
    directory: '1911000',
    suffix: 'dbru',
    arches: ['x64'],
    sha256: {
      // A Spack fork's oracle-instant-client/package.py (the CMS variant, which adds an OCCI
      // resource from cmsrep.cern.ch); Spack verifies every fetch against these.
      x64: {
        basic: 'd3b477b9618ee06ccbc983557597c98fd3085856ccdbe091e86dd9d6b9dcfd2b',
        sdk: 'e854e7f51e7ca2958153f6c8fee416afa5b3f3baecdfa88ed2ecea2daf012a4a',
        sqlplus: '84e528530ede8c00fd24266a51a9a3593e4ca9e87cb86808c99685766e5b10ab'
      }
    }
  },
  {
    version: '19.10.0.0.0',
    directory: '191000',
    suffix: 'dbru',
    arches: ['x64', 'arm64'],
    sha256: {
      // x64: the same Spack fork as 19.11. arm64: that Spack fork and NixOS/nixpkgs
      // (aarch64-linux, SRI converted to hex) agree on all three values. Oracle no longer lists
      // 19.10: mirrors only.
      x64: {
        basic: 'c2eeea093d70f5416f8a8560f9fa5b57707a76ac9775906dbc4aaa778fdee84f',
        sdk: '2c4ae1b77fe32f3d3bf86a4ef560dc3a5dcbf5d11d742b4afeca414e5388ff2f',
        sqlplus: 'eee44825f348966796166beb8c0d8cc8f61929bae05229b65b34794e0f05659a'
      },
      arm64: {
        basic: '0cd9ed1f6d01026a3990ecfbb84816d8d5da35fc1dbc9f25f28327a79d013ac6',
        sdk: 'f15a643722f214c51f4306d9a520d5fc207de51a177da32bf30e7c711b7fb32c',
        sqlplus: '8877328a31e102f8ec02a37d47e471a36478ee4f78d15bcf6d271cd8c5989f44'
      }
    }
  }
];

export interface OracleDownload {
  component: OracleComponent;
  url: string;
  /** Expected SHA-256 (lower-case hex); undefined when nothing verified it. */
  sha256?: string;
  /** Where the checksum came from. */
  sha256Source?: 'table' | 'input';
  fileName: string;
  /** Five-part version, or `latest`. */
  version: string;
  /** Top-level directory inside the zips (`instantclient_23_8`); unknown for `latest`. */
  dirName?: string;
}

export interface ResolveOptions {
  /** Base URL replacing Oracle's (the file names stay Oracle's). */
  mirror?: string;
  /** Checksums the user pinned (`oracle-instant-client-sha256`), per component. */
  sha256Overrides?: Partial<Record<OracleComponent, string>>;
}

/** Oracle's arch tag in versioned file names and in the permalinks. */
function archTags(arch: string): { file: string; permalink: string } {
  if (arch === 'x64') return { file: 'linux.x64', permalink: 'linuxx64' };
  if (arch === 'arm64') return { file: 'linux.arm64', permalink: 'linux-arm64' };
  throw new ActionError(
    `Oracle Instant Client is published for Linux x64 and arm64 only; this runner is ${arch}. ` +
      `Leave '${ORACLE_INPUTS.version}' empty on this runner.`
  );
}

/** `instantclient_23_8` for 23.8.0.25.04. */
export function instantClientDirName(version: string): string {
  const [major, minor] = version.split('.');
  return `instantclient_${major}_${minor}`;
}

export function knownVersions(arch?: string): string[] {
  return ORACLE_RELEASES.filter(r => !arch || r.arches.includes(arch as OracleArch)).map(
    r => r.version
  );
}

function matches(entry: OracleReleaseEntry, spec: string): boolean {
  const want = spec.split('.').map(Number);
  const have = entry.version.split('.').map(Number);
  return want.every((part, i) => part === have[i]);
}

function unknownVersion(spec: string, arch: string, why: string): ActionError {
  return new ActionError(
    `Input '${ORACLE_INPUTS.version}' is '${spec}', ${why}. Known versions for Linux ${arch}: ` +
      `${knownVersions(arch).join(', ')}. Use one of them (a prefix such as 23.8 or 19 picks the ` +
      `newest match), 'latest', or a full five-part version together with '${ORACLE_INPUTS.url}' ` +
      `(a mirror holding Oracle's file names).`
  );
}

/** The table entry for a spec, or one made up for a full version served by a mirror. */
function findRelease(spec: string, arch: OracleArch, mirror?: string): OracleReleaseEntry {
  if (!/^\d+(\.\d+){0,4}$/.test(spec)) {
    throw unknownVersion(spec, arch, "which is neither 'latest' nor a version such as 23.8");
  }
  const candidates = ORACLE_RELEASES.filter(entry => matches(entry, spec));
  const forArch = candidates.find(entry => entry.arches.includes(arch));
  if (forArch) return forArch;
  if (candidates.length > 0) {
    throw unknownVersion(spec, arch, `which Oracle does not publish for Linux ${arch}`);
  }
  if (mirror && spec.split('.').length === 5) {
    const major = Number(spec.split('.')[0]);
    return {
      version: spec,
      directory: '',
      suffix: major >= 23 ? '' : 'dbru',
      arches: [arch],
      sha256: {}
    };
  }
  throw unknownVersion(spec, arch, 'which is not in the version table');
}

function baseUrl(mirror: string | undefined, directory: string): string {
  if (mirror) return mirror.replace(/\/+$/, '');
  return directory ? `${ORACLE_BASE_URL}/${directory}` : ORACLE_BASE_URL;
}

function checkMirror(mirror: string | undefined): void {
  if (mirror === undefined || /^https?:\/\/[^\s]+$/i.test(mirror)) return;
  throw new ActionError(
    `Input '${ORACLE_INPUTS.url}' must be an http(s) base URL such as https://mirror.example.com/oracle (got '${displayUrl(mirror)}').`
  );
}

/**
 * The zips to download for a spec (`latest`, `23.8`, `19.30.0.0.0`, ...), components and arch:
 * URL (Oracle's, or the mirror base + Oracle's file name), expected SHA-256 when one is known
 * (a user pin wins over the table), and the directory the zips unpack to.
 */
export function resolveOracleRelease(
  spec: string,
  components: OracleComponent[],
  arch: string,
  options: ResolveOptions = {}
): OracleDownload[] {
  const tags = archTags(arch);
  checkMirror(options.mirror);
  const overrides = options.sha256Overrides ?? {};
  if (spec === 'latest') {
    return components.map(component => {
      const fileName = `instantclient-${component}-${tags.permalink}.zip`;
      const sha256 = overrides[component];
      return {
        component,
        url: `${baseUrl(options.mirror, '')}/${fileName}`,
        fileName,
        version: 'latest',
        ...(sha256 ? { sha256, sha256Source: 'input' as const } : {})
      };
    });
  }
  const entry = findRelease(spec, arch as OracleArch, options.mirror);
  return components.map(component => {
    const fileName = `instantclient-${component}-${tags.file}-${entry.version}${entry.suffix}.zip`;
    const pinned = overrides[component];
    const known = entry.sha256[arch as OracleArch]?.[component];
    const sha256 = pinned ?? known;
    return {
      component,
      url: `${baseUrl(options.mirror, entry.directory)}/${fileName}`,
      fileName,
      version: entry.version,
      dirName: instantClientDirName(entry.version),
      ...(sha256 ? { sha256, sha256Source: pinned ? ('input' as const) : ('table' as const) } : {})
    };
  });
}

/** The table's checksum for a download, to warn when a user pin disagrees with it. */
export function tableSha256(download: OracleDownload, arch: string): string | undefined {
  const entry = ORACLE_RELEASES.find(r => r.version === download.version);
  return entry?.sha256[arch as OracleArch]?.[download.component];
}
