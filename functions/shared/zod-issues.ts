import type * as z from 'zod';

/**
 * The one way spokelink words a zod validation failure: each issue as `path: message` (the path dotted, `(root)` for
 * the value itself), so that bad input always gets a clear, specific error naming the field.
 */

export interface IssueOptions {
  /** What a path-less issue is called (`(root)`; the decision URL says `(body)`). */
  readonly root?: string;
  /** At most this many issues (untrusted input can carry thousands). */
  readonly max?: number;
  /**
   * `path: message` (default); `path` alone where the value may hold a secret that zod would echo in its message
   * (the approval's task token); `message` alone where the message names the field itself.
   */
  readonly show?: 'both' | 'path' | 'message';
}

/** Each issue of `error` in words, in zod's order. */
export function issueLines(error: z.ZodError, options: IssueOptions = {}): string[] {
  const root = options.root ?? '(root)';
  const show = options.show ?? 'both';
  return error.issues.slice(0, options.max).map((issue) => {
    const path = issue.path.map(String).join('.') || root;
    return show === 'path' ? path : show === 'message' ? issue.message : `${path}: ${issue.message}`;
  });
}

/** The issues on one line, separated by `; ` (`, ` for paths alone). */
export function formatIssues(error: z.ZodError, options: IssueOptions = {}): string {
  return issueLines(error, options).join(options.show === 'path' ? ', ' : '; ');
}

/** `<what> is invalid:` followed by one indented issue per line: for files and configuration a person fixes. */
export function invalidFile(what: string, error: z.ZodError): string {
  return `${what}:\n${issueLines(error)
    .map((line) => `  ${line}`)
    .join('\n')}`;
}
