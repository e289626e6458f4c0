// Downloads the Instant Client zips into a work folder, verified and inspected before anything is unpacked.
import * as core from '@actions/core';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { toolCacheClient } from '../../cache/client.js';
import { ActionError, errorMessage } from '../../errors.js';
import { displayUrl, requestFor } from '../../url.js';
import { verifyDownload } from './verify.js';
import { ORACLE_INPUTS, type OracleDownload } from './versions.js';
import { checkInstantClientEntries, listZipEntries } from './zip.js';

export interface Fetched {
  download: OracleDownload;
  file: string;
  sha256: string;
}

function downloadHint(
  d: OracleDownload,
  status: number | undefined,
  mirror: string | undefined
): string {
  if (status === 404 || status === 403) {
    return mirror
      ? `Check that the mirror '${displayUrl(mirror)}' holds ${d.fileName} (Oracle's file name).`
      : `Oracle removes older releases: pick a version it still lists, or serve the zip from a mirror through '${ORACLE_INPUTS.url}'.`;
  }
  if (status) return 'The server failed 3 times in a row; re-run the job later, or use a mirror.';
  return 'The connection failed or broke off 3 times in a row (refused, reset or a truncated download); re-run the job later, or use a mirror.';
}

async function download(d: OracleDownload, dir: string, mirror?: string): Promise<Fetched> {
  const file = path.join(dir, d.fileName);
  const shown = displayUrl(d.url);
  core.info(`Downloading ${shown}`);
  try {
    const request = requestFor(d.url);
    await (await toolCacheClient()).downloadTool(request.url, file, request.authorization);
  } catch (error) {
    rmSync(file, { force: true });
    const { HTTPError } = await toolCacheClient();
    const status = error instanceof HTTPError ? error.httpStatusCode : undefined;
    const what = status ? `HTTP ${status}` : `connection error: ${errorMessage(error)}`;
    throw new ActionError(
      `Downloading the Oracle Instant Client ${d.component} zip from ${shown} failed (${what}). ` +
        `Nothing was installed. ${downloadHint(d, status, mirror)}`
    );
  }
  return { download: d, file, sha256: await verifyDownload(d, file) };
}

/** Downloads, verifies and inspects every zip before anything touches the tool cache. */
export async function fetchAll(
  downloads: OracleDownload[],
  work: string,
  mirror?: string
): Promise<{ fetched: Fetched[]; topDir: string }> {
  const fetched: Fetched[] = [];
  for (const d of downloads) {
    fetched.push(await download(d, work, mirror));
  }
  let topDir: string | undefined;
  for (const { download: d, file } of fetched) {
    const label = `${d.fileName} (${displayUrl(d.url)})`;
    const dir = checkInstantClientEntries(listZipEntries(file, label), label);
    if ((d.dirName && dir !== d.dirName) || (topDir && dir !== topDir)) {
      throw new ActionError(
        `${d.fileName} unpacks to ${dir}/, not ${d.dirName ?? topDir}/: the zips are of different ` +
          `versions. Nothing was installed; check '${ORACLE_INPUTS.url}' serves the requested version.`
      );
    }
    topDir = dir;
  }
  return { fetched, topDir: topDir as string };
}
