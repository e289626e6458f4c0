// Reads a zip's central directory and refuses entries (or symlinks) that would land outside the target.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { ActionError } from '../../errors.js';

export interface ZipEntry {
  name: string;
  isDirectory: boolean;
  isSymlink: boolean;
  /** For symlinks: the link target stored as the entry's data. */
  linkTarget?: string;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  const read = readSync(fd, buffer, 0, length, position);
  return buffer.subarray(0, read);
}

class NotAZip extends Error {}

interface Directory {
  offset: number;
  size: number;
  count: number;
}

function zip64Directory(fd: number, eocdAt: number): Directory {
  const locator = readAt(fd, eocdAt - 20, 20);
  if (locator.length < 20 || locator.readUInt32LE(0) !== ZIP64_LOCATOR) {
    throw new NotAZip('zip64 locator missing');
  }
  const record = readAt(fd, Number(locator.readBigUInt64LE(8)), 56);
  if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) {
    throw new NotAZip('zip64 end record missing');
  }
  return {
    count: Number(record.readBigUInt64LE(32)),
    size: Number(record.readBigUInt64LE(40)),
    offset: Number(record.readBigUInt64LE(48))
  };
}

function findDirectory(fd: number): Directory {
  const size = fstatSync(fd).size;
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = readAt(fd, size - tailLength, tailLength);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD) continue;
    const count = tail.readUInt16LE(i + 10);
    const dirSize = tail.readUInt32LE(i + 12);
    const offset = tail.readUInt32LE(i + 16);
    if (count === 0xffff || dirSize === 0xffffffff || offset === 0xffffffff) {
      return zip64Directory(fd, size - tailLength + i);
    }
    return { count, size: dirSize, offset };
  }
  throw new NotAZip('end of central directory not found');
}

function readLinkTarget(
  fd: number,
  localOffset: number,
  method: number,
  compressed: number
): string {
  const header = readAt(fd, localOffset, 30);
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) {
    throw new NotAZip('local header missing');
  }
  const start = localOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const data = readAt(fd, start, Math.min(compressed, 4096));
  if (method === 0) return data.toString('utf8');
  if (method === 8) return inflateRawSync(data).toString('utf8');
  throw new NotAZip(`symlink stored with unsupported method ${method}`);
}

function parseEntries(fd: number, directory: Directory): ZipEntry[] {
  const buffer = readAt(fd, directory.offset, directory.size);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let n = 0; n < directory.count; n++) {
    if (at + 46 > buffer.length || buffer.readUInt32LE(at) !== CENTRAL) {
      throw new NotAZip('central directory is damaged');
    }
    const madeBy = buffer.readUInt16LE(at + 4) >> 8;
    const utf8 = (buffer.readUInt16LE(at + 8) & 0x800) !== 0;
    const method = buffer.readUInt16LE(at + 10);
    const compressed = buffer.readUInt32LE(at + 20);
    const nameLength = buffer.readUInt16LE(at + 28);
    const skip = buffer.readUInt16LE(at + 30) + buffer.readUInt16LE(at + 32);
    const mode = (buffer.readUInt32LE(at + 38) >>> 16) & S_IFMT;
    const localOffset = buffer.readUInt32LE(at + 42);
    const name = buffer.subarray(at + 46, at + 46 + nameLength).toString(utf8 ? 'utf8' : 'latin1');
    const unix = madeBy === 3;
    const isSymlink = unix && mode === S_IFLNK;
    entries.push({
      name,
      isDirectory: name.endsWith('/') || (unix && mode === S_IFDIR),
      isSymlink,
      ...(isSymlink ? { linkTarget: readLinkTarget(fd, localOffset, method, compressed) } : {})
    });
    at += 46 + nameLength + skip;
  }
  return entries;
}

/** Lists a zip's entries from its central directory (what unzip itself reads). */
export function listZipEntries(file: string, label = file): ZipEntry[] {
  const fd = openSync(file, 'r');
  try {
    return parseEntries(fd, findDirectory(fd));
  } catch (error) {
    if (error instanceof NotAZip || error instanceof RangeError) {
      throw new ActionError(
        `${label} is not a readable zip archive (${error.message}): the download is truncated or ` +
          `the server sent something else. Nothing was installed; check the URL and try again.`
      );
    }
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** Splits on both separators: unzip treats a backslash in a name as a directory separator too. */
function segments(name: string): string[] {
  return name.split(/[\\/]+/).filter(part => part !== '' && part !== '.');
}

function escapes(name: string): boolean {
  return (
    name === '' ||
    name.includes('\0') ||
    /^[\\/]/.test(name) ||
    /^[A-Za-z]:/.test(name) ||
    name.split(/[\\/]/).includes('..')
  );
}

function linkEscapes(entry: ZipEntry, topDir: string): boolean {
  const target = entry.linkTarget ?? '';
  if (
    target === '' ||
    target.includes('\0') ||
    /^[\\/]/.test(target) ||
    /^[A-Za-z]:/.test(target)
  ) {
    return true;
  }
  const resolved = path.posix.normalize(
    path.posix.join(path.posix.dirname(segments(entry.name).join('/')), target.replace(/\\/g, '/'))
  );
  return !(resolved === topDir || resolved.startsWith(`${topDir}/`));
}

function refuse(label: string, entry: string, why: string): ActionError {
  return new ActionError(
    `${label} contains an entry that ${why}: '${entry}'. Nothing was installed. An Oracle Instant ` +
      `Client zip only holds one instantclient_<major>_<minor>/ directory (and META-INF/): the ` +
      `archive was tampered with or is not an Instant Client zip. Check the download source.`
  );
}

/**
 * Checks every entry stays inside one `instantclient_X_Y/` top directory (META-INF/ aside) and
 * every symlink points inside it; returns that directory's name.
 */
export function checkInstantClientEntries(entries: ZipEntry[], label: string): string {
  let topDir: string | undefined;
  for (const entry of entries) {
    if (escapes(entry.name))
      throw refuse(label, entry.name, 'would be written outside the target directory');
    const [first] = segments(entry.name);
    if (first === 'META-INF') continue;
    if (!/^instantclient_\d+_\d+$/.test(first ?? '')) {
      throw refuse(label, entry.name, 'lies outside an instantclient_<major>_<minor>/ directory');
    }
    if (topDir !== undefined && first !== topDir) {
      throw refuse(
        label,
        entry.name,
        `lies outside ${topDir}/, the directory of the other entries`
      );
    }
    topDir = first;
  }
  if (topDir === undefined) {
    throw new ActionError(
      `${label} holds no instantclient_<major>_<minor>/ directory: it is not an Oracle Instant Client zip.`
    );
  }
  for (const entry of entries) {
    if (entry.isSymlink && linkEscapes(entry, topDir)) {
      throw refuse(
        label,
        `${entry.name} -> ${entry.linkTarget}`,
        'is a symlink pointing outside the target directory'
      );
    }
  }
  return topDir;
}
