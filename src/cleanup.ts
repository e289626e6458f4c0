// Working files removed on every way out of a step: success, failure and cancellation. A
// cancelled step (SIGTERM / SIGINT) exits from a signal handler, where `finally` blocks never
// run; 'exit' listeners still do, synchronously.

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

function onSignal(signal: NodeJS.Signals): void {
  // exec.ts stops the running commands and exits on the same signal; should no command have
  // run yet (no handler of its own), the step still ends, as it would without this listener.
  setImmediate(() => process.exit(signal === 'SIGINT' ? 130 : 143));
}

/**
 * Runs `cleanup` (synchronous) when the process exits, however it exits, unless the returned
 * function is called first (the normal path cleaned up already).
 */
export function cleanUpOnExit(cleanup: () => void): () => void {
  if (!installed) {
    installed = true;
    process.once('exit', runCleanups);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
