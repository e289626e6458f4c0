// Path facts shared by the doors and the phases. A leaf.
import path from 'node:path';

/** Whether `child` is `parent` or below it (lexically: no symlinks are resolved). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
