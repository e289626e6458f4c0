// Tests that change the system (apt installs, the loader's configuration) need root or
// passwordless sudo: without them they fail, naming the fix, instead of skipping.
import { execFileSync } from 'node:child_process';

function canAdminister(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    execFileSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function requireAdministration(what: string): void {
  if (!canAdminister()) {
    throw new Error(
      `${what} needs root or passwordless sudo: run the suite as CI does, with \`sudo bash .ci/run\`.`
    );
  }
}
