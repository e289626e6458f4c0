// Types for workspace.mjs.
export declare function freshCheckout(
  source: string,
  workspace: string,
  options?: { settle?: boolean }
): void;
export interface SummaryPhase {
  name: string;
  status: string;
  startMs: number;
  /** null for a skipped phase. */
  durationMs: number | null;
  detail: string;
}
export declare function summaryPhases(summary: string): SummaryPhase[];
