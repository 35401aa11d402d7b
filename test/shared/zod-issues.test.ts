import * as z from 'zod';
import { formatIssues, invalidFile, issueLines } from '#shared/zod-issues';

const Schema = z.object({ name: z.string(), spec: z.object({ size: z.number().int().positive() }) });
const errorOf = (value: unknown) => {
  const parsed = Schema.safeParse(value);
  if (parsed.success) throw new Error('expected a validation error');
  return parsed.error;
};

describe('zod issue formatter', () => {
  it('names each bad field by its dotted path, the value itself as (root)', () => {
    expect(issueLines(errorOf({ name: 1, spec: { size: -1 } }))).toEqual([
      'name: Invalid input: expected string, received number',
      'spec.size: Too small: expected number to be >0',
    ]);
    expect(issueLines(errorOf('nope'))).toEqual(['(root): Invalid input: expected object, received string']);
    expect(formatIssues(errorOf('nope'), { root: '(body)' })).toBe(
      '(body): Invalid input: expected object, received string',
    );
  });

  it('bounds untrusted input to the first issues', () => {
    expect(formatIssues(errorOf({}), { max: 1 })).toBe('name: Invalid input: expected string, received undefined');
  });

  it('can name the paths alone, so that a secret in a value is never echoed', () => {
    const parsed = z.object({ taskToken: z.number(), plan: z.string() }).safeParse({ taskToken: 'SECRET', plan: 1 });
    const text = formatIssues(parsed.error!, { show: 'path', root: '' });
    expect(text).toBe('taskToken, plan');
    expect(text).not.toContain('SECRET');
  });

  it('lists a file or configuration problem one indented line per field', () => {
    expect(invalidFile('hub.json is invalid', errorOf({ name: 'x', spec: { size: 0 } }))).toBe(
      'hub.json is invalid:\n  spec.size: Too small: expected number to be >0',
    );
  });
});
