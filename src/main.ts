// The main step: inputs → Python → venv → Django, then outputs, environment and the job summary.
import * as core from '@actions/core';
import path from 'node:path';
import { Outputs } from './constants.js';
import { runDjango, type DjangoReport } from './django/driver.js';
import { ActionError } from './errors.js';
import { readInputs, type ActionInputs } from './inputs.js';
import { exportEnvironment, setOutputs, type OutputValues } from './outputs.js';
import { Phases } from './phases.js';
import { detectPlatform } from './platform.js';
import { findPython, type PythonInstall } from './python/find.js';
import { parseVersionSpec, satisfies } from './python/spec.js';
import { findVersionSpec, type SpecSource } from './python/version-file.js';
import { provisionVenv, type ProvisionResult } from './venv/provision.js';
import { writeSummary } from './summary.js';

const REPORT_URL = 'https://github.com/setup-django/setup-django/issues';

/** Says so when a project version file asks for something other than what the input chose. */
function noticeDisagreement(
  inputs: ActionInputs,
  chosen: SpecSource | undefined,
  python: PythonInstall
): void {
  if (!chosen || inputs.pythonVersion === '') return;
  const fromFiles = findVersionSpec('', inputs.pythonVersionFile, inputs.workingDirectory);
  if (!fromFiles) return;
  try {
    if (!satisfies(python.version, parseVersionSpec(fromFiles.spec))) {
      core.notice(
        `Using Python ${python.version} from ${chosen.source} ('${chosen.spec}'), although ${fromFiles.source} asks for '${fromFiles.spec}'.`
      );
    }
  } catch {
    // An unparsable version file does not matter when the input decides.
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

function describeVenv({ venv, restore, cacheHit }: ProvisionResult): string {
  const cache = `${RESTORE_TEXT[restore.status]}${restore.durationMs ? ` (${(restore.durationMs / 1000).toFixed(1)} s)` : ''}`;
  if (cacheHit) return `${cache}: restored and validated, no install`;
  if (venv.action === 'reused') return `${cache}: reused, dependencies unchanged`;
  if (venv.action === 'updated') return `${cache}: dependencies updated`;
  return `${cache}: ${venv.rebuildReason ? `rebuilt (${venv.rebuildReason})` : 'created'}`;
}

function describeDjango(report: DjangoReport): string {
  const parts = [`Django ${report.django_version}`, report.settings_module];
  if (report.migrations) parts.push(`${report.migrations.applied.length} migrations applied`);
  if (report.static) parts.push(`${report.static.total} static files`);
  return parts.join(', ');
}

export async function run(): Promise<void> {
  const phases = new Phases();
  const outputs: OutputValues = {};
  let failure: string | undefined;
  try {
    const inputs = readInputs();
    const platform = detectPlatform();

    const source = findVersionSpec(
      inputs.pythonVersion,
      inputs.pythonVersionFile,
      inputs.workingDirectory
    );
    const python = await phases.run(
      'python',
      () =>
        findPython(source, {
          toolCacheDir: process.env.RUNNER_TOOL_CACHE,
          arch: platform.arch,
          envPath: process.env.PATH ?? ''
        }),
      p => `${p.version} (${p.origin === 'tool-cache' ? 'tool cache' : 'PATH'}: ${p.executable})`
    );
    noticeDisagreement(inputs, source, python);
    outputs[Outputs.PythonVersion] = python.version;
    outputs[Outputs.PythonPath] = python.executable;

    const { venv, cacheHit, cacheKey } = await phases.run(
      'venv',
      () => provisionVenv(inputs, python, platform),
      describeVenv
    );
    outputs[Outputs.VenvPath] = venv.venvPath;
    outputs[Outputs.CacheHit] = cacheHit;
    outputs[Outputs.CacheKey] = cacheKey;
    outputs[Outputs.PackageManager] = venv.packageManager;

    const report = await phases.run(
      'django',
      () =>
        runDjango({
          python: venv.python,
          projectDir: inputs.workingDirectory,
          settingsModule: inputs.settingsModule,
          migrate: inputs.migrate,
          collectstatic: inputs.collectstatic,
          tempDir: process.env.RUNNER_TEMP
        }),
      describeDjango
    );
    outputs[Outputs.DjangoVersion] = report.django_version;
    outputs[Outputs.SettingsModule] = report.settings_module;
    outputs[Outputs.MigrationsApplied] = report.migrations?.applied.length ?? 0;
    outputs[Outputs.StaticRoot] =
      report.static && report.static_root
        ? path.resolve(inputs.workingDirectory, report.static_root)
        : (report.static_root ?? '');
    outputs[Outputs.StaticFilesCount] = report.static?.total ?? 0;

    setOutputs(outputs);
    if (inputs.updateEnvironment) exportEnvironment(venv.venvPath, report.settings_module);
  } catch (error) {
    if (error instanceof ActionError) {
      failure = error.message;
      core.setFailed(error.message);
    } else {
      failure = `Unexpected error: ${(error as Error)?.message ?? String(error)}`;
      core.debug((error as Error)?.stack ?? '');
      core.setFailed(
        `${failure}\nThis is a bug in setup-django. Please report it at ${REPORT_URL} with the log (re-run with debug logging for the stack trace).`
      );
    }
  } finally {
    await writeSummary(phases.records, outputs, phases.elapsed(), failure);
  }
}
