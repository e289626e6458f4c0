// Types for local-env.mjs.
export declare const repoRoot: string;
export declare const fixturesRoot: string;
export declare function localPipEnv(): Record<string, string>;
export declare function machinePython(): { prefix: string; version: string };
export declare function toolCacheWithMachinePython(): string;
export declare function runnerPath(base?: string): string;
