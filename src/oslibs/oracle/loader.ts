// Makes the client loadable: libaio (and its libaio.so.1 link), ldconfig registration and LD_LIBRARY_PATH.
import * as core from '@actions/core';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionError, errorMessage } from '../../errors.js';
import { execCommand } from '../../exec.js';
import { prependLibraryPath } from '../../library-path.js';
import { aptAvailable, installAptPackages, libaioPackages } from '../apt.js';
import type { ExecFn } from '../apt.js';
import type { OracleInstallOptions } from './install.js';

export const LOADER_CONF = '/etc/ld.so.conf.d/oracle-instantclient.conf';

/**
 * The environment later steps need: LD_LIBRARY_PATH with the client first (what cx_Oracle and
 * python-oracledb thick mode rely on; init_oracle_client(lib_dir=) is not meant for Linux).
 * Deliberately nothing else: ORACLE_HOME must not be set for Instant Client, and TNS_ADMIN
 * already defaults to <client>/network/admin in thick mode, while setting it would override a
 * TNS_ADMIN the user points at their own wallet or tnsnames.ora.
 */
export function oracleEnvironment(
  clientPath: string,
  env: NodeJS.ProcessEnv = process.env
): { LD_LIBRARY_PATH: string } {
  return prependLibraryPath(clientPath, env);
}

export function defaultLibDirs(arch: string): string[] {
  const triplet = arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [`/usr/lib/${triplet}`, `/lib/${triplet}`, '/usr/lib64', '/usr/lib'];
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isSymlink(file: string): boolean {
  try {
    return lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Ubuntu 24.04 / Debian 13 ship libaio.so.1t64 only, while the client asks for libaio.so.1: a
 * link inside the client directory bridges it without touching the system. Elsewhere a link
 * restored from a cache made on such a runner is removed again.
 */
export function linkLibaio(clientDir: string, libDirs: string[]): string | undefined {
  const link = path.join(clientDir, 'libaio.so.1');
  const hasSo1 = libDirs.some(dir => existsSync(path.join(dir, 'libaio.so.1')));
  const t64 = libDirs.map(dir => path.join(dir, 'libaio.so.1t64')).find(file => existsSync(file));
  if (isSymlink(link)) rmSync(link);
  if (hasSo1 || !t64) return undefined;
  symlinkSync(t64, link);
  return link;
}

/** Installs libaio with apt where it can; returns the package name(s) the client relies on. */
export async function ensureLibaio(options: OracleInstallOptions): Promise<string> {
  const packages = libaioPackages(options.platform);
  if (options.installLibaio === false) return packages.join(' ');
  if (!aptAvailable(options.platform, options.apt?.searchPath)) {
    core.warning(
      `Oracle Instant Client needs libaio; this runner has no apt-get, so install it with the ` +
        `platform's package manager if the client fails to load (libaio.so.1).`
    );
    return packages.join(' ');
  }
  try {
    await installAptPackages(
      packages.map(name => ({ name })),
      options.platform,
      options.apt
    );
  } catch (error) {
    throw new ActionError(
      `Oracle Instant Client needs ${packages.join(' ')}, which could not be installed: ${errorMessage(error)}`
    );
  }
  return packages.join(' ');
}

async function canSudo(exec: ExecFn): Promise<boolean> {
  const result = await exec('sudo', ['-n', 'true'], { allowFailure: true }).catch(() => undefined);
  return result?.exitCode === 0;
}

/** Registers the client with the dynamic loader where permitted; false (with a note) otherwise. */
export async function configureLoader(
  clientDir: string,
  options: OracleInstallOptions,
  reused: boolean
): Promise<boolean> {
  if (options.configureLoader === false) return false;
  const exec = options.exec ?? execCommand;
  const conf = options.loaderConfPath ?? LOADER_CONF;
  // A reused client already registered: ldconfig's cache is current, spare the second it takes.
  if (reused && readText(conf) === `${clientDir}\n`) return true;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  try {
    if (isRoot) {
      mkdirSync(path.dirname(conf), { recursive: true });
      writeFileSync(conf, `${clientDir}\n`);
      await exec('ldconfig', []);
      return true;
    }
    if (!(await canSudo(exec))) {
      core.info('No root or passwordless sudo: the client is found through LD_LIBRARY_PATH only.');
      return false;
    }
    const temp = path.join(
      options.tempDir ?? os.tmpdir(),
      `oracle-instantclient-${process.pid}.conf`
    );
    writeFileSync(temp, `${clientDir}\n`);
    try {
      await exec('sudo', ['-n', 'install', '-m', '644', temp, conf]);
    } finally {
      rmSync(temp, { force: true });
    }
    await exec('sudo', ['-n', 'ldconfig']);
    return true;
  } catch (error) {
    core.warning(
      `Could not register Oracle Instant Client with ldconfig (${errorMessage(error)}); later steps rely on LD_LIBRARY_PATH.`
    );
    return false;
  }
}
