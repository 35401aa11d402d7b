/** Small text helpers shared by the CLI renderers. */

/** `95_500` -> `1m35.5s`; `3_600_000` -> `1h00m00s`; `420` -> `0.42s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const negative = ms < 0;
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const sign = negative ? '-' : '';
  if (h > 0) return `${sign}${h}h${String(m).padStart(2, '0')}m${String(Math.floor(s)).padStart(2, '0')}s`;
  if (m > 0) return `${sign}${m}m${s.toFixed(1).padStart(4, '0')}s`;
  return `${sign}${s < 10 ? s.toFixed(2) : s.toFixed(1)}s`;
}

/** Clock offset as `T+mm:ss.s` (hours when needed). */
export function offset(ms: number): string {
  const total = Math.max(0, ms);
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = (total % 60_000) / 1000;
  const mmss = `${String(m).padStart(2, '0')}:${s.toFixed(1).padStart(4, '0')}`;
  return h > 0 ? `T+${h}:${mmss}` : `T+${mmss}`;
}

/** A left-aligned text table (no borders), columns as wide as their widest cell. */
export function table(header: string[], rows: string[][], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `${indent}${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()}`;
  return [line(header), ...rows.map(line)].join('\n');
}

/** One line, at most `max` characters. */
export function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** The `errorMessage` of a Lambda error cause, or the cause itself (one reader for the workflows and the CLI). */
export { causeMessage } from '#shared/failure';
