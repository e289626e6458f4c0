import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = process.cwd();
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

/** The modules a file imports values from (`import type` lines are left out). */
function valueImports(file: string): string[] {
  const source = read(file);
  const imports = [...source.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)';/gms)];
  return imports.map(match => match[1]);
}

/** A relative import resolved to a path from the repository root (`./x.js` → `src/x.ts`). */
function resolved(from: string, specifier: string): string {
  return path.join(path.dirname(from), specifier).replace(/\.js$/, '.ts').split(path.sep).join('/');
}

const LEAVES = [
  'src/constants.ts',
  'src/errors.ts',
  'src/paths.ts',
  'src/url.ts',
  'src/suggest.ts',
  'src/control-characters.ts',
  'src/decisions.ts',
  'src/summary-review.ts'
];

function isLeaf(file: string): boolean {
  return file.startsWith('src/vocabulary/') || LEAVES.includes(file);
}

describe('docs/architecture.md', () => {
  const doc = read('docs/architecture.md');
  const named = [...doc.matchAll(/`((?:src|scripts|docs|__tests__)\/[^`\s]*)`/g)].map(m => m[1]);

  it('names paths', () => {
    expect(named.length).toBeGreaterThan(20);
  });

  it.each([...new Set(named)])('names %s, which exists', file => {
    expect(existsSync(path.join(root, file))).toBe(true);
  });

  it('names every vocabulary module', () => {
    for (const file of readdirSync(path.join(root, 'src/vocabulary'))) {
      expect(named).toContain(`src/vocabulary/${file}`);
    }
  });
});

describe('the doors import no phase', () => {
  it.each(['src/inputs.ts', 'src/summary.ts'])('%s imports values only from leaf modules', door => {
    const local = valueImports(door)
      .filter(specifier => specifier.startsWith('.'))
      .map(specifier => resolved(door, specifier));
    expect(local.filter(file => !isLeaf(file))).toEqual([]);
  });

  it.each(readdirSync(path.join(root, 'src/vocabulary')).map(file => `src/vocabulary/${file}`))(
    '%s imports only constants.ts and errors.ts',
    file => {
      const local = valueImports(file)
        .filter(specifier => specifier.startsWith('.'))
        .map(specifier => resolved(file, specifier));
      expect(local.filter(f => !['src/constants.ts', 'src/errors.ts'].includes(f))).toEqual([]);
    }
  );

  it('the leaves outside src/vocabulary/ import values from no project module but each other', () => {
    for (const leaf of LEAVES) {
      const local = valueImports(leaf)
        .filter(specifier => specifier.startsWith('.'))
        .map(specifier => resolved(leaf, specifier));
      expect({ leaf, outside: local.filter(file => !isLeaf(file)) }).toEqual({
        leaf,
        outside: []
      });
    }
  });
});
