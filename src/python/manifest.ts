// The actions/python-versions manifest: its format, fetching it, and picking the build for this runner.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toolCacheClient } from '../cache/client.js';
import { ActionError, errorMessage } from '../errors.js';
import {
  excludesExactly,
  isPrerelease as isPrereleaseVersion,
  newestFirst,
  normalizeVersion,
  releaseOf,
  satisfies,
  type VersionSpec
} from '../vocabulary/python-spec.js';
import { displayUrl, requestFor } from '../url.js';
import { Inputs } from '../constants.js';

export const MANIFEST_FILE = 'versions-manifest.json';
export const DEFAULT_MANIFEST_URL = `https://raw.githubusercontent.com/actions/python-versions/main/${MANIFEST_FILE}`;

/** One archive of a release: `python-3.12.8-linux-24.04-x64.tar.gz`. */
export interface ManifestFile {
  filename: string;
  /** `x64`, `arm64`, `x64-freethreaded`, ... */
  arch: string;
  /** `linux`, `darwin`, `win32`. */
  platform: string;
  /** The Ubuntu release for Linux builds (`24.04`); absent for macOS and Windows. */
  platform_version?: string;
  download_url: string;
}

export interface ManifestRelease {
  /** Semver spelling: `3.12.8`, `3.14.0-alpha.6`, `3.13.0-rc.2`. */
  version: string;
  stable: boolean;
  release_url?: string;
  files: ManifestFile[];
}

export type Manifest = ManifestRelease[];

/** The runner a build must fit. */
export interface ReleaseTarget {
  platform: string;
  /** Compared with `platform_version` (the Ubuntu release, e.g. `24.04`). */
  platformVersion: string;
  arch: string;
  allowPrereleases?: boolean;
  /** For messages only: `ubuntu`, `debian`, ... */
  distro?: string;
}

export interface PickedRelease {
  release: ManifestRelease;
  file: ManifestFile;
}

const LONG_PRE: Record<string, string> = { alpha: 'a', beta: 'b', rc: 'rc' };

/** `3.14.0-alpha.6` → `3.14.0a6` (how Python itself spells it); other versions unchanged. */
export function toPythonVersion(version: string): string {
  return version.replace(
    /^(\d+\.\d+\.\d+)-(alpha|beta|rc)\.(\d+)$/,
    (_, release: string, pre: string, n: string) => `${release}${LONG_PRE[pre]}${n}`
  );
}

function isPrerelease(release: ManifestRelease): boolean {
  return !release.stable || isPrereleaseVersion(release.version);
}

/**
 * Whether a release satisfies the spec. Prereleases count when the spec names one (PEP 440), or
 * when allowed, and then stand for the release they precede: with allow-prereleases,
 * `3.14.0rc1` is a candidate for `3.14` and `>=3.14`, not for `<3.14` nor `!=3.14.0rc1`.
 */
function releaseMatches(
  release: ManifestRelease,
  spec: VersionSpec,
  allowPrereleases = false
): boolean {
  const version = toPythonVersion(release.version);
  if (normalizeVersion(version) === null) return false;
  if (!isPrerelease(release)) return satisfies(version, spec);
  if (satisfies(version, spec) && isPrereleaseVersion(version)) return true;
  if (!allowPrereleases || excludesExactly(version, spec)) return false;
  const base = releaseOf(version);
  return base !== null && satisfies(base, spec);
}

function fileFits(file: ManifestFile, target: ReleaseTarget): boolean {
  return (
    file.platform === target.platform &&
    file.arch === target.arch &&
    (file.platform_version === undefined || file.platform_version === target.platformVersion)
  );
}

/** The newest release matching the spec that has a build for the target, with that build. */
export function pickRelease(
  manifest: Manifest,
  spec: VersionSpec,
  target: ReleaseTarget
): PickedRelease | undefined {
  const candidates = manifest
    .filter(release => releaseMatches(release, spec, target.allowPrereleases))
    .sort((a, b) => newestFirst(a.version, b.version));
  for (const release of candidates) {
    const file = release.files.find(f => fileFits(f, target));
    if (file) return { release, file };
  }
  return undefined;
}

export interface Offer {
  /** Stable versions with a build for the target, newest first. */
  stable: string[];
  /** Prerelease versions with a build for the target, newest first. */
  prereleases: string[];
  /** `platform_version`s the manifest has builds for (this platform and arch). */
  platformVersions: string[];
  /** Arches the manifest has builds for on this platform. */
  arches: string[];
}

/** What the manifest offers for the target: for error messages. */
export function offerFor(manifest: Manifest, target: ReleaseTarget): Offer {
  const fitting = manifest.filter(release => release.files.some(f => fileFits(f, target)));
  const versions = (releases: ManifestRelease[]) =>
    [...new Set(releases.map(r => r.version))].sort(newestFirst);
  const onPlatform = manifest.flatMap(r => r.files).filter(f => f.platform === target.platform);
  const byVersion = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  return {
    stable: versions(fitting.filter(r => !isPrerelease(r))),
    prereleases: versions(fitting.filter(isPrerelease)),
    platformVersions: [
      ...new Set(
        onPlatform
          .filter(f => f.arch === target.arch && f.platform_version !== undefined)
          .map(f => f.platform_version as string)
      )
    ].sort(byVersion),
    arches: [...new Set(onPlatform.map(f => f.arch))].sort()
  };
}

/** The newest version of each minor, newest first: `3.13.1, 3.12.8, 3.11.11`. */
export function newestPerMinor(versions: string[]): string[] {
  const seen = new Set<string>();
  const result: string[] = [];
  for (const version of [...versions].sort(newestFirst)) {
    const minor = version.split('.').slice(0, 2).join('.');
    if (seen.has(minor)) continue;
    seen.add(minor);
    result.push(version);
  }
  return result;
}

/** Up to this many versions are listed one by one. */
const MAX_LISTED = 12;

function describeTarget(target: ReleaseTarget): string {
  return `${target.platform} ${target.platformVersion} ${target.arch}`;
}

/** Why nothing matched, and what would: the offer for this OS version and arch. */
export function describeNoRelease(
  manifest: Manifest,
  spec: VersionSpec,
  target: ReleaseTarget
): string {
  const offer = offerFor(manifest, target);
  const where = describeTarget(target);
  if (offer.stable.length === 0 && offer.prereleases.length === 0) {
    if (offer.platformVersions.length === 0) {
      const arches = offer.arches.length ? offer.arches.join(', ') : 'none';
      return `The manifest has no ${target.platform} builds for ${target.arch} at all (arches it has: ${arches}).`;
    }
    const distro =
      target.distro && target.distro !== 'ubuntu'
        ? ` This runner is ${target.distro} ${target.platformVersion}; the builds are made for Ubuntu and its release numbers: use an Ubuntu runner or a container, or install a matching Python another way (apt, a container image) before this step.`
        : '';
    return `The manifest has no build for ${where}: its ${target.platform} ${target.arch} builds are for ${offer.platformVersions.join(', ')}.${distro}`;
  }
  const parts: string[] = [];
  if (offer.stable.length) {
    const minor = spec.raw.match(/^(?:==|~=)?\s*(\d+\.\d+)/)?.[1];
    const sameMinor = minor ? offer.stable.filter(v => v.startsWith(`${minor}.`)) : [];
    parts.push(
      offer.stable.length <= MAX_LISTED
        ? `For ${where} it offers ${offer.stable.join(', ')}`
        : `For ${where} it offers ${newestPerMinor(offer.stable).join(', ')} (the newest of each minor version; ${offer.stable.length} stable releases in all)`
    );
    if (sameMinor.length && offer.stable.length > MAX_LISTED) {
      parts.push(`of ${minor}: ${sameMinor.join(', ')}`);
    }
  } else {
    parts.push(`For ${where} it offers no stable release`);
  }
  if (offer.prereleases.length && !target.allowPrereleases) {
    parts.push(
      `prereleases: ${offer.prereleases.slice(0, 5).join(', ')} (set 'allow-prereleases: true' to consider them)`
    );
  } else if (offer.prereleases.length) {
    parts.push(`prereleases: ${offer.prereleases.slice(0, 5).join(', ')}`);
  }
  return `${parts.join('; ')}. Change the version spec to one of those, or use a mirror that has the version ('${Inputs.PythonMirror}').`;
}

/** Whether a URL is GitHub's, the only hosts a GitHub token may be sent to. */
function isGitHubUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  return ['github.com', 'githubusercontent.com'].some(
    domain => host === domain || host.endsWith(`.${domain}`)
  );
}

/** `Authorization` value for a download: the token for GitHub hosts only, never for a mirror. */
export function authorizationFor(url: string, token: string | undefined): string | undefined {
  return token && isGitHubUrl(url) ? `token ${token}` : undefined;
}

/**
 * The manifest's URL from the `python-mirror` input: empty → actions/python-versions; a URL
 * ending in `.json` → that file; anything else is a base URL holding `versions-manifest.json`.
 */
export function manifestUrl(mirror: string | undefined): string {
  const value = (mirror ?? '').trim();
  if (value === '') return DEFAULT_MANIFEST_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActionError(
      `'${Inputs.PythonMirror}' must be an http(s) URL (a base URL serving ${MANIFEST_FILE} and the archives), not '${displayUrl(value)}'.`
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ActionError(
      `'${Inputs.PythonMirror}' must be an http(s) URL, not '${displayUrl(value)}'.`
    );
  }
  if (url.pathname.endsWith('.json')) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${MANIFEST_FILE}`;
  return url.toString();
}

/**
 * Where to download a build from. Relative `download_url`s resolve against the manifest. A
 * manifest served from elsewhere than GitHub (a mirror) that still points at GitHub, as a
 * verbatim copy of the upstream one does, gets the archive from beside itself: a mirror never
 * makes the runner reach GitHub.
 */
export function archiveUrl(file: ManifestFile, fromManifest: string): string {
  const url = new URL(file.download_url, fromManifest).toString();
  if (!isGitHubUrl(fromManifest) && isGitHubUrl(url)) {
    return new URL(encodeURIComponent(file.filename), fromManifest).toString();
  }
  return url;
}

function invalid(url: string, why: string): ActionError {
  return new ActionError(
    `The Python versions manifest from ${displayUrl(url)} is not a versions manifest: ${why}. ` +
      `It must be a JSON list like actions/python-versions' ${MANIFEST_FILE}.`
  );
}

/** Parses and checks a manifest's text; errors name the URL and the first bad entry. */
export function parseManifest(text: string, url: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ActionError(
      `The Python versions manifest from ${displayUrl(url)} is not valid JSON (${errorMessage(error)}). ` +
        `Check that the URL serves ${MANIFEST_FILE} itself, not an error or login page.`
    );
  }
  if (!Array.isArray(data)) throw invalid(url, `it is ${data === null ? 'null' : typeof data}`);
  data.forEach((entry: unknown, index: number) => {
    const release = entry as Partial<ManifestRelease> | null;
    const label = `entry ${index}${typeof release?.version === 'string' ? ` (${release.version})` : ''}`;
    if (typeof release !== 'object' || release === null)
      throw invalid(url, `${label} is no object`);
    if (typeof release.version !== 'string') throw invalid(url, `${label} has no 'version'`);
    if (typeof release.stable !== 'boolean') throw invalid(url, `${label} has no 'stable' flag`);
    if (!Array.isArray(release.files)) throw invalid(url, `${label} has no 'files' list`);
    release.files.forEach((file: unknown, fileIndex: number) => {
      const f = file as Record<string, unknown> | null;
      const missing = ['filename', 'arch', 'platform', 'download_url'].find(
        key => typeof f?.[key] !== 'string'
      );
      if (missing) throw invalid(url, `file ${fileIndex} of ${label} has no '${missing}'`);
    });
  });
  return data as Manifest;
}

function fetchHint(url: string, status: number | undefined): string {
  const github = isGitHubUrl(url);
  if (status === 404) {
    return github
      ? 'Check the URL.'
      : `Check '${Inputs.PythonMirror}': it must be a base URL serving ${MANIFEST_FILE} (or the manifest's own URL).`;
  }
  if (github && (status === 403 || status === 429)) {
    return `GitHub's rate limit was probably hit: pass a token in '${Inputs.Token}' (the default github.token does), or serve the manifest from a mirror ('${Inputs.PythonMirror}').`;
  }
  if (status === 401 || status === 403) return 'The server refused access.';
  return 'Re-run the job later, or serve the manifest and archives from a mirror (python-mirror).';
}

/** The manifest could not be downloaded: `reason` says what happened, the message adds the advice. */
export class ManifestFetchError extends ActionError {
  constructor(
    readonly reason: string,
    hint: string
  ) {
    super(`${reason} ${hint}`);
    this.name = 'ManifestFetchError';
  }
}

/**
 * Downloads and parses a versions manifest (through @actions/tool-cache: proxies, retries on
 * 5xx). The token goes to GitHub hosts only.
 */
export async function fetchManifest(
  url: string,
  token?: string,
  tempDir?: string
): Promise<Manifest> {
  const tc = await toolCacheClient();
  const dir = await mkdtemp(path.join(tempDir ?? os.tmpdir(), 'setup-django-manifest-'));
  try {
    const file = path.join(dir, MANIFEST_FILE);
    try {
      const request = requestFor(url);
      await tc.downloadTool(
        request.url,
        file,
        request.authorization ?? authorizationFor(request.url, token)
      );
    } catch (error) {
      const status = error instanceof tc.HTTPError ? error.httpStatusCode : undefined;
      const what = status ? `HTTP ${status}` : `connection error: ${errorMessage(error)}`;
      throw new ManifestFetchError(
        `Could not fetch the Python versions manifest from ${displayUrl(url)} (${what}).`,
        fetchHint(url, status)
      );
    }
    return parseManifest(await readFile(file, 'utf8'), url);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
