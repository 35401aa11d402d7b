import { CreateRouteCommand, DeleteRouteCommand } from '@aws-sdk/client-ec2';
import type { BusEvent } from '#local/eventbridge';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import {
  ANALYTICS,
  advance,
  appTeamEc2,
  changeConfig,
  deleteVpcAsAppTeam,
  LOGS,
  lifecycleHub,
  PAYMENTS,
  registryOf,
  runReconcile,
  SCRATCH,
  settle,
  statusOf,
  TGW,
} from './helpers';

/** Drops the next event about `vpcId`, tag change or CloudTrail call (EventBridge delivers best effort). */
function dropper() {
  const toDrop = new Set<string>();
  const drop = (event: BusEvent) => {
    const vpcId = [...toDrop].find((id) => JSON.stringify(event).includes(id));
    if (vpcId === undefined) return false;
    toDrop.delete(vpcId);
    return true;
  };
  return { drop, next: (vpcId: string) => toDrop.add(vpcId) };
}

const routesTo = (hub: LocalHub, tableId: string) =>
  ec2State(hub.twin)
    .routeTables[tableId]!.routes.filter((r) => r.transitGatewayId === TGW)
    .map((r) => r.destinationCidrBlock)
    .sort();

describe('Lifecycle: reconcile', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('onboards a VPC whose tag event was lost, once, however often it runs', async () => {
    const events = dropper();
    hub = await lifecycleHub({ events: { drop: events.drop } });
    events.next(ANALYTICS);
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true' });
    await settle(hub);
    expect(hub.executions()).toEqual([]);
    expect(hub.events.records.some((r) => r.outcome === 'dropped')).toBe(true);

    const first = await runReconcile(hub);
    expect(first.summary).toMatchObject({ onboard: 1, offboard: 0 });
    expect(statusOf(hub, ANALYTICS)).toMatchObject({
      status: 'connected',
      execution: expect.stringMatching(new RegExp(`^${ANALYTICS}-reconcile-[0-9a-f]{12}$`)),
    });
    const second = await runReconcile(hub);
    expect(second.summary).toMatchObject({ onboard: 0, offboard: 0, reports: 0 });
    expect(hub.executions().filter((e) => e.name.startsWith(ANALYTICS))).toHaveLength(1);
  });

  it('offboards a VPC whose untag event was lost, and one whose VPC is gone from its account', async () => {
    const events = dropper();
    hub = await lifecycleHub({ events: { drop: events.drop } });
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true' });
    await settle(hub);
    events.next(ANALYTICS);
    await hub.untagVpc(ANALYTICS, ['spokelink:connect']);
    await settle(hub);
    expect(statusOf(hub, ANALYTICS).status).toBe('connected');

    const run = await runReconcile(hub);

    expect(run.summary).toMatchObject({ offboard: 1 });
    expect(statusOf(hub, ANALYTICS).status).toBe('disconnected');
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toMatchObject({ status: 'disconnected' });

    await hub.tagVpc(SCRATCH, { 'spokelink:connect': 'true' });
    await settle(hub);
    events.next(SCRATCH);
    await deleteVpcAsAppTeam(hub, SCRATCH); // its DeleteVpc event is lost
    await settle(hub);
    expect((await registryOf(hub, SCRATCH)).CURRENT).toMatchObject({ status: 'connected' });

    const later = await runReconcile(hub);

    expect(later.summary).toMatchObject({ offboard: 1, onboard: 0 });
    expect((await registryOf(hub, SCRATCH)).CURRENT).toMatchObject({ status: 'disconnected', zones: [] });
  });

  it('starts the same work only once: a rejection whose inputs did not change is skipped, taking no slot', async () => {
    hub = await lifecycleHub();
    // Rejected (its CIDR overlaps a hub destination): the reconcile retries it once, not every run.
    changeConfig(hub, (raw) => {
      raw.destinations = [...(raw.destinations as unknown[]), { cidr: '10.3.0.0/16' }];
    });
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true' });
    await settle(hub);
    expect(statusOf(hub, ANALYTICS).status).toBe('rejected');

    const first = await runReconcile(hub);
    const second = await runReconcile(hub);

    expect(first.results).toEqual([expect.objectContaining({ status: 'SUCCEEDED' })]);
    expect(statusOf(hub, ANALYTICS).execution).toMatch(new RegExp(`^${ANALYTICS}-reconcile-`));
    expect(second.results).toEqual([]);
    expect(second.summary).toMatchObject({ onboard: 0, unchangedRejections: 1 });
    expect(hub.executions().filter((e) => e.name.includes('-reconcile-'))).toHaveLength(1);

    // An input changed (the hub configuration no longer has the overlapping destination): examined again.
    changeConfig(hub, (raw) => {
      raw.destinations = (raw.destinations as { cidr: string }[]).filter((d) => d.cidr !== '10.3.0.0/16');
    });
    const third = await runReconcile(hub);
    expect(third.summary).toMatchObject({ onboard: 1, unchangedRejections: 0 });
    expect(statusOf(hub, ANALYTICS).status).toBe('connected');
  });

  it('rolls a new hub destination out to every connected VPC, without untag or retag', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true' });
    await settle(hub);
    expect(routesTo(hub, 'rtb-0a200000000000101')).toEqual(['10.0.0.0/16']);

    changeConfig(hub, (raw) => {
      raw.destinations = [...(raw.destinations as unknown[]), { cidr: '10.99.0.0/16', description: 'new shared VPC' }];
    });
    const run = await runReconcile(hub, 1);

    expect(run.summary).toMatchObject({ onboard: 2 });
    expect(routesTo(hub, 'rtb-0a200000000000101')).toEqual(['10.0.0.0/16', '10.99.0.0/16']);
    expect(routesTo(hub, 'rtb-0b300000000000101')).toEqual(['10.0.0.0/16', '10.99.0.0/16']);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    // maxConcurrency 1: the second VPC's work began only once the first one's had ended.
    const [a, b] = hub.executions().filter((e) => e.name.includes('-reconcile-'));
    expect(b!.startDate).toBeGreaterThanOrEqual(a!.stopDate!);
  });

  it('rolls a new catalog endpoint out to the VPCs that asked for every service', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true' }); // services * : ssm, sts
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    changeConfig(hub, (raw) => {
      (raw.endpoints as Record<string, unknown>).logs = {
        privateHostedZoneIds: [LOGS.zone],
        securityGroupId: LOGS.group,
      };
    });
    const run = await runReconcile(hub);

    expect(run.summary).toMatchObject({ onboard: 1 });
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toMatchObject({ services: ['logs', 'ssm', 'sts'] });
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({ services: ['ssm'] });
    const zone = (hub.twin.snapshot() as { route53: { zones: Record<string, { vpcs: string[] }> } }).route53.zones[
      LOGS.zone
    ]!;
    expect(zone.vpcs).toContain(`us-east-1/${ANALYTICS}`);
    expect(zone.vpcs).not.toContain(`us-east-1/${PAYMENTS}`);
  });

  it('reports a route someone pointed elsewhere, in its output and the status detail, and leaves it', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);
    const team = appTeamEc2(hub, PAYMENTS);
    await team.send(
      new DeleteRouteCommand({ RouteTableId: 'rtb-0a200000000000101', DestinationCidrBlock: '10.0.0.0/16' }),
    );
    await team.send(
      new CreateRouteCommand({
        RouteTableId: 'rtb-0a200000000000101',
        DestinationCidrBlock: '10.0.0.0/16',
        NatGatewayId: 'nat-0a200000000000101',
      }),
    );
    await advance(hub, 60_000);

    const run = await runReconcile(hub);

    expect(run.drift).toEqual([
      {
        vpcId: PAYMENTS,
        accountId: '222222222222',
        region: 'us-east-1',
        kind: 'route-elsewhere',
        detail: 'rtb-0a200000000000101 10.0.0.0/16 now to nat-0a200000000000101',
      },
    ]);
    expect(run.summary).toMatchObject({ onboard: 0, reports: 1 });
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'connected',
      detail: 'connected; drift spokelink leaves alone: rtb-0a200000000000101 10.0.0.0/16 now to nat-0a200000000000101',
    });
    expect(ec2State(hub.twin).routeTables['rtb-0a200000000000101']!.routes).toContainEqual(
      expect.objectContaining({ destinationCidrBlock: '10.0.0.0/16', natGatewayId: 'nat-0a200000000000101' }),
    );
  });

  it('leaves a VPC that waits for an approval alone', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' });
    await settle(hub);

    const run = await runReconcile(hub);

    expect(run.summary).toMatchObject({ onboard: 0, pendingApproval: 1 });
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
  });
});
