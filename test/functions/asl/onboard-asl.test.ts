import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { loadEvent } from '../helpers';
import { examplePlan } from '../plan-fixture';

// The onboarding ASL itself: its shape (static checks) and its data flow, run on aws-local-stepfunctions with stub
// handlers per state (the real handlers on the twin are the workflow tests of the local runner).

const ROOT = join(__dirname, '..', '..', '..');
const TEXT = readFileSync(join(ROOT, 'statemachines', 'onboard.asl.json'), 'utf8');

type State = Record<string, unknown> & { Type: string };
interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}
interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string;
}

const definition = JSON.parse(TEXT) as { StartAt: string; States: Record<string, State> };

/** Every state with the states map it lives in (top level and Parallel branches). */
function allStates(states = definition.States): { name: string; state: State; scope: Record<string, State> }[] {
  return Object.entries(states).flatMap(([name, state]) => [
    { name, state, scope: states },
    ...((state.Branches as { States: Record<string, State> }[] | undefined) ?? []).flatMap((b) => allStates(b.States)),
  ]);
}

const tasks = allStates().filter((s) => s.state.Type === 'Task');
/** The rollback sub-flow's Tasks (they catch into $.rollbackFailure). */
const ROLLBACK = /^(Undo|PlanRollback|SummarizeRollback|MarkRollingBack)/;
const THROTTLING = ['RequestLimitExceeded', 'Throttling', 'ThrottlingException', 'TooManyRequestsException'];
const LAMBDA = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/** Longest total wait a retrier allows (no jitter): the sum of its clamped intervals. */
function totalWait(r: Retrier): number {
  let sum = 0;
  for (let attempt = 0; attempt < (r.MaxAttempts ?? 3); attempt++) {
    const wait = (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** attempt;
    sum += Math.min(wait, r.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
  }
  return sum;
}

const retrier = (state: State, error: string) =>
  (state.Retry as Retrier[] | undefined)?.find((r) => r.ErrorEquals.includes(error));
const catcher = (state: State, error: string) =>
  (state.Catch as Catcher[] | undefined)?.find((c) => c.ErrorEquals.includes(error));

describe('ASL: onboard.asl.json shape', () => {
  it('uses unique state names (local handlers and the execution history are keyed by them)', () => {
    const names = allStates().map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every Task a TimeoutSeconds (or, for the approval wait, a TimeoutSecondsPath from the plan)', () => {
    const missing = tasks.filter(
      (t) =>
        !(typeof t.state.TimeoutSeconds === 'number' && t.state.TimeoutSeconds > 0) &&
        t.state.TimeoutSecondsPath !== '$.plan.approval.timeoutSeconds',
    );
    expect(missing.map((t) => t.name)).toEqual([]);
  });

  it('invokes Lambdas directly by <PascalName>FunctionArn placeholder, each with a functions/<kebab>/handler.ts', () => {
    const placeholders = [...TEXT.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]!);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const placeholder of new Set(placeholders)) {
      expect(placeholder).toMatch(/^[A-Z][A-Za-z0-9]*FunctionArn$/);
      const kebab = placeholder
        .replace(/FunctionArn$/, '')
        .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
        .toLowerCase();
      expect(existsSync(join(ROOT, 'functions', kebab, 'handler.ts'))).toBe(true);
    }
    for (const t of tasks) {
      if (t.state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        // The approval wait: a Lambda invoked with the task token, resumed by SendTaskSuccess/SendTaskFailure.
        expect((t.state.Parameters as { FunctionName?: string }).FunctionName).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
      } else {
        expect(t.state.Resource).toMatch(/^\$\{[A-Za-z]+FunctionArn\}$/);
      }
    }
  });

  it('retries throttling and Lambda service errors on every Task with backoff, a delay cap and full jitter', () => {
    for (const t of tasks) {
      for (const error of [...THROTTLING, ...LAMBDA]) {
        const r = retrier(t.state, error);
        expect({ state: t.name, error, jitter: r?.JitterStrategy }).toEqual({ state: t.name, error, jitter: 'FULL' });
        expect(r!.BackoffRate).toBeGreaterThan(1);
        expect(r!.MaxDelaySeconds).toBeGreaterThan(0);
      }
    }
  });

  it('never retries blindly (no States.ALL retrier) and never retries business errors', () => {
    for (const t of tasks) {
      for (const error of [
        'States.ALL',
        'RejectedError',
        'ConflictError',
        'AttachmentFailedError',
        'SpokeAccessError',
      ]) {
        expect({ state: t.name, retried: retrier(t.state, error) !== undefined, error }).toEqual({
          state: t.name,
          retried: false,
          error,
        });
      }
    }
  });

  it('retries exactly the transient errors where they arise', () => {
    const s = Object.fromEntries(allStates().map((x) => [x.name, x.state]));
    expect(retrier(s.AssociateZones!, 'PriorRequestNotComplete')).toBeDefined();
    expect(retrier(s.AssociateAndPropagate!, 'IncorrectState')).toBeDefined();
    expect(retrier(s.AcceptAttachment!, 'IncorrectState')).toBeDefined();
    expect(retrier(s.CreateAttachment!, 'InvalidTransitGatewayID.NotFound')).toBeDefined();
    expect(retrier(s.AcquireLease!, 'VpcBusyError')).toMatchObject({ JitterStrategy: 'FULL' });
  });

  it('waits for the attachment up to 10 minutes while adding at most 3 s after it becomes available', () => {
    const wait = retrier(allStates().find((x) => x.name === 'WaitForAttachment')!.state, 'AttachmentNotReadyError')!;

    const longestInterval = Math.min(
      (wait.IntervalSeconds ?? 1) * (wait.BackoffRate ?? 2) ** ((wait.MaxAttempts ?? 3) - 1),
      wait.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
    );

    expect(totalWait(wait)).toBeGreaterThanOrEqual(600);
    expect(longestInterval).toBeLessThanOrEqual(3);
  });

  it('polls connectivity with a backoff and a cap (the first retry within 1 s, then at most 8 s apart), the association every second, 5 minutes in all', () => {
    const s = Object.fromEntries(allStates().map((x) => [x.name, x.state]));
    const poll = retrier(s.WaitForConnectivity!, 'ConnectivityPendingError')!;
    expect(poll.IntervalSeconds).toBeLessThanOrEqual(1);
    expect(poll.BackoffRate).toBeGreaterThan(1);
    expect(poll.MaxDelaySeconds).toBeLessThanOrEqual(8);
    expect(totalWait(poll)).toBeGreaterThanOrEqual(280);
    // The association alone pending (the critical path's last wait): every second, about as long in all.
    const association = retrier(s.WaitForConnectivity!, 'AssociationPendingError')!;
    expect(association).toMatchObject({ IntervalSeconds: 1, BackoffRate: 1, JitterStrategy: 'NONE' });
    expect(totalWait(association)).toBeGreaterThanOrEqual(280);
    // A throttled poll (it changes nothing) comes back sooner than a throttled mutation.
    expect(retrier(s.WaitForConnectivity!, 'RequestLimitExceeded')!.MaxDelaySeconds).toBeLessThanOrEqual(30);
  });

  it('retries throttling of the hub-EC2 steps at most 30 s apart, for as long in all as the shared policy', () => {
    const s = Object.fromEntries(allStates().map((x) => [x.name, x.state]));
    const shared = retrier(s.ValidateAndPlan!, 'RequestLimitExceeded')!;
    for (const name of ['AcceptAttachment', 'AssociateAndPropagate', 'RegisterConsumer']) {
      const r = retrier(s[name]!, 'RequestLimitExceeded')!;
      expect({ name, maxDelay: r.MaxDelaySeconds, jitter: r.JitterStrategy }).toEqual({
        name,
        maxDelay: 30,
        jitter: 'FULL',
      });
      // Full jitter waits half the delay on average: the attempts outlast the shared 40 up to 300 s apart.
      expect(totalWait(r)).toBeGreaterThanOrEqual(totalWait(shared));
    }
  });

  it('catches every Task: named business errors first, States.ALL last', () => {
    for (const t of tasks) {
      const catches = (t.state.Catch as Catcher[] | undefined) ?? [];
      expect({ state: t.name, last: catches.at(-1)?.ErrorEquals }).toEqual({ state: t.name, last: ['States.ALL'] });
    }
    const s = definition.States;
    expect(catcher(s.ValidateAndPlan!, 'RejectedError')?.Next).toBe('SetStatusRejected');
    // Under the lease: every way out gives it back.
    expect(catcher(s.ValidateAndPlan!, 'IgnoredEventError')?.Next).toBe('ReleaseLeaseAfterIgnoring');
    expect(s.ReleaseLeaseAfterIgnoring!.Next).toBe('IgnoreWithdrawnRequest');
    expect(catcher(s.ValidateAndPlan!, 'VpcNotFoundError')?.Next).toBe('ReleaseLeaseWhenVpcIsGone');
    expect(s.ReleaseLeaseWhenVpcIsGone!.Next).toBe('EndBecauseVpcIsGone');
    expect(catcher(s.ValidateAndPlan!, 'AlreadyConnectedError')?.Next).toBe('ReleaseLeaseWhenAlreadyConnected');
    expect(s.ReleaseLeaseWhenAlreadyConnected!.Next).toBe('EndBecauseAlreadyConnected');
    expect(catcher(s.AcquireLease!, 'VpcBusyError')?.Next).toBe('GiveUpBecauseVpcIsBusy');
    expect(catcher(s.BeginOnboarding!, 'RejectedError')?.Next).toBe('SetStatusRejected');
    expect(catcher(s.ConnectSpokeVpc!, 'States.ALL')?.Next).toBe('BeginRollback');
  });

  it('names the failing step in the catch path of every main-work Task', () => {
    const mainWork = tasks.filter(
      (t) => !/^(SetStatus(Rejected|Failed)|Release|RecordFailure)/.test(t.name) && !ROLLBACK.test(t.name),
    );
    for (const t of mainWork) {
      expect({ state: t.name, path: catcher(t.state, 'States.ALL')?.ResultPath }).toEqual({
        state: t.name,
        path: `$.failure.${t.name}`,
      });
    }
  });

  it("keeps the rollback's own failures apart from the failure being rolled back, and always summarizes", () => {
    const rollback = tasks.filter((t) => ROLLBACK.test(t.name));
    expect(rollback.map((t) => t.name).sort()).toEqual([
      'MarkRollingBack',
      'PlanRollback',
      'SummarizeRollback',
      'UndoAddedEndpointAccess',
      'UndoAddedRoutes',
      'UndoAddedZoneAssociations',
      'UndoAttachment',
      'UndoEndpointAccess',
      'UndoSpokeRoutes',
      'UndoTransitGatewayShare',
      'UndoZoneAssociations',
    ]);
    for (const t of rollback) {
      expect({ state: t.name, path: catcher(t.state, 'States.ALL')?.ResultPath }).toEqual({
        state: t.name,
        path: `$.rollbackFailure.${t.name}`,
      });
    }
    const s = definition.States;
    expect(catcher(s.PlanRollback!, 'States.ALL')?.Next).toBe('SummarizeRollback');
    expect(catcher(s.RollBackMembership!, 'States.ALL')?.Next).toBe('SummarizeRollback');
    expect(catcher(s.RollBackAdditions!, 'States.ALL')?.Next).toBe('SummarizeRollback');
    expect(catcher(s.SummarizeRollback!, 'States.ALL')?.Next).toBe('RecordFailure');
    expect(s.SummarizeRollback!.Next).toBe('RecordFailure');
  });

  it('points every transition at a state of the same scope', () => {
    for (const { name, state, scope } of allStates()) {
      const targets = [
        state.Next,
        state.Default,
        ...((state.Catch as Catcher[] | undefined) ?? []).map((c) => c.Next),
        ...((state.Choices as { Next: string }[] | undefined) ?? []).map((c) => c.Next),
      ].filter((t): t is string => typeof t === 'string');
      for (const target of targets)
        expect({ from: name, to: target, exists: target in scope }).toEqual({ from: name, to: target, exists: true });
    }
  });
});

// ---- data flow with stub handlers ------------------------------------------------------------------------------

type Handler = (input: Record<string, unknown>) => unknown;

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

const EXECUTION_ID = 'arn:aws:states:us-east-1:111111111111:execution:spokelink-onboard:vpc-x-onboard-abc';
const VPC_REF = { vpcId: 'vpc-0a1b2c3d4e5f60001', accountId: '222222222222', region: 'us-east-1', exists: true };
const BEFORE = { connectedAt: '2026-01-01T00:00:00.000Z', routes: [], zones: [], securityGroupRules: [] };
const ROLLBACK_MEMBERSHIP = [
  'PlanRollback',
  'MarkRollingBack',
  'UndoSpokeRoutes',
  'UndoAttachment',
  'UndoTransitGatewayShare',
  'UndoZoneAssociations',
  'UndoEndpointAccess',
  'SummarizeRollback',
];

function run(overrides: Record<string, Handler> = {}) {
  const calls: { state: string; input: Record<string, unknown> }[] = [];
  const plan = examplePlan();
  const defaults: Record<string, Handler> = {
    AcquireLease: () => ({ vpcId: plan.vpcId, owner: EXECUTION_ID, token: 1 }),
    ValidateAndPlan: () => plan,
    BeginOnboarding: () => ({ claimedBuckets: ['10.0'] }),
    ReleaseLeaseAfterIgnoring: () => ({ released: true }),
    ReleaseLeaseWhenVpcIsGone: () => ({ released: true }),
    ReleaseLeaseWhenAlreadyConnected: () => ({ released: true }),
    ReleaseLeaseAfterSuperseded: () => ({ released: true }),
    SetStatusOnboarding: (i) => ({ written: true, status: i.status }),
    ShareTransitGateway: () => ({ principalAdded: true }),
    CreateAttachment: () => ({ attachmentId: 'tgw-attach-1', state: 'pendingAcceptance', reused: false }),
    AcceptAttachment: () => ({ accepted: true }),
    WaitForAttachment: () => ({ state: 'available' }),
    AssociateAndPropagate: () => ({ changes: [], routesActive: true }),
    CreateSpokeRoutes: () => ({ created: [], existing: [] }),
    AssociateZones: () => ({ associated: [], changeIds: ['/change/C1'] }),
    CreateSpokeEndpoints: () => ({ created: [], existing: [] }),
    RegisterConsumer: () => ({ rulesCreated: 2 }),
    WaitForConnectivity: () => ({ confirmed: [] }),
    RecordConsumer: () => ({ status: 'connected', summary: 'connected via tgw-attach-1' }),
    SetStatusConnected: () => ({ written: true }),
    ReleaseLease: () => ({ released: true }),
    SetStatusRejected: () => ({ written: true }),
    ReleaseLeaseAfterRejection: () => ({ released: false }),
    RecordFailure: () => ({ recorded: true }),
    SetStatusFailed: () => ({ written: true, error: 'ConflictError', cause: 'CreateSpokeRoutes: ConflictError: x' }),
    ReleaseLeaseAfterFailure: () => ({ released: true }),
    NoteWhatExists: () => BEFORE,
    PlanRollback: () => ({ mode: 'membership', reason: 'never connected', vpc: VPC_REF, toUndo: {} }),
    MarkRollingBack: () => ({ recorded: true }),
    UndoSpokeRoutes: () => ({ removed: [{ routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' }], vanished: [] }),
    UndoAttachment: () => ({ deleted: ['tgw-attach-1'], alreadyGone: [] }),
    UndoTransitGatewayShare: () => ({ unshared: true }),
    UndoZoneAssociations: () => ({ disassociated: [], vanished: [], retained: [], authorizationsDeleted: [] }),
    UndoEndpointAccess: () => ({ rulesRevoked: [], rulesVanished: [], principalsRemoved: [] }),
    UndoAddedRoutes: () => ({ removed: [], vanished: [] }),
    UndoAddedZoneAssociations: () => ({ disassociated: [], vanished: [] }),
    UndoAddedEndpointAccess: () => ({ rulesRevoked: [], rulesVanished: [] }),
    SummarizeRollback: () => ({ complete: true, summary: 'rolled back: attachment, 1 route, TGW share' }),
  };
  const handlers = Object.fromEntries(
    Object.entries({ ...defaults, ...overrides }).map(([state, fn]) => [
      state,
      async (input: unknown) => {
        calls.push({ state, input: input as Record<string, unknown> });
        return fn(input as Record<string, unknown>) as never;
      },
    ]),
  );
  const text = TEXT.replace(
    /\$\{([A-Za-z]+)FunctionArn\}/g,
    'arn:aws:lambda:us-east-1:111111111111:function:spokelink-$1',
  );
  const machine = new StateMachine(JSON.parse(text) as StateMachineDefinition, {
    validationOptions: { checkArn: true },
  });
  const retryIntervalOverrides = Object.fromEntries(tasks.map((t) => [t.name, 0]));
  const execution = machine.run(loadEvent('tag-change-connect') as never, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
    context: { Execution: { Id: EXECUTION_ID, Name: 'vpc-x-onboard-abc', StartTime: '2026-11-27T12:00:00Z' } } as never,
  });
  return { result: execution.result, calls, states: () => calls.map((c) => c.state) };
}

describe('ASL: onboard.asl.json data flow', () => {
  it('connects: lease, validate under it, begin, onboarding status, three branches, record, connected status, release', async () => {
    const { result, calls, states } = run();

    await expect(result).resolves.toBeDefined();
    expect(states().slice(0, 4)).toEqual(['AcquireLease', 'ValidateAndPlan', 'BeginOnboarding', 'SetStatusOnboarding']);
    expect(states().slice(-3)).toEqual(['RecordConsumer', 'SetStatusConnected', 'ReleaseLease']);
    expect(states()).toEqual(expect.arrayContaining(['CreateSpokeRoutes', 'AssociateZones', 'RegisterConsumer']));
    const validate = calls.find((c) => c.state === 'ValidateAndPlan')!;
    const lease = { vpcId: examplePlan().vpcId, owner: EXECUTION_ID, token: 1 };
    expect(validate.input).toEqual({ event: loadEvent('tag-change-connect'), lease });
    expect(calls.find((c) => c.state === 'AcquireLease')!.input).toEqual({
      action: 'acquire',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ID,
    });
    expect(calls.find((c) => c.state === 'BeginOnboarding')!.input).toEqual({
      action: 'begin',
      plan: examplePlan(),
      executionArn: EXECUTION_ID,
    });
    // Each status step gets exactly what its status reads of the state, by name: never the whole state.
    const execution = {
      executionName: 'vpc-x-onboard-abc',
      executionArn: EXECUTION_ID,
      executionStartTime: expect.any(String),
      event: loadEvent('tag-change-connect'),
      lease,
    };
    expect(calls.find((c) => c.state === 'SetStatusOnboarding')!.input).toEqual({
      status: 'onboarding',
      ...execution,
      plan: examplePlan(),
    });
    const accept = calls.find((c) => c.state === 'AcceptAttachment')!;
    expect(accept.input).toMatchObject({ action: 'accept', attachmentId: 'tgw-attach-1' });
    const connected = calls.find((c) => c.state === 'SetStatusConnected')!;
    expect(connected.input).toEqual({
      status: 'connected',
      ...execution,
      plan: examplePlan(),
      record: { status: 'connected', summary: 'connected via tgw-attach-1' },
    });
    expect(calls.find((c) => c.state === 'RecordConsumer')!.input).toEqual({
      action: 'connected',
      executionArn: EXECUTION_ID,
      plan: examplePlan(),
      lease,
    });
    const release = calls.find((c) => c.state === 'ReleaseLease')!;
    expect(release.input).toEqual({
      action: 'release',
      event: loadEvent('tag-change-connect'),
      executionArn: EXECUTION_ID,
    });
  });

  it('retries WaitForAttachment on AttachmentNotReadyError until the attachment is available', async () => {
    let polls = 0;
    const { result, states } = run({
      WaitForAttachment: () => {
        polls += 1;
        if (polls < 4) throw named('AttachmentNotReadyError', 'pending');
        return { state: 'available' };
      },
    });

    await expect(result).resolves.toBeDefined();
    expect(states().filter((s) => s === 'WaitForAttachment')).toHaveLength(4);
  });

  it('waits for connectivity with the attachment and the zone changes before recording the VPC connected', async () => {
    let polls = 0;
    const { result, calls, states } = run({
      WaitForConnectivity: () => {
        polls += 1;
        if (polls < 3) throw named('ConnectivityPendingError', 'association of tgw-attach-1 is associating');
        return { confirmed: ['association associated'] };
      },
    });

    await expect(result).resolves.toBeDefined();
    expect(states().filter((s) => s === 'WaitForConnectivity')).toHaveLength(3);
    expect(states().indexOf('WaitForConnectivity')).toBeLessThan(states().indexOf('RecordConsumer'));
    expect(calls.find((c) => c.state === 'WaitForConnectivity')!.input).toMatchObject({
      action: 'confirm',
      attachmentId: 'tgw-attach-1',
      routesActive: true,
      zones: { changeIds: ['/change/C1'] },
    });
    // AssociateAndPropagate learns whether the attachment is this execution's (nothing to read before it acts).
    expect(calls.find((c) => c.state === 'AssociateAndPropagate')!.input).toMatchObject({
      action: 'associate',
      attachmentId: 'tgw-attach-1',
      attachmentReused: false,
    });
  });

  it('fails, naming WaitForConnectivity, when the changes never take effect (nothing is rolled back)', async () => {
    const { result, states } = run({
      WaitForConnectivity: () => {
        throw named('ConnectivityPendingError', 'association of tgw-attach-1 is associating');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states()).not.toContain('RecordConsumer');
    expect(states()).not.toContain('PlanRollback');
    expect(states().slice(-3)).toEqual(['RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure']);
  });

  it('ends a request for a VPC connected as it asks right after the validation under the lease, writing nothing', async () => {
    const { result, states } = run({
      ValidateAndPlan: () => {
        throw named('AlreadyConnectedError', 'vpc-x is already connected as it asks');
      },
    });

    await expect(result).resolves.toBeDefined();
    expect(states()).toEqual(['AcquireLease', 'ValidateAndPlan', 'ReleaseLeaseWhenAlreadyConnected']);
  });

  it('rejects under the lease: status rejected with the caught error, release, success', async () => {
    const { result, calls, states } = run({
      ValidateAndPlan: () => {
        throw named('RejectedError', 'unknown-segment: segment "x" is not one of prod, nonprod');
      },
    });

    await expect(result).resolves.toBeDefined();
    expect(states()).toEqual(['AcquireLease', 'ValidateAndPlan', 'SetStatusRejected', 'ReleaseLeaseAfterRejection']);
    expect(calls[2]!.input).toEqual({
      status: 'rejected',
      executionName: 'vpc-x-onboard-abc',
      executionArn: EXECUTION_ID,
      executionStartTime: expect.any(String),
      event: loadEvent('tag-change-connect'),
      lease: { vpcId: examplePlan().vpcId, owner: EXECUTION_ID, token: 1 },
      error: { Error: 'RejectedError', Cause: expect.stringContaining('unknown-segment') },
    });
  });

  it('rejects an overlap found when claiming the CIDRs and releases the lease', async () => {
    const { result, states } = run({
      BeginOnboarding: () => {
        throw named('RejectedError', 'cidr-overlap: x');
      },
    });

    await expect(result).resolves.toBeDefined();
    expect(states()).toEqual([
      'AcquireLease',
      'ValidateAndPlan',
      'BeginOnboarding',
      'SetStatusRejected',
      'ReleaseLeaseAfterRejection',
    ]);
  });

  it('ends quietly for a withdrawn request or a VPC that is gone', async () => {
    for (const error of ['IgnoredEventError', 'VpcNotFoundError']) {
      const { result, states } = run({
        ValidateAndPlan: () => {
          throw named(error, 'x');
        },
      });
      await expect(result).resolves.toBeDefined();
      expect(states()).toEqual([
        'AcquireLease',
        'ValidateAndPlan',
        error === 'IgnoredEventError' ? 'ReleaseLeaseAfterIgnoring' : 'ReleaseLeaseWhenVpcIsGone',
      ]);
    }
  });

  it('lets the other branches finish when one fails, records the failure naming the step, then fails', async () => {
    const { result, calls, states } = run({
      CreateSpokeRoutes: () => {
        throw named('ConflictError', 'route conflict: rtb-1 routes 10.0.0.0/16 to pcx-1');
      },
    });

    await expect(result).rejects.toThrow();
    const error = await result.catch((e: Error & { cause?: { name?: string; message?: string } }) => e.cause);
    expect(error).toMatchObject({ name: 'ConflictError', message: 'CreateSpokeRoutes: ConflictError: x' });
    expect(states()).toEqual(expect.arrayContaining(['AssociateZones', 'RegisterConsumer']));
    expect(states().slice(-3)).toEqual(['RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure']);
    const record = calls.find((c) => c.state === 'RecordFailure')!;
    expect(Object.keys(record.input).sort()).toEqual([
      'action',
      'branches',
      'event',
      'executionArn',
      'failure',
      'lease',
    ]);
    expect((record.input as { branches: unknown[] }).branches[0]).toEqual({
      failed: {
        CreateSpokeRoutes: { Error: 'ConflictError', Cause: 'route conflict: rtb-1 routes 10.0.0.0/16 to pcx-1' },
      },
    });
    expect(states()).not.toContain('RecordConsumer');
  });

  it('rolls a new membership back with the offboarding removals before recording the failure', async () => {
    const { result, calls, states } = run({
      AssociateZones: () => {
        throw named('QuotaExceededError', 'associating vpc-x with zone ssm: LimitsExceeded: full');
      },
    });

    const error = await result.catch((e: Error & { cause?: { name?: string } }) => e.cause);
    expect(error).toMatchObject({ name: 'ConflictError' }); // the stub SetStatusFailed's outcome
    const after = states().slice(states().indexOf('PlanRollback'));
    expect([...after].sort()).toEqual(
      [...ROLLBACK_MEMBERSHIP, 'RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure'].sort(),
    );
    expect(after.slice(-4)).toEqual([
      'SummarizeRollback',
      'RecordFailure',
      'SetStatusFailed',
      'ReleaseLeaseAfterFailure',
    ]);
    expect(after.indexOf('UndoSpokeRoutes')).toBeLessThan(after.indexOf('UndoAttachment'));
    expect(after.indexOf('UndoAttachment')).toBeLessThan(after.indexOf('UndoTransitGatewayShare'));
    for (const [state, action] of [
      ['UndoSpokeRoutes', 'remove'],
      ['UndoAttachment', 'remove'],
      ['UndoTransitGatewayShare', 'unshare'],
      ['UndoZoneAssociations', 'remove'],
      ['UndoEndpointAccess', 'remove'],
    ] as const) {
      expect(calls.find((c) => c.state === state)!.input).toEqual({ action, vpc: VPC_REF });
    }
    expect(calls.find((c) => c.state === 'MarkRollingBack')!.input).toMatchObject({ action: 'offboarding' });
    const summarize = calls.find((c) => c.state === 'SummarizeRollback')!.input as {
      rollback: unknown[];
      rollbackFailure: object;
    };
    expect(Object.keys(summarize).sort()).toEqual([
      'action',
      'before',
      'plan',
      'rollback',
      'rollbackFailure',
      'rollbackPlan',
    ]);
    expect(summarize).toMatchObject({ before: null, rollbackPlan: { mode: 'membership' } });
    expect(summarize.rollbackFailure).toEqual({});
    expect(summarize.rollback).toEqual([
      {
        undone: {
          routes: { removed: [{ routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' }], vanished: [] },
          attachment: { deleted: ['tgw-attach-1'], alreadyGone: [] },
          share: { unshared: true },
        },
        failed: {},
      },
      { undone: { zones: expect.any(Object) }, failed: {} },
      { undone: { access: expect.any(Object) }, failed: {} },
    ]);
    const status = calls.find((c) => c.state === 'SetStatusFailed')!.input;
    expect(Object.keys(status).sort()).toEqual([
      'branches',
      'event',
      'executionArn',
      'executionName',
      'executionStartTime',
      'failure',
      'lease',
      'rollbackFailure',
      'rollbackOutcome',
      'status',
    ]);
    expect(status).toMatchObject({
      rollbackOutcome: { summary: 'rolled back: attachment, 1 route, TGW share' },
      branches: [
        expect.any(Object),
        { failed: { AssociateZones: expect.objectContaining({ Error: 'QuotaExceededError' }) } },
        expect.any(Object),
      ],
    });
    expect(status.failure).toEqual({});
  });

  it('keeps the attachment when its routes could not be removed, and goes on with the other branches', async () => {
    const { result, calls, states } = run({
      CreateAttachment: () => {
        throw named('QuotaExceededError', 'TransitGatewayAttachmentLimitExceeded');
      },
      UndoSpokeRoutes: () => {
        throw named('AccessDenied', 'not allowed');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states()).not.toContain('UndoAttachment');
    expect(states()).toEqual(expect.arrayContaining(['UndoZoneAssociations', 'UndoEndpointAccess']));
    const summarize = calls.find((c) => c.state === 'SummarizeRollback')!.input as { rollback: unknown[] };
    expect(summarize.rollback[0]).toEqual({
      undone: {},
      failed: { UndoSpokeRoutes: { Error: 'AccessDenied', Cause: 'not allowed' } },
    });
    const record = calls.find((c) => c.state === 'RecordFailure')!.input as { failure: object };
    expect(record.failure).toEqual({});
  });

  it('rolls a connected member back only by what it added: noted first, pruned with the plan of before', async () => {
    const member = { ...examplePlan(), change: { membership: 'existing' } };
    const keep = { ...examplePlan(), zones: [] };
    const { result, calls, states } = run({
      ValidateAndPlan: () => member,
      PlanRollback: () => ({ mode: 'additions', reason: 'member', vpc: VPC_REF, keep, toUndo: {} }),
      RegisterConsumer: () => {
        throw named('QuotaExceededError', 'RulesPerSecurityGroupLimitExceeded');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states().slice(0, 5)).toEqual([
      'AcquireLease',
      'ValidateAndPlan',
      'BeginOnboarding',
      'SetStatusOnboarding',
      'NoteWhatExists',
    ]);
    expect(calls.find((c) => c.state === 'NoteWhatExists')!.input).toEqual({ action: 'inventory', plan: member });
    expect(calls.find((c) => c.state === 'PlanRollback')!.input).toEqual({
      action: 'plan-rollback',
      plan: member,
      before: BEFORE,
    });
    expect(states()).not.toContain('MarkRollingBack');
    expect(
      states()
        .filter((s) => s.startsWith('Undo'))
        .sort(),
    ).toEqual(['UndoAddedEndpointAccess', 'UndoAddedRoutes', 'UndoAddedZoneAssociations']);
    for (const state of ['UndoAddedRoutes', 'UndoAddedZoneAssociations', 'UndoAddedEndpointAccess']) {
      expect(calls.find((c) => c.state === state)!.input).toEqual({ action: 'prune', plan: keep });
    }
  });

  it('notes nothing for a new membership and rolls back nothing when the plan says so', async () => {
    const { result, states } = run({
      PlanRollback: () => ({ mode: 'none', reason: 'nothing was recorded', vpc: VPC_REF, toUndo: {} }),
      ShareTransitGateway: () => {
        throw named('SpokeAccessError', 'cannot assume');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states()).not.toContain('NoteWhatExists');
    expect(states().filter((s) => s.startsWith('Undo'))).toEqual([]);
    expect(states().slice(-5)).toEqual([
      'PlanRollback',
      'SummarizeRollback',
      'RecordFailure',
      'SetStatusFailed',
      'ReleaseLeaseAfterFailure',
    ]);
  });

  it('still summarizes and records the original failure when the rollback cannot be planned', async () => {
    const { result, calls, states } = run({
      CreateSpokeRoutes: () => {
        throw named('ConflictError', 'route conflict');
      },
      PlanRollback: () => {
        throw named('SpokeAccessError', 'cannot assume');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states().filter((s) => s.startsWith('Undo'))).toEqual([]);
    const summarize = calls.find((c) => c.state === 'SummarizeRollback')!.input;
    expect(summarize.rollbackFailure).toEqual({
      PlanRollback: { Error: 'SpokeAccessError', Cause: 'cannot assume' },
    });
    // Set by no step: the empty values WrapTriggerEvent declared.
    expect(summarize).toMatchObject({ rollbackPlan: null, rollback: [], before: null });
    expect(states().slice(-3)).toEqual(['RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure']);
  });

  it('does not roll back after the branches succeeded (a failure recording the connection)', async () => {
    const { result, states } = run({
      RecordConsumer: () => {
        throw named('SomethingElse', 'down');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states().filter((s) => ROLLBACK.test(s))).toEqual([]);
    expect(states().slice(-3)).toEqual(['RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure']);
  });

  it('records a top-level failure under $.failure.<step>', async () => {
    const { result, calls } = run({
      SetStatusOnboarding: () => {
        throw named('SomethingElse', 'boom');
      },
    });

    await expect(result).rejects.toThrow();
    const record = calls.find((c) => c.state === 'RecordFailure')!;
    expect(record.input).toMatchObject({
      failure: { SetStatusOnboarding: { Error: 'SomethingElse', Cause: 'boom' } },
    });
  });

  it('reaches the failure tail from the first step: the fields no step set yet are the declared empty ones', async () => {
    const { result, calls, states } = run({
      AcquireLease: () => {
        throw named('SomethingElse', 'down');
      },
    });

    await expect(result).rejects.toThrow();
    expect(states()).toEqual(['AcquireLease', 'RecordFailure', 'SetStatusFailed', 'ReleaseLeaseAfterFailure']);
    const failure = { AcquireLease: { Error: 'SomethingElse', Cause: 'down' } };
    expect(calls.find((c) => c.state === 'RecordFailure')!.input).toEqual({
      action: 'failure',
      executionArn: EXECUTION_ID,
      event: loadEvent('tag-change-connect'),
      lease: null,
      failure,
      branches: [],
    });
    expect(calls.find((c) => c.state === 'SetStatusFailed')!.input).toEqual({
      status: 'failed',
      executionName: 'vpc-x-onboard-abc',
      executionArn: EXECUTION_ID,
      executionStartTime: expect.any(String),
      event: loadEvent('tag-change-connect'),
      lease: null,
      failure,
      branches: [],
      rollbackOutcome: null,
      rollbackFailure: {},
    });
  });

  it('still fails with a described outcome when even the failed status cannot be written', async () => {
    const { result } = run({
      CreateAttachment: () => {
        throw named('AttachmentFailedError', 'failed');
      },
      SetStatusFailed: () => {
        throw named('Unexpected', 'down');
      },
    });

    const error = await result.catch((e: Error & { cause?: { name?: string } }) => e.cause);
    expect(error).toMatchObject({ name: 'StepFailedError' });
  });

  it('gives up without writing any status when another execution keeps the VPC busy', async () => {
    const { result, states } = run({
      AcquireLease: () => {
        throw named('VpcBusyError', 'held');
      },
    });

    const error = await result.catch((e: Error & { cause?: { name?: string } }) => e.cause);
    expect(error).toMatchObject({ name: 'VpcBusyError' });
    expect(states().filter((s) => s.startsWith('SetStatus'))).toEqual([]);
  });
});
