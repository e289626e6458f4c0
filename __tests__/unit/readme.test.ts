import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { installCommand } from '../../scripts/check-prerequisites.mjs';
import { updateReadme } from '../../scripts/readme-tables.mjs';

const root = process.cwd();
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

describe('README.md', () => {
  it('has the inputs and outputs tables of action.yml (run `node scripts/readme-tables.mjs` when this fails)', () => {
    expect(read('README.md')).toBe(updateReadme(read('README.md'), read('action.yml')));
  });

  it('starts with the demo and the test command', () => {
    const top = read('README.md').split('\n').slice(0, 30).join('\n');
    expect(top).toContain('npm ci && npm run demo');
    expect(top).toContain('npm test');
  });

  it('.ci/run runs the README’s test command', () => {
    expect(read('.ci/run')).toMatch(/^npm test$/m);
  });

  it('gives the command for a bare machine and the demo on your own project at the top', () => {
    const top = read('README.md').split('## Contents')[0];
    expect(top).toMatch(/^bash \.ci\/run +#/m);
    expect(top).toContain('npm run demo -- path/to/django-project [--input name=value ...]');
    expect(top).toContain('![The job summary');
  });

  it('README, CONTRIBUTING and npm test’s prerequisite check give one and the same package list', () => {
    const command = installCommand();
    expect(command).toContain('postgresql gcc libc6-dev libaio-dev unzip zstd python3-venv');
    expect(read('README.md')).toContain(command);
    expect(read('CONTRIBUTING.md')).toContain(command);
    expect(read('.ci/run')).toContain('.ci/apt-packages.txt');
    expect(JSON.parse(read('package.json')).scripts.pretest).toBe(
      'node scripts/check-prerequisites.mjs'
    );
  });

  it('npm test’s pretest fails at once with the install command when a prerequisite is missing', () => {
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'scripts', 'check-prerequisites.mjs')],
      {
        env: { PATH: path.join(root, 'no-such-dir'), PG_BINDIR: path.join(root, 'no-such-dir') },
        encoding: 'utf8',
        timeout: 20000
      }
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^npm test needs what this machine lacks: PostgreSQL server binaries \(initdb, pg_ctl\), gcc, /
    );
    expect(run.stderr).toContain(installCommand());
    expect(run.stderr).toContain('sudo bash .ci/run');
  });

  it('has a table of contents whose links all lead to a heading', () => {
    const readme = read('README.md');
    const slug = (heading: string): string =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    const anchors = new Set(
      [...readme.matchAll(/^#{2,3} (.+)$/gm)].map(([, heading]) => slug(heading))
    );
    const contents = readme.split('## Contents')[1].split('\n## ')[0];
    const links = [...contents.matchAll(/\]\(#([^)]+)\)/g)].map(([, anchor]) => anchor);
    expect(links.length).toBeGreaterThan(10);
    for (const link of links) expect(anchors).toContain(link);
    for (const heading of [...readme.matchAll(/^## (.+)$/gm)].map(([, h]) => slug(h)))
      if (!['contents', 'license'].includes(heading)) expect(links).toContain(heading);
  });

  it('keeps the performance notes in docs/performance.md, with a short table in the README', () => {
    const readme = read('README.md');
    const section = readme.split('## Performance\n')[1].split('\n## ')[0];
    expect(section.split('\n').length).toBeLessThan(20);
    expect(section).toContain('(docs/performance.md)');
    expect(read('docs/performance.md')).toContain('## Measured choices');
  });

  it('shows a real job summary picture (a PNG from scripts/summary-picture.mjs)', () => {
    const png = readFileSync(path.join(root, 'docs', 'job-summary.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(read('README.md')).toContain('(docs/job-summary.png)');
  });
});

describe('release status', () => {
  const version = JSON.parse(read('package.json')).version as string;

  it('package.json, CHANGELOG and the README agree on the first version', () => {
    expect(version).toBe('1.0.0');
    const first = /^## \[([^\]]+)\]/m.exec(read('CHANGELOG.md'))?.[1];
    expect(first).toBe(version);
    expect(read('README.md')).toContain(`prepare **${version}**`);
  });

  it('the release workflow refuses a tag other than v + package.json’s version', () => {
    const release = parse(read('.github/workflows/release.yml'));
    const script = release.jobs['move-major-tag'].steps
      .map((s: { run?: string }) => s.run ?? '')
      .join('\n');
    expect(script).toContain('require("./package.json").version');
    expect(script).toContain('"$TAG" != "v$version"');
    expect(script).toMatch(/CHANGELOG\.md/);
  });

  it('the Quick start installs Python once (no setup-python step) and says how to pin before v1', () => {
    const quick = read('README.md').split('## Quick start\n')[1].split('\n## ')[0];
    const workflow = quick.split('```')[1];
    expect(workflow).not.toContain('actions/setup-python');
    expect(quick).toMatch(/setup-django\/setup-django@main # @v1 once v1\.0\.0 is released/);
    expect(read('README.md')).toMatch(/or better a full commit SHA/);
  });
});
