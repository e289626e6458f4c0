import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ActionError } from '../../src/errors.js';
import {
  asgiApplicationPath,
  resolveAppSpec,
  serverArgs,
  serverCommand,
  toAppSpec
} from '../../src/django/server-command.js';
import {
  checkServerVersion,
  isValidServerVersion,
  serverSpecifier,
  versionAtLeast,
  versionSatisfies
} from '../../src/django/server-install.js';
import {
  bodyExcerpt,
  freePort,
  isValidSmokePath,
  isValidStatus,
  statusHint
} from '../../src/django/smoke-test.js';

const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A project directory holding the given files (empty). */
function project(...files: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'server-unit-'));
  dirs.push(dir);
  for (const file of files) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), '');
  }
  return dir;
}

describe('serverCommand', () => {
  it('runs gunicorn on WSGI_APPLICATION and uvicorn on ASGI_APPLICATION', () => {
    const app = { wsgi: 'mysite.wsgi.application', asgi: 'mysite.asgi.application' };
    expect(serverCommand('gunicorn', app)).toBe(
      'gunicorn mysite.wsgi:application --bind 0.0.0.0:8000'
    );
    expect(serverCommand('uvicorn', app)).toBe(
      'uvicorn mysite.asgi:application --host 0.0.0.0 --port 8000'
    );
  });

  it('takes another host and port', () => {
    const app = { wsgi: 'config.wsgi.application' };
    expect(serverCommand('gunicorn', app, { host: '127.0.0.1', port: 9000 })).toBe(
      'gunicorn config.wsgi:application --bind 127.0.0.1:9000'
    );
    expect(serverCommand('gunicorn', app, { host: '::', port: 80 })).toBe(
      'gunicorn config.wsgi:application --bind [::]:80'
    );
  });

  it('rejects a host or port that would need quoting', () => {
    const app = { wsgi: 'mysite.wsgi.application' };
    expect(() => serverCommand('gunicorn', app, { host: '0.0.0.0; id' })).toThrow(ActionError);
    expect(() => serverCommand('gunicorn', app, { host: '--reload' })).toThrow(ActionError);
    expect(() => serverCommand('gunicorn', app, { port: 70000 })).toThrow(/not a valid port/);
    expect(() => serverArgs('uvicorn', 'a.asgi:application', '127.0.0.1', 1.5)).toThrow(
      /not a valid port/
    );
  });
});

describe('application derivation', () => {
  it('turns the dotted setting into module:attribute', () => {
    expect(toAppSpec('mysite.wsgi.application', 'WSGI_APPLICATION')).toBe(
      'mysite.wsgi:application'
    );
    expect(toAppSpec('config.asgi.routing.app', 'ASGI_APPLICATION')).toBe(
      'config.asgi.routing:app'
    );
  });

  it('rejects a setting that is not a dotted path', () => {
    for (const bad of ['application', 'mysite.wsgi.', 'my-site.wsgi.app', 'a.b c', 'x.y;z']) {
      expect(() => toAppSpec(bad, 'WSGI_APPLICATION')).toThrow(/WSGI_APPLICATION is '/);
    }
  });

  it('uvicorn uses asgi.py beside wsgi.py when ASGI_APPLICATION is unset', () => {
    const dir = project('mysite/wsgi.py', 'mysite/asgi.py');
    expect(resolveAppSpec('uvicorn', { wsgi: 'mysite.wsgi.application', asgi: null }, dir)).toBe(
      'mysite.asgi:application'
    );
    const nested = project('src/config/wsgi.py', 'src/config/asgi.py');
    expect(resolveAppSpec('uvicorn', { wsgi: 'src.config.wsgi.application' }, nested)).toBe(
      'src.config.asgi:application'
    );
  });

  it('uvicorn fails saying to set ASGI_APPLICATION when there is no asgi.py', () => {
    const dir = project('mysite/wsgi.py');
    expect(() => resolveAppSpec('uvicorn', { wsgi: 'mysite.wsgi.application' }, dir)).toThrow(
      /no ASGI_APPLICATION and there is no asgi.py beside mysite\/wsgi.py\. Set ASGI_APPLICATION/
    );
    expect(() => resolveAppSpec('uvicorn', { wsgi: 'mysite.wsgi.application' })).toThrow(
      /Set ASGI_APPLICATION/
    );
    expect(() => resolveAppSpec('uvicorn', {}, dir)).toThrow(/Set ASGI_APPLICATION/);
  });

  it('gunicorn uses wsgi.py beside asgi.py when only ASGI_APPLICATION is set', () => {
    const dir = project('mysite/wsgi.py', 'mysite/asgi.py');
    expect(resolveAppSpec('gunicorn', { asgi: 'mysite.asgi.application' }, dir)).toBe(
      'mysite.wsgi:application'
    );
    expect(() => resolveAppSpec('gunicorn', { wsgi: null, asgi: null }, dir)).toThrow(
      /Set WSGI_APPLICATION/
    );
  });

  it('prefers the settings over files on disk', () => {
    const dir = project('mysite/asgi.py');
    expect(
      resolveAppSpec(
        'uvicorn',
        { wsgi: 'mysite.wsgi.application', asgi: 'channels_app.routing.application' },
        dir
      )
    ).toBe('channels_app.routing:application');
  });
});

describe('server-version', () => {
  it('accepts exact versions and prefixes', () => {
    for (const good of [
      '23.0.0',
      '22',
      '0.30.6',
      '23.*',
      '21.2.*',
      '1.0rc1',
      '2.0.post1',
      '3.dev4',
      '==23.0',
      '>=21',
      '>=21,<23',
      '~=23.0',
      '!=23.0.0'
    ])
      expect(isValidServerVersion(good)).toBe(true);
  });

  it('rejects extras, markers, spaces and anything a shell or pip would interpret', () => {
    for (const bad of [
      '',
      '21,<23',
      '>=21, <23',
      '===foo',
      '>=21;python_version>"3"',
      '~=23',
      '23.0 ',
      'latest',
      '*',
      '23.*.1',
      '1.0; rm -rf /',
      '--index-url=http://evil',
      '23.0[standard]',
      'v23'
    ])
      expect(isValidServerVersion(bad)).toBe(false);
    expect(() => checkServerVersion('21,<23')).toThrow(/'server-version' is '21,<23'/);
  });

  it('compares installed versions as pip does for ==', () => {
    expect(versionSatisfies('23.0.0', '23.0.0')).toBe(true);
    expect(versionSatisfies('23.0.0', '23')).toBe(true);
    expect(versionSatisfies('23.0', '23.0.0')).toBe(true);
    expect(versionSatisfies('23.0.1', '23.0')).toBe(false);
    expect(versionSatisfies('23.1.0', '23.*')).toBe(true);
    expect(versionSatisfies('22.9.0', '23.*')).toBe(false);
    expect(versionSatisfies('0.30.6', '0.30.*')).toBe(true);
    expect(versionSatisfies('1.0rc1', '1.0')).toBe(false);
    expect(versionSatisfies('1.0rc1', '1.0rc1')).toBe(true);
    expect(versionSatisfies('1.0+local', '1.0')).toBe(true);
    expect(versionSatisfies('23.0.1', '>=23,<24')).toBe(true);
    expect(versionSatisfies('24.0', '>=23,<24')).toBe(false);
    expect(versionSatisfies('23.5', '~=23.0')).toBe(true);
    expect(serverSpecifier('23.*')).toBe('==23.*');
    expect(serverSpecifier('>=23')).toBe('>=23');
  });

  it('orders release segments', () => {
    expect(versionAtLeast('25.1.0', [25, 1])).toBe(true);
    expect(versionAtLeast('26.0', [25, 1])).toBe(true);
    expect(versionAtLeast('25.0.3', [25, 1])).toBe(false);
    expect(versionAtLeast('23.0.0', [25, 1])).toBe(false);
    expect(versionAtLeast('25.1.0rc1', [25, 1])).toBe(true);
  });
});

describe('smoke test pieces', () => {
  it('validates the path and the status', () => {
    expect(isValidSmokePath('/')).toBe(true);
    expect(isValidSmokePath('/healthz/?full=1')).toBe(true);
    for (const bad of ['', 'healthz', '//evil.example/', '/a b', '/a\nb', 'http://x/'])
      expect(isValidSmokePath(bad)).toBe(false);
    expect(isValidStatus(200)).toBe(true);
    expect(isValidStatus(99)).toBe(false);
    expect(isValidStatus(600)).toBe(false);
    expect(isValidStatus(200.5)).toBe(false);
  });

  it('finds a free port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });

  it('explains a 400, a redirect to https and a 500 without traceback', () => {
    expect(statusHint(400, '')).toMatch(/ALLOWED_HOSTS/);
    expect(statusHint(301, '', 'https://127.0.0.1/')).toMatch(/SECURE_SSL_REDIRECT/);
    expect(statusHint(500, 'GET / 500')).toMatch(/django\.request/);
    expect(statusHint(500, 'Traceback (most recent call last):')).toBeUndefined();
    expect(statusHint(200, '')).toBeUndefined();
  });

  it('shortens a response body to its title or text', () => {
    expect(
      bodyExcerpt('<html><head><title>RuntimeError at /boom/</title><style>a{}</style></head>')
    ).toBe('RuntimeError at /boom/');
    expect(bodyExcerpt('<!doctype html>\n<h1>Server Error (500)</h1>\n')).toBe(
      'Server Error (500)'
    );
    expect(bodyExcerpt('x'.repeat(500)).length).toBe(203);
  });
});

describe('asgiApplicationPath (the asgi-application output)', () => {
  it('is ASGI_APPLICATION as set, a dotted path', () => {
    expect(asgiApplicationPath({ asgi: 'mysite.asgi.application' }, project())).toBe(
      'mysite.asgi.application'
    );
  });

  it("is the project's asgi.py beside the WSGI module when ASGI_APPLICATION is unset", () => {
    const dir = project('mysite/wsgi.py', 'mysite/asgi.py');
    expect(asgiApplicationPath({ wsgi: 'mysite.wsgi.application' }, dir)).toBe(
      'mysite.asgi.application'
    );
  });

  it('finds asgi.py beside a settings package', () => {
    const dir = project('config/asgi.py', 'config/settings/production.py');
    expect(asgiApplicationPath({ settingsModule: 'config.settings.production' }, dir)).toBe(
      'config.asgi.application'
    );
  });

  it("is '' when the project has no ASGI application", () => {
    expect(
      asgiApplicationPath({ wsgi: 'mysite.wsgi.application' }, project('mysite/wsgi.py'))
    ).toBe('');
  });
});
