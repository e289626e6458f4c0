// Control characters: none belongs in an input, a path or a value written to a file command.

/** C0 and C1 control characters, DEL and the Unicode line and paragraph separators. */
// eslint-disable-next-line no-control-regex -- finding them is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** `a new line`, `a tab`, `the control character U+001B`: for messages. */
export function describeControl(char: string): string {
  const names: Record<string, string> = {
    '\n': 'a new line',
    '\r': 'a carriage return',
    '\t': 'a tab',
    '\0': 'a NUL character'
  };
  return (
    names[char] ??
    `the control character U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
  );
}
