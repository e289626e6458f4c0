// Checksums: which downloads are verified (with a notice for those that are not) and the SHA-256 check of a zip.
import * as core from '@actions/core';
import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { ActionError } from '../../errors.js';
import { displayUrl } from '../../url.js';
import { ORACLE_INPUTS, tableSha256, type OracleDownload } from './versions.js';

/** Warns about pins that differ from the table; notices (and false) when any zip has no checksum. */
export function describeVerification(downloads: OracleDownload[], arch: string): boolean {
  for (const d of downloads) {
    const table = tableSha256(d, arch);
    if (d.sha256Source === 'input' && table && table !== d.sha256) {
      core.warning(
        `The ${ORACLE_INPUTS.sha256} pin for ${d.fileName} (${d.sha256}) differs from the checksum ` +
          `published for it (${table}); using the pin.`
      );
    }
  }
  const unverified = downloads.filter(d => !d.sha256);
  if (unverified.length === 0) return true;
  const what =
    downloads[0].version === 'latest'
      ? "Oracle's 'latest' permalink"
      : `version ${downloads[0].version}`;
  core.notice(
    `Oracle Instant Client ${what} cannot be verified: no published SHA-256 for ` +
      `${unverified.map(d => d.fileName).join(', ')}. Pin a version with known checksums, or give ` +
      `them in '${ORACLE_INPUTS.sha256}' (component=sha256).`,
    { title: 'Oracle Instant Client not verified' }
  );
  return false;
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The downloaded file's SHA-256; on a mismatch with the expected one it deletes the file and throws. */
export async function verifyDownload(d: OracleDownload, file: string): Promise<string> {
  const actual = await sha256File(file);
  if (d.sha256 && actual !== d.sha256) {
    rmSync(file, { force: true });
    const from =
      d.sha256Source === 'input' ? `'${ORACLE_INPUTS.sha256}'` : 'the published checksum';
    throw new ActionError(
      `SHA-256 mismatch for ${d.fileName} downloaded from ${displayUrl(d.url)}: expected ${d.sha256} (${from}), ` +
        `got ${actual}. The download was deleted and nothing was installed. If you pinned the ` +
        `checksum, check it; otherwise the file was truncated, changed or tampered with.`
    );
  }
  if (!d.sha256) core.info(`${d.fileName}: SHA-256 ${actual} (not verified)`);
  return actual;
}
