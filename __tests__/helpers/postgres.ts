// A throwaway PostgreSQL cluster for integration and end-to-end tests.
//
// Each call copies a template cluster (initdb'd once and cached under .fixtures/postgres/)
// into its own temp dir and starts a postmaster on a free TCP port of 127.0.0.1 with
// password (scram-sha-256) auth and a fresh generated password, so concurrent jest workers
// never share a cluster. initdb and postgres refuse to run as root: as root (CI) the server runs as the
// `postgres` system user created by Debian's `postgresql` package (via `runuser`); as any
// other user (a developer's laptop) it runs as that user.
//
// Safety nets so a crashed test leaves no postmaster behind: a process 'exit' handler that
// shuts down every cluster still running, and a detached watchdog shell per cluster that
// does the same if the node process dies without running exit handlers (SIGKILL).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const POSTGRES_APT_PACKAGE = 'postgresql';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const postgresFixturesDir = path.join(repoRoot, '.fixtures', 'postgres');

export interface PostgresServer {
  /** DATABASE_URL: postgres://user:password@127.0.0.1:port/database */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Directory holding the Unix socket (for `psql -h socketDir`). */
  socketDir: string;
  dataDir: string;
  /** Directory of the server binaries used (initdb, pg_ctl, psql, createdb...). */
  binDir: string;
  /** PID of the postmaster. */
  pid: number;
  /** libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) for client tools. */
  env: Record<string, string>;
  /** Fast shutdown, then removal of the temp dir. Idempotent. */
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Database created in the cluster (default `django_test`). */
  database?: string;
  /** Superuser role the url logs in as (default `django`). */
  user?: string;
}

interface LiveCluster {
  root: string;
  dataDir: string;
  pid: number;
  watchdogPid?: number;
}

const live = new Set<LiveCluster>();
let exitHookInstalled = false;

function versionKey(dir: string): number {
  const n = Number.parseFloat(path.basename(dir));
  return Number.isFinite(n) ? n : -1;
}

/**
 * The newest `/usr/lib/postgresql/<version>/bin` holding initdb and pg_ctl (Debian's
 * layout; the wrappers on PATH, /usr/bin/psql (pg_wrapper) or symlinks in /usr/local/bin,
 * are not relied on). `PG_BINDIR` overrides. Undefined when none is installed.
 */
export function findPostgresBinDir(): string | undefined {
  const override = process.env.PG_BINDIR;
  if (override) {
    return existsSync(path.join(override, 'initdb')) ? override : undefined;
  }
  const base = '/usr/lib/postgresql';
  let versions: string[];
  try {
    versions = readdirSync(base).map(v => path.join(base, v));
  } catch {
    return undefined;
  }
  const candidates = versions
    .map(v => path.join(v, 'bin'))
    .filter(b => existsSync(path.join(b, 'initdb')) && existsSync(path.join(b, 'pg_ctl')))
    .sort((a, b) => versionKey(path.dirname(b)) - versionKey(path.dirname(a)));
  return candidates[0];
}

/** True when startPostgres() can work on this machine. */
export function postgresAvailable(): boolean {
  return findPostgresBinDir() !== undefined;
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** runuser (util-linux) lives in /usr/sbin, which a non-login PATH may lack. */
function runuserPath(): string {
  return ['/usr/sbin/runuser', '/sbin/runuser'].find(p => existsSync(p)) ?? 'runuser';
}

function systemUser(name: string): { uid: number; gid: number } | undefined {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The process exists and is not a zombie (an unreaped postmaster counts as gone). */
export function processAlive(pid: number): boolean {
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
const alive = processAlive;

/** The postmaster PID in data/postmaster.pid, or undefined when the server is down. */
function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8'), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function killWatchdog(c: LiveCluster): void {
  if (c.watchdogPid === undefined) return;
  try {
    process.kill(-c.watchdogPid, 'SIGKILL'); // its own process group (detached)
  } catch {
    // already gone
  }
  c.watchdogPid = undefined;
}

/** Synchronous last-resort cleanup, for the process 'exit' handler. */
function emergencyStop(c: LiveCluster): void {
  killWatchdog(c);
  // Only signal the PID we started, and only while its pid file still names it.
  if (postmasterPid(c.dataDir) === c.pid && alive(c.pid)) {
    try {
      process.kill(c.pid, 'SIGQUIT'); // immediate shutdown
    } catch {
      // gone
    }
    for (let i = 0; i < 50 && alive(c.pid); i++) sleepSync(20);
  }
  rmSync(c.root, { recursive: true, force: true });
  live.delete(c);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of [...live]) {
      try {
        emergencyStop(c);
      } catch {
        // best effort
      }
    }
  });
}

/**
 * A detached shell that outlives this process only to stop the cluster if this process
 * dies without cleaning up (SIGKILL, a jest worker force-killed).
 */
function startWatchdog(c: LiveCluster): number | undefined {
  const script = [
    // Alive and not a zombie (state field after the parenthesised comm in /proc/PID/stat).
    `while s=$(sed -n 's/.*) \\(.\\).*/\\1/p' "/proc/$NODE_PID/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; do sleep 1; done`,
    'pid=$(head -n1 "$DATA/postmaster.pid" 2>/dev/null)',
    'if [ "$pid" = "$PG_PID" ]; then',
    '  kill -QUIT "$PG_PID" 2>/dev/null',
    '  i=0; while kill -0 "$PG_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done',
    'fi',
    'rm -rf "$ROOT"'
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script], {
    detached: true,
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      NODE_PID: String(process.pid),
      PG_PID: String(c.pid),
      DATA: c.dataDir,
      ROOT: c.root
    }
  });
  child.on('error', () => undefined);
  child.unref();
  return child.pid;
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function errText(e: unknown): string {
  const err = e as { message?: string; stderr?: string; stdout?: string };
  return [err.message, err.stdout, err.stderr].filter(Boolean).join('\n');
}

function notFound(): Error {
  const hint = `install the Debian package: apt-get install -y ${POSTGRES_APT_PACKAGE}`;
  if (process.env.CI) {
    return new Error(
      `PostgreSQL server binaries not found under /usr/lib/postgresql (CI): ${hint}`
    );
  }
  return new Error(`PostgreSQL server binaries not found under /usr/lib/postgresql: ${hint}`);
}

type Runner = (bin: string, args: string[], cwd: string) => Promise<void>;

function makeRunner(binDir: string, root: boolean): Runner {
  const env = { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC', PGSSLMODE: 'disable' };
  return async (bin, args, cwd) => {
    const exe = path.join(binDir, bin);
    const [cmd, argv] = root
      ? [runuserPath(), ['-u', 'postgres', '--', exe, ...args]]
      : [exe, args];
    await execFileAsync(cmd, argv, { cwd, env, timeout: 60_000 });
  };
}

/** Bump when the template cluster's initdb options change. */
const TEMPLATE_FORMAT = 1;
const templates = new Map<string, Promise<string>>();

/**
 * The data dir of a freshly initdb'd cluster kept under .fixtures/postgres/, keyed by the
 * server binaries, the superuser name and the owning uid. Clusters are `cp -a` copies of
 * it (about 0.3 s instead of 1-2 s for initdb). Socket connections are trusted (the socket
 * dir is private to the server's user), TCP ones need the password set per cluster.
 * Concurrent builders each stage their own copy and publish it with an atomic rename.
 */
function clusterTemplate(
  binDir: string,
  user: string,
  owner: { uid: number; gid: number } | undefined,
  run: Runner
): Promise<string> {
  const uid = owner?.uid ?? process.getuid?.() ?? -1;
  const initdb = path.join(binDir, 'initdb');
  const key = createHash('sha256')
    .update(JSON.stringify([TEMPLATE_FORMAT, initdb, statSync(initdb).mtimeMs, user, uid]))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(postgresFixturesDir, `template-${key}`);
  const data = path.join(dir, 'data');
  const memo = templates.get(dir);
  if (memo) return memo;
  const p = (async () => {
    if (existsSync(path.join(data, 'PG_VERSION'))) return data;
    const base = owner ? '/tmp' : os.tmpdir();
    const tmp = mkdtempSync(path.join(base, 'setup-django-pginit-'));
    mkdirSync(postgresFixturesDir, { recursive: true });
    const stage = mkdtempSync(path.join(postgresFixturesDir, '.build-'));
    try {
      const pwFile = path.join(tmp, 'pwfile');
      // Replaced by each cluster's own password; initdb needs one for scram host auth.
      writeFileSync(pwFile, `${randomBytes(18).toString('hex')}\n`, { mode: 0o600 });
      if (owner) for (const f of [tmp, pwFile]) chownSync(f, owner.uid, owner.gid);
      try {
        await run(
          'initdb',
          [
            '-D',
            path.join(tmp, 'data'),
            '-U',
            user,
            `--pwfile=${pwFile}`,
            '--auth-local=trust',
            '--auth-host=scram-sha-256',
            '-E',
            'UTF8',
            '--locale=C',
            '--no-sync',
            '--no-instructions'
          ],
          tmp
        );
      } catch (e) {
        throw new Error(`initdb failed: ${errText(e)}`, { cause: e });
      }
      // cp -a keeps the postgres ownership and the 0700 mode of the data dir.
      await execFileAsync('cp', ['-a', path.join(tmp, 'data'), path.join(stage, 'data')]);
      try {
        renameSync(stage, dir);
      } catch (e) {
        if (!existsSync(path.join(data, 'PG_VERSION'))) throw e; // else: another worker won
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(stage, { recursive: true, force: true });
    }
    return data;
  })();
  templates.set(dir, p);
  p.catch(() => templates.delete(dir));
  return p;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Start a fresh cluster; see the module comment. Rejects when postgres is not installed. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (!binDir) throw notFound();
  const database = opts.database ?? 'django_test';
  const user = opts.user ?? 'django';
  const password = randomBytes(18).toString('hex');

  const root = isRoot();
  let owner: { uid: number; gid: number } | undefined;
  if (root) {
    owner = systemUser('postgres');
    if (!owner) {
      throw new Error(
        `running as root but there is no 'postgres' system user (created by the Debian package ${POSTGRES_APT_PACKAGE})`
      );
    }
  }
  const run = makeRunner(binDir, root);
  const template = await clusterTemplate(binDir, user, owner, run);

  // As root the cluster must live where the postgres user can reach it: /tmp, not a
  // TMPDIR that may sit under /root.
  const base = root ? '/tmp' : os.tmpdir();
  const tmp = mkdtempSync(path.join(base, 'setup-django-pg-'));
  const dataDir = path.join(tmp, 'data');
  const socketDir = path.join(tmp, 'sock');
  const logFile = path.join(tmp, 'postgres.log');
  mkdirSync(socketDir, { mode: 0o700 });
  if (owner) {
    for (const p of [tmp, socketDir]) chownSync(p, owner.uid, owner.gid);
  }

  const cluster: LiveCluster = { root: tmp, dataDir, pid: 0 };
  const cleanupFailed = (): void => {
    killWatchdog(cluster);
    // A postmaster may be up even when pg_ctl failed (a -w timeout): its pid file says so.
    cluster.pid ||= postmasterPid(dataDir) ?? 0;
    if (cluster.pid && alive(cluster.pid)) emergencyStop(cluster);
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    await execFileAsync('cp', ['-a', template, dataDir]);
    // Appending keeps the file's owner (postgres). Throwaway settings: no durability.
    appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      [
        '',
        '# setup-django test fixture',
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${socketDir}'`,
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        'shared_buffers = 16MB',
        'max_connections = 50',
        "timezone = 'UTC'",
        ''
      ].join('\n')
    );

    let port = 0;
    let started = false;
    let lastError = '';
    for (let attempt = 0; attempt < 5 && !started; attempt++) {
      port = await freePort();
      try {
        const args = ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', `-p ${port}`, 'start'];
        await run('pg_ctl', args, tmp);
        started = true;
      } catch (e) {
        lastError = `${errText(e)}\n--- server log ---\n${tail(logFile)}`;
        // Another process took the port between our probe and the bind: try another one.
        if (!/could not bind|address already in use|could not create any TCP/i.test(lastError)) {
          break;
        }
      }
    }
    if (!started) throw new Error(`pg_ctl start failed: ${lastError}`);

    const pid = postmasterPid(dataDir);
    if (!pid) throw new Error(`postmaster.pid missing after start\n${tail(logFile)}`);
    cluster.pid = pid;
    live.add(cluster);
    installExitHook();
    cluster.watchdogPid = startWatchdog(cluster);

    // Over the private socket (trusted): this cluster's password, then its database.
    try {
      const sock = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', socketDir, '-p', String(port)];
      await run(
        'psql',
        [
          ...sock,
          '-U',
          user,
          '-d',
          'postgres',
          '-c',
          `ALTER ROLE ${quoteIdent(user)} PASSWORD '${password}'`,
          ...(['postgres', 'template1'].includes(database)
            ? []
            : ['-c', `CREATE DATABASE ${quoteIdent(database)}`])
        ],
        tmp
      );
    } catch (e) {
      throw new Error(`setting up the role and database failed: ${errText(e)}\n${tail(logFile)}`, {
        cause: e
      });
    }

    const host = '127.0.0.1';
    const env: Record<string, string> = {
      PGHOST: host,
      PGPORT: String(port),
      PGUSER: user,
      PGPASSWORD: password,
      PGDATABASE: database
    };

    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopped ??= (async () => {
        killWatchdog(cluster);
        try {
          if (postmasterPid(dataDir) === pid && alive(pid)) {
            await run('pg_ctl', ['-D', dataDir, '-w', '-t', '30', '-m', 'fast', 'stop'], tmp);
          }
        } catch {
          // fall through to the immediate shutdown below
        }
        // pg_ctl returns once postmaster.pid is gone; the process exits a moment later.
        for (let i = 0; i < 100 && alive(pid); i++) await new Promise(r => setTimeout(r, 20));
        if (alive(pid) && postmasterPid(dataDir) === pid) emergencyStop(cluster);
        live.delete(cluster);
        rmSync(tmp, { recursive: true, force: true });
      })();
      return stopped;
    };

    const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(database)}`;
    return {
      url,
      host,
      port,
      user,
      password,
      database,
      socketDir,
      dataDir,
      binDir,
      pid,
      env,
      stop
    };
  } catch (e) {
    cleanupFailed();
    throw e;
  }
}

/** Run SQL through the cluster's own psql over TCP with the url's credentials. */
export function psqlSync(server: PostgresServer, sql: string): string {
  return execFileSync(path.join(server.binDir, 'psql'), ['-X', '-A', '-t', '-c', sql, server.url], {
    encoding: 'utf8',
    env: { ...process.env, PGSSLMODE: 'disable' }
  }).trim();
}
