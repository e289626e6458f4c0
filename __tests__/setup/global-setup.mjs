// @ts-check
// One temporary folder per test run: every test's mkdtemp (os.tmpdir(), Python's tempfile, the
// spawned bundles' RUNNER_TEMP) lands under it, so the run can remove it whole when it passes.
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function globalSetup() {
  if (process.env.SETUP_DJANGO_TEST_TMP) return;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'setup-django-tests-'));
  // World-writable and sticky like /tmp: the PostgreSQL tests hand folders to the postgres user.
  chmodSync(dir, 0o1777);
  process.env.SETUP_DJANGO_TEST_TMP = dir;
  process.env.TMPDIR = dir;
}
