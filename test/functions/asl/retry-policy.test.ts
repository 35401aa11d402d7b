import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { loadEvent } from '../helpers';

// One retry policy for every Lambda Task of the three workflows (docs/workflow.md, "Retries and catches"): throttling
// sized for a migration day, Lambda service errors, and a Lambda that died or an AWS 5xx/timeout that outlasted the
// SDK's retries. Offboarding lacked the last one: a Lambda dying after its AWS calls failed 6 of 100 fault runs.

const ROOT = join(__dirname, '..', '..', '..');
type State = Record<string, unknown> & { Type: string };
interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

const text = (id: string) => readFileSync(join(ROOT, 'statemachines', `${id}.asl.json`), 'utf8');
const load = (id: string) => JSON.parse(text(id)) as { StartAt: string; States: Record<string, State> };

function allStates(states: Record<string, State>): { name: string; state: State }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    { name, state },
    ...((state.Branches as { States: Record<string, State> }[] | undefined) ?? []).flatMap((b) => allStates(b.States)),
    ...(state.ItemProcessor ? allStates((state.ItemProcessor as { States: Record<string, State> }).States) : []),
  ]);
}

/** Tasks that invoke a workflow Lambda by its ARN (not the approval callback, not startExecution). */
const lambdaTasks = (id: string) =>
  allStates(load(id).States).filter(
    (s) => s.state.Type === 'Task' && /^\$\{[A-Za-z]+FunctionArn\}$/.test(String(s.state.Resource)),
  );

const THROTTLING = [
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
];
const LAMBDA_SERVICE = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
const CRASH = [
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'TimeoutError',
  'InternalError',
  'InternalFailure',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  // The Task's own TimeoutSeconds: every step is idempotent, a retry finds what the slow attempt did.
  'States.Timeout',
];

const retrierFor = (state: State, error: string) =>
  ((state.Retry as Retrier[] | undefined) ?? []).find((r) => r.ErrorEquals.includes(error));
const timing = (r: Retrier | undefined) =>
  r && {
    interval: r.IntervalSeconds,
    attempts: r.MaxAttempts,
    backoff: r.BackoffRate,
    maxDelay: r.MaxDelaySeconds,
    jitter: r.JitterStrategy,
  };

/** The onboarding's policy, the reference (its first Task). */
const reference = load('onboard').States.ValidateAndPlan!;

describe.each(['onboard', 'offboard', 'reconcile'])('ASL retry policy: %s.asl.json', (id) => {
  const tasks = lambdaTasks(id);

  it('has Lambda Tasks to check', () => {
    expect(tasks.length).toBeGreaterThan(1);
  });

  it.each([
    ['a Lambda that died or an AWS 5xx/timeout', CRASH],
    ['Lambda service errors', LAMBDA_SERVICE],
  ])('retries %s on every Lambda Task exactly as onboarding does', (_what, errors) => {
    for (const { name } of tasks) {
      for (const error of errors) {
        const found = retrierFor(tasks.find((t) => t.name === name)!.state, error);
        expect({ name, error, retry: timing(found) }).toEqual({
          name,
          error,
          retry: timing(retrierFor(reference, error)),
        });
      }
    }
  });

  it('retries throttling on every Lambda Task with backoff, a delay cap and full jitter', () => {
    for (const { name, state } of tasks) {
      for (const error of THROTTLING) {
        const found = retrierFor(state, error);
        expect({ name, error, jitter: found?.JitterStrategy }).toEqual({ name, error, jitter: 'FULL' });
        expect(found!.BackoffRate).toBeGreaterThan(1);
        expect(found!.MaxDelaySeconds).toBeGreaterThan(0);
      }
    }
  });
});

describe('ASL retry policy: offboarding and the onboarding rollback', () => {
  const removals = [
    ...lambdaTasks('offboard'),
    ...lambdaTasks('onboard').filter((t) => /^(Undo|PlanRollback|SummarizeRollback|MarkRollingBack)/.test(t.name)),
  ];

  it('retries the state timeout of every idempotent removal step (a retried removal finds what is left)', () => {
    expect(removals.length).toBeGreaterThan(20);
    for (const { name, state } of removals) {
      expect({ name, timeout: retrierFor(state, 'States.Timeout') !== undefined }).toEqual({ name, timeout: true });
    }
  });

  it('sizes offboarding throttling for a migration day, like onboarding (40 attempts, up to 300 s apart)', () => {
    for (const { name, state } of lambdaTasks('offboard')) {
      expect({ name, retry: timing(retrierFor(state, 'Throttling')) }).toEqual({
        name,
        retry: timing(retrierFor(reference, 'Throttling')),
      });
    }
  });

  it('retries the project transient errors where they arise', () => {
    const offboard = Object.fromEntries(allStates(load('offboard').States).map((s) => [s.name, s.state]));
    const onboard = Object.fromEntries(allStates(load('onboard').States).map((s) => [s.name, s.state]));
    expect(retrierFor(offboard.AcquireLease!, 'VpcBusyError')).toBeDefined();
    expect(retrierFor(offboard.DeleteAttachment!, 'AttachmentNotReadyError')).toBeDefined();
    expect(retrierFor(offboard.DeleteAttachment!, 'IncorrectState')).toBeDefined();
    expect(retrierFor(offboard.ArchiveMembership!, 'ClaimContentionError')).toBeDefined();
    expect(timing(retrierFor(offboard.RemoveZoneAssociations!, 'PriorRequestNotComplete'))).toEqual(
      timing(retrierFor(onboard.AssociateZones!, 'PriorRequestNotComplete')),
    );
    expect(retrierFor(onboard.UndoAttachment!, 'AttachmentNotReadyError')).toBeDefined();
    expect(retrierFor(onboard.UndoZoneAssociations!, 'PriorRequestNotComplete')).toBeDefined();
    expect(retrierFor(onboard.UndoAddedZoneAssociations!, 'PriorRequestNotComplete')).toBeDefined();
  });

  it('never retries blindly: no States.ALL retrier, no business error retried', () => {
    for (const { name, state } of removals) {
      for (const error of ['States.ALL', 'ConflictError', 'SpokeAccessError', 'QuotaExceededError']) {
        expect({ name, error, retried: retrierFor(state, error) !== undefined }).toEqual({
          name,
          error,
          retried: false,
        });
      }
    }
  });
});

// ---- data flow: a Lambda that dies during offboarding --------------------------------------------------------------

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const EXECUTION_ID = 'arn:aws:states:us-east-1:111111111111:execution:spokelink-offboard:vpc-x-offboard-abc';

function runOffboard(deaths: number) {
  const calls: string[] = [];
  let died = 0;
  const vpc = { vpcId: 'vpc-0a1b2c3d4e5f60001', accountId: '222222222222', region: 'us-east-1' };
  const handlers: Record<string, () => unknown> = {
    AcquireLease: () => ({ owner: EXECUTION_ID }),
    PlanOffboarding: () => ({ vpc: { ...vpc, exists: true, spokeReachable: true }, hasRecord: true, detail: 'x' }),
    WithdrawPendingApproval: () => ({ withdrawn: false }),
    RecordOffboarding: () => ({ recorded: true }),
    SetStatusOffboarding: () => ({ written: true }),
    RemoveSpokeRoutes: () => {
      if (died < deaths) {
        died += 1;
        throw named('Lambda.Unknown', 'The Lambda died after its DeleteRoute calls');
      }
      return { removed: [], vanished: [] };
    },
    RemoveZoneAssociations: () => ({ disassociated: [] }),
    RemoveEndpointAccess: () => ({ rulesRevoked: [] }),
    DeleteAttachment: () => ({ deleted: ['tgw-attach-1'], alreadyGone: [] }),
    UnshareTransitGateway: () => ({ unshared: true }),
    ArchiveMembership: () => ({ status: 'disconnected', summary: 'disconnected' }),
    SetStatusDisconnected: () => ({ written: true }),
    ReleaseLease: () => ({ released: true }),
    RecordFailure: () => ({ recorded: true }),
    SetStatusFailed: () => ({ written: true, error: 'Lambda.Unknown', cause: 'RemoveSpokeRoutes: Lambda.Unknown: x' }),
    ReleaseLeaseAfterFailure: () => ({ released: true }),
  };
  const local = Object.fromEntries(
    Object.entries(handlers).map(([state, fn]) => [
      state,
      async () => {
        calls.push(state);
        return fn() as never;
      },
    ]),
  );
  const definition = JSON.parse(
    text('offboard').replace(
      /\$\{([A-Za-z]+)FunctionArn\}/g,
      'arn:aws:lambda:us-east-1:111111111111:function:spokelink-$1',
    ),
  ) as StateMachineDefinition;
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true } });
  const retryIntervalOverrides = Object.fromEntries(lambdaTasks('offboard').map((t) => [t.name, 0]));
  const execution = machine.run(loadEvent('tag-change-disconnect') as never, {
    overrides: { taskResourceLocalHandlers: local, retryIntervalOverrides },
    context: { Execution: { Id: EXECUTION_ID, Name: 'vpc-x-offboard-abc' } } as never,
  });
  return { result: execution.result, calls };
}

describe('ASL: offboard.asl.json with a Lambda that dies', () => {
  it('retries a removal whose Lambda died after its calls and disconnects without a re-run', async () => {
    const { result, calls } = runOffboard(2);

    await expect(result).resolves.toBeDefined();
    expect(calls.filter((c) => c === 'RemoveSpokeRoutes')).toHaveLength(3);
    expect(calls.slice(-3)).toEqual(['ArchiveMembership', 'SetStatusDisconnected', 'ReleaseLease']);
  });

  it('gives up after three retries and fails naming the step', async () => {
    const { result, calls } = runOffboard(4);

    const error = await result.catch((e: Error & { cause?: { name?: string; message?: string } }) => e.cause);
    expect(error).toMatchObject({ name: 'Lambda.Unknown' });
    expect(calls.filter((c) => c === 'RemoveSpokeRoutes')).toHaveLength(4);
    expect(calls.slice(-3)).toEqual(['RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure']);
  });
});
