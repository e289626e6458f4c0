import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeChange, parseVenvContents, readVenvContents } from '../../src/venv/contents.js';

describe('what the main step left in the venv', () => {
  const venv = mkdtempSync(path.join(os.tmpdir(), 'contents-'));
  const site = path.join(venv, 'lib', 'python3.11', 'site-packages');
  afterAll(() => rmSync(venv, { recursive: true, force: true }));
  const install = (dist: string, record: string): void => {
    mkdirSync(path.join(site, dist), { recursive: true });
    writeFileSync(path.join(site, dist, 'RECORD'), record);
  };

  it('records the distributions with versions, and names what a later step changed', () => {
    install('Django-5.2.17.dist-info', 'django/__init__.py,sha256=a,1\n');
    writeFileSync(path.join(site, '__editable__.shop-0.1.pth'), '/w/src\n');
    const recorded = readVenvContents(venv);
    expect(recorded.packages).toEqual(['Django-5.2.17.dist-info']);
    expect(parseVenvContents(JSON.stringify(recorded))).toEqual(recorded);
    // Bytecode written by imports is not a change.
    mkdirSync(path.join(site, 'django', '__pycache__'), { recursive: true });
    writeFileSync(path.join(site, 'django', '__pycache__', 'x.pyc'), '');
    expect(describeChange(recorded, readVenvContents(venv))).toBeUndefined();

    install('six-1.17.0.dist-info', 'six.py,sha256=b,1\n');
    expect(describeChange(recorded, readVenvContents(venv))).toBe('added six-1.17.0');
    rmSync(path.join(site, 'six-1.17.0.dist-info'), { recursive: true });
    rmSync(path.join(site, 'Django-5.2.17.dist-info'), { recursive: true });
    install('Django-5.2.18.dist-info', 'django/__init__.py,sha256=a,1\n');
    expect(describeChange(recorded, readVenvContents(venv))).toBe(
      'added Django-5.2.18; removed Django-5.2.17'
    );
    rmSync(path.join(site, 'Django-5.2.18.dist-info'), { recursive: true });
    install('Django-5.2.17.dist-info', 'django/__init__.py,sha256=OTHER,1\n');
    expect(describeChange(recorded, readVenvContents(venv))).toMatch(/installed files .* changed/);
  });

  it('treats missing or malformed state as nothing recorded', () => {
    expect(parseVenvContents('')).toBeUndefined();
    expect(parseVenvContents('{"packages": "x", "digest": "y"}')).toBeUndefined();
  });
});
