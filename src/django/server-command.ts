// The WSGI/ASGI server's deploy command: the application it runs (from the settings) and its arguments.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ActionError } from '../errors.js';

import type { ServerKind } from '../vocabulary/server.js';

export { SERVER_KINDS, type ServerKind } from '../vocabulary/server.js';

/** WSGI_APPLICATION / ASGI_APPLICATION as the settings report them (dotted paths). */
export interface ServerApp {
  wsgi?: string | null;
  asgi?: string | null;
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** The project directory, to find asgi.py beside wsgi.py (and the reverse) when a setting is unset. */
  projectDir?: string;
}

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_PORT = 8000;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isDottedPath(value: string): boolean {
  const parts = value.split('.');
  return parts.length >= 2 && parts.every(part => IDENTIFIER.test(part));
}

/** 'mysite.wsgi.application' → 'mysite.wsgi:application' (the module:attribute servers take). */
export function toAppSpec(
  dotted: string,
  setting: 'WSGI_APPLICATION' | 'ASGI_APPLICATION'
): string {
  const value = dotted.trim();
  if (!isDottedPath(value)) {
    throw new ActionError(
      `${setting} is '${dotted}', which is not a dotted path to an application object. Set it to '<package>.${setting === 'WSGI_APPLICATION' ? 'wsgi' : 'asgi'}.application' in the settings.`
    );
  }
  const dot = value.lastIndexOf('.');
  return `${value.slice(0, dot)}:${value.slice(dot + 1)}`;
}

/**
 * The module:attribute of the sibling entry point ('wsgi' ↔ 'asgi') when the file exists on disk
 * beside the configured one: 'mysite.wsgi:application' → 'mysite.asgi:application'.
 */
function siblingSpec(
  spec: string,
  sibling: 'wsgi' | 'asgi',
  projectDir?: string
): string | undefined {
  if (!projectDir) return undefined;
  const module = spec.slice(0, spec.indexOf(':'));
  const parts = module.split('.');
  if (parts.length < 2) return undefined;
  const pkg = parts.slice(0, -1);
  if (!existsSync(path.join(projectDir, ...pkg, `${sibling}.py`))) return undefined;
  return `${[...pkg, sibling].join('.')}:application`;
}

/** The module:attribute the server runs, from the settings, or the conventional sibling file. */
export function resolveAppSpec(kind: ServerKind, app: ServerApp, projectDir?: string): string {
  const wsgi = app.wsgi ? toAppSpec(app.wsgi, 'WSGI_APPLICATION') : undefined;
  const asgi = app.asgi ? toAppSpec(app.asgi, 'ASGI_APPLICATION') : undefined;
  if (kind === 'gunicorn') {
    const spec = wsgi ?? (asgi ? siblingSpec(asgi, 'wsgi', projectDir) : undefined);
    if (spec) return spec;
    throw new ActionError(
      `server: gunicorn needs a WSGI application, but the settings have no WSGI_APPLICATION${asgi ? ` and there is no wsgi.py beside ${asgi.split(':')[0]}` : ''}. Set WSGI_APPLICATION = '<package>.wsgi.application' in the settings, or use server: uvicorn for an ASGI application.`
    );
  }
  const spec = asgi ?? (wsgi ? siblingSpec(wsgi, 'asgi', projectDir) : undefined);
  if (spec) return spec;
  throw new ActionError(
    `server: uvicorn needs an ASGI application, but the settings have no ASGI_APPLICATION${wsgi ? ` and there is no asgi.py beside ${wsgi.split(':')[0].replace(/\./g, '/')}.py` : ''}. Set ASGI_APPLICATION = '<package>.asgi.application' in the settings (Django's startproject creates <package>/asgi.py), or use server: gunicorn.`
  );
}

/**
 * The `asgi-application` output: the dotted path of the ASGI application, whatever `server` is.
 * ASGI_APPLICATION when set; else the project's asgi.py beside the WSGI module or the settings
 * package ('mysite.asgi.application'); '' when the project has neither.
 */
export function asgiApplicationPath(
  app: ServerApp & { settingsModule?: string | null },
  projectDir: string
): string {
  if (app.asgi) return app.asgi.trim();
  const candidates: string[][] = [];
  const wsgi = app.wsgi?.trim();
  if (wsgi && isDottedPath(wsgi)) candidates.push(wsgi.split('.').slice(0, -2));
  const settings = app.settingsModule?.trim();
  if (settings && isDottedPath(settings)) {
    // 'config.settings.production' → config/settings/asgi.py, then config/asgi.py
    const parts = settings.split('.');
    for (let end = parts.length - 1; end >= 1; end--) candidates.push(parts.slice(0, end));
  }
  for (const pkg of candidates) {
    if (pkg.length > 0 && existsSync(path.join(projectDir, ...pkg, 'asgi.py')))
      return [...pkg, 'asgi', 'application'].join('.');
  }
  return '';
}

function checkListen(host: string, port: number): void {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host) || host.startsWith('-')) {
    throw new ActionError(`'${host}' is not a valid host to bind the server to.`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ActionError(`'${port}' is not a valid port (0-65535).`);
  }
}

/** The server's arguments after the program name (`gunicorn` or `python -m gunicorn`). */
export function serverArgs(kind: ServerKind, spec: string, host: string, port: number): string[] {
  checkListen(host, port);
  return kind === 'gunicorn'
    ? [
        spec,
        '--bind',
        `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`
      ]
    : [spec, '--host', host, '--port', String(port)];
}

/**
 * The exact command a deploy step runs, e.g. `gunicorn mysite.wsgi:application --bind 0.0.0.0:8000`.
 * Every part is validated (identifiers, host, port), so the string needs no shell quoting.
 */
export function serverCommand(kind: ServerKind, app: ServerApp, opts: ListenOptions = {}): string {
  const spec = resolveAppSpec(kind, app, opts.projectDir);
  return [
    kind,
    ...serverArgs(kind, spec, opts.host ?? DEFAULT_HOST, opts.port ?? DEFAULT_PORT)
  ].join(' ');
}
