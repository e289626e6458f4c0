// @ts-check
// A local HTTP server speaking GitHub's Actions cache protocols, for tests, the demo and the
// benchmark. Node stdlib only, so plain `node` can import it without a build step.
//
// It answers the REAL `@actions/cache` 6.x client, both protocols:
//
// - v1 (REST, `ACTIONS_CACHE_URL`): `{url}/_apis/artifactcache/`
//     GET   cache?keys=k1,k2&version=v   → 200 {cacheKey, scope, cacheVersion, creationTime,
//                                           archiveLocation} | 204 on a miss          (lookup)
//     GET   caches?key=k                 → 200 {totalCount, artifactCaches}  (list; debug only)
//     POST  caches {key, version, cacheSize} → 201 {cacheId} | 409 when key+version exists
//                                                                                   (reserve)
//     PATCH caches/:id  + Content-Range: bytes a-b/*  → 204                          (upload)
//     POST  caches/:id {size}            → 204 (400 when the bytes received ≠ size) (commit)
//   archiveLocation is a blob URL on this server (the real service hands out an Azure SAS URL).
//
// - v2 (twirp, `ACTIONS_RESULTS_URL` + `ACTIONS_CACHE_SERVICE_V2`):
//   POST {url}/twirp/github.actions.results.api.v1.CacheService/<Method>, JSON, snake_case:
//     CreateCacheEntry {key, version}      → {ok, signed_upload_url} | 409 already_exists (create)
//     FinalizeCacheEntryUpload {key, version, size_bytes} → {ok, entry_id}           (finalize)
//     GetCacheEntryDownloadURL {key, restore_keys, version}
//                                          → {ok, signed_download_url, matched_key}
//                                            ({ok: false} on a miss)          (getDownloadUrl)
//   The client uploads to signed_upload_url with the Azure blob SDK: a single `PUT`
//   (x-ms-blob-type: BlockBlob) up to 128 MiB, else Put Block (`?comp=block&blockid=`) and
//   Put Block List (`?comp=blocklist`, XML body). Both are implemented                (upload)
//
// - Blobs: `GET` (with `Range` or `x-ms-range`, answered 206)                        (download)
//   and `HEAD` (blob properties)                                                 (properties).
//
// How the client downloads: `@actions/cache` uses the Azure SDK (v2) or its ranged, concurrent
// http-client (v1) ONLY when the URL's host ends with `.blob.core.windows.net`; for any other
// host it does one plain GET with a fixed 5 s idle-socket timeout, and the `timeoutInMs` /
// `segmentTimeoutInMs` download options are ignored. To exercise the Azure paths, start the
// server with `{azure: true}`: blob URLs then name the host `AZURE_BLOB_HOST`, and `envFor()`
// adds `HTTP_PROXY` pointing at this server, which acts as the proxy for that one host
// (absolute-URI requests from the Azure SDK, CONNECT tunnels from @actions/http-client).
// Requests through the proxy to any other host are refused: nothing leaves the machine.
//
// Matching follows the real service: for each key in order (primary key, then restore keys):
// an exact key match, else the newest entry whose key starts with it (the primary key is
// prefix-matched too); always restricted to entries with the same version (the version hashes
// the cached paths and the compression method). Scope (branch) is a single fixed scope.
//
// Entries live on disk under `dir` (`blobs/`, `uploads/`, and the index `index.json`), so a
// later server started on the same `dir` (a second "workflow run") hits. Only one server at a
// time should use a given `dir`. Reservations not committed are not persisted.
//
// Faults (per operation, at start or with `setFaults`): see `FaultSpec` in cache-server.d.mts.
//
// Environment (`envFor(protocol)`): @actions/cache picks v2 when ACTIONS_CACHE_SERVICE_V2 is
// non-empty AND GITHUB_SERVER_URL's host is github.com, *.ghe.com or *.localhost (unset counts
// as github.com; anything else is "GHES" and forces v1). v1 reads ACTIONS_CACHE_URL (falling
// back to ACTIONS_RESULTS_URL), v2 ACTIONS_RESULTS_URL; both send ACTIONS_RUNTIME_TOKEN as a
// bearer token (never parsed as a JWT; v2 throws if it is unset, v1 sends "Bearer "). This
// server requires exactly `token`. `envFor` returns every variable of CACHE_ENV_KEYS, those
// that must be ABSENT with the value `undefined`: spread it into a child's env
// (`spawn(cmd, args, {env: {...process.env, ...server.envFor('v1')}})` drops undefined values)
// or call `applyEnv(env)` in-process (never assign undefined to process.env: it stores the
// string "undefined"). The runner also sets RUNNER_TEMP (archive scratch dir, else
// /home/actions/temp) and GITHUB_WORKSPACE (tar's -C; the cwd should be the same, as the
// library globs the cache paths against the cwd): callers provide those.

import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** @typedef {import('./cache-server.d.mts').CacheProtocol} CacheProtocol */
/** @typedef {import('./cache-server.d.mts').CacheOp} CacheOp */
/** @typedef {import('./cache-server.d.mts').FaultSpec} FaultSpec */
/** @typedef {import('./cache-server.d.mts').Faults} Faults */
/** @typedef {import('./cache-server.d.mts').RequestRecord} RequestRecord */
/** @typedef {import('./cache-server.d.mts').CacheEntryInfo} CacheEntryInfo */
/** @typedef {import('./cache-server.d.mts').CacheEnv} CacheEnv */
/** @typedef {import('./cache-server.d.mts').StartCacheServerOptions} StartCacheServerOptions */
/** @typedef {import('./cache-server.d.mts').CacheServer} CacheServer */

/**
 * @typedef {object} Entry
 * @property {number} id
 * @property {string} key
 * @property {string} version
 * @property {string} scope
 * @property {number} size
 * @property {CacheProtocol} protocol
 * @property {string} createdAt ISO date
 * @property {boolean} committed
 * @property {number} received bytes received so far (v1 chunk uploads)
 */

/**
 * @typedef {object} Route
 * @property {CacheProtocol | 'blob' | 'unknown'} protocol
 * @property {CacheOp | 'unknown'} op
 * @property {'v1' | 'twirp' | 'blob' | 'none'} kind
 * @property {number} [id] cache id (v1 upload/commit, blobs)
 * @property {string} [detail]
 */

/** The host name blob URLs use in `azure` mode (any `*.blob.core.windows.net` name works). */
export const AZURE_BLOB_HOST = 'setupdjangocache.blob.core.windows.net';

/** Environment variables that steer @actions/cache; `envFor` sets or unsets every one. */
export const CACHE_ENV_KEYS = Object.freeze([
  'ACTIONS_CACHE_URL',
  'ACTIONS_RESULTS_URL',
  'ACTIONS_CACHE_SERVICE_V2',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_MODE',
  'GITHUB_SERVER_URL',
  'SEGMENT_DOWNLOAD_TIMEOUT_MINS',
  'CACHE_UPLOAD_CONCURRENCY',
  'CACHE_UPLOAD_CHUNK_SIZE',
  'HTTP_PROXY',
  'http_proxy',
  'HTTPS_PROXY',
  'https_proxy',
  'ALL_PROXY',
  'all_proxy',
  'NO_PROXY',
  'no_proxy'
]);

const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.CacheService/';
const CONTAINER = 'actions-cache';
const IP_ACCOUNT = 'devstoreaccount1';
const SCOPE = 'refs/heads/main';
const X_MS_VERSION = '2025-01-05';
const MAX_JSON_BODY = 1024 * 1024;

/** @type {Record<string, CacheOp>} */
const TWIRP_OPS = {
  CreateCacheEntry: 'create',
  FinalizeCacheEntryUpload: 'finalize',
  GetCacheEntryDownloadURL: 'getDownloadUrl'
};

/**
 * Sets (or, for `undefined` values, deletes) variables on `target` (default `process.env`).
 * Assigning `undefined` to `process.env.X` would store the string "undefined", hence this.
 * @param {CacheEnv} env
 * @param {NodeJS.ProcessEnv} [target]
 * @returns {() => void} restores the previous values
 */
export function applyEnv(env, target = process.env) {
  /** @type {Record<string, string | undefined>} */
  const previous = {};
  for (const [name, value] of Object.entries(env)) {
    previous[name] = target[name];
    if (value === undefined) delete target[name];
    else target[name] = value;
  }
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete target[name];
      else target[name] = value;
    }
  };
}

/**
 * A URL on 127.0.0.1 where nothing listens (for "cache service unreachable" cases): binds
 * an ephemeral port and closes it again. Connections are refused (ECONNREFUSED).
 * @returns {Promise<string>} e.g. `http://127.0.0.1:45678` (no trailing slash)
 */
export async function closedPortUrl() {
  const probe = net.createServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {net.AddressInfo} */ (probe.address());
  await new Promise(resolve => probe.close(() => resolve(undefined)));
  return `http://127.0.0.1:${address.port}`;
}

/**
 * Starts the server on 127.0.0.1.
 * @param {StartCacheServerOptions} [options]
 * @returns {Promise<CacheServer>}
 */
export async function startCacheServer(options = {}) {
  const ownDir = !options.dir;
  const dir = options.dir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), 'cache-server-')));
  const token = options.token ?? 'test-token';
  const azure = options.azure ?? false;
  const log = options.log ?? false;
  const blobsDir = path.join(dir, 'blobs');
  const uploadsDir = path.join(dir, 'uploads');
  const indexFile = path.join(dir, 'index.json');
  await fsp.mkdir(blobsDir, { recursive: true });
  await fsp.mkdir(uploadsDir, { recursive: true });

  let closed = false;
  /** Pending fault sleeps, cut short by close(). @type {Set<() => void>} */
  const sleepers = new Set();
  /** @param {number} ms */
  function sleep(ms) {
    return new Promise(resolve => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve(undefined);
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  }

  // ---- index --------------------------------------------------------------------------
  /** @type {Entry[]} */
  let entries = [];
  let nextId = 1;
  try {
    const saved = JSON.parse(await fsp.readFile(indexFile, 'utf8'));
    entries = (saved.entries ?? []).filter(
      /** @param {Entry} e */ e => e.committed && fs.existsSync(blobPath(e.id))
    );
    nextId = Math.max(saved.nextId ?? 1, ...entries.map(e => e.id + 1));
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
  }

  function persist() {
    const data = { nextId, entries: entries.filter(e => e.committed) };
    const tmp = `${indexFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
    fs.renameSync(tmp, indexFile);
  }

  /** @param {number} id */
  function blobPath(id) {
    return path.join(blobsDir, `cache-${id}`);
  }

  /**
   * @param {CacheProtocol} protocol
   * @param {string} key
   * @param {string} version
   * @param {number} size
   */
  function newEntry(protocol, key, version, size) {
    /** @type {Entry} */
    const entry = {
      id: nextId++,
      key,
      version,
      scope: SCOPE,
      size,
      protocol,
      createdAt: new Date().toISOString(),
      committed: false,
      received: 0
    };
    entries.push(entry);
    persist(); // keeps nextId monotonic across runs
    return entry;
  }

  /**
   * The real service's matching: per key in order, exact then newest prefix, same version.
   * @param {string[]} keys
   * @param {string} version
   */
  function match(keys, version) {
    const candidates = entries
      .filter(e => e.committed && e.version === version)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
    for (const key of keys) {
      const hit =
        candidates.find(e => e.key === key) ?? candidates.find(e => e.key.startsWith(key));
      if (hit) return hit;
    }
    return undefined;
  }

  /**
   * @param {string} key
   * @param {string} version
   */
  function existing(key, version) {
    return entries.find(e => e.key === key && e.version === version);
  }

  // ---- faults ---------------------------------------------------------------------------
  /** @type {Map<string, {spec: FaultSpec, remaining: number}>} */
  let faults = new Map();
  /** @param {Faults | undefined} f */
  function setFaults(f) {
    faults = new Map();
    for (const [op, spec] of Object.entries(f ?? {})) {
      if (spec) faults.set(op, { spec, remaining: spec.times ?? Infinity });
    }
  }
  setFaults(options.faults);
  /** @param {string} op */
  function takeFault(op) {
    const slot = faults.get(op);
    if (!slot || slot.remaining <= 0) return undefined;
    slot.remaining--;
    return slot.spec;
  }

  // ---- URLs -----------------------------------------------------------------------------
  /** @type {string} */
  let url = '';
  /** @type {number} */
  let port = 0;

  /**
   * @param {Entry} entry
   * @param {'r' | 'cw'} permissions
   */
  function blobUrl(entry, permissions) {
    const base = azure ? `http://${AZURE_BLOB_HOST}` : `${url}/${IP_ACCOUNT}`;
    const expiry = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const sig = crypto.randomBytes(16).toString('base64url');
    const query = `sv=${X_MS_VERSION}&sr=b&sp=${permissions}&se=${encodeURIComponent(expiry)}&sig=${sig}`;
    return `${base}/${CONTAINER}/cache-${entry.id}?${query}`;
  }

  /** @param {CacheProtocol} protocol @returns {CacheEnv} */
  function envFor(protocol) {
    /** @type {CacheEnv} */
    const env = Object.fromEntries(CACHE_ENV_KEYS.map(name => [name, undefined]));
    env.ACTIONS_RUNTIME_TOKEN = token;
    if (protocol === 'v2') {
      env.ACTIONS_RESULTS_URL = `${url}/`;
      env.ACTIONS_CACHE_SERVICE_V2 = 'True';
      env.GITHUB_SERVER_URL = 'https://github.com';
    } else {
      env.ACTIONS_CACHE_URL = `${url}/`;
    }
    if (azure) {
      env.HTTP_PROXY = url;
      env.http_proxy = url;
      env.NO_PROXY = 'localhost,127.0.0.1,::1';
      env.no_proxy = env.NO_PROXY;
    }
    return env;
  }

  // ---- routing --------------------------------------------------------------------------
  /**
   * @param {string} method
   * @param {URL} u
   * @returns {Route}
   */
  function classify(method, u) {
    const p = u.pathname;
    const v1 = p.indexOf('/_apis/artifactcache/');
    if (v1 >= 0) {
      const rest = p.slice(v1 + '/_apis/artifactcache/'.length);
      const idMatch = /^caches\/(\d+)$/.exec(rest);
      /** @type {(op: CacheOp, id?: number) => Route} */
      const r = (op, id) => ({ protocol: 'v1', op, kind: 'v1', id });
      if (method === 'GET' && rest === 'cache') return r('lookup');
      if (method === 'GET' && rest === 'caches') return r('list');
      if (method === 'POST' && rest === 'caches') return r('reserve');
      if (method === 'PATCH' && idMatch) return r('upload', Number(idMatch[1]));
      if (method === 'POST' && idMatch) return r('commit', Number(idMatch[1]));
      return { protocol: 'v1', op: 'unknown', kind: 'v1' };
    }
    const twirp = p.indexOf(TWIRP_PREFIX);
    if (twirp >= 0) {
      const op = TWIRP_OPS[p.slice(twirp + TWIRP_PREFIX.length)];
      if (method === 'POST' && op) return { protocol: 'v2', op, kind: 'twirp' };
      return { protocol: 'v2', op: 'unknown', kind: 'twirp' };
    }
    const blob = new RegExp(`^(?:/${IP_ACCOUNT})?/${CONTAINER}/cache-(\\d+)$`).exec(p);
    if (blob) {
      const id = Number(blob[1]);
      const entry = entries.find(e => e.id === id);
      const protocol = entry?.protocol ?? 'blob';
      if (method === 'GET') return { protocol, op: 'download', kind: 'blob', id };
      if (method === 'HEAD') return { protocol, op: 'properties', kind: 'blob', id };
      if (method === 'PUT') {
        const comp = u.searchParams.get('comp');
        const detail = comp === 'block' ? 'block' : comp === 'blocklist' ? 'blocklist' : 'put';
        return { protocol, op: 'upload', kind: 'blob', id, detail };
      }
      return { protocol, op: 'unknown', kind: 'blob', id };
    }
    return { protocol: 'unknown', op: 'unknown', kind: 'none' };
  }

  /** Hosts this server answers for when used as a proxy (or directly). */
  function isOwnHost(/** @type {string} */ host) {
    const h = host.toLowerCase();
    return (
      h === `127.0.0.1:${port}` ||
      h === `localhost:${port}` ||
      (azure && (h === AZURE_BLOB_HOST || h === `${AZURE_BLOB_HOST}:80`))
    );
  }

  // ---- responses ------------------------------------------------------------------------
  /**
   * @param {http.ServerResponse} res
   * @param {number} status
   * @param {unknown} body
   * @param {Record<string, string>} [headers]
   */
  function sendJson(res, status, body, headers = {}) {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      ...headers
    });
    res.end(text);
  }

  /** @param {number} status */
  function twirpCode(status) {
    /** @type {Record<number, string>} */
    const codes = {
      400: 'invalid_argument',
      401: 'unauthenticated',
      403: 'permission_denied',
      404: 'not_found',
      408: 'deadline_exceeded',
      409: 'already_exists',
      412: 'failed_precondition',
      429: 'resource_exhausted',
      500: 'internal',
      501: 'unimplemented',
      503: 'unavailable',
      504: 'deadline_exceeded'
    };
    return codes[status] ?? (status >= 500 ? 'internal' : 'unknown');
  }

  /** @param {number} status */
  function blobErrorCode(status) {
    /** @type {Record<number, string>} */
    const codes = {
      400: 'InvalidInput',
      403: 'AuthenticationFailed',
      404: 'BlobNotFound',
      409: 'BlobAlreadyExists',
      412: 'ConditionNotMet',
      416: 'InvalidRange',
      500: 'InternalError',
      503: 'ServerBusy'
    };
    return codes[status] ?? 'InternalError';
  }

  /**
   * An error in the format of the protocol the route belongs to.
   * @param {http.ServerResponse} res
   * @param {Route} route
   * @param {number} status
   * @param {string} message
   */
  function sendError(res, route, status, message) {
    if (route.kind === 'twirp') {
      sendJson(res, status, { code: twirpCode(status), msg: message });
    } else if (route.kind === 'blob') {
      const code = blobErrorCode(status);
      const requestId = crypto.randomUUID();
      const xml =
        '\uFEFF<?xml version="1.0" encoding="utf-8"?>' +
        `<Error><Code>${code}</Code><Message>${escapeXml(message)}\nRequestId:${requestId}\n` +
        `Time:${new Date().toISOString()}</Message></Error>`;
      res.writeHead(status, {
        'Content-Type': 'application/xml',
        'Content-Length': Buffer.byteLength(xml),
        'x-ms-error-code': code,
        'x-ms-request-id': requestId,
        'x-ms-version': X_MS_VERSION
      });
      res.end(route.op === 'properties' ? undefined : xml);
    } else {
      sendJson(res, status, {
        $id: '1',
        innerException: null,
        message,
        typeName: 'Microsoft.Azure.DevOps.PipelineCache.WebApi.ArtifactCacheException',
        typeKey: 'ArtifactCacheException',
        errorCode: 0,
        eventId: 3000
      });
    }
  }

  /** @param {string} s */
  function escapeXml(s) {
    return s.replace(/[<>&'"]/g, c => `&#${c.charCodeAt(0)};`);
  }

  /** @param {http.IncomingMessage} req */
  async function readBody(req, limit = MAX_JSON_BODY) {
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > limit) throw Object.assign(new Error('request body too large'), { status: 413 });
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** @param {http.IncomingMessage} req */
  async function readJson(req) {
    const text = (await readBody(req)).toString('utf8');
    try {
      return text ? JSON.parse(text) : {};
    } catch {
      throw Object.assign(new Error('malformed JSON body'), { status: 400 });
    }
  }

  /** Reads and discards a request body (so an early error answer isn't seen as a reset). */
  async function drain(/** @type {http.IncomingMessage} */ req) {
    if (req.readableEnded) return;
    req.resume();
    await new Promise(resolve => {
      req.once('end', resolve);
      req.once('close', resolve);
      req.once('error', resolve);
    });
  }

  /** Blob headers the Azure SDK reads back. @param {Entry | undefined} entry */
  function blobHeaders(entry, /** @type {fs.Stats} */ stats) {
    return {
      'Last-Modified': stats.mtime.toUTCString(),
      ETag: `"0x8D${stats.mtimeMs.toString(16).replace('.', '').toUpperCase().padEnd(13, '0')}"`,
      'x-ms-request-id': crypto.randomUUID(),
      'x-ms-version': X_MS_VERSION,
      'x-ms-creation-time': new Date(entry?.createdAt ?? stats.birthtime).toUTCString(),
      'x-ms-blob-type': 'BlockBlob',
      'x-ms-lease-status': 'unlocked',
      'x-ms-lease-state': 'available',
      'x-ms-server-encrypted': 'true',
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream'
    };
  }

  /** Write headers of a successful blob write (Put Blob / Put Block / Put Block List). */
  function writeHeaders(/** @type {string | undefined} */ md5) {
    const now = new Date();
    /** @type {Record<string, string>} */
    const headers = {
      ETag: `"0x8D${now.getTime().toString(16).toUpperCase()}"`,
      'Last-Modified': now.toUTCString(),
      'x-ms-request-id': crypto.randomUUID(),
      'x-ms-version': X_MS_VERSION,
      'x-ms-request-server-encrypted': 'true',
      'Content-Length': '0'
    };
    if (md5) headers['Content-MD5'] = md5;
    return headers;
  }

  // ---- handlers -------------------------------------------------------------------------
  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {URL} u
   * @param {Route} route
   * @param {RequestRecord} record
   */
  async function handleV1(req, res, u, route, record) {
    if (route.op === 'lookup') {
      const keys = (u.searchParams.get('keys') ?? '').split(',').filter(Boolean);
      const version = u.searchParams.get('version') ?? '';
      record.key = keys[0];
      if (keys.length === 0 || !version) {
        return sendError(res, route, 400, 'keys and version are required');
      }
      const hit = match(keys, version);
      if (!hit) {
        res.writeHead(204);
        return res.end();
      }
      record.matchedKey = hit.key;
      return sendJson(res, 200, {
        scope: hit.scope,
        cacheKey: hit.key,
        cacheVersion: hit.version,
        creationTime: hit.createdAt,
        archiveLocation: blobUrl(hit, 'r')
      });
    }
    if (route.op === 'list') {
      const key = u.searchParams.get('key') ?? '';
      const found = entries.filter(e => e.committed && e.key === key);
      return sendJson(res, 200, {
        totalCount: found.length,
        artifactCaches: found.map(e => ({
          cacheKey: e.key,
          cacheVersion: e.version,
          scope: e.scope,
          creationTime: e.createdAt
        }))
      });
    }
    if (route.op === 'reserve') {
      const body = await readJson(req);
      const { key, version } = body;
      record.key = key;
      if (typeof key !== 'string' || typeof version !== 'string' || !key || !version) {
        return sendError(res, route, 400, 'key and version are required');
      }
      if (existing(key, version)) return sendConflictV1(res, route, key, version);
      const entry = newEntry('v1', key, version, Number(body.cacheSize ?? 0));
      await fsp.writeFile(partPath(entry.id), '');
      return sendJson(res, 201, { cacheId: entry.id });
    }
    const entry = entries.find(e => e.id === route.id && e.protocol === 'v1');
    record.key = entry?.key;
    if (!entry || entry.committed) {
      await drain(req);
      return sendError(res, route, 404, `Cache with id ${route.id} was not found or is committed.`);
    }
    if (route.op === 'upload') {
      const range = /^bytes (\d+)-(\d+)\/(\*|\d+)$/.exec(req.headers['content-range'] ?? '');
      if (!range) {
        await drain(req);
        return sendError(res, route, 400, 'Content-Range header is missing or malformed.');
      }
      const start = Number(range[1]);
      const end = Number(range[2]);
      let count = 0;
      const counter = new Transform({
        transform(chunk, _encoding, callback) {
          count += chunk.length;
          callback(null, chunk);
        }
      });
      await pipeline(
        req,
        counter,
        fs.createWriteStream(partPath(entry.id), { flags: 'r+', start })
      );
      if (count !== end - start + 1) {
        return sendError(
          res,
          route,
          400,
          `Content-Range says ${end - start + 1} bytes, got ${count}.`
        );
      }
      entry.received += count;
      res.writeHead(204);
      return res.end();
    }
    if (route.op === 'commit') {
      const { size } = await readJson(req);
      if (typeof size !== 'number' || size !== entry.received) {
        return sendError(
          res,
          route,
          400,
          `Size ${size} does not match the ${entry.received} bytes uploaded.`
        );
      }
      await fsp.rename(partPath(entry.id), blobPath(entry.id));
      entry.size = size;
      entry.committed = true;
      persist();
      res.writeHead(204);
      return res.end();
    }
    return sendError(res, route, 404, 'Unknown artifactcache resource.');
  }

  /**
   * @param {http.ServerResponse} res
   * @param {Route} route
   * @param {string} key
   * @param {string} version
   */
  function sendConflictV1(res, route, key, version) {
    // The v1 service answers a taken key+version with 409 and this exception.
    return sendJson(res, 409, {
      $id: '1',
      innerException: null,
      message: `Cache already exists. Scope: ${SCOPE}, Key: ${key}, Version: ${version}`,
      typeName:
        'Microsoft.Azure.DevOps.PipelineCache.WebApi.ArtifactCacheAlreadyExistsException, Microsoft.Azure.DevOps.PipelineCache.WebApi',
      typeKey: 'ArtifactCacheAlreadyExistsException',
      errorCode: 0,
      eventId: 3000
    });
  }

  /** @param {http.ServerResponse} res @param {Route} route */
  function sendConflictV2(res, route) {
    // What the v2 service answers a taken key+version with (twirp already_exists, HTTP 409).
    return sendError(
      res,
      route,
      409,
      'cache entry with the same key, version, and scope already exists'
    );
  }

  /** @param {number} id */
  function partPath(id) {
    return path.join(uploadsDir, `cache-${id}.part`);
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {Route} route
   * @param {RequestRecord} record
   */
  async function handleTwirp(req, res, route, record) {
    if (route.op === 'unknown') {
      await drain(req);
      return sendError(res, route, 404, 'no handler for path');
    }
    const body = await readJson(req);
    const key = typeof body.key === 'string' ? body.key : '';
    const version = typeof body.version === 'string' ? body.version : '';
    record.key = key;
    if (!key || !version) return sendError(res, route, 400, 'key and version are required');
    if (route.op === 'create') {
      if (existing(key, version)) return sendConflictV2(res, route);
      const entry = newEntry('v2', key, version, 0);
      return sendJson(res, 200, { ok: true, signed_upload_url: blobUrl(entry, 'cw') });
    }
    if (route.op === 'finalize') {
      const entry = entries.find(e => e.key === key && e.version === version && !e.committed);
      if (!entry) return sendError(res, route, 404, 'cache entry not found');
      const size = Number(body.size_bytes ?? body.sizeBytes ?? 0);
      const stats = await fsp.stat(blobPath(entry.id)).catch(() => undefined);
      if (!stats || stats.size !== size) {
        return sendJson(res, 200, {
          ok: false,
          entry_id: '0',
          message: `uploaded blob size ${stats?.size ?? 'missing'} does not match size_bytes ${size}`
        });
      }
      entry.size = size;
      entry.committed = true;
      persist();
      return sendJson(res, 200, { ok: true, entry_id: String(entry.id) });
    }
    // getDownloadUrl
    const restoreKeys = Array.isArray(body.restore_keys) ? body.restore_keys : [];
    const hit = match([key, ...restoreKeys], version);
    if (!hit) return sendJson(res, 200, { ok: false, signed_download_url: '', matched_key: '' });
    record.matchedKey = hit.key;
    return sendJson(res, 200, {
      ok: true,
      signed_download_url: blobUrl(hit, 'r'),
      matched_key: hit.key
    });
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {URL} u
   * @param {Route} route
   * @param {RequestRecord} record
   * @param {FaultSpec | undefined} fault
   */
  async function handleBlob(req, res, u, route, record, fault) {
    const id = /** @type {number} */ (route.id);
    const entry = entries.find(e => e.id === id);
    record.key = entry?.key;
    if (route.op === 'upload') {
      if (!entry || entry.committed || entry.protocol !== 'v2') {
        await drain(req);
        return sendError(
          res,
          route,
          403,
          'This request is not authorized to perform this operation.'
        );
      }
      if (route.detail === 'block') return putBlock(req, res, u, route, id);
      if (route.detail === 'blocklist') return putBlockList(req, res, route, id);
      if (req.headers['x-ms-blob-type'] !== 'BlockBlob') {
        await drain(req);
        return sendError(res, route, 400, 'x-ms-blob-type must be BlockBlob.');
      }
      const tmp = path.join(uploadsDir, `cache-${id}.${crypto.randomUUID()}.put`);
      const md5 = await streamToFile(req, tmp);
      await fsp.rename(tmp, blobPath(id));
      res.writeHead(201, writeHeaders(md5));
      return res.end();
    }
    if (route.op !== 'download' && route.op !== 'properties') {
      await drain(req);
      return sendError(res, route, 405, 'Unsupported blob operation.');
    }
    const file = blobPath(id);
    const stats = await fsp.stat(file).catch(() => undefined);
    if (!stats) return sendError(res, route, 404, 'The specified blob does not exist.');
    const headers = { ...blobHeaders(entry, stats) };
    const total = stats.size;
    if (route.op === 'properties') {
      res.writeHead(200, { ...headers, 'Content-Length': total });
      return res.end();
    }
    let start = 0;
    let end = total - 1;
    let partial = false;
    const rangeHeader = req.headers['x-ms-range'] ?? req.headers.range;
    if (typeof rangeHeader === 'string' && rangeHeader) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(rangeHeader.trim());
      if (!m || Number(m[1]) >= total) {
        res.setHeader('Content-Range', `bytes */${total}`);
        return sendError(
          res,
          route,
          416,
          'The range specified is invalid for the current size of the resource.'
        );
      }
      start = Number(m[1]);
      end = m[2] ? Math.min(Number(m[2]), total - 1) : total - 1;
      partial = true;
    }
    const length = Math.max(0, end - start + 1);
    res.writeHead(partial ? 206 : 200, {
      ...headers,
      'Content-Length': length,
      ...(partial ? { 'Content-Range': `bytes ${start}-${end}/${total}` } : {})
    });
    if (length === 0) return res.end();
    const sendEnd = fault?.truncate ? start + Math.floor(length / 2) - 1 : end;
    const stallAt = fault?.stallMs ? start + Math.floor(length / 2) : sendEnd + 1;
    let position = start;
    for await (const chunk of fs.createReadStream(file, { start, end: sendEnd })) {
      let buffer = /** @type {Buffer} */ (chunk);
      if (fault?.corrupt) buffer = xor(buffer);
      if (position < stallAt && position + buffer.length >= stallAt) {
        const head = stallAt - position;
        await writeChunk(res, buffer.subarray(0, head));
        await sleep(/** @type {number} */ (fault?.stallMs));
        buffer = buffer.subarray(head);
      }
      await writeChunk(res, buffer);
      position += chunk.length;
    }
    if (fault?.truncate) {
      // Declared the full Content-Length but sent half: end the connection mid-body.
      await new Promise(resolve => res.write('', () => resolve(undefined)));
      res.socket?.destroy();
    } else {
      res.end();
    }
  }

  /**
   * Writes with backpressure; rejects when the client went away.
   * @param {http.ServerResponse} res
   * @param {Buffer} buffer
   */
  async function writeChunk(res, buffer) {
    if (res.destroyed) throw new Error('client closed the connection');
    if (buffer.length === 0 || res.write(buffer)) return;
    await new Promise((resolve, reject) => {
      const done = (/** @type {Error | undefined} */ error) => {
        res.off('drain', onDrain);
        res.off('close', onClose);
        if (error) reject(error);
        else resolve(undefined);
      };
      const onDrain = () => done(undefined);
      const onClose = () => done(new Error('client closed the connection'));
      res.on('drain', onDrain);
      res.on('close', onClose);
    });
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {string} file
   * @returns {Promise<string>} the base64 MD5 of what was written
   */
  async function streamToFile(req, file) {
    const hash = crypto.createHash('md5');
    const tap = new Transform({
      transform(chunk, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      }
    });
    try {
      await pipeline(req, tap, fs.createWriteStream(file));
    } catch (error) {
      await fsp.rm(file, { force: true });
      throw error;
    }
    return hash.digest('base64');
  }

  /** @param {number} id */
  function blocksDir(id) {
    return path.join(uploadsDir, `cache-${id}.blocks`);
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {URL} u
   * @param {Route} route
   * @param {number} id
   */
  async function putBlock(req, res, u, route, id) {
    const blockId = u.searchParams.get('blockid');
    if (!blockId) {
      await drain(req);
      return sendError(res, route, 400, 'blockid is required.');
    }
    await fsp.mkdir(blocksDir(id), { recursive: true });
    const md5 = await streamToFile(
      req,
      path.join(blocksDir(id), Buffer.from(blockId).toString('hex'))
    );
    res.writeHead(201, writeHeaders(md5));
    return res.end();
  }

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {Route} route
   * @param {number} id
   */
  async function putBlockList(req, res, route, id) {
    const xml = (await readBody(req)).toString('utf8');
    const ids = [...xml.matchAll(/<(Latest|Committed|Uncommitted)>([^<]*)<\/\1>/g)].map(m => m[2]);
    const files = ids.map(b => path.join(blocksDir(id), Buffer.from(b).toString('hex')));
    for (const f of files) {
      if (!fs.existsSync(f))
        return sendError(res, route, 400, 'The specified block list is invalid.');
    }
    const tmp = path.join(uploadsDir, `cache-${id}.${crypto.randomUUID()}.list`);
    const out = await fsp.open(tmp, 'w');
    try {
      for (const f of files) {
        for await (const chunk of fs.createReadStream(f)) await out.write(chunk);
      }
    } finally {
      await out.close();
    }
    await fsp.rename(tmp, blobPath(id));
    await fsp.rm(blocksDir(id), { recursive: true, force: true });
    res.writeHead(201, writeHeaders(undefined));
    return res.end();
  }

  /** Garbage of the same length: every byte XOR 0x5a. @param {Buffer} chunk */
  function xor(chunk) {
    const out = Buffer.from(chunk);
    for (let i = 0; i < out.length; i++) out[i] ^= 0x5a;
    return out;
  }

  // ---- the server -----------------------------------------------------------------------
  /** @type {RequestRecord[]} */
  const requests = [];

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   */
  async function handle(req, res) {
    const method = req.method ?? 'GET';
    const host = req.headers.host ?? `127.0.0.1:${port}`;
    const u = new URL(req.url ?? '/', `http://${host}`);
    if (!isOwnHost(u.host)) {
      // Absolute-URI (proxy) request for a host we don't emulate: refuse, never forward.
      await drain(req);
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      return res.end(`cache-server: refusing to proxy to ${u.host}\n`);
    }
    const route = classify(method, u);
    /** @type {RequestRecord} */
    const record = {
      method,
      path: u.pathname,
      protocol: route.protocol,
      op: route.op,
      status: 0,
      at: Date.now()
    };
    if (route.detail) record.detail = route.detail;
    requests.push(record);
    // The status is logged when the headers are written (not on 'finish', which can come
    // after the client has already moved on).
    const writeHead = res.writeHead;
    res.writeHead = /** @type {any} */ (
      function (/** @type {any[]} */ ...args) {
        const result = writeHead.apply(res, /** @type {any} */ (args));
        record.status = res.statusCode;
        return result;
      }
    );
    res.on('close', () => {
      if (!res.writableFinished) record.aborted = true;
      if (log) {
        const where = record.fault ? ` [fault: ${record.fault}]` : '';
        const status = `${record.status || '-'}${record.aborted ? ' (aborted)' : ''}`;
        console.error(`[cache-server] ${method} ${u.pathname} ${route.op} → ${status}${where}`);
      }
    });

    const fault = route.op === 'unknown' ? undefined : takeFault(route.op);
    if (fault) {
      record.fault = Object.keys(fault)
        .filter(k => k !== 'times' && k !== 'message')
        .join(',');
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.close || closed) {
        req.socket.destroy();
        return;
      }
      if (fault.status) {
        await drain(req);
        return sendError(
          res,
          route,
          fault.status,
          fault.message ?? `Injected fault: HTTP ${fault.status}`
        );
      }
      if (fault.conflict) {
        const body = await readJson(req).catch(() => ({}));
        record.key = body.key;
        if (route.kind === 'v1') return sendConflictV1(res, route, body.key, body.version);
        return sendConflictV2(res, route);
      }
    }

    if (route.kind !== 'blob' && route.kind !== 'none') {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${token}`) {
        await drain(req);
        return sendError(res, route, 401, 'Unauthorized: missing or wrong bearer token.');
      }
    }
    if (route.kind === 'v1') return handleV1(req, res, u, route, record);
    if (route.kind === 'twirp') return handleTwirp(req, res, route, record);
    if (route.kind === 'blob') return handleBlob(req, res, u, route, record, fault);
    await drain(req);
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  }

  /** @type {Set<net.Socket>} */
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    handle(req, res).catch(error => {
      const status = typeof error?.status === 'number' ? error.status : 500;
      if (log) console.error(`[cache-server] error on ${req.method} ${req.url}:`, error);
      if (!res.headersSent && !res.destroyed) {
        try {
          const u = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
          sendError(res, classify(req.method ?? 'GET', u), status, String(error?.message ?? error));
        } catch {
          res.destroy();
        }
      } else {
        res.destroy();
      }
    });
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  // CONNECT tunnels (@actions/http-client through HTTP_PROXY): answer, then feed the
  // tunnelled socket back into this same server.
  server.on('connect', (req, socket, head) => {
    const target = req.url ?? '';
    if (!isOwnHost(target)) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    server.emit('connection', socket);
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve(undefined));
  });
  port = /** @type {net.AddressInfo} */ (server.address()).port;
  url = `http://127.0.0.1:${port}`;

  /** @type {CacheServer} */
  const api = {
    url,
    port,
    dir,
    env: envFor(options.protocol ?? 'v2'),
    envFor,
    requests,
    entries: () =>
      entries
        .filter(e => e.committed)
        .map(({ id, key, version, scope, size, protocol, createdAt }) => ({
          id,
          key,
          version,
          scope,
          size,
          protocol,
          createdAt
        })),
    setFaults,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise(resolve => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        for (const wake of [...sleepers]) wake();
      });
      if (ownDir) await fsp.rm(dir, { recursive: true, force: true });
    }
  };
  return api;
}
