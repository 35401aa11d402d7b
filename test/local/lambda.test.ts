import { join } from 'node:path';
import { prepareDefinition } from '#local/asl';
import { LambdaErrorName, LocalLambdas } from '#local/lambda';
import { FIXTURES, fixtureRunner, HUB, REGION } from './helpers';

type Runner = ReturnType<typeof fixtureRunner>;

function outputOf(runner: Runner, arn: string): Record<string, unknown> {
  const execution = runner.sfn.executionsByArn.get(arn)!;
  return JSON.parse(execution.output ?? 'null') as Record<string, unknown>;
}

describe('Lambda binding of ASL Task states', () => {
  let runner: Runner;
  afterEach(() => runner?.clock.uninstall());

  it('delivers a handler error to the ASL as Lambda does: name = errorType, Cause = the JSON error payload', async () => {
    runner = fixtureRunner();
    const execution = runner.sfn.start(
      runner.arns.flow!,
      'reject-vpc-1',
      JSON.stringify({ vpc: 'vpc-1', mode: 'reject' }),
    );
    await runner.settle();

    const output = outputOf(runner, execution.executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(output.rejected).toEqual({
      Error: 'RejectedError',
      Cause: JSON.stringify({ errorType: 'RejectedError', errorMessage: 'vpc-1 overlaps 10.0.0.0/16', trace: [] }),
    });
  });

  it('binds the Task states inside Parallel branches, by direct function ARN and through lambda:invoke', async () => {
    runner = fixtureRunner();
    const execution = runner.sfn.start(runner.arns.flow!, 'ok-vpc-2', JSON.stringify({ vpc: 'vpc-2' }));
    await runner.settle();

    const output = outputOf(runner, execution.executionArn);
    expect(execution.status).toBe('SUCCEEDED');
    expect(output.provisioned).toEqual([
      { attachment: { attachmentId: 'tgw-attach-2' } },
      { zones: ['ssm.us-east-1.amazonaws.com'] },
    ]);
    expect(runner.lambdas.counts()).toEqual({ validate: 1, attach: 1, zones: 1 });
    expect(runner.lambdas.invocations.map((i) => i.state)).toEqual(['Validate', 'Attach', 'Zones']);
  });

  it('gives handlers a Lambda context with the function name and the time left before the timeout', async () => {
    runner = fixtureRunner({ timeoutMs: { validate: 30_000 } });
    const execution = runner.sfn.start(runner.arns.flow!, 'ctx-vpc-3', JSON.stringify({ vpc: 'vpc-3' }));
    await runner.settle();

    expect(outputOf(runner, execution.executionArn).plan).toEqual({
      vpc: 'vpc-3',
      functionName: 'spokelink-validate',
      remainingMs: 30_000,
    });
  });

  it('fails an invocation that outlives the function timeout with Sandbox.Timedout', async () => {
    runner = fixtureRunner({ timeoutMs: { validate: 60_000 } });
    const execution = runner.sfn.start(runner.arns.flow!, 'slow-vpc-4', JSON.stringify({ vpc: 'vpc-4', mode: 'slow' }));
    await runner.settle();

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe(LambdaErrorName.timeout);
    expect(JSON.parse(execution.cause!)).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Task timed out after 60\.00 seconds$/),
    });
    expect(execution.stopDate! - execution.startDate).toBe(60_000);
  });

  it('uses the Step Functions task timeout, not the interpreter default of 60 s', async () => {
    runner = fixtureRunner({ timeoutMs: 900_000 });
    const execution = runner.sfn.start(runner.arns.flow!, 'slow-vpc-5', JSON.stringify({ vpc: 'vpc-5', mode: 'slow' }));
    await runner.settle();

    expect(execution.status).toBe('SUCCEEDED');
  });

  it('injects "died after its AWS call succeeded": the effect happened, the state saw Lambda.Unknown and retried', async () => {
    runner = fixtureRunner({ faults: [{ state: 'Validate', occurrences: [1], phase: 'after-handler' }] });
    const execution = runner.sfn.start(runner.arns.flow!, 'fault-vpc-6', JSON.stringify({ vpc: 'vpc-6' }));
    await runner.settle();

    expect(execution.status).toBe('SUCCEEDED');
    expect(runner.state.effects.filter((e) => e === 'validated vpc-6')).toHaveLength(2);
    expect(runner.lambdas.invocations.filter((i) => i.function === 'validate').map((i) => i.outcome)).toEqual([
      'fault',
      'succeeded',
    ]);
  });

  it('fails before the handler runs for a before-handler fault, with the configured error', async () => {
    runner = fixtureRunner({
      faults: [{ function: 'validate', phase: 'before-handler', error: LambdaErrorName.serviceException }],
    });
    const execution = runner.sfn.start(runner.arns.flow!, 'svc-vpc-7', JSON.stringify({ vpc: 'vpc-7' }));
    await runner.settle();

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Lambda.ServiceException');
    expect(runner.state.calls.filter((c) => c.fn === 'validate')).toHaveLength(0);
  });

  it('adds the simulated Lambda duration on the virtual clock', async () => {
    runner = fixtureRunner({ durationMs: 1_500 });
    const execution = runner.sfn.start(runner.arns.flow!, 'dur-vpc-8', JSON.stringify({ vpc: 'vpc-8' }));
    await runner.settle();

    // validate 1.5 s, then max(attach 45 s + 1.5 s, zones 1.5 s), then the 10 s wait.
    expect(execution.stopDate! - execution.startDate).toBe(1_500 + 46_500 + 10_000);
  });
});

describe('prepareDefinition', () => {
  const lambdas = new LocalLambdas({ functionsDir: join(FIXTURES, 'functions'), region: REGION, accountId: HUB });

  it('refuses a Task resource the local runner cannot run, naming the state', () => {
    const definition = {
      StartAt: 'Odd',
      States: { Odd: { Type: 'Task', Resource: 'arn:aws:states:::glue:startJobRun', End: true } },
    };
    expect(() => prepareDefinition(definition, lambdas)).toThrow(/Task state "Odd".*glue:startJobRun is not supported/);
  });

  it('refuses a function without a handler entry and a state name used in two branches', () => {
    const definition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'Same', States: { Same: { Type: 'Pass', End: true } } },
            {
              StartAt: 'Same',
              States: { Same: { Type: 'Task', Resource: lambdas.arnOf('missing'), End: true } },
            },
          ],
        },
      },
    };
    expect(() => prepareDefinition(definition, lambdas)).toThrow(
      /state name "Same" is used twice[\s\S]*no functions\/missing\/handler\.ts/,
    );
  });

  it('visits Map item processors and fills the Step Functions default task timeout', () => {
    const definition = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          End: true,
          ItemProcessor: {
            StartAt: 'Each',
            States: { Each: { Type: 'Task', Resource: lambdas.arnOf('zones'), End: true } },
          },
        },
      },
    };
    const prepared = prepareDefinition(definition, lambdas);
    const each = (
      prepared.definition.States.M as unknown as { ItemProcessor: { States: { Each: { TimeoutSeconds: number } } } }
    ).ItemProcessor.States.Each;

    expect(prepared.tasks).toEqual([
      expect.objectContaining({ state: 'Each', path: ['M'], kind: 'lambda', function: 'zones' }),
    ]);
    expect(each.TimeoutSeconds).toBe(2_147_483);
  });
});

describe('Step Functions payload limit', () => {
  it('fails a task whose result exceeds 256 KB with States.DataLimitExceeded', async () => {
    const runner = fixtureRunner({
      loadHandler: (name) => async () => (name === 'validate' ? { blob: 'x'.repeat(300_000) } : {}),
    });
    try {
      const execution = runner.sfn.start(runner.arns.flow!, 'big-vpc-9', JSON.stringify({ vpc: 'vpc-9' }));
      await runner.settle();

      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('States.DataLimitExceeded');
    } finally {
      runner.clock.uninstall();
    }
  });
});
