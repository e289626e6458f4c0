import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseManifest, wheelhouseHash, type ArtifactManifest } from '../../src/django/deploy.js';

describe('the deploy artifact', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'deploy-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = {
    manifestVersion: 1,
    pythonVersion: '3.11.7',
    djangoVersion: '5.2.17',
    settingsModule: 'mysite.settings',
    requirementsFiles: ['requirements.txt'],
    wheelhouse: 'wheelhouse',
    wheels: ['Django-5.2.17-py3-none-any.whl']
  } as ArtifactManifest;

  it('keys the venv by the wheels and requirements, not by the app code', () => {
    mkdirSync(path.join(dir, 'wheelhouse'), { recursive: true });
    writeFileSync(path.join(dir, 'requirements.txt'), 'Django==5.2.17\n');
    writeFileSync(path.join(dir, 'wheelhouse', manifest.wheels[0]), 'wheel bytes');
    writeFileSync(path.join(dir, 'views.py'), 'release 1');
    const first = wheelhouseHash(dir, manifest);
    writeFileSync(path.join(dir, 'views.py'), 'release 2');
    expect(wheelhouseHash(dir, manifest)).toBe(first);
    writeFileSync(path.join(dir, 'wheelhouse', manifest.wheels[0]), 'other wheel bytes');
    expect(wheelhouseHash(dir, manifest)).not.toBe(first);
  });

  it('refuses a manifest that is not JSON, of another version, or incomplete, naming the file', () => {
    expect(() => parseManifest('{', '/t/a.tar.gz')).toThrow(
      /'from-artifact' \/t\/a\.tar\.gz: its setup-django-manifest\.json is not valid JSON .*corrupt/
    );
    expect(() =>
      parseManifest(JSON.stringify({ ...manifest, manifestVersion: 9 }), '/t/a.tar.gz')
    ).toThrow(/manifestVersion 9; this version of setup-django reads 1/);
    const { wheels: _wheels, ...incomplete } = manifest;
    expect(() => parseManifest(JSON.stringify(incomplete), '/t/a.tar.gz')).toThrow(/lacks wheels/);
    expect(parseManifest(JSON.stringify(manifest), '/t/a.tar.gz').djangoVersion).toBe('5.2.17');
  });
});
