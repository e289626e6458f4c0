// Loads @actions/cache and @actions/tool-cache on first use: they are most of the bundle, and
// a run that needs neither should not pay their start-up cost.
type CacheModule = typeof import('@actions/cache');
type ToolCacheModule = typeof import('@actions/tool-cache');

let cacheModule: Promise<CacheModule> | undefined;
let toolCacheModule: Promise<ToolCacheModule> | undefined;

export function cacheClient(): Promise<CacheModule> {
  cacheModule ??= import('@actions/cache');
  return cacheModule;
}

export function toolCacheClient(): Promise<ToolCacheModule> {
  toolCacheModule ??= import('@actions/tool-cache');
  return toolCacheModule;
}

/**
 * Whether a cache service is configured, as @actions/cache decides it (v2: ACTIONS_RESULTS_URL
 * when ACTIONS_CACHE_SERVICE_V2 is set; v1: ACTIONS_CACHE_URL), without loading the library.
 */
export function cacheServiceAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  let host: string;
  try {
    host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname.toLowerCase();
  } catch {
    host = '';
  }
  // GHES has no v2 service: the library falls back to v1 there.
  const ghes = !(host === 'github.com' || host.endsWith('.ghe.com') || host.endsWith('.localhost'));
  return env.ACTIONS_CACHE_SERVICE_V2 && !ghes
    ? !!env.ACTIONS_RESULTS_URL
    : !!env.ACTIONS_CACHE_URL;
}
