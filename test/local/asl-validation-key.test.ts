import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { validationKey } from '#local/sfn';

/**
 * The local Step Functions validates a workflow once per template (local/sfn.ts `interpreterFor`): hubs whose
 * definitions differ only in their own ARNs share one validation; any other difference is validated on its own.
 */
function definition(options: { account?: string; region?: string; prefix?: string } = {}): StateMachineDefinition {
  const { account = '111111111111', region = 'us-east-1', prefix = 'spokelink' } = options;
  return {
    StartAt: 'Lease',
    States: {
      Lease: {
        Type: 'Task',
        Resource: `arn:aws:lambda:${region}:${account}:function:${prefix}-lease`,
        ResultPath: '$.lease',
        Next: 'Fan',
      },
      Fan: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'Invoke',
            States: {
              Invoke: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Parameters: {
                  FunctionName: `arn:aws:lambda:${region}:${account}:function:${prefix}-zones`,
                  'Payload.$': '$',
                },
                End: true,
              },
            },
          },
        ],
        Next: 'Offboard',
      },
      Offboard: {
        Type: 'Task',
        Resource: 'arn:aws:states:::states:startExecution.sync:2',
        Parameters: { StateMachineArn: `arn:aws:states:${region}:${account}:stateMachine:${prefix}-offboard` },
        End: true,
      },
    },
  } as unknown as StateMachineDefinition;
}

describe('validationKey: one ASL validation per template', () => {
  it('is the same for hubs of other accounts, regions and prefixes', () => {
    const key = validationKey(definition());
    expect(validationKey(definition({ account: '222222222222' }))).toBe(key);
    expect(validationKey(definition({ region: 'eu-west-1', prefix: 'other-hub' }))).toBe(key);
    expect(key).not.toContain('111111111111');
  });

  it('differs where validation reads more than an ARN format: paths, names, other resources', () => {
    const key = validationKey(definition());
    type Editable = {
      States: {
        Lease: { Resource: string; ResultPath: string; Next: string };
        Fan: { Branches: { States: { Invoke: { Parameters: Record<string, string> } } }[] };
      };
    };
    const changed = (edit: (d: Editable) => void) => {
      const d = definition() as unknown as Editable;
      edit(d);
      return validationKey(d as unknown as StateMachineDefinition);
    };
    // A path (checkPaths), a `.$` parameter, a resource that is not a deployed ARN, a transition target.
    expect(changed((d) => (d.States.Lease.ResultPath = 'lease'))).not.toBe(key);
    expect(changed((d) => (d.States.Fan.Branches[0]!.States.Invoke.Parameters['Payload.$'] = 'nope'))).not.toBe(key);
    expect(changed((d) => (d.States.Lease.Resource = 'not-an-arn'))).not.toBe(key);
    expect(changed((d) => (d.States.Lease.Resource = 'arn:aws:lambda:us-east-1:111111111111:function:a b'))).not.toBe(
      key,
    );
    expect(changed((d) => (d.States.Lease.Next = 'Missing'))).not.toBe(key);
  });
});
