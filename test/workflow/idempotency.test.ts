import { DeleteRouteCommand } from '@aws-sdk/client-ec2';
import { ec2State } from '#twin/services/ec2/model';
import { diffSnapshots } from '#twin/twin';
import type { TwinEvent } from '#twin/types';
import {
  ACCOUNTS,
  type ConnectedOnce,
  exampleWorld,
  expectConnectedOnce,
  HUB_DESTINATION,
  perAccountShareConfig,
  type RawWorld,
  scenarioRouteTableId,
  scenarioVpc,
  startWorkflowHub,
  type WorkflowHub,
  withAccount,
  withVpcs,
} from './helpers';

/**
 * Every step is idempotent: a second execution for a connected VPC, a step retried after its AWS calls took effect,
 * one event delivered twice and two executions for one VPC at once all converge to one of everything.
 */

const ANALYTICS_VPC: ConnectedOnce = {
  vpcId: 'vpc-0b300000000000001',
  accountId: ACCOUNTS.analytics,
  services: ['ssm', 'sts'],
  cidrs: ['10.3.0.0/16'],
  routeTableIds: ['rtb-0b300000000000101'],
};
const LEDGER_VPC: ConnectedOnce = {
  vpcId: 'vpc-0a200000000000002',
  accountId: ACCOUNTS.payments,
  services: ['secretsmanager', 'ssm', 'sts'],
  cidrs: ['10.2.0.0/16'],
  routeTableIds: ['rtb-0a200000000000201'],
  // prod, `*`: the prod-only endpoint service too.
  endpointServices: ['payments-api'],
};

/** States whose Lambda dies once after its handler's AWS calls took effect (the retry runs the handler again). */
const DYING_STATES = [
  'AcquireLease',
  'ShareTransitGateway',
  'CreateAttachment',
  'AcceptAttachment',
  'AssociateAndPropagate',
  'CreateSpokeRoutes',
  'AssociateZones',
  'RegisterConsumer',
  'RecordConsumer',
] as const;
/** One new account and VPC per dying state: the first onboarding of an account exercises the RAM share too. */
const dyingCase = (i: number): ConnectedOnce & { n: number } => ({
  n: 40 + i,
  vpcId: scenarioVpc(40 + i, { ownerId: '0', cidrs: ['10.0.0.0/16'] }).id,
  accountId: `6666666666${String(i).padStart(2, '0')}`,
  services: ['ssm', 'sts'],
  cidrs: [`10.${140 + i}.0.0/16`],
  routeTableIds: [scenarioRouteTableId(40 + i, 1)],
});
const RACE_VPC = scenarioVpc(60, {
  ownerId: ACCOUNTS.analytics,
  cidrs: ['10.160.0.0/16'],
  tags: { 'spokelink:services': 'ssm' },
});
const RACE: ConnectedOnce = {
  vpcId: RACE_VPC.id!,
  accountId: ACCOUNTS.analytics,
  services: ['ssm'],
  cidrs: ['10.160.0.0/16'],
  routeTableIds: [scenarioRouteTableId(60, 1)],
};

function scenario(): RawWorld {
  const world = exampleWorld();
  DYING_STATES.forEach((_, i) => {
    const c = dyingCase(i);
    withAccount(world, c.accountId);
    withVpcs(
      world,
      scenarioVpc(c.n, { ownerId: c.accountId, cidrs: c.cidrs, tags: { 'spokelink:services': 'ssm,sts' } }),
    );
  });
  return withVpcs(world, RACE_VPC);
}

describe('Idempotency: re-runs, retries, duplicates and races converge to one of everything', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    // Shared per account (not with the organization), so that a first onboarding of an account exercises the share.
    w = await startWorkflowHub({ world: scenario(), config: perAccountShareConfig() });
  });
  afterAll(() => w?.close());

  /** Outcomes of the intake's invocations after the `from`-th invocation. */
  const intakeRuns = (from: number) =>
    w.hub.lambdas.invocations
      .slice(from)
      .filter((i) => i.function === 'intake')
      .map((i) => i.outcome);
  /** Errors of the StartExecution calls since `mark` (undefined: the call succeeded). */
  const startExecutions = (mark: number) =>
    w
      .callsSince(mark)
      .filter((c) => c.operation === 'StartExecution')
      .map((c) => c.error);

  const AWS_SERVICES = new Set(['ec2', 'route53', 'ram']);
  const successfulWrites = (mark: number) =>
    w
      .callsSince(mark)
      .filter((c) => AWS_SERVICES.has(c.service) && !c.error && !/^(Describe|Get|List|Search)/.test(c.operation))
      .map((c) => c.operation);

  it('ends a duplicate event for a connected VPC in a few transitions, writing nothing (a cheap no-op)', async () => {
    const [first] = await w.onboard(ANALYTICS_VPC.vpcId);
    expect(first!.status).toBe('SUCCEEDED');
    const connectedAt = (await w.record(ANALYTICS_VPC.vpcId))!.connectedAt;
    const before = w.snapshot();
    const mark = w.mark();

    const [second] = await w.onboard(ANALYTICS_VPC.vpcId);

    expect(second!.status).toBe('SUCCEEDED');
    expect(second!.name).not.toBe(first!.name);
    expect(w.hub.sfn.stateTransitions(second!.executionArn)).toBeLessThanOrEqual(5);
    // Nothing changed, not even a tag: the status and spokelink:execution still name the execution that connected it.
    expect(diffSnapshots(before, w.snapshot())).toEqual([]);
    expect(w.status(ANALYTICS_VPC.vpcId)).toMatchObject({ status: 'connected', execution: first!.name });
    expect(successfulWrites(mark)).toEqual([]);
    const record = await w.record(ANALYTICS_VPC.vpcId);
    expect(record).toMatchObject({ status: 'connected', connectedAt });
    expect(record!.executions).toEqual([first!.executionArn]);
    await expectConnectedOnce(w, ANALYTICS_VPC);
  });

  it('re-runs in full an onboarding the reconcile starts, and repairs what drifted', async () => {
    const table = ANALYTICS_VPC.routeTableIds[0]!;
    await w
      .appTeam(ANALYTICS_VPC.accountId)
      .ec2.send(new DeleteRouteCommand({ RouteTableId: table, DestinationCidrBlock: HUB_DESTINATION }));
    // A duplicate event sees the drift: it is not cut short either.
    const [duplicate] = await w.onboard(ANALYTICS_VPC.vpcId);
    expect(w.hub.sfn.stateTransitions(duplicate!.executionArn)).toBeGreaterThan(5);
    expect(w.routes(table).some((r) => r.destinationCidrBlock === HUB_DESTINATION)).toBe(true);
    // The reconcile's run of a connected, unchanged VPC is never cut short.
    const repair = await w.repair(ANALYTICS_VPC.vpcId);
    expect(repair.status).toBe('SUCCEEDED');
    expect(w.hub.sfn.stateTransitions(repair.executionArn)).toBeGreaterThan(5);
    expect(w.status(ANALYTICS_VPC.vpcId)).toMatchObject({ status: 'connected', execution: repair.name });
    await expectConnectedOnce(w, ANALYTICS_VPC);
  });

  it.each(DYING_STATES.map((state, i) => ({ state, i })))(
    'converges when the $state Lambda dies after its AWS calls took effect and is retried',
    async ({ state, i }) => {
      const c = dyingCase(i);
      w.hub.lambdas.inject({ state, phase: 'after-handler', error: 'Lambda.ServiceException', times: 1 });
      const [execution] = await w.onboard(c.vpcId, { 'spokelink:connect': 'true' });
      expect(execution!.status).toBe('SUCCEEDED');
      // The fault happened once (CreateAttachment also meets the RAM propagation delay of a new account first).
      expect(w.invocationErrors(state, execution).filter((e) => e.startsWith('Lambda.'))).toEqual([
        'Lambda.ServiceException',
      ]);
      await expectConnectedOnce(w, c);
      if (state === 'ShareTransitGateway') {
        const associated = w.twin.calls.filter(
          (call) => call.operation === 'AssociateResourceShare' && !call.error && call.at >= execution!.startDate,
        );
        expect(associated).toHaveLength(1);
      }
    },
  );

  it('starts one execution for one event delivered twice at once', async () => {
    const events: TwinEvent[] = [];
    const stop = w.twin.onEvent((e) => events.push(e));
    const mark = w.mark();
    const invocations = w.hub.lambdas.invocations.length;
    // The ledger VPC asks for `connect` in the world; the team now makes `*` explicit (a tag change event).
    await w.hub.tagVpc(LEDGER_VPC.vpcId, { 'spokelink:services': '*' });
    stop();
    const tagEvents = events.filter((e) => e.source === 'aws.tag');
    expect(tagEvents).toHaveLength(1);
    w.hub.deliver(tagEvents[0]!);
    await w.hub.runUntilIdle();

    const executions = w.executionsOf(LEDGER_VPC.vpcId);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    // Both deliveries reached the intake, which asked Step Functions twice for the same execution name.
    expect(intakeRuns(invocations)).toEqual(['succeeded', 'succeeded']);
    expect(startExecutions(mark)).toEqual([undefined, undefined]);
    await expectConnectedOnce(w, LEDGER_VPC);
  });

  it('starts nothing when the same event is delivered again after its execution ended', async () => {
    const [execution] = w.executionsOf(LEDGER_VPC.vpcId);
    const event = JSON.parse(execution!.input) as Parameters<typeof w.hub.deliver>[0];
    const before = w.snapshot();
    const mark = w.mark();
    const invocations = w.hub.lambdas.invocations.length;
    w.hub.deliver(event);
    await w.hub.runUntilIdle();
    expect(w.executionsOf(LEDGER_VPC.vpcId)).toHaveLength(1);
    expect(intakeRuns(invocations)).toEqual(['succeeded']);
    expect(startExecutions(mark)).toEqual(['ExecutionAlreadyExists']);
    expect(diffSnapshots(before, w.snapshot())).toEqual([]);
  });

  it('lets two executions racing for one VPC converge: one attachment, one set of routes, rules, zones, one record', async () => {
    // The intake runs one execution per VPC at a time; the reconcile starts its own beside it: the app team tags,
    // and a reconcile execution for the same VPC starts a moment later.
    const mark = w.mark();
    await w.hub.tagVpc(RACE.vpcId, { 'spokelink:connect': 'true' });
    const { ownerId, region } = ec2State(w.hub.twin).vpcs[RACE.vpcId]!;
    w.hub.sfn.start(
      w.hub.sfn.arnOf(`${w.hub.config.prefix}-onboard`),
      `${RACE.vpcId}-reconcile-race00000000`,
      JSON.stringify({
        version: '0',
        id: 'spokelink-reconcile-race',
        'detail-type': 'Tag Change on Resource',
        source: 'aws.tag',
        account: ownerId,
        time: new Date(w.hub.clock.now()).toISOString(),
        region,
        resources: [`arn:aws:ec2:${region}:${ownerId}:vpc/${RACE.vpcId}`],
        detail: {
          'changed-tag-keys': ['spokelink:connect'],
          service: 'ec2',
          'resource-type': 'vpc',
          version: 1,
          tags: { 'spokelink:connect': 'true' },
        },
      }),
    );
    await w.hub.runUntilIdle();

    const executions = w.executionsOf(RACE.vpcId);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // They did overlap: one waited for the other's lease.
    const busy = executions.flatMap((e) => w.invocationErrors('AcquireLease', e));
    expect(busy.length).toBeGreaterThan(0);
    expect(new Set(busy)).toEqual(new Set(['VpcBusyError']));
    await expectConnectedOnce(w, RACE);
    const record = await w.record(RACE.vpcId);
    // The one that took the lease second found the VPC connected as it asks. Both carry a tag event (the second one
    // is only named like a reconcile start), so whichever lost the lease race ends as a cheap no-op: it writes
    // nothing, so the record does not list it. Which one wins is up to the race, not to the test.
    const recorded = new Set(record!.executions);
    const cutShort = executions.filter((e) => !recorded.has(e.executionArn));
    expect(recorded.size).toBe(1);
    expect(cutShort).toHaveLength(1);
    expect(JSON.stringify(w.hub.sfn.history(cutShort[0]!.executionArn))).toContain('EndBecauseAlreadyConnected');
    const creations = w.callsSince(mark).filter((c) => c.operation === 'CreateTransitGatewayVpcAttachment' && !c.error);
    expect(creations).toHaveLength(1);
  });
});
