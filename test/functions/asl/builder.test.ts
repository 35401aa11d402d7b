import { AttachmentNotReadyError, VpcBusyError } from '#shared/errors';
import {
  ALL,
  carryOn,
  errorName,
  failTo,
  lambdaTask,
  on,
  pass,
  RETRY_POLICY,
  renderAsl,
  retryPolicy,
  sequence,
  stateMachine,
  states,
  succeed,
} from '../../../workflows/builder';
import { describeRule, mermaid } from '../../../workflows/mermaid';

describe('workflow builder', () => {
  it('takes error names from the error classes', () => {
    expect(errorName(VpcBusyError)).toBe('VpcBusyError');
    expect(errorName('IncorrectState')).toBe('IncorrectState');
    expect(on([AttachmentNotReadyError, 'IncorrectState'], 'X')).toEqual({
      ErrorEquals: ['AttachmentNotReadyError', 'IncorrectState'],
      ResultPath: '$.error',
      Next: 'X',
    });
  });

  it('gives every Lambda Task the one retry policy, its named variants only where asked', () => {
    const task = lambdaTask('Step', 'routes', { parameters: { 'plan.$': '$.plan' }, next: 'End' });
    expect(task.state.Retry).toEqual(RETRY_POLICY);
    expect(RETRY_POLICY.map((r) => r.ErrorEquals[0])).toEqual([
      'RequestLimitExceeded',
      'Lambda.ServiceException',
      'Lambda.Unknown',
    ]);
    expect(RETRY_POLICY.some((r) => r.ErrorEquals.includes(ALL))).toBe(false);

    const variant = retryPolicy({ alsoLikeThrottling: ['IncorrectState'], throttlingMaxDelaySeconds: 600 });
    expect(variant[0]).toEqual({
      ...RETRY_POLICY[0],
      ErrorEquals: [...RETRY_POLICY[0]!.ErrorEquals, 'IncorrectState'],
      MaxDelaySeconds: 600,
    });
    expect(retryPolicy({ withoutStepDied: true })).toEqual(RETRY_POLICY.slice(0, 2));
  });

  it('names the failing step in the catch-all and keeps specific catches first', () => {
    const [step] = sequence(
      [lambdaTask('CreateThing', 'routes', { catch: [on(VpcBusyError, 'Busy')] })],
      'Done',
      failTo('RecordFailure'),
    );
    expect(step!.state.Catch).toEqual([
      { ErrorEquals: ['VpcBusyError'], ResultPath: '$.error', Next: 'Busy' },
      { ErrorEquals: [ALL], ResultPath: '$.failure.CreateThing', Next: 'RecordFailure' },
    ]);
    expect(step!.state.Next).toBe('Done');
    expect(failTo('SummarizeRollback', 'rollbackFailure')('UndoX').ResultPath).toBe('$.rollbackFailure.UndoX');
    expect(carryOn('$.releaseError', 'Next')('Whatever').ResultPath).toBe('$.releaseError');
  });

  it('links a sequence in order and ends it when nothing follows', () => {
    const linked = sequence([pass('A'), pass('B')]);
    expect(linked.map((s) => [s.name, s.state.Next, s.state.End])).toEqual([
      ['A', 'B', undefined],
      ['B', undefined, true],
    ]);
  });

  it('refuses a transition to a state that does not exist, a state never reached, or one defined twice', () => {
    expect(() => stateMachine('x', 'c', states(pass('A', { next: 'Missing' })))).toThrow(
      'A goes to Missing, which is not a state here',
    );
    expect(() => stateMachine('x', 'c', states(succeed('A'), succeed('Orphan')))).toThrow('Orphan is never reached');
    expect(() => states(succeed('A'), succeed('A'))).toThrow('the state A is defined twice');
    expect(() => stateMachine('x', 'c', states(pass('A')))).toThrow('A has neither Next nor End');
  });

  it('renders 2-space JSON with a final newline', () => {
    const machine = stateMachine('x', 'c', states(succeed('A')));
    expect(renderAsl(machine)).toBe(
      '{\n  "Comment": "c",\n  "StartAt": "A",\n  "States": {\n    "A": {\n      "Type": "Succeed"\n    }\n  }\n}\n',
    );
  });

  it('draws the graph: transitions, labelled choices and catches, dotted catch-alls', () => {
    const machine = stateMachine(
      'x',
      'c',
      states(
        lambdaTask('Work', 'routes', { catch: [on(VpcBusyError, 'Busy')], onError: failTo('Failed'), next: 'Done' }),
        succeed('Done'),
        succeed('Busy'),
        succeed('Failed'),
      ),
    );
    const chart = mermaid(machine, 'full');
    expect(chart).toContain('Work --> Done');
    expect(chart).toContain('Work -->|"VpcBusyError"| Busy');
    expect(chart).toContain('Work -.->|error| Failed');
    expect(mermaid(machine, 'compact')).not.toContain('Work -.->|error| Failed');
    expect(
      describeRule({
        And: [
          { Variable: '$.plan.change.membership', IsPresent: true },
          { Variable: '$.plan.change.membership', StringEquals: 'existing' },
        ],
      }),
    ).toBe('$.plan.change.membership = existing');
  });
});
