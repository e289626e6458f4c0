// Types for cache-server.mjs (a local server speaking GitHub's Actions cache protocols).

/** v1: REST `_apis/artifactcache`; v2: twirp `CacheService` plus Azure-blob-style uploads. */
export type CacheProtocol = 'v1' | 'v2';

/**
 * Operations, as logged in `requests` and as keys of `Faults`.
 * - v1: `lookup` (GET cache), `list` (GET caches, only sent when RUNNER_DEBUG=1),
 *   `reserve` (POST caches), `upload` (PATCH caches/:id), `commit` (POST caches/:id)
 * - v2: `getDownloadUrl`, `create`, `finalize` (twirp), `upload` (blob PUT: single put,
 *   Put Block and Put Block List; see `RequestRecord.detail`)
 * - blobs, both protocols: `download` (GET, ranged or not), `properties` (HEAD)
 */
export type CacheOp =
  | 'lookup'
  | 'list'
  | 'reserve'
  | 'upload'
  | 'commit'
  | 'download'
  | 'properties'
  | 'create'
  | 'finalize'
  | 'getDownloadUrl';

/**
 * A fault for one operation. Applied in this order: `delayMs`, then `close` | `status` |
 * `conflict` (which replace the answer); `corrupt`, `truncate` and `stallMs` alter a
 * `download` answer. Combine `delayMs` with any other.
 */
export interface FaultSpec {
  /** Answer with this HTTP status, in the protocol's error format (v1 JSON, twirp JSON
   * `{code, msg}`, blob XML). The request body is read first. */
  status?: number;
  /** Error message for `status` (e.g. 'cache write denied: …', 'insufficient usage'). */
  message?: string;
  /** Wait this long before answering (before response headers). */
  delayMs?: number;
  /** download: send response headers and half the body, wait this long, send the rest. */
  stallMs?: number;
  /** download: serve garbage of the right length (every byte XOR 0x5a). */
  corrupt?: boolean;
  /** download: declare the full Content-Length, send half, then close the connection. */
  truncate?: boolean;
  /** Destroy the socket without answering (the client sees ECONNRESET / socket hang up). */
  close?: boolean;
  /** reserve/create: answer as the real service does when a concurrent job already took
   * the key+version (v1: 409 ArtifactCacheAlreadyExistsException; v2: 409 already_exists). */
  conflict?: boolean;
  /** Apply to the next N requests of this operation only (default: all). */
  times?: number;
}

export type Faults = Partial<Record<CacheOp, FaultSpec>>;

export interface RequestRecord {
  method: string;
  /** URL path without the query string. */
  path: string;
  /** 'blob' for a blob URL of no known entry; 'unknown' for unrouted paths. */
  protocol: CacheProtocol | 'blob' | 'unknown';
  op: CacheOp | 'unknown';
  /** HTTP status of the response headers written; 0 while pending or when none were
   * (e.g. a `close` fault). */
  status: number;
  /** The connection closed before the response was complete: the client hung up (its
   * timeout), or a `close` / `truncate` fault. */
  aborted?: boolean;
  /** Epoch ms when the request arrived. */
  at: number;
  /** The (primary) key the request named, when known. */
  key?: string;
  /** The key a lookup matched (lookup / getDownloadUrl hits). */
  matchedKey?: string;
  /** blob upload: 'put' | 'block' | 'blocklist'. */
  detail?: string;
  /** The injected fault's kinds, comma-separated (e.g. 'status', 'delayMs,close'). */
  fault?: string;
}

export interface CacheEntryInfo {
  id: number;
  key: string;
  version: string;
  scope: string;
  size: number;
  protocol: CacheProtocol;
  createdAt: string;
}

/**
 * Environment for a process using the server. A value of `undefined` means "must be
 * absent": `child_process.spawn` drops undefined values, so `{...process.env, ...env}` works
 * as a child's env; in-process, use `applyEnv(env)` (assigning undefined to process.env
 * would store the string "undefined").
 */
export type CacheEnv = Record<string, string | undefined>;

export interface StartCacheServerOptions {
  /** Storage directory (blobs + index.json). Default: a fresh temp dir, removed on close. */
  dir?: string;
  /** Initial faults (see `setFaults`). */
  faults?: Faults;
  /** Log each request to stderr. Default: quiet. */
  log?: boolean;
  /** Hand out blob URLs on `AZURE_BLOB_HOST` (reached through this server as HTTP proxy), so
   * @actions/cache takes its Azure download paths (SDK for v2, ranged concurrent http-client
   * for v1) where `timeoutInMs`/`segmentTimeoutInMs` apply. Default false: blob URLs on
   * 127.0.0.1, downloaded with one plain GET. */
  azure?: boolean;
  /** Protocol of the `env` property. Default 'v2' (what github.com runners use today). */
  protocol?: CacheProtocol;
  /** Bearer token required on v1/twirp requests (ACTIONS_RUNTIME_TOKEN). Default 'test-token'. */
  token?: string;
  /** Port to listen on (127.0.0.1). Default: an ephemeral port. */
  port?: number;
}

export interface CacheServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  url: string;
  port: number;
  dir: string;
  /** `envFor(options.protocol ?? 'v2')`. */
  env: CacheEnv;
  /** Environment selecting `protocol` against this server; every key of CACHE_ENV_KEYS is
   * present, the ones that must be unset with the value `undefined`. */
  envFor(protocol: CacheProtocol): CacheEnv;
  /** Every request received, in arrival order (live array; `requests.length = 0` clears). */
  requests: RequestRecord[];
  /** Committed entries. */
  entries(): CacheEntryInfo[];
  /** Replaces all faults (`setFaults({})` clears them). */
  setFaults(faults: Faults): void;
  close(): Promise<void>;
}

export const AZURE_BLOB_HOST: string;
export const CACHE_ENV_KEYS: readonly string[];

export function startCacheServer(options?: StartCacheServerOptions): Promise<CacheServer>;
/** `http://127.0.0.1:PORT` where nothing listens (connections are refused). */
export function closedPortUrl(): Promise<string>;
/** Sets/deletes `env` on `target` (default process.env); returns a function restoring it. */
export function applyEnv(env: CacheEnv, target?: NodeJS.ProcessEnv): () => void;
