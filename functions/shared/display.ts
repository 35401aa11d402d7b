/**
 * Output hygiene: text that reaches a person (the terminal, `audit` text and CSV, the chargeback CSV, SNS messages)
 * carries values app teams chose (tag values, names), so a tag can hold an ANSI escape sequence that rewrites the
 * terminal, or a bidirectional override (U+202E) that shows a line in another order than it reads ("Trojan Source",
 * CVE-2021-42574). Every such character is shown as its `\uXXXX` escape instead, one function for every output.
 *
 * The `\uXXXX` form is also a valid JSON string escape of the same character, so the function can run over a whole
 * `--json` document: the document stays valid and parses to the same values, while no raw control or bidi character
 * reaches the terminal.
 */

/**
 * Characters never written raw: C0 controls except tab and newline (ESC, BEL, backspace, carriage return...), DEL,
 * C1 controls (U+0080-U+009F, among them the 8-bit CSI U+009B), the bidirectional marks, embeddings, overrides and
 * isolates (U+061C, U+200E-U+200F, U+202A-U+202E, U+2066-U+2069), zero-width characters and line/paragraph
 * separators (U+200B-U+200D, U+2028-U+2029, U+2060, U+FEFF) that hide or break text.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/g;

const asEscape = (char: string) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control and bidi character (see UNSAFE) replaced by its visible `\uXXXX` escape. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, asEscape);
}

/** Whether `text` holds a character escapeControl would replace. */
export function hasControl(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/**
 * One CSV cell (RFC 4180 quoting) of a value an app team may have chosen: control and bidi characters escaped, and a
 * text cell that a spreadsheet would evaluate as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return;
 * OWASP "CSV Injection") prefixed with `'` so that it is shown, not run. Numbers are written as they are (a negative
 * amount stays a number).
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return String(value);
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  text = escapeControl(text);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
