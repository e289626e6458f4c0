// Types for readme-tables.mjs.
export declare function renderTables(actionYml: string): { inputs: string; outputs: string };
export declare function updateReadme(readme: string, actionYml: string): string;
