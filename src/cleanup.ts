// Working files removed on every way out of a step: success, failure and cancellation. A
// cancelled step exits from exec.ts's SIGTERM / SIGINT handler (process.exit), where `finally`
// blocks never run; 'exit' listeners still do, synchronously. (That handler is installed by the
// first command run, which comes before any working file is written.)

const cleanups = new Set<() => void>();
let installed = false;

function runCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // best effort: the process is on its way out
    }
  }
}

/**
 * Runs `cleanup` (synchronous) when the process exits (process.exit, an uncaught error or the
 * end of its work; a SIGKILL runs nothing: the next run removes what is left), unless the
 * returned function is called first (the normal path cleaned up already).
 */
export function cleanUpOnExit(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runCleanups);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
