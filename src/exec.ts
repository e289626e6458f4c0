// The one way external commands run: argument arrays (never a shell), timed, output kept.
import { spawn } from 'node:child_process';
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
