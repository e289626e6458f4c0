// Keeps @actions/core's `::debug::` lines (modules under test run in-process) out of the test
// output; RUNNER_DEBUG=1 shows them, as on a runner.
if (process.env.RUNNER_DEBUG !== '1') {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk === 'string' && chunk.startsWith('::debug::')) return true;
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
}
