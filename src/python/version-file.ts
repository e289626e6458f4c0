// Where the Python version comes from: the input, a named file, or the project's own version files.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { Inputs } from '../constants.js';
import { ActionError, errorMessage } from '../errors.js';

export interface SpecSource {
  spec: string;
  /** Human description: "input 'python-version'", "file .python-version", ... */
  source: string;
  /** The file it came from, when it came from one. */
  file?: string;
}

/** Files searched, in order, when neither input names a version. */
const AUTO_VERSION_FILES = ['.python-version', 'runtime.txt', '.tool-versions', 'pyproject.toml'];

function stripBom(text: string): string {
  return text.replace(/^\uFEFF/, '');
}

function firstMeaningfulLine(text: string): string | undefined {
  return stripBom(text)
    .split(/\r?\n/)
    .map(line => line.replace(/#.*$/, '').trim())
    .find(line => line !== '');
}

/** `.python-version`: the first non-comment line (pyenv allows several; the first wins). */
export function parsePythonVersionFile(text: string): string | undefined {
  const line = firstMeaningfulLine(text);
  // pyenv also accepts `3.11.7/envs/name` and `system`; only the version part means anything here.
  return line?.split(/\s+/)[0]?.replace(/\/envs\/.*$/, '');
}

/** `runtime.txt` (Heroku style): `python-3.11.7`. */
export function parseRuntimeTxt(text: string): string | undefined {
  const line = firstMeaningfulLine(text);
  const match = line && /^python-(.+)$/.exec(line);
  return match ? match[1].trim() : undefined;
}

/** `.tool-versions` (asdf / mise): `python 3.11.7 3.10.13` → the first version. */
export function parseToolVersions(text: string): string | undefined {
  for (const line of stripBom(text).split(/\r?\n/)) {
    const fields = line.replace(/#.*$/, '').trim().split(/\s+/);
    if (fields[0] === 'python' && fields[1]) return fields[1];
  }
  return undefined;
}

/** `pyproject.toml`: `[project] requires-python`, else Poetry's `python` dependency. */
export function parsePyproject(text: string, file: string): string | undefined {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(stripBom(text)) as Record<string, unknown>;
  } catch (error) {
    throw new ActionError(`${file} is not valid TOML: ${errorMessage(error)}`);
  }
  const project = doc.project as Record<string, unknown> | undefined;
  if (typeof project?.['requires-python'] === 'string') return project['requires-python'];
  const tool = doc.tool as Record<string, Record<string, Record<string, unknown>>> | undefined;
  const poetryPython = tool?.poetry?.dependencies?.python;
  return typeof poetryPython === 'string' ? poetryPython : undefined;
}

function parseByName(file: string, text: string): string | undefined {
  switch (path.basename(file)) {
    case 'runtime.txt':
      return parseRuntimeTxt(text);
    case '.tool-versions':
      return parseToolVersions(text);
    case 'pyproject.toml':
      return parsePyproject(text, file);
    default:
      return parsePythonVersionFile(text);
  }
}

function display(file: string, projectDir: string): string {
  const relative = path.relative(projectDir, file);
  return relative.startsWith('..') ? file : relative;
}

/**
 * Chooses the version spec: the `python-version` input, else `python-version-file`, else
 * the first project file that names one. Undefined when nothing does.
 */
export function findVersionSpec(
  input: string,
  inputFile: string,
  projectDir: string
): SpecSource | undefined {
  if (input !== '') return { spec: input, source: `input '${Inputs.PythonVersion}'` };
  if (inputFile !== '') {
    if (!existsSync(inputFile)) {
      throw new ActionError(
        `The file given in '${Inputs.PythonVersionFile}' was not found: ${inputFile}. The path is relative to '${Inputs.WorkingDirectory}'.`
      );
    }
    const spec = parseByName(inputFile, readFileSync(inputFile, 'utf8'));
    if (!spec) {
      throw new ActionError(
        `No Python version found in ${inputFile} (from '${Inputs.PythonVersionFile}'). Write a version such as 3.12 in it, or set '${Inputs.PythonVersion}'.`
      );
    }
    return { spec, source: `file ${display(inputFile, projectDir)}`, file: inputFile };
  }
  for (const name of AUTO_VERSION_FILES) {
    const file = path.join(projectDir, name);
    if (!existsSync(file)) continue;
    const spec = parseByName(file, readFileSync(file, 'utf8'));
    if (spec) return { spec, source: `file ${name}`, file };
  }
  return undefined;
}
