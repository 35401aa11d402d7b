/** Replaces any string under a key that names a token with `[redacted]` (for logging inputs and outputs). */
export function redactTokens(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactTokens);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        /token/i.test(k) && typeof v === 'string' ? '[redacted]' : redactTokens(v),
      ]),
    );
  }
  return value;
}
