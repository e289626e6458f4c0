// The one way external commands run: argument arrays (never a shell), timed, output kept.
import { spawn, type ChildProcess } from 'node:child_process';
import * as core from '@actions/core';
import { ActionError, tail } from './errors.js';

export interface ExecOptions {
  cwd?: string;
  /** Added to (not replacing) the inherited environment. `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
  /** Stream the command's output to the log as it runs. */
  stream?: boolean;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  input?: string;
}

export interface ExecResult {
  command: string;
  args: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export class ExecError extends ActionError {
  constructor(readonly result: ExecResult) {
    super(
      `${[result.command, ...result.args].join(' ')} failed with exit code ${result.exitCode}.\n${tail(
        result.stderr || result.stdout
      )}`
    );
    this.name = 'ExecError';
  }
}

const MAX_CAPTURE = 4 * 1024 * 1024;

function append(buffer: string, chunk: string): string {
  const next = buffer + chunk;
  return next.length > MAX_CAPTURE ? next.slice(next.length - MAX_CAPTURE) : next;
}

export function mergeEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Commands running now: a cancelled step (SIGTERM / SIGINT) stops them before it exits. */
const running = new Set<ChildProcess>();
let cancelHandlerInstalled = false;

function onCancel(signal: NodeJS.Signals): void {
  core.error(
    `setup-django was cancelled (${signal}); stopping ${running.size} running command(s). Nothing half-built will be reused or cached: the venv's completion marker is only written after a full install.`
  );
  for (const child of running) child.kill('SIGTERM');
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function track(child: ChildProcess): void {
  if (!cancelHandlerInstalled) {
    cancelHandlerInstalled = true;
    process.once('SIGTERM', onCancel);
    process.once('SIGINT', onCancel);
  }
  running.add(child);
  child.once('close', () => running.delete(child));
  child.once('error', () => running.delete(child));
}

export function execCommand(
  command: string,
  args: string[],
  options: ExecOptions = {}
): Promise<ExecResult> {
  const started = Date.now();
  if (options.stream) core.info(`[command]${[command, ...args].join(' ')}`);
  else core.debug(`exec: ${[command, ...args].join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: mergeEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe']
    });
    track(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = append(stdout, chunk);
      if (options.stream) process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = append(stderr, chunk);
      if (options.stream) process.stdout.write(chunk);
    });
    child.on('error', error => {
      const code = (error as NodeJS.ErrnoException).code;
      reject(
        new ActionError(
          code === 'ENOENT'
            ? `Could not run '${command}': it was not found (cwd ${options.cwd ?? process.cwd()}).`
            : `Could not run '${command}': ${error.message}`
        )
      );
    });
    child.on('close', (code, signal) => {
      const result: ExecResult = {
        command,
        args,
        exitCode: code ?? (signal ? 128 : 1),
        stdout,
        stderr: signal ? `${stderr}\nkilled by ${signal}` : stderr,
        durationMs: Date.now() - started
      };
      if (result.exitCode !== 0 && !options.allowFailure) reject(new ExecError(result));
      else resolve(result);
    });
    child.stdin.on('error', () => {
      /* the command may exit before reading its input */
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface BackgroundExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: string;
}

/** A long-running command (a server): its own process group, output captured, always stoppable. */
export interface BackgroundProcess {
  readonly pid: number | undefined;
  /** stdout and stderr interleaved, as far as received (the last 4 MiB). */
  output(): string;
  /** Resolves (never rejects) when the process exits or fails to start. */
  readonly exited: Promise<BackgroundExit>;
  hasExited(): boolean;
  /** SIGTERM to the whole process group, SIGKILL after graceMs; then kills any leftovers. */
  stop(graceMs?: number): Promise<BackgroundExit>;
}

function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** The promise's value, or undefined after ms; the timer is cleared either way. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>(resolve => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Starts a command in the background (argument array, no shell) as the leader of a new
 * process group, so stopping it also stops its workers. The group is killed when this
 * process exits, should the caller never get to stop() it.
 */
export function startBackground(
  command: string,
  args: string[],
  options: Pick<ExecOptions, 'cwd' | 'env'> = {}
): BackgroundProcess {
  core.debug(`exec (background): ${[command, ...args].join(' ')}`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: mergeEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true
  });
  let output = '';
  let result: BackgroundExit | undefined;
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output = append(output, chunk)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output = append(output, chunk)));
  const killOnExit = (): void => {
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<BackgroundExit>(resolve => {
    child.on('error', error => {
      const code = (error as NodeJS.ErrnoException).code;
      result ??= {
        exitCode: null,
        signal: null,
        error: code === 'ENOENT' ? `'${command}' was not found` : error.message
      };
      resolve(result);
    });
    // 'exit', not 'close': orphaned workers may hold the pipes open after the leader is gone.
    child.on('exit', (exitCode, signal) => {
      result ??= { exitCode, signal };
      resolve(result);
    });
  });
  return {
    pid: child.pid,
    output: () => output,
    exited,
    hasExited: () => result !== undefined,
    async stop(graceMs = 5000) {
      const pid = child.pid;
      if (pid !== undefined) {
        if (!result && signalGroup(pid, 'SIGTERM')) {
          await within(exited, graceMs);
          if (!result) {
            signalGroup(pid, 'SIGKILL');
            await within(exited, 2000);
          }
        }
        // Workers that outlived their master (or ignored SIGTERM) go too; wait (briefly) until
        // they are reaped, so that the caller may rely on the group being gone.
        const deadline = Date.now() + 2000;
        while (signalGroup(pid, 'SIGKILL') && Date.now() < deadline) await delay(50);
      }
      process.removeListener('exit', killOnExit);
      child.stdout.destroy();
      child.stderr.destroy();
      return result ?? (await within(exited, 2000)) ?? { exitCode: null, signal: 'SIGKILL' };
    }
  };
}
