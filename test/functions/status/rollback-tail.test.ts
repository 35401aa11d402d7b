import { StepInputError } from '#shared/errors';
import { rollbackOf, statusInput } from '../../../functions/status/handler';

/**
 * SetStatusFailed reads what the onboarding's rollback left in the state (SummarizeRollback's result, or its steps'
 * caught errors) with the rollback contract's output schema: an absent tail is no rollback, a malformed one fails the
 * step by name instead of silently reading as "no rollback" (it used to be `.catch(undefined)`).
 */
describe('SetStatus: the rollback tail of the state', () => {
  const base = {
    status: 'failed',
    executionName: 'vpc-0a200000000000001-onboard-1',
    executionArn: 'arn:aws:states:us-east-1:111111111111:execution:onboard:vpc-0a200000000000001-onboard-1',
    event: {},
    lease: null,
    failure: { CreateAttachment: { Error: 'QuotaExceededError', Cause: 'five attachments' } },
    branches: [],
    rollbackOutcome: null,
    rollbackFailure: {},
  };

  it('reads no rollback when the state has none (the empty fields WrapTriggerEvent declares)', () => {
    expect(rollbackOf(statusInput(base))).toBeUndefined();
    const { rollbackOutcome: _o, rollbackFailure: _f, ...absent } = base;
    expect(rollbackOf(statusInput(absent))).toBeUndefined();
  });

  it("reads SummarizeRollback's summary", () => {
    const outcome = { summary: 'rolled back: attachment, 2 routes', mode: 'membership', complete: true };
    expect(rollbackOf(statusInput({ ...base, rollbackOutcome: outcome }))).toEqual({
      summary: 'rolled back: attachment, 2 routes',
    });
  });

  it('names the rollback step that failed when there is no summary', () => {
    const rollbackFailure = { SummarizeRollback: { Error: 'RollbackResultError', Cause: 'x' } };
    expect(rollbackOf(statusInput({ ...base, rollbackFailure }))).toEqual({
      unsummarized: { step: 'SummarizeRollback', error: 'RollbackResultError' },
    });
  });

  it.each([
    ['a summary in another shape', { rollbackOutcome: { summary: 42 } }, 'rollbackOutcome.summary'],
    ['a summary under another name', { rollbackOutcome: { text: 'rolled back' } }, 'rollbackOutcome.summary'],
    ['caught errors in another shape', { rollbackFailure: { RemoveRoutes: 'boom' } }, 'rollbackFailure'],
  ])('fails by name on %s instead of reading it as no rollback', (_what, tail, path) => {
    const input = { ...base, ...tail };
    expect(() => statusInput(input)).toThrow(StepInputError);
    expect(() => statusInput(input)).toThrow(path);
  });
});
