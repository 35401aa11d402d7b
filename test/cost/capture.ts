/** The stdout and stderr a CLI command writes, captured (the commands take an `io` of two writers). */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
