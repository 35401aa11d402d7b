import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidName,
  ListExecutionsCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { LocalStepFunctions, readSavedRun } from '#local/sfn';
import { twinPlugin } from '#twin/plugin';
import { Twin } from '#twin/twin';
import { FUNCTIONS_ROLE, fixtureRunner, HUB, REGION } from './helpers';

type Runner = ReturnType<typeof fixtureRunner>;

/** Dates from the SDK are real Dates even while the test's global Date is the virtual clock's. */
function isDate(value: unknown): boolean {
  return Object.prototype.toString.call(value) === '[object Date]';
}

async function fullHistory(client: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 5, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('Local Step Functions API (through @aws-sdk/client-sfn)', () => {
  let runner: Runner;
  afterEach(() => runner?.clock.uninstall());

  it('answers an unknown or malformed ARN as Step Functions does: DoesNotExist by kind, InvalidArn', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const flow = runner.arns.flow!;
    const unknownExecution = flow.replace(':stateMachine:', ':execution:').concat(':nope');
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: unknownExecution }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${unknownExecution}'`,
    });
    const unknownMachine = `${flow}-nope`;
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: unknownMachine, name: 'x', input: '{}' })),
    ).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
      message: `State Machine Does Not Exist: '${unknownMachine}'`,
    });
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' }))).rejects.toMatchObject({
      name: 'InvalidArn',
    });
  });

  it('returns the same execution for the same name and input while it runs, and ExecutionAlreadyExists otherwise', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const input = JSON.stringify({ vpc: 'vpc-1' });
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'onboard-vpc-1', input }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'onboard-vpc-1', input }),
    );

    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'onboard-vpc-1', input: '{"vpc":"x"}' }),
      ),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    await runner.settle();
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'onboard-vpc-1', input })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(runner.sfn.executions()).toHaveLength(1);
    expect(runner.lambdas.counts().validate).toBe(1);
  });

  it('keeps execution names unique per state machine, not across state machines', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const input = JSON.stringify({ vpc: 'vpc-9' });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'same-name', input }));
    const other = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.arns.approval, name: 'same-name', input }),
    );

    expect(other.executionArn).toBe(`arn:aws:states:${REGION}:${HUB}:execution:spokelink-approval:same-name`);
  });

  it.each([
    ['an empty name', ''],
    ['a name of 81 characters', 'a'.repeat(81)],
    ['a name with a space', 'onboard vpc-1'],
    ['a name with a colon', 'onboard:vpc-1'],
    ['a name CloudWatch Logs cannot carry', 'onboard.vpc-1'],
  ])('refuses %s with InvalidName', async (_case, name) => {
    runner = fixtureRunner();
    await expect(
      runner.client().send(new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name, input: '{}' })),
    ).rejects.toBeInstanceOf(InvalidName);
  });

  it('refuses callers of another account with AccessDeniedException', async () => {
    runner = fixtureRunner();
    const intruder = runner.client('arn:aws:iam::222222222222:role/app-team');
    await expect(
      intruder.send(new StartExecutionCommand({ stateMachineArn: runner.arns.flow, input: '{}' })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('describes executions and lists them newest first, filtered by status and paginated', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    for (const [i, mode] of ['ok', 'ok', 'slow'].entries()) {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: runner.arns.flow,
          name: `run-${i}`,
          input: JSON.stringify({ vpc: `vpc-${i}`, mode }),
        }),
      );
      await runner.clock.runUntil(() => false, { maxVirtualMs: 1_000 });
    }
    await runner.clock.runUntil(() => runner.sfn.executions().filter((e) => e.status !== 'RUNNING').length === 2);

    const running = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: runner.arns.flow, statusFilter: 'RUNNING' }),
    );
    const page1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn: runner.arns.flow, maxResults: 2 }));
    const page2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: runner.arns.flow, maxResults: 2, nextToken: page1.nextToken }),
    );
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: page1.executions![1]!.executionArn }));

    expect(running.executions!.map((e) => e.name)).toEqual(['run-2']);
    expect([...page1.executions!, ...page2.executions!].map((e) => e.name)).toEqual(['run-2', 'run-1', 'run-0']);
    expect(page2.nextToken).toBeUndefined();
    expect(done).toMatchObject({ name: 'run-1', status: 'SUCCEEDED', input: '{"vpc":"vpc-1","mode":"ok"}' });
    expect(isDate(done.stopDate)).toBe(true);
    expect(JSON.parse(done.output!)).toMatchObject({
      provisioned: [{ attachment: { attachmentId: 'tgw-attach-1' } }, {}],
    });
  });

  it('returns the history in the Step Functions format, with retries as repeated Scheduled/Failed events', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: runner.arns.flow,
        name: 'onboard-vpc-7',
        input: JSON.stringify({ vpc: 'vpc-7', mode: 'transient-once' }),
      }),
    );
    await runner.settle();

    const events = await fullHistory(sfn, executionArn!);
    const types = events.map((e) => e.type);

    expect(types.slice(0, 9)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
    ]);
    expect(types).toEqual(
      expect.arrayContaining(['ParallelStateEntered', 'ParallelStateStarted', 'TaskScheduled', 'TaskSucceeded']),
    );
    expect(types.slice(-5)).toEqual([
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    for (const e of events.slice(1)) expect(e.previousEventId).toBeLessThan(e.id!);
    for (const [i, e] of events.entries()) {
      expect(isDate(e.timestamp)).toBe(true);
      if (i > 0) expect(e.timestamp!.getTime()).toBeGreaterThanOrEqual(events[i - 1]!.timestamp!.getTime());
    }
    expect(events[4]!.lambdaFunctionFailedEventDetails).toEqual({
      error: 'TransientError',
      cause: JSON.stringify({ errorType: 'TransientError', errorMessage: 'try again', trace: [] }),
    });
    // The retry waited IntervalSeconds (2 s) on the clock.
    expect(events[5]!.timestamp!.getTime() - events[4]!.timestamp!.getTime()).toBe(2_000);
    expect(events[2]!.lambdaFunctionScheduledEventDetails).toMatchObject({
      resource: `arn:aws:lambda:${REGION}:${HUB}:function:spokelink-validate`,
      input: '{"vpc":"vpc-7","mode":"transient-once"}',
    });
    const scheduled = events.find((e) => e.type === 'TaskScheduled')!;
    expect(scheduled.taskScheduledEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: REGION,
    });
    expect(JSON.parse(scheduled.taskScheduledEventDetails!.parameters!)).toMatchObject({
      FunctionName: `arn:aws:lambda:${REGION}:${HUB}:function:spokelink-attach`,
    });
    const zonesEntered = events.find((e) => e.stateEnteredEventDetails?.name === 'Zones')!;
    const parallelStarted = events.find((e) => e.type === 'ParallelStateStarted')!;
    expect(zonesEntered.previousEventId).toBe(parallelStarted.id);
  });

  it('ends a failed execution with ExecutionFailed carrying the error and cause', async () => {
    runner = fixtureRunner({ faults: [{ state: 'Zones', error: { name: 'BoomError', message: 'boom' } }] });
    const sfn = runner.client();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'fail-1', input: '{"vpc":"vpc-3"}' }),
    );
    await runner.settle();

    const events = await fullHistory(sfn, executionArn!);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));

    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: {
        error: 'BoomError',
        cause: JSON.stringify({ errorType: 'BoomError', errorMessage: 'boom', trace: [] }),
      },
    });
    expect(events.map((e) => e.type)).toContain('ParallelStateFailed');
    expect(described).toMatchObject({ status: 'FAILED', error: 'BoomError' });
  });

  it('waits for a task token and resumes with the output sent by SendTaskSuccess', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: runner.arns.approval,
        name: 'approve-vpc-5',
        input: '{"vpc":"vpc-5"}',
      }),
    );
    await runner.settle();
    const token = runner.state.tokens[0]!;

    expect(runner.sfn.waitingForTokens()).toEqual([{ executionArn, state: 'AskApproval', token }]);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'AQCEnope', output: '{}' }))).rejects.toBeInstanceOf(
      TaskDoesNotExist,
    );

    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy":"alice"}' }));
    await runner.settle();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output!)).toEqual({ vpc: 'vpc-5', approval: { approvedBy: 'alice' } });
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(
      TaskTimedOut,
    );
    const types = (await fullHistory(sfn, executionArn!)).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('aborts a running execution with StopExecution, recording the error and cause', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.arns.approval, name: 'stop-me', input: '{"vpc":"vpc-6"}' }),
    );
    await runner.settle();

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'tagged by mistake' }));
    await runner.settle();

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const events = await fullHistory(sfn, executionArn!);
    expect(described.status).toBe('ABORTED');
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Operator', cause: 'tagged by mistake' },
    });
    expect(runner.clock.pendingTimers()).toBe(0);
  });

  it('saves executions with their histories, and answers the same API from the saved run', async () => {
    runner = fixtureRunner();
    const sfn = runner.client();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: runner.arns.flow, name: 'saved-1', input: '{"vpc":"vpc-8"}' }),
    );
    await runner.settle();
    const live = await fullHistory(sfn, executionArn!);
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-run-'));
    try {
      runner.sfn.save(dir);
      runner.clock.uninstall();

      const twin = new Twin({ services: [] });
      const replay = new LocalStepFunctions({
        twin,
        lambdas: runner.lambdas,
        region: REGION,
        accountId: HUB,
        roleArn: 'x',
      });
      replay.attach();
      replay.load(readSavedRun(dir));
      const { accessKeyId, secretAccessKey } = twin.credentialsFor(FUNCTIONS_ROLE);
      const client = new SFNClient({ region: REGION, credentials: { accessKeyId, secretAccessKey } });
      client.middlewareStack.use(twinPlugin(twin));

      const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: runner.arns.flow }));
      expect(listed.executions!.map((e) => [e.name, e.status])).toEqual([['saved-1', 'SUCCEEDED']]);
      expect(await fullHistory(client, executionArn!)).toEqual(live);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('openLastRun', () => {
  it('answers ListExecutions and GetExecutionHistory of a saved run through a real SFNClient', async () => {
    const runner = fixtureRunner();
    const dir = mkdtempSync(join(tmpdir(), 'spokelink-last-'));
    try {
      const execution = runner.sfn.start(runner.arns.flow!, 'onboard-vpc-0a1', '{"vpc":"vpc-0a1"}');
      await runner.settle();
      runner.sfn.save(dir);
      const live = runner.sfn.history(execution.executionArn);
      runner.clock.uninstall();

      const { openLastRun } = await import('#local/last-run');
      const last = openLastRun(dir);
      const listed = await last.client.send(
        new ListExecutionsCommand({ stateMachineArn: last.stateMachines['spokelink-flow'] }),
      );
      const history = await fullHistory(last.client, execution.executionArn);

      expect(listed.executions!.map((e) => e.name)).toEqual(['onboard-vpc-0a1']);
      expect(history).toEqual(JSON.parse(JSON.stringify(live), (k, v) => (k === 'timestamp' ? new Date(v) : v)));
    } finally {
      runner.clock.uninstall();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says to run simulate first when there is no saved run', async () => {
    const { openLastRun } = await import('#local/last-run');
    expect(() => openLastRun(join(tmpdir(), 'spokelink-nothing-here'))).toThrow(/run "spokelink simulate"/);
  });
});
