// Whether a process still runs: a zombie (killed, not yet reaped by its parent) counts as gone.
import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ...", comm may hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Whether the process is still there after a SIGKILL had time to land: a killed process leaves
 * within milliseconds, but on a loaded machine not always before the next line of the test.
 */
export async function stillAliveAfterKill(pid: number, waitMs = 5000): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
  return isAlive(pid);
}
