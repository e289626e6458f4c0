// The one way external commands run: argument arrays (never a shell), timed, output kept.
import { spawn } from 'node:child_process';
import * as core from '@actions/core';
import { ActionError, tail } from './errors.js';
import { Inputs } from './constants.js';

/**
 * What a command does, for its time limit: generous defaults per kind, all replaced by the
 * `command-timeout` input when it is set (configureCommandTimeout).
 */
export const COMMAND_KINDS = {
  install: { minutes: 30, what: 'an install (pip, a package manager, apt or Python itself)' },
  django: {
    minutes: 60,
    what: 'the Django commands (check, migrate, collectstatic)',
    hint: 'migrate waits on database locks: another connection holding one (an open transaction, a running deploy) is the usual cause.'
  },
  archive: { minutes: 20, what: 'packing or unpacking an archive' },
  probe: { minutes: 5, what: 'a quick probe (an interpreter or tool version)' },
  command: { minutes: 30, what: 'a command' }
} as const satisfies Record<string, { minutes: number; what: string; hint?: string }>;
export type CommandKind = keyof typeof COMMAND_KINDS;

/** The input that changes every time limit (kept here: the exec door must not import inputs). */
export const COMMAND_TIMEOUT_INPUT = Inputs.CommandTimeout;

/** `command-timeout` in minutes: undefined keeps the per-kind defaults, 0 removes every limit. */
let timeoutOverrideMinutes: number | undefined;

export function configureCommandTimeout(minutes: number | undefined): void {
  timeoutOverrideMinutes = minutes;
}

/** The time limit of a command of this kind in milliseconds (0: none). */
export function commandTimeoutMs(kind: CommandKind): number {
  return Math.round((timeoutOverrideMinutes ?? COMMAND_KINDS[kind].minutes) * 60_000);
}

export interface ExecOptions {
  cwd?: string;
  /** Added to (not replacing) the inherited environment. `undefined` values remove a variable. */
  env?: Record<string, string | undefined>;
  /** Stream the command's output to the log as it runs. */
  stream?: boolean;
  /** Resolve instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  input?: string;
  /** Sets the time limit (default `command`, 30 minutes); see COMMAND_KINDS. */
  kind?: CommandKind;
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

function formatLimit(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0
    ? `${ms / 60_000} minutes`
    : `${(ms / 1000).toFixed(0)} s`;
}

/** A command that ran past its time limit; its whole process group was killed. */
export class CommandTimeoutError extends ActionError {
  constructor(
    readonly result: ExecResult,
    readonly kind: CommandKind,
    readonly limitMs: number
  ) {
    const info: { what: string; hint?: string } = COMMAND_KINDS[kind];
    const output = tail(result.stderr || result.stdout, 10);
    super(
      `${[result.command, ...result.args].join(' ')} did not finish within ${formatLimit(limitMs)} (the limit for ${info.what}) and was stopped with its child processes. ` +
        `${info.hint ? `${info.hint} ` : ''}Raise the limit with the '${COMMAND_TIMEOUT_INPUT}' input (minutes per command; 0 removes it).` +
        (output ? `\n--- output (last lines) ---\n${output}` : '')
    );
    this.name = 'CommandTimeoutError';
  }
}

const MAX_CAPTURE = 4 * 1024 * 1024;

function append(buffer: string, chunk: string): string {
  const next = buffer + chunk;
  return next.length > MAX_CAPTURE ? next.slice(next.length - MAX_CAPTURE) : next;
}

/**
 * Variables only the action itself needs, never its children (manage.py, settings, migrations,
 * sdist builds, the smoke-test server): its inputs (`token` among them), the runner's service
 * credentials and URLs (cache, results, artifacts, OIDC), the post step's state, and this step's
 * file commands (what a child wrote there would become the action's outputs, the state its post
 * step trusts, or later steps' environment and PATH). A `GITHUB_TOKEN` the workflow sets in
 * `env:` is the user's choice and stays, as do the runner's facts (GITHUB_WORKSPACE, RUNNER_TEMP,
 * CI, GITHUB_ACTIONS, ...) that settings modules commonly read.
 */
const ACTION_ONLY = [
  /^INPUT_/,
  /^STATE_/,
  /^GITHUB_(STATE|OUTPUT|ENV|PATH|STEP_SUMMARY)$/,
  /^ACTIONS_RUNTIME_(TOKEN|URL)$/,
  /^ACTIONS_(CACHE|RESULTS)_URL$/,
  /^ACTIONS_CACHE_SERVICE_V2$/,
  /^ACTIONS_ID_TOKEN_REQUEST_(TOKEN|URL)$/
];

export function isActionOnlyVariable(name: string): boolean {
  return ACTION_ONLY.some(pattern => pattern.test(name));
}

/** The environment of a child: this process's minus the action-only variables, plus `extra`. */
function mergeEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!isActionOnlyVariable(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
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
 * How long a cancelled or timed-out command gets between SIGTERM and SIGKILL of its process
 * group. Short: on cancellation the runner itself follows its SIGTERM with SIGKILL 2.5 s later.
 */
export const KILL_GRACE_MS = 2000;

/** Process groups of commands running now (every child leads its own group). */
const running = new Map<number, Promise<void>>();
let cancelling = false;
let handlersInstalled = false;

function killAllNow(): void {
  for (const pid of running.keys()) signalGroup(pid, 'SIGKILL');
}

function onCancel(signal: NodeJS.Signals): void {
  const code = signal === 'SIGINT' ? 130 : 143;
  if (cancelling) {
    // A second signal (the runner's SIGTERM after its SIGINT): no more grace.
    killAllNow();
    process.exit(code);
  }
  cancelling = true;
  core.error(
    `setup-django was cancelled (${signal}); stopping ${running.size} running command(s). Nothing half-built will be reused or cached: the venv's completion marker is only written after a full install.`
  );
  // The groups as they are now: a leader that exits on SIGTERM may leave members that ignore it.
  const groups = [...running.keys()];
  for (const pid of groups) signalGroup(pid, 'SIGTERM');
  void within(Promise.all(running.values()), KILL_GRACE_MS).then(() => {
    for (const pid of groups) signalGroup(pid, 'SIGKILL');
    killAllNow();
    process.exit(code);
  });
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('SIGTERM', onCancel);
  process.on('SIGINT', onCancel);
  // Whatever ends this process (an uncaught error, process.exit), no command outlives it.
  process.on('exit', killAllNow);
}

/** Stops a process group: SIGTERM, then SIGKILL after the grace period; resolves when the leader is gone. */
async function stopGroup(pid: number, exited: Promise<unknown>): Promise<void> {
  if (!signalGroup(pid, 'SIGTERM')) return;
  if (
    (await within(
      exited.then(() => true),
      KILL_GRACE_MS
    )) === undefined
  ) {
    signalGroup(pid, 'SIGKILL');
  }
  // Workers that outlived the leader (or ignored SIGTERM) go too.
  signalGroup(pid, 'SIGKILL');
  await within(exited, KILL_GRACE_MS);
}

export function execCommand(
  command: string,
  args: string[],
  options: ExecOptions = {}
): Promise<ExecResult> {
  const started = Date.now();
  const kind = options.kind ?? 'command';
  const limitMs = commandTimeoutMs(kind);
  if (options.stream) core.info(`[command]${[command, ...args].join(' ')}`);
  else core.debug(`exec: ${[command, ...args].join(' ')}`);
  installHandlers();
  return new Promise((resolve, reject) => {
    // Its own process group (detached), so that a timeout or a cancellation stops everything
    // it started (pip's build backends, a settings module's subprocesses) with one signal.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: mergeEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true
    });
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>(done => (markExited = done));
    const pid = child.pid;
    if (pid !== undefined) running.set(pid, exited);
    child.once('exit', () => markExited());
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer =
      limitMs > 0 && pid !== undefined
        ? setTimeout(() => {
            timedOut = true;
            void stopGroup(pid, exited).then(() => {
              // Grandchildren that escaped the group may hold the pipes: do not wait for them.
              child.stdout.destroy();
              child.stderr.destroy();
              finish(null, 'SIGKILL');
            });
          }, limitMs)
        : undefined;
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      markExited();
      const result: ExecResult = {
        command,
        args,
        exitCode: code ?? (signal ? 128 : 1),
        stdout,
        stderr: signal ? `${stderr}\nkilled by ${signal}` : stderr,
        durationMs: Date.now() - started
      };
      if (timedOut) reject(new CommandTimeoutError(result, kind, limitMs));
      else if (result.exitCode !== 0 && !options.allowFailure) reject(new ExecError(result));
      else resolve(result);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = append(stdout, chunk);
      if (options.stream) process.stdout.write(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = append(stderr, chunk);
      if (options.stream) process.stdout.write(chunk);
    });
    child.on('error', error => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      markExited();
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
      if (!timedOut) finish(code, signal);
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
  // Cancellation stops it like any other command (SIGTERM, then SIGKILL of its group).
  installHandlers();
  if (child.pid !== undefined)
    running.set(
      child.pid,
      exited.then(() => undefined)
    );
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
      if (pid !== undefined) running.delete(pid);
      child.stdout.destroy();
      child.stderr.destroy();
      return result ?? (await within(exited, 2000)) ?? { exitCode: null, signal: 'SIGKILL' };
    }
  };
}
