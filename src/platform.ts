// Facts about the runner, detected once: OS, distribution and its version, architecture.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface Platform {
  os: 'linux' | 'darwin' | 'win32';
  /** `ubuntu`, `debian`, ... (`macos` / `windows` elsewhere). */
  distro: string;
  /** `24.04`, `12`, ... (the kernel release where no os-release exists). */
  distroVersion: string;
  /** Node's arch names as the tool cache uses them: `x64`, `arm64`. */
  arch: string;
}

/** Parses /etc/os-release (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]] = match[2].replace(/^(["'])(.*)\1$/, '$2');
  }
  return fields;
}

export function detectPlatform(osReleasePath = '/etc/os-release'): Platform {
  const platform = process.platform;
  if (platform !== 'linux' && platform !== 'darwin' && platform !== 'win32') {
    throw new Error(`Unsupported platform ${platform}`);
  }
  let distro = platform === 'darwin' ? 'macos' : platform === 'win32' ? 'windows' : 'linux';
  let distroVersion = os.release();
  if (platform === 'linux') {
    try {
      const fields = parseOsRelease(readFileSync(osReleasePath, 'utf8'));
      distro = fields.ID ?? distro;
      distroVersion = fields.VERSION_ID ?? distroVersion;
    } catch {
      // No os-release (minimal containers): the kernel release keeps keys apart.
    }
  }
  return { os: platform, distro, distroVersion, arch: os.arch() };
}
