// Path facts shared by the doors and the phases. A leaf.
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';

/** Whether `child` is `parent` or below it (lexically: no symlinks are resolved). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The first executable file called `name` in the directories of `searchPath` (a PATH value). */
export function findExecutable(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
