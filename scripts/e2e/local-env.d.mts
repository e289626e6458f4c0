// Types for local-env.mjs.
export declare const repoRoot: string;
export declare const fixturesRoot: string;
export declare function localPipEnv(): Record<string, string>;
export declare function machinePython(): { prefix: string; version: string };
export declare function toolCacheWithMachinePython(): string;
export declare function runnerPath(base?: string): string;
export declare const downloadCacheRoot: string;
export declare const PUBLIC_INDEX_URL: string;
export declare function machineIndexUrl(): string;
export declare function pathWithout(names: string[], into: string, base?: string): string;
