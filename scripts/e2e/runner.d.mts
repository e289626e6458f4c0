// Types for runner.mjs.
export declare const repoRoot: string;
export declare const FAKE_GITHUB_TOKEN: string;
export declare function runnerNode(): string;
export declare function readActionYml(actionDir?: string): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export declare function parseFileCommands(text: string): Record<string, string>;
export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}
export declare function parseWorkflowCommands(stdout: string): WorkflowCommand[];
export interface RunOptions {
  workspace: string;
  inputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
  runnerTemp?: string;
  toolCache?: string;
  post?: boolean;
  jobFailed?: boolean;
  actionDir?: string;
  timeoutMs?: number;
  cancelWhen?: () => boolean;
  /** A later step of the job: runs after the main step succeeded, before the post step. */
  betweenSteps?: (main: RunResult) => void | Promise<void>;
  cancelPostWhen?: () => boolean;
}
export interface StepResult {
  exitCode: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  commands: WorkflowCommand[];
  summary: string;
}
export interface RunResult extends StepResult {
  outputs: Record<string, string>;
  exportedEnv: Record<string, string>;
  addedPath: string[];
  state: Record<string, string>;
  post?: StepResult;
}
export declare function runAction(options: RunOptions): Promise<RunResult>;
export declare function laterStepEnv(
  result: { exportedEnv: Record<string, string>; addedPath: string[] },
  base?: NodeJS.ProcessEnv
): NodeJS.ProcessEnv;
