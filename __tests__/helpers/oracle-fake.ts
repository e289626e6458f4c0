// A fake Oracle Instant Client "basic" zip, in Oracle's layout, for tests that cannot reach
// oracle.com (a real driver loads it: python-oracledb's init_oracle_client() and clientversion()):
//
//   instantclient_<major>_<minor>/
//     BASIC_LICENSE, BASIC_README
//     libclntsh.so.<major>.1          exports OCIClientVersion() and what python-oracledb's
//                                     thick mode loads; linked against libaio
//     libclntsh.so -> libclntsh.so.<major>.1   (stored in the zip as a symlink)
//     libociei.so
//     network/admin/README
//
// Zips are built once (gcc + Python's zipfile) and cached under .fixtures/oracle/, keyed by
// the options and this file's format version; concurrent jest workers each build into a
// temp dir and publish with an atomic rename, so repeated calls only copy the cached zip.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const oracleFixturesDir = path.join(repoRoot, '.fixtures', 'oracle');

/** Bump when the zip's content or layout changes, to invalidate cached zips. */
const FORMAT_VERSION = 3;

export interface FakeInstantClientOptions {
  /** Oracle's five-part version, e.g. '23.8.0.25.04'. */
  version: string;
  /** Directory the zip is copied to (created if missing). */
  outDir: string;
  /** Link libclntsh against libaio, as Oracle's is (default true). */
  libaio?: boolean;
  /** Also add an entry whose path escapes the extraction dir (see `evilEntryName`). */
  evilEntry?: boolean;
}

export interface FakeInstantClient {
  zipPath: string;
  sha256: string;
  /** Top-level directory inside the zip, e.g. `instantclient_23_8`. */
  dirName: string;
  /** `libclntsh.so.<major>.1` */
  libName: string;
  /** The escaping entry's name when `evilEntry` was set. */
  evilEntryName?: string;
  /** The five version numbers OCIClientVersion reports. */
  versionParts: number[];
}

/** [major, minor, update, patch, portUpdate] from '23.8.0.25.04' (missing parts are 0). */
export function parseClientVersion(version: string): number[] {
  const parts = version.split('.').map(p => Number.parseInt(p, 10));
  if (parts.length < 2 || parts.length > 5 || parts.some(n => !Number.isInteger(n) || n < 0)) {
    throw new Error(`bad Instant Client version '${version}'`);
  }
  while (parts.length < 5) parts.push(0);
  return parts;
}

/** `instantclient_23_8` for '23.8.0.25.04'. */
export function instantClientDirName(version: string): string {
  const [major, minor] = parseClientVersion(version);
  return `instantclient_${major}_${minor}`;
}

/** What loadClientVersionScript() prints for a version: '23.8.0.25.4' for '23.8.0.25.04'. */
export function expectedClientVersionOutput(version: string): string {
  return parseClientVersion(version).join('.');
}

/** Oracle's download name: instantclient-basic-linux.x64-23.8.0.25.04.zip */
export function instantClientZipName(version: string): string {
  return `instantclient-basic-linux.x64-${version}.zip`;
}

// OCIClientVersion is what ctypes callers ask; the rest is what ODPI-C (python-oracledb's thick
// mode, cx_Oracle 8) resolves and calls when it loads the library in init_oracle_client(): the
// process and thread initialisation, a global environment and error handle, attribute get/set,
// and a thread key for its per-thread error buffer (found one by one from its DPI-1049 "symbol
// not found in OCI library" errors, against oracledb 26.1). Each stub succeeds (OCI_SUCCESS, 0)
// and hands out distinct dummy handles; nothing here can reach a database.
const CLNTSH_C = `
#include <stddef.h>
#ifdef WITH_LIBAIO
#include <libaio.h>
#endif

int OCIClientVersion(int *major, int *minor, int *update, int *patch, int *port_update) {
  if (major) *major = FAKE_MAJOR;
  if (minor) *minor = FAKE_MINOR;
  if (update) *update = FAKE_UPDATE;
  if (patch) *patch = FAKE_PATCH;
  if (port_update) *port_update = FAKE_PORT_UPDATE;
  return 0;
}

static char fake_handles[32][64];
static unsigned next_handle;
static void *fake_handle(void) { return fake_handles[next_handle++ % 32]; }
static void *thread_key_value;

int OCIThreadProcessInit(void) { return 0; }
int OCIEnvNlsCreate(void **envhp) { if (envhp) *envhp = fake_handle(); return 0; }
int OCIHandleAlloc(void *parent, void **handle) { if (handle) *handle = fake_handle(); return 0; }
int OCIAttrGet(void) { return 0; }
int OCIAttrSet(void) { return 0; }
int OCIThreadKeyInit(void *env, void *err, void **key) { if (key) *key = fake_handle(); return 0; }
int OCIThreadKeyGet(void *env, void *err, void *key, void **value) {
  if (value) *value = thread_key_value;
  return 0;
}
int OCIThreadKeySet(void *env, void *err, void *key, void *value) {
  thread_key_value = value;
  return 0;
}

#ifdef WITH_LIBAIO
/* A real reference to libaio, so libclntsh needs libaio.so.1 at load time like Oracle's. */
int OCIFakeAioProbe(void) {
  io_context_t ctx = 0;
  int rc = io_setup(1, &ctx);
  if (rc == 0) io_destroy(ctx);
  return rc;
}
#endif
`;

const OCIEI_C = `int OCIFakeDataVersion(void) { return 1; }\n`;

// Writes the zip described by a JSON spec on stdin (entries: dir | file | symlink | raw),
// with Unix attributes (so symlinks stay symlinks) and a fixed timestamp.
const ZIP_PY = `
import json, sys, zipfile
spec = json.load(sys.stdin)
stamp = (2025, 4, 15, 12, 0, 0)
with zipfile.ZipFile(spec["out"], spec.get("mode", "w"), zipfile.ZIP_DEFLATED) as z:
    for e in spec["entries"]:
        info = zipfile.ZipInfo(e["name"], stamp)
        info.create_system = 3
        kind = e["kind"]
        if kind == "dir":
            info.external_attr = (0o040755 << 16) | 0x10
            info.compress_type = zipfile.ZIP_STORED
            data = b""
        elif kind == "symlink":
            info.external_attr = 0o120777 << 16
            info.compress_type = zipfile.ZIP_STORED
            data = e["target"].encode()
        else:
            info.external_attr = (0o100000 | int(e.get("mode", "644"), 8)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            if "src" in e:
                with open(e["src"], "rb") as f:
                    data = f.read()
            else:
                data = e["text"].encode()
        z.writestr(info, data)
`;

interface ZipEntry {
  name: string;
  kind: 'dir' | 'file' | 'symlink';
  src?: string;
  text?: string;
  target?: string;
  mode?: string;
}

function missingTool(tool: string, pkg: string, e: unknown): Error {
  const msg = (e as Error).message;
  return new Error(
    `building the fake Instant Client needs ${tool} (apt-get install -y ${pkg}): ${msg}`
  );
}

async function runPython(script: string, input: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile('python3', ['-c', script], (err, _stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()
    );
    child.stdin?.end(input);
  });
}

async function buildZip(
  file: string,
  version: string,
  libaio: boolean,
  work: string
): Promise<void> {
  const [major, minor, update, patch, port] = parseClientVersion(version);
  const dirName = instantClientDirName(version);
  const libName = `libclntsh.so.${major}.1`;

  const csrc = path.join(work, 'clntsh.c');
  const eisrc = path.join(work, 'ociei.c');
  const clntsh = path.join(work, libName);
  const ociei = path.join(work, 'libociei.so');
  writeFileSync(csrc, CLNTSH_C);
  writeFileSync(eisrc, OCIEI_C);
  const defs = [
    `-DFAKE_MAJOR=${major}`,
    `-DFAKE_MINOR=${minor}`,
    `-DFAKE_UPDATE=${update}`,
    `-DFAKE_PATCH=${patch}`,
    `-DFAKE_PORT_UPDATE=${port}`
  ];
  const gccArgs = ['-shared', '-fPIC', '-O2', '-s', ...defs, `-Wl,-soname,${libName}`];
  if (libaio) gccArgs.push('-DWITH_LIBAIO');
  gccArgs.push('-o', clntsh, csrc);
  // --no-as-needed: keep the NEEDED entry even on toolchains that default to --as-needed.
  if (libaio) gccArgs.push('-Wl,--no-as-needed', '-laio');
  try {
    await Promise.all([
      execFileAsync('gcc', gccArgs, { cwd: work }),
      execFileAsync('gcc', ['-shared', '-fPIC', '-O2', '-s', '-o', ociei, eisrc], { cwd: work })
    ]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw missingTool('gcc', 'gcc', e);
    if (libaio && /laio|libaio/.test(err.stderr ?? ''))
      throw missingTool('libaio', 'libaio-dev', e);
    throw new Error(`gcc failed: ${err.message}\n${err.stderr ?? ''}`, { cause: e });
  }

  const d = (rel: string): string => `${dirName}/${rel}`;
  const entries: ZipEntry[] = [
    { name: `${dirName}/`, kind: 'dir' },
    {
      name: d('BASIC_LICENSE'),
      kind: 'file',
      text: 'Fake Oracle Instant Client license, for setup-django tests only.\n'
    },
    {
      name: d('BASIC_README'),
      kind: 'file',
      text: `Fake Oracle Instant Client ${version} (Basic), built for setup-django tests.\n`
    },
    { name: d('libclntsh.so'), kind: 'symlink', target: libName },
    { name: d(libName), kind: 'file', src: clntsh, mode: '755' },
    { name: d('libociei.so'), kind: 'file', src: ociei, mode: '755' },
    { name: d('network/'), kind: 'dir' },
    { name: d('network/admin/'), kind: 'dir' },
    {
      name: d('network/admin/README'),
      kind: 'file',
      text: 'Default location for tnsnames.ora, sqlnet.ora and wallets.\n'
    }
  ];
  try {
    await runPython(ZIP_PY, JSON.stringify({ out: file, entries }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingTool('python3', 'python3', e);
    throw e;
  }
}

/** `instantclient_23_8/../../evil.txt`: passes a naive "starts with the dir" check. */
export function evilEntryName(version: string): string {
  return `${instantClientDirName(version)}/../../evil.txt`;
}

const inFlight = new Map<string, Promise<string>>();

async function cachedZip(version: string, libaio: boolean, evil: boolean): Promise<string> {
  const key = createHash('sha256')
    .update(JSON.stringify({ FORMAT_VERSION, version, libaio, evil, CLNTSH_C, OCIEI_C, ZIP_PY }))
    .digest('hex')
    .slice(0, 16);
  const tag = [version, libaio ? 'aio' : 'noaio', evil ? 'evil' : ''].filter(Boolean).join('-');
  const file = path.join(oracleFixturesDir, `instantclient-${tag}-${key}.zip`);
  const pending = inFlight.get(file);
  if (pending) return pending;
  const p = (async () => {
    if (existsSync(file)) return file;
    mkdirSync(oracleFixturesDir, { recursive: true });
    const work = mkdtempSync(path.join(oracleFixturesDir, '.build-'));
    try {
      const tmpZip = path.join(work, 'out.zip');
      if (evil) {
        // The clean zip plus one escaping entry, appended (no second compile).
        copyFileSync(await cachedZip(version, libaio, false), tmpZip);
        const entry: ZipEntry = {
          name: evilEntryName(version),
          kind: 'file',
          text: 'escaped the target dir\n'
        };
        await runPython(ZIP_PY, JSON.stringify({ out: tmpZip, mode: 'a', entries: [entry] }));
      } else {
        await buildZip(tmpZip, version, libaio, work);
      }
      renameSync(tmpZip, file); // atomic; a concurrent identical build just replaces it
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return file;
  })();
  inFlight.set(file, p);
  p.catch(() => inFlight.delete(file));
  return p;
}

/** Build (or reuse) the fake zip and copy it to `outDir`; see the module comment. */
export async function buildFakeInstantClient(
  opts: FakeInstantClientOptions
): Promise<FakeInstantClient> {
  const libaio = opts.libaio ?? true;
  const evil = opts.evilEntry ?? false;
  const versionParts = parseClientVersion(opts.version);
  const cached = await cachedZip(opts.version, libaio, evil);

  const base = instantClientZipName(opts.version);
  const suffix = [libaio ? '' : 'noaio', evil ? 'evil' : ''].filter(Boolean).join('-');
  const name = suffix ? base.replace(/\.zip$/, `-${suffix}.zip`) : base;
  mkdirSync(opts.outDir, { recursive: true });
  const zipPath = path.join(opts.outDir, name);
  const tmp = `${zipPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  copyFileSync(cached, tmp);
  renameSync(tmp, zipPath);
  const sha256 = createHash('sha256').update(readFileSync(zipPath)).digest('hex');
  return {
    zipPath,
    sha256,
    dirName: instantClientDirName(opts.version),
    libName: `libclntsh.so.${versionParts[0]}.1`,
    evilEntryName: evil ? evilEntryName(opts.version) : undefined,
    versionParts
  };
}

/**
 * Python that loads `libclntsh.so` with ctypes (found through LD_LIBRARY_PATH or the
 * ld.so configuration, as cx_Oracle/oracledb thick mode do), calls OCIClientVersion and
 * prints the five numbers dotted (see expectedClientVersionOutput). Pass a path as argv[1]
 * to load a specific file instead. Exits non-zero with the loader's error if it fails.
 */
export function loadClientVersionScript(): string {
  return [
    'import ctypes, sys',
    'name = sys.argv[1] if len(sys.argv) > 1 else "libclntsh.so"',
    'try:',
    '    lib = ctypes.CDLL(name)',
    'except OSError as e:',
    '    sys.exit("cannot load %s: %s" % (name, e))',
    'v = [ctypes.c_int(-1) for _ in range(5)]',
    'lib.OCIClientVersion(*[ctypes.byref(x) for x in v])',
    'print(".".join(str(x.value) for x in v))',
    ''
  ].join('\n');
}

/**
 * Python that loads the client through a real driver, python-oracledb in thick mode:
 * `init_oracle_client(lib_dir=argv[1])` (without an argument, the loader's search: the
 * LD_LIBRARY_PATH the action exports), then prints `clientversion()` dotted, as
 * loadClientVersionScript() does.
 */
export function oracledbClientVersionScript(): string {
  return [
    'import sys, oracledb',
    'oracledb.init_oracle_client(lib_dir=sys.argv[1] if len(sys.argv) > 1 else None)',
    'print(".".join(str(n) for n in oracledb.clientversion()))',
    ''
  ].join('\n');
}
