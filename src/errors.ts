// Expected failures carry a message that names the culprit and says how to fix it.

/** A failure the user can fix: printed as is, without a stack trace. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly title = 'setup-django'
  ) {
    super(message);
    this.name = 'ActionError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The last `lines` non-empty lines of a command's output, for error messages. */
export function tail(text: string, lines = 20): string {
  return text
    .split(/\r?\n/)
    .filter(line => line.trim() !== '')
    .slice(-lines)
    .join('\n');
}
