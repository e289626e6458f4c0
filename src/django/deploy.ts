// Deploy mode (`from-artifact`): unpack a build's archive, check its manifest against this
// runner, and hand the venv and Django phases the unpacked app and its wheelhouse.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import path from 'node:path';
import { Inputs } from '../constants.js';
import { execCommand, ExecError } from '../exec.js';
import { ActionError, tail } from '../errors.js';
import type { ActionInputs } from '../inputs.js';
import type { PythonInstall } from '../python/find.js';
import { MANIFEST_FILE, MANIFEST_VERSION, WHEELHOUSE_DIR } from './artifact.js';

/** Written into the unpacked app: proves the directory is ours and which archive it holds. */
const UNPACKED_MARKER = '.setup-django-unpacked.json';

export interface ArtifactManifest {
  manifestVersion: number;
  name?: string;
  gitSha?: string | null;
  pythonVersion: string;
  pythonImplementation?: string;
  platform?: string;
  djangoVersion: string | null;
  settingsModule: string | null;
  requirementsFiles: string[];
  wheelhouse: string;
  wheels: string[];
  serverCommand?: string | null;
  [key: string]: unknown;
}

export interface DeployArtifact {
  archive: string;
  sha256: string;
  appDir: string;
  manifest: ArtifactManifest;
  wheelhouse: string;
  /** Absolute paths of the requirements files inside the unpacked app. */
  requirementFiles: string[];
  /** The venv's cache key segment: the wheels and requirements, not the app's code. */
  dependencyHash: string;
  reused: boolean;
}

function fail(archive: string, problem: string, fix: string): never {
  throw new ActionError(`'${Inputs.FromArtifact}' ${archive}: ${problem} ${fix}`, 'Deploy');
}

const REBUILD = `Download the archive the build job made with 'artifact: true' (actions/download-artifact) and pass its path.`;

/** tar's compression flag for the archive's magic bytes. */
function compressionOf(archive: string): '--gzip' | '--zstd' {
  const head = Buffer.alloc(4);
  const fd = openSync(archive, 'r');
  try {
    readSync(fd, head, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return '--gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528) return '--zstd';
  return fail(
    archive,
    `is not a tar.gz or tar.zst archive (it starts with bytes ${head.toString('hex')}).`,
    REBUILD
  );
}

function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The manifest, checked for the keys a deploy needs. */
export function parseManifest(text: string, archive: string): ArtifactManifest {
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(text) as ArtifactManifest;
  } catch (error) {
    return fail(
      archive,
      `its ${MANIFEST_FILE} is not valid JSON (${(error as Error).message}): the archive is corrupt.`,
      REBUILD
    );
  }
  if (manifest?.manifestVersion !== MANIFEST_VERSION) {
    fail(
      archive,
      `its ${MANIFEST_FILE} has manifestVersion ${JSON.stringify(manifest?.manifestVersion)}; this version of setup-django reads ${MANIFEST_VERSION}.`,
      'Build and deploy with the same setup-django version.'
    );
  }
  const missing = ['pythonVersion', 'requirementsFiles', 'wheels'].filter(
    key => manifest[key] === undefined || manifest[key] === null
  );
  if (missing.length || !Array.isArray(manifest.requirementsFiles)) {
    fail(
      archive,
      `its ${MANIFEST_FILE} lacks ${missing.join(', ') || 'requirementsFiles'}: the archive is corrupt.`,
      REBUILD
    );
  }
  return manifest;
}

/** The hash of what the venv is built from: requirements files and wheels, by content. */
export function wheelhouseHash(appDir: string, manifest: ArtifactManifest): string {
  const hash = createHash('sha256').update(`setup-django-wheelhouse-${MANIFEST_VERSION}\0`);
  for (const file of manifest.requirementsFiles)
    hash
      .update(`${file}\0`)
      .update(readFileSync(path.join(appDir, file)))
      .update('\0');
  for (const wheel of [...manifest.wheels].sort())
    hash.update(`${wheel}\0${sha256File(path.join(appDir, WHEELHOUSE_DIR, wheel))}\0`);
  return hash.digest('hex');
}

function readMarker(appDir: string): { sha256?: string } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(appDir, UNPACKED_MARKER), 'utf8')) as {
      sha256?: string;
    };
  } catch {
    return undefined;
  }
}

/**
 * Unpacks `archive` into `<tempDir>/setup-django-app` (reusing it when it already holds this
 * archive) and checks the manifest and the wheelhouse. Nothing is left half-unpacked.
 */
export async function openArtifact(archive: string, tempDir: string): Promise<DeployArtifact> {
  if (!existsSync(archive)) {
    fail(archive, 'no such file.', REBUILD);
  }
  if (!statSync(archive).isFile()) fail(archive, 'is not a file.', REBUILD);
  const compression = compressionOf(archive);
  const sha256 = sha256File(archive);
  const appDir = path.join(tempDir, 'setup-django-app');
  let reused = false;
  if (existsSync(appDir)) {
    const marker = readMarker(appDir);
    if (!marker) {
      throw new ActionError(
        `${appDir} exists and was not unpacked by setup-django (no ${UNPACKED_MARKER}): move it away, the deploy unpacks the artifact there.`,
        'Deploy'
      );
    }
    if (marker.sha256 === sha256) reused = true;
    else rmSync(appDir, { recursive: true, force: true });
  }
  if (!reused) {
    mkdirSync(tempDir, { recursive: true });
    const partial = mkdtempSync(path.join(tempDir, '.setup-django-app-'));
    try {
      await execCommand('tar', [
        '--extract',
        compression,
        '--file',
        archive,
        '--directory',
        partial,
        '--no-same-owner'
      ]);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      if (!(error instanceof ExecError)) throw error;
      fail(
        archive,
        `the archive is corrupt: tar could not unpack it (${tail(error.result.stderr.trim(), 3)}).`,
        REBUILD
      );
    }
    const manifestFile = path.join(partial, MANIFEST_FILE);
    if (!existsSync(manifestFile)) {
      rmSync(partial, { recursive: true, force: true });
      fail(
        archive,
        `it holds no ${MANIFEST_FILE}, so it was not built by setup-django with 'artifact: true'.`,
        REBUILD
      );
    }
    try {
      checkContents(partial, parseManifest(readFileSync(manifestFile, 'utf8'), archive), archive);
    } catch (error) {
      rmSync(partial, { recursive: true, force: true });
      throw error;
    }
    writeFileSync(path.join(partial, UNPACKED_MARKER), `${JSON.stringify({ archive, sha256 })}\n`);
    renameSync(partial, appDir);
  }
  const manifest = parseManifest(readFileSync(path.join(appDir, MANIFEST_FILE), 'utf8'), archive);
  return {
    archive,
    sha256,
    appDir,
    manifest,
    wheelhouse: path.join(appDir, WHEELHOUSE_DIR),
    requirementFiles: manifest.requirementsFiles.map(file => path.join(appDir, file)),
    dependencyHash: wheelhouseHash(appDir, manifest),
    reused
  };
}

function checkContents(appDir: string, manifest: ArtifactManifest, archive: string): void {
  const absent = [
    ...manifest.requirementsFiles.filter(file => !existsSync(path.join(appDir, file))),
    ...manifest.wheels
      .map(wheel => `${WHEELHOUSE_DIR}/${wheel}`)
      .filter(file => !existsSync(path.join(appDir, file)))
  ];
  if (!existsSync(path.join(appDir, 'manage.py'))) absent.unshift('manage.py');
  if (absent.length) {
    fail(
      archive,
      `the archive is corrupt: its manifest lists ${absent.slice(0, 5).join(', ')}${absent.length > 5 ? ', ...' : ''}, which it does not hold.`,
      REBUILD
    );
  }
}

/** The inputs the python, venv and Django phases see when deploying the artifact. */
export function deployInputs(inputs: ActionInputs, deploy: DeployArtifact): ActionInputs {
  return {
    ...inputs,
    workingDirectory: deploy.appDir,
    // The exact version that was tested, unless the step asks for another one.
    pythonVersion: inputs.pythonVersion || deploy.manifest.pythonVersion,
    pythonVersionFile: '',
    packageManager: 'pip',
    requirementsFiles: deploy.requirementFiles,
    dependencyGroups: [],
    cacheDependencyPath: [],
    // The artifact holds the collected static files and its own server.
    collectstatic: false,
    server: 'none',
    smokeTest: false
  };
}

const PYTHON_FACTS =
  'import json, platform, sysconfig; print(json.dumps({"version": platform.python_version(), "implementation": platform.python_implementation(), "platform": sysconfig.get_platform()}))';

/** Fails when this runner's Python cannot run the artifact's wheels; notices a patch difference. */
export async function checkArtifactPython(
  deploy: DeployArtifact,
  python: PythonInstall
): Promise<void> {
  const { manifest, archive } = deploy;
  const result = await execCommand(python.executable, ['-c', PYTHON_FACTS]);
  const here = JSON.parse(result.stdout.trim()) as Record<string, string>;
  const minor = (version: string): string => version.split('.').slice(0, 2).join('.');
  const mismatches: string[] = [];
  if (minor(here.version) !== minor(manifest.pythonVersion))
    mismatches.push(`Python ${here.version} here, ${manifest.pythonVersion} in the build`);
  if (manifest.pythonImplementation && here.implementation !== manifest.pythonImplementation)
    mismatches.push(`${here.implementation} here, ${manifest.pythonImplementation} in the build`);
  if (manifest.platform && here.platform !== manifest.platform)
    mismatches.push(`platform ${here.platform} here, ${manifest.platform} in the build`);
  if (mismatches.length) {
    fail(
      archive,
      `the artifact does not match this runner: ${mismatches.join('; ')}.`,
      `Its wheels are built for the build's Python and platform: deploy on a runner like the build's (or set '${Inputs.PythonVersion}' to ${manifest.pythonVersion}).`
    );
  }
  if (here.version !== manifest.pythonVersion) {
    core.notice(
      `Deploying with Python ${here.version}; the artifact was built and tested with ${manifest.pythonVersion} (same minor version, the wheels fit).`
    );
  }
}

/** What the driver must find (else it fails before migrating), and a notice for a chosen module. */
export function deployExpectations(
  deploy: DeployArtifact,
  settingsInput: string
): { djangoVersion?: string; settingsModule?: string } {
  const { djangoVersion, settingsModule } = deploy.manifest;
  if (settingsInput && settingsModule && settingsInput !== settingsModule) {
    core.notice(
      `Deploying with settings module ${settingsInput} ('${Inputs.SettingsModule}'); the artifact was built with ${settingsModule}.`
    );
  }
  return {
    djangoVersion: djangoVersion ?? undefined,
    settingsModule: settingsInput ? undefined : (settingsModule ?? undefined)
  };
}
