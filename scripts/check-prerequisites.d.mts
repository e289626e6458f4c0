export function aptPackages(): string[];
export function installCommand(): string;
export function checks(): { what: string; ok: boolean }[];
