// The smoke test: starts the server from the venv on a free local port, requests a path, judges the answer.
import * as core from '@actions/core';
import net from 'node:net';
import { startBackground, type BackgroundProcess } from '../exec.js';
import { ActionError, errorMessage, tail } from '../errors.js';
import { resolveAppSpec, serverArgs, type ServerApp, type ServerKind } from './server-command.js';
import { isValidSmokePath, isValidStatus } from '../vocabulary/server.js';

export { isValidSmokePath, isValidStatus } from '../vocabulary/server.js';
import { installedVersion, versionAtLeast } from './server-install.js';

export interface SmokeTestOptions {
  venvPython: string;
  projectDir: string;
  kind: ServerKind;
  app: ServerApp;
  /** The path requested: `/` by default. */
  path?: string;
  /** Demand this status; by default any status below 500 passes. */
  expectStatus?: number;
  /** Added to the environment (DJANGO_SETTINGS_MODULE, DEBUG, DATABASE_URL, ...). */
  env?: Record<string, string | undefined>;
  /** How long the server may take to answer, start-up included. */
  timeoutMs?: number;
  /** How long the server gets to stop after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** The installed server version (installServer's), when known: saves a probe. */
  serverVersion?: string;
}

export interface SmokeTestResult {
  status: number;
  /** The time of one request to the warmed-up server. */
  latencyMs: number;
  /** From the start of the process to its first answer. */
  startupMs: number;
  url: string;
  /** The command the smoke test ran (python -m gunicorn ... on the local port). */
  command: string;
  /** Set when the answer, although accepted, is probably not what the user wants to test. */
  hint?: string;
  /** The server's pid (its process group), stopped when smokeTest returns. */
  pid?: number;
}

/** A free TCP port on 127.0.0.1 (bound to port 0, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

interface Answer {
  status: number;
  body: string;
  location?: string;
  ms: number;
}

const MAX_BODY = 64 * 1024;

async function get(url: string, timeoutMs: number): Promise<Answer> {
  const started = performance.now();
  // The timeout covers the whole exchange, body included; redirects are answers, not followed.
  const response = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
    headers: {
      Connection: 'close',
      Accept: 'text/html,application/json;q=0.9,*/*;q=0.8',
      'User-Agent': 'setup-django-smoke-test'
    }
  });
  const body = (await response.text()).slice(0, MAX_BODY);
  return {
    status: response.status,
    body,
    location: response.headers.get('location') ?? undefined,
    ms: performance.now() - started
  };
}

/** fetch rejects with 'fetch failed' and the reason (refused, reset, ...) as its cause. */
function requestError(error: unknown): string {
  return error instanceof Error && error.cause !== undefined
    ? errorMessage(error.cause)
    : errorMessage(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** A short, readable excerpt of a response body (the <title> of an HTML page, else its text). */
export function bodyExcerpt(body: string, max = 200): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const text = (title ?? body)
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

/** What a status probably means for a Django project, to point at the fix. */
export function statusHint(status: number, log: string, location?: string): string | undefined {
  if (status === 400) {
    return "Django answers 400 when the Host header is not in ALLOWED_HOSTS (checked when DEBUG is false): the smoke test sends Host 127.0.0.1, so add '127.0.0.1' or 'localhost' to ALLOWED_HOSTS for this step (for example through an environment variable the settings read).";
  }
  if (status >= 300 && status < 400 && location) {
    return `The response redirects to ${location}${/^https:/i.test(location) ? ' (SECURE_SSL_REDIRECT sends plain-HTTP requests to https; turn it off for this step, or set smoke-test-path to a path that answers directly)' : ''}.`;
  }
  if (status >= 500 && !/Traceback/.test(log)) {
    return "With DEBUG false Django's default LOGGING sends the traceback to ADMINS by mail, not to the console: add a console handler for the 'django.request' logger to see it here, or run the smoke test with DEBUG on.";
  }
  return undefined;
}

function describeExit(exit: {
  exitCode: number | null;
  signal: string | null;
  error?: string;
}): string {
  if (exit.error) return `could not be started (${exit.error})`;
  return exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
}

function startupHint(kind: ServerKind, log: string): string {
  if (new RegExp(`No module named '?${kind}'?`).test(log)) {
    return ` ${kind} is not installed in the venv: set 'server: ${kind}'.`;
  }
  if (
    /ModuleNotFoundError|ImportError|Failed to find attribute|Error loading ASGI app|could not import/i.test(
      log
    )
  ) {
    const setting = kind === 'gunicorn' ? 'WSGI_APPLICATION' : 'ASGI_APPLICATION';
    return ` The application could not be imported: check ${setting} in the settings, the working-directory, and the log below.`;
  }
  return '';
}

/** A failed smoke test: the message has the log tail; the fields are there for callers and tests. */
export class SmokeTestError extends ActionError {
  constructor(
    message: string,
    readonly log: string,
    readonly status: number | undefined,
    readonly pid: number | undefined
  ) {
    super(message, 'Smoke test');
    this.name = 'SmokeTestError';
  }
}

/** A failed smoke test before the server is stopped; answered: whether it ever answered (for the hint). */
class Failure {
  constructor(
    readonly message: string,
    readonly answered: boolean,
    readonly status?: number
  ) {}
}

/** Asks until the server answers, exits or runs out of time (each ask at most 10 s). */
async function firstAnswer(
  server: BackgroundProcess,
  kind: ServerKind,
  url: string,
  started: number,
  timeoutMs: number
): Promise<Answer> {
  for (;;) {
    if (server.hasExited()) {
      const exit = await server.exited;
      throw new Failure(`The ${kind} server ${describeExit(exit)} before answering ${url}.`, false);
    }
    const remaining = timeoutMs - (Date.now() - started);
    if (remaining <= 0) {
      throw new Failure(
        `The ${kind} server did not answer ${url} within ${Math.round(timeoutMs / 1000)} s.`,
        false
      );
    }
    try {
      return await get(url, Math.min(remaining, 10000));
    } catch {
      // Not listening yet (refused), or reset while a worker boots: ask again shortly.
      await Promise.race([sleep(150), server.exited]);
    }
  }
}

/** The reason an answer fails the test (a 5xx, or not the expected status), if it does. */
function badAnswer(status: number, url: string, expected: number | undefined): string | undefined {
  if (expected !== undefined && status !== expected)
    return `GET ${url} answered ${status}, not the expected ${expected} (smoke-test-status).`;
  if (expected === undefined && status >= 500)
    return `GET ${url} answered ${status}: the application failed.`;
  return undefined;
}

function checkSmokeOptions(urlPath: string, expectStatus: number | undefined): void {
  if (!isValidSmokePath(urlPath)) {
    throw new ActionError(
      `'smoke-test-path' is '${urlPath}': give a path on the server starting with '/', such as / or /healthz/.`
    );
  }
  if (expectStatus !== undefined && !isValidStatus(expectStatus)) {
    throw new ActionError(
      `'smoke-test-status' is '${expectStatus}': give an HTTP status between 100 and 599, or leave it empty to accept any status below 500.`
    );
  }
}

/** `python -m <server> ...` on 127.0.0.1:port, with what a throwaway gunicorn needs. */
async function smokeArgs(options: SmokeTestOptions, port: number): Promise<string[]> {
  const { kind } = options;
  const spec = resolveAppSpec(kind, options.app, options.projectDir);
  const args = ['-m', kind, ...serverArgs(kind, spec, '127.0.0.1', port)];
  if (kind === 'gunicorn') {
    args.push('--workers', '1', '--access-logfile', '-');
    // gunicorn 25.1+ opens a control socket in $HOME by default: one per machine, which a
    // throwaway server must not take from (or leave behind for) a real one.
    const version = options.serverVersion ?? (await installedVersion(options.venvPython, kind));
    if (version && versionAtLeast(version, [25, 1])) args.push('--no-control-socket');
  }
  return args;
}

/**
 * Starts the server from the venv on a free local port (cwd = the project), requests the path,
 * and always stops it (the whole process group). Fails on a crash, no answer in time, a 5xx or
 * an unexpected status, with the server's log tail.
 */
export async function smokeTest(options: SmokeTestOptions): Promise<SmokeTestResult> {
  const urlPath = options.path ?? '/';
  checkSmokeOptions(urlPath, options.expectStatus);
  const { kind } = options;
  const timeoutMs = options.timeoutMs ?? 60000;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${urlPath}`;
  const args = await smokeArgs(options, port);
  const command = [options.venvPython, ...args].join(' ');
  core.info(`Smoke test: ${command} (in ${options.projectDir}), then GET ${url}`);

  const started = Date.now();
  const server = startBackground(options.venvPython, args, {
    cwd: options.projectDir,
    env: { PYTHONUNBUFFERED: '1', ...options.env }
  });
  let outcome: SmokeTestResult | Failure;
  try {
    await firstAnswer(server, kind, url, started, timeoutMs);
    const startupMs = Date.now() - started;
    // The first answer may include the application's lazy start: time a second request.
    const answer = await get(url, Math.max(timeoutMs - startupMs, 10000));
    const { status } = answer;
    const hint = statusHint(status, server.output(), answer.location);
    const bad = badAnswer(status, url, options.expectStatus);
    if (bad) {
      const excerpt = bodyExcerpt(answer.body);
      outcome = new Failure(
        `Smoke test failed: ${bad}${excerpt ? ` Response: ${excerpt}` : ''}${hint ? ` ${hint}` : ''}`,
        true,
        status
      );
    } else {
      outcome = {
        status,
        latencyMs: Math.round(answer.ms),
        startupMs,
        url,
        command,
        pid: server.pid,
        ...(hint ? { hint } : {})
      };
    }
  } catch (error) {
    outcome =
      error instanceof Failure
        ? error
        : new Failure(`The smoke test of ${url} failed: ${requestError(error)}.`, true);
  } finally {
    await server.stop(options.graceMs ?? 5000);
  }
  const log = server.output();
  if (log.trim()) {
    core.startGroup(`${kind} log (smoke test)`);
    core.info(log.trimEnd());
    core.endGroup();
  }
  if (outcome instanceof Failure) {
    const hint = outcome.answered ? '' : startupHint(kind, log);
    throw new SmokeTestError(
      `${outcome.message}${hint}\nServer command: ${command}\n--- ${kind} log (last lines) ---\n${tail(log, 30) || '(no output)'}`,
      log,
      outcome.status,
      server.pid
    );
  }
  if (outcome.hint) core.warning(outcome.hint, { title: 'Smoke test' });
  return outcome;
}
