// The main step: inputs → (apt ∥ Oracle ∥ Python → venv) → Django → server → artifact,
// then outputs, environment and the job summary.
import * as core from '@actions/core';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Inputs, Outputs, State } from './constants.js';
import { buildArtifact } from './django/artifact.js';
import {
  checkArtifactPython,
  deployExpectations,
  deployInputs,
  openArtifact,
  type DeployArtifact
} from './django/deploy.js';
import { publishReview, type MigrationReview } from './django/migration-review.js';
import { assertProjectDir, runDjango, type DjangoReport } from './django/driver.js';
import * as decisions from './decisions.js';
import { asgiApplicationPath, serverCommand, type ServerKind } from './django/server-command.js';
import { installServer } from './django/server-install.js';
import { smokeTest } from './django/smoke-test.js';
import { ActionError, errorMessage } from './errors.js';
import { configureCommandTimeout } from './exec.js';
import { readInputs, type ActionInputs } from './inputs.js';
import { installAptPackages } from './oslibs/apt.js';
import {
  installOracleClient,
  oracleEnvironment,
  type OracleInstallResult
} from './oslibs/oracle/install.js';
import { exportEnvironment, exportVariable, setOutputs, type OutputValues } from './outputs.js';
import { saveVenvContentsState } from './state.js';
import { Phases } from './phases.js';
import { detectPlatform, type Platform } from './platform.js';
import { prependLibraryPath } from './library-path.js';
import type { PythonInstall } from './python/find.js';
import { ORIGIN_TEXT, resolvePython } from './python/resolve.js';
import { parseVersionSpec, satisfies } from './vocabulary/python-spec.js';
import { findVersionSpec, type SpecSource } from './python/version-file.js';
import { preflight } from './preflight.js';
import { writeSummary, type SummaryDetails, type SummaryFailure } from './summary.js';
import { urlSecrets } from './url.js';
import { exportRequirements } from './venv/managers/export.js';
import { describeChanges } from './venv/bump.js';
import { provisionVenv, type ProvisionResult } from './venv/provision.js';

const REPORT_URL = 'https://github.com/setup-django/setup-django/issues';

/**
 * Says so when a project version file asks for something other than what the input chose. Only
 * informative: a version file that is missing, unreadable or unparsable never fails the step.
 */
export function noticeDisagreement(
  inputs: Pick<ActionInputs, 'pythonVersion' | 'pythonVersionFile' | 'workingDirectory'>,
  chosen: SpecSource | undefined,
  python: Pick<PythonInstall, 'version'>
): void {
  if (!chosen || inputs.pythonVersion === '') return;
  try {
    const fromFiles = findVersionSpec('', inputs.pythonVersionFile, inputs.workingDirectory);
    if (fromFiles && !satisfies(python.version, parseVersionSpec(fromFiles.spec))) {
      core.notice(
        `Using Python ${python.version} from ${chosen.source} ('${chosen.spec}'), although ${fromFiles.source} asks for '${fromFiles.spec}'.`
      );
    }
  } catch (error) {
    core.info(
      `Not comparing with the project's version files (input '${Inputs.PythonVersion}' decides): ${errorMessage(error)}`
    );
  }
}

const RESTORE_TEXT: Record<ProvisionResult['restore']['status'], string> = {
  hit: 'cache hit',
  miss: 'cache miss',
  error: 'cache restore failed',
  unavailable: 'no cache service',
  disabled: 'cache off',
  local: 'existing venv'
};

function describeVenv({
  venv,
  restore,
  cacheHit,
  cacheKey,
  installer,
  matchedKey,
  changes
}: ProvisionResult): string {
  const detail = [
    restore.durationMs ? `${(restore.durationMs / 1000).toFixed(1)} s` : '',
    restore.status === 'hit' ? `${(restore.bytes / 1024 / 1024).toFixed(1)} MiB` : ''
  ].filter(Boolean);
  // The installer is named only when it is not the manager itself (installer: uv for pip).
  const who =
    installer === venv.packageManager
      ? installer
      : `${venv.packageManager} (installer: ${installer})`;
  const restoreText =
    restore.status === 'hit' && matchedKey !== '' && matchedKey !== cacheKey
      ? 'restore-key match'
      : RESTORE_TEXT[restore.status];
  const cache = `${who}, ${restoreText}${detail.length ? ` (${detail.join(', ')})` : ''}`;
  if (cacheHit) return `${cache}: restored and validated, no install`;
  if (changes)
    return `${cache}: restored ${matchedKey} and brought to the new requirements (${describeChanges(changes)})`;
  if (venv.action === 'reused') return `${cache}: reused, dependencies unchanged`;
  if (venv.action === 'updated') return `${cache}: dependencies updated`;
  return `${cache}: ${venv.rebuildReason ? `rebuilt (${venv.rebuildReason})` : 'created'}`;
}

/** The requirements the artifact's wheelhouse is built from: pip's files, else the venv pinned. */
async function artifactRequirements(
  provision: ProvisionResult,
  venvPython: string
): Promise<string[]> {
  const { source, requirementFiles } = provision;
  if (requirementFiles.length > 0 || (source.manager === 'pip' && !source.pyproject))
    return requirementFiles;
  return [await exportRequirements(venvPython, process.env.RUNNER_TEMP, source.manager)];
}

function describeDjango(report: DjangoReport): string {
  const parts = [`Django ${report.django_version}`, report.settings_module];
  if (report.checks.length > 0) parts.push(`${report.checks.length} check findings`);
  if (report.migrations) parts.push(`${report.migrations.applied.length} migrations applied`);
  if (report.static) parts.push(`${report.static.total} static files`);
  return parts.join(', ');
}

/** The decision lines of the Django phase, and a notice when migrate reached a remote database. */
function logDjango(report: DjangoReport, projectDir: string): void {
  core.info(decisions.djangoLine(report));
  const migrated = decisions.migrationsLine(report);
  if (migrated) core.info(migrated);
  const remote = decisions.remoteDatabaseNotice(report);
  if (remote) core.notice(remote, { title: 'setup-django: migrate on a remote database' });
  if (report.static_root) {
    const collected = decisions.staticLine(report, path.resolve(projectDir, report.static_root));
    if (collected) core.info(collected);
  }
}

/** Fails the step with one titled annotation; returns what the failure summary shows. */
function reportFailure(error: unknown, phases: Phases): SummaryFailure {
  const failed = phases.records.find(record => record.status === 'failed');
  const phase = failed?.name ?? (phases.records.length === 0 ? 'inputs' : 'outputs');
  let message: string;
  let title: string;
  if (error instanceof ActionError) {
    message = error.message;
    title = error.title;
    core.error(message, { title });
  } else {
    message = `Unexpected error: ${(error as Error)?.message ?? String(error)}`;
    title = 'setup-django: unexpected error';
    core.debug((error as Error)?.stack ?? '');
    core.error(
      `${message}\nThis is a bug in setup-django. Please report it at ${REPORT_URL} with the log (re-run with debug logging for the stack trace).`,
      { title }
    );
  }
  process.exitCode = core.ExitCode.Failure;
  return { phase, title, message };
}

/** Marks a promise as handled now (it is awaited later): a failure must not crash the process first. */
function background<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function startOracle(
  inputs: ActionInputs,
  platform: Platform,
  phases: Phases
): Promise<OracleInstallResult | undefined> {
  if (inputs.oracleInstantClient === '') return Promise.resolve(undefined);
  return background(
    phases.run(
      'oracle',
      () =>
        installOracleClient({
          spec: inputs.oracleInstantClient,
          components: inputs.oracleComponents,
          platform,
          mirror: inputs.oracleMirror || undefined,
          sha256Overrides: inputs.oracleSha256,
          actionsCache: inputs.cache
        }),
      r =>
        `${r.version} from ${r.source}${r.verified ? ', sha256 verified' : ', not verified'}: ${r.path}`
    )
  );
}

function startApt(inputs: ActionInputs, platform: Platform, phases: Phases): Promise<unknown> {
  if (inputs.aptPackages.length === 0) return Promise.resolve();
  return background(
    phases.run(
      'apt',
      async () => {
        const result = await installAptPackages(inputs.aptPackages, platform);
        core.info(decisions.aptLine(result));
        return result;
      },
      r =>
        `${r.installed.length ? `installed ${r.installed.join(' ')}` : 'nothing to install'}${r.skipped.length ? `; already present: ${r.skipped.join(' ')}` : ''}`
    )
  );
}

async function runServer(
  inputs: ActionInputs,
  kind: ServerKind,
  venvPython: string,
  report: DjangoReport,
  phases: Phases,
  outputs: OutputValues,
  env: Record<string, string>
): Promise<string> {
  const app = { wsgi: report.wsgi_application, asgi: report.asgi_application };
  const install = await phases.run(
    'server',
    () =>
      installServer(venvPython, kind, inputs.serverVersion || undefined, {
        cwd: inputs.workingDirectory
      }),
    r => `${kind} ${r.version}${r.installed ? ' installed' : ' already present'}`
  );
  const command = serverCommand(kind, app, { projectDir: inputs.workingDirectory });
  outputs[Outputs.ServerCommand] = command;
  core.info(decisions.serverLine(kind, install, command));
  if (inputs.smokeTest) {
    const smoke = await phases.run(
      'smoke test',
      () =>
        smokeTest({
          venvPython,
          projectDir: inputs.workingDirectory,
          kind,
          app,
          path: inputs.smokeTestPath,
          expectStatus: inputs.smokeTestStatus,
          env: { ...env, DJANGO_SETTINGS_MODULE: report.settings_module },
          serverVersion: install.version
        }),
      r =>
        `GET ${inputs.smokeTestPath} → ${r.status} in ${r.latencyMs} ms${r.hint ? ` (${r.hint})` : ''}`
    );
    core.info(decisions.smokeLine(inputs.smokeTestPath, smoke));
  }
  return `${kind}==${install.version}`;
}

/** Deploy mode: the unpacked artifact, its outputs set; undefined without from-artifact. */
async function openDeploy(
  inputs: ActionInputs,
  phases: Phases,
  outputs: OutputValues
): Promise<DeployArtifact | undefined> {
  if (!inputs.fromArtifact) return undefined;
  const deploy = await phases.run(
    'from-artifact',
    () => openArtifact(inputs.fromArtifact, process.env.RUNNER_TEMP || os.tmpdir()),
    d =>
      `${path.basename(d.archive)} (sha256 ${d.sha256.slice(0, 12)}${d.manifest.gitSha ? `, commit ${d.manifest.gitSha.slice(0, 7)}` : ''}) ${d.reused ? 'already unpacked' : 'unpacked'} in ${d.appDir}; Python ${d.manifest.pythonVersion}, Django ${d.manifest.djangoVersion}, ${d.manifest.wheels.length} wheels`
  );
  outputs[Outputs.AppPath] = deploy.appDir;
  outputs[Outputs.ArtifactPath] = deploy.archive;
  if (deploy.manifest.serverCommand) outputs[Outputs.ServerCommand] = deploy.manifest.serverCommand;
  return deploy;
}

/** The migration review: annotations on the checkout's files, plan files, outputs, summary. */
function recordReview(
  review: MigrationReview,
  given: ActionInputs,
  outputs: OutputValues,
  details: SummaryDetails
): void {
  const published = publishReview(review, {
    projectDir: given.workingDirectory,
    workspace: given.workspace,
    planDir: path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'setup-django')
  });
  outputs[Outputs.MigrationsPending] = published.pending;
  outputs[Outputs.MigrationLintFindings] = published.findings;
  outputs[Outputs.MigrationPlanPath] = published.planPath;
  details.migrationReview = review;
}

export async function run(): Promise<void> {
  const phases = new Phases();
  const outputs: OutputValues = {};
  const details: SummaryDetails = {};
  let failure: SummaryFailure | undefined;
  try {
    const given = readInputs();
    if (given.token) core.setSecret(given.token);
    configureCommandTimeout(given.commandTimeoutMinutes);
    for (const mirror of [given.pythonMirror, given.oracleMirror])
      for (const secret of urlSecrets(mirror)) core.setSecret(secret);
    // Before anything is built: a wrong working-directory must not leave a venv behind (deploy
    // mode runs from the unpacked artifact instead).
    if (!given.fromArtifact) assertProjectDir(given.workingDirectory, given.workspace);
    const platform = detectPlatform();
    // Everything the inputs name is checked before the first command or download.
    const checked = preflight(given, platform);
    const deploy = await openDeploy(given, phases, outputs);
    const inputs = deploy ? deployInputs(given, deploy) : given;
    // Deploy mode: the Python version and requirements files of the unpacked artifact.
    const { versionSource: source } = deploy ? preflight(inputs, platform) : checked;

    // OS libraries do not depend on Python: they start at once and run alongside.
    const apt = startApt(inputs, platform, phases);
    const oracle = startOracle(inputs, platform, phases);

    const python = await phases.run(
      'python',
      () =>
        resolvePython(inputs, source, platform, {
          toolCacheDir: process.env.RUNNER_TOOL_CACHE || undefined,
          envPath: process.env.PATH ?? '',
          tempDir: process.env.RUNNER_TEMP || os.tmpdir()
        }),
      p => `${p.version} (${ORIGIN_TEXT[p.origin]}: ${p.executable})`
    );
    core.info(decisions.pythonLine(python, source));
    noticeDisagreement(inputs, source, python);
    if (deploy) await checkArtifactPython(deploy, python);
    // A tool-cache build may find libpython only through LD_LIBRARY_PATH (setup-python exports it
    // too): children of this step get it now, later steps with the rest of the environment.
    const pythonEnv =
      python.libraryPath && existsSync(python.libraryPath)
        ? prependLibraryPath(python.libraryPath)
        : {};
    Object.assign(process.env, pythonEnv);
    outputs[Outputs.PythonVersion] = python.version;
    outputs[Outputs.PythonPath] = python.executable;

    const provision = await phases.run(
      'venv',
      () =>
        provisionVenv(
          inputs,
          python,
          platform,
          apt,
          deploy && { dir: deploy.wheelhouse, dependencyHash: deploy.dependencyHash }
        ),
      describeVenv
    );
    core.info(decisions.cacheLine(provision));
    const { venv, cacheHit, cacheKey } = provision;
    outputs[Outputs.VenvPath] = venv.venvPath;
    outputs[Outputs.CacheHit] = cacheHit;
    outputs[Outputs.CacheKey] = cacheKey;
    outputs[Outputs.CacheMatchedKey] = provision.matchedKey;
    outputs[Outputs.PackageManager] = venv.packageManager;
    await apt;

    const client = await oracle;
    const oracleEnv = client ? oracleEnvironment(client.path) : {};
    if (client) {
      core.info(decisions.oracleLine(client));
      outputs[Outputs.OracleClientPath] = client.path;
      if (client.cacheSave) core.saveState(State.OracleCacheSave, JSON.stringify(client.cacheSave));
    }

    const report = await phases.run(
      'django',
      () =>
        runDjango({
          python: venv.python,
          projectDir: inputs.workingDirectory,
          settingsModule: inputs.settingsModule,
          migrate: inputs.migrate,
          collectstatic: inputs.collectstatic,
          check: inputs.check,
          checkFailLevel: inputs.checkFailLevel,
          checkMigrations: inputs.checkMigrations,
          database: inputs.migrateDatabase,
          migratePlan: inputs.migratePlan,
          migrationLint: inputs.migrationLint,
          lockTimeout: inputs.migrateLockTimeout,
          statementTimeout: inputs.migrateStatementTimeout,
          expect: deploy && deployExpectations(deploy, inputs.settingsModule),
          onReview: review => recordReview(review, given, outputs, details),
          env: oracleEnv,
          tempDir: process.env.RUNNER_TEMP
        }),
      describeDjango
    );
    logDjango(report, inputs.workingDirectory);
    details.checks = report.checks;
    details.database = report.migrations?.database;
    details.migrationsApplied = report.migrations?.applied ?? [];
    outputs[Outputs.DjangoVersion] = report.django_version;
    outputs[Outputs.SettingsModule] = report.settings_module;
    outputs[Outputs.MigrationsApplied] = report.migrations?.applied.length ?? 0;
    outputs[Outputs.StaticRoot] = report.static_root
      ? path.resolve(inputs.workingDirectory, report.static_root)
      : '';
    outputs[Outputs.StaticFilesCount] = report.static?.total ?? 0;
    outputs[Outputs.WsgiApplication] = report.wsgi_application ?? '';
    outputs[Outputs.AsgiApplication] = asgiApplicationPath(
      {
        asgi: report.asgi_application,
        wsgi: report.wsgi_application,
        settingsModule: report.settings_module
      },
      inputs.workingDirectory
    );

    const extraRequirements: string[] = [];
    if (inputs.server !== 'none') {
      extraRequirements.push(
        await runServer(inputs, inputs.server, venv.python, report, phases, outputs, oracleEnv)
      );
    }

    const format = inputs.artifact;
    if (format) {
      const artifact = await phases.run(
        'artifact',
        async () =>
          buildArtifact({
            projectDir: inputs.workingDirectory,
            venvPython: venv.python,
            requirementFiles: await artifactRequirements(provision, venv.python),
            extraRequirements,
            staticRoot: report.static ? report.static_root : null,
            venvDir: venv.venvPath,
            outDir: process.env.RUNNER_TEMP || path.join(inputs.workspace, '..'),
            name: inputs.artifactName,
            format,
            manifest: {
              pythonVersion: python.version,
              djangoVersion: report.django_version,
              settingsModule: report.settings_module,
              migrations: report.migrations?.planned ?? [],
              wsgiApplication: report.wsgi_application,
              asgiApplication: report.asgi_application,
              serverCommand: (outputs[Outputs.ServerCommand] as string | undefined) ?? null
            }
          }),
        r =>
          `${path.basename(r.path)}: ${r.files} files, ${(r.sizeBytes / 1024 / 1024).toFixed(1)} MiB, ${r.wheels.length} wheels`
      );
      outputs[Outputs.ArtifactPath] = artifact.path;
    }

    // Last, after the server install: the post step saves the venv only if it still holds this.
    if (provision.saveDue) saveVenvContentsState(venv.venvPath);
    setOutputs(outputs);
    if (inputs.updateEnvironment) {
      exportEnvironment(venv.venvPath, report.settings_module);
      for (const [name, value] of Object.entries({ ...pythonEnv, ...oracleEnv }))
        exportVariable(name, String(value));
    }
  } catch (error) {
    setOutputs(outputs);
    failure = reportFailure(error, phases);
  } finally {
    await writeSummary(phases.records, outputs, phases.elapsed(), failure, details);
  }
}
