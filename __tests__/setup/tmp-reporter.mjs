// @ts-check
// Removes the run's temporary folder (see global-setup.mjs) when every test passed; keeps it,
// and says where, when a test failed or KEEP_TEST_TMP=1 asks for it.
import { rmSync } from 'node:fs';

export default class TmpReporter {
  /**
   * @param {unknown} _contexts
   * @param {{ numFailedTests: number, numFailedTestSuites: number, numRuntimeErrorTestSuites: number }} results
   */
  onRunComplete(_contexts, results) {
    const dir = process.env.SETUP_DJANGO_TEST_TMP;
    if (!dir) return;
    const failed =
      results.numFailedTests + results.numFailedTestSuites + results.numRuntimeErrorTestSuites > 0;
    if (failed || process.env.KEEP_TEST_TMP === '1') {
      process.stderr.write(`Test files kept in ${dir} (delete it when done).\n`);
      return;
    }
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      process.stderr.write(`Could not remove ${dir}: ${/** @type {Error} */ (error).message}\n`);
    }
  }
}
