// The `migration-lint` levels. A leaf: the inputs door validates against them and the
// migration review reports with them.

export const MIGRATION_LINT_LEVELS = ['none', 'warn', 'error'] as const;
export type MigrationLintLevel = (typeof MIGRATION_LINT_LEVELS)[number];
