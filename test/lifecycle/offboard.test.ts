import { CreateRouteCommand, DeleteRouteCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import {
  ANALYTICS,
  advance,
  appTeamEc2,
  claims,
  deleteVpcAsAppTeam,
  LEDGER,
  lifecycleConfig,
  lifecycleHub,
  networkDiff,
  PAYMENTS,
  registryOf,
  SCRATCH,
  SERVICE,
  SHARE_ARN,
  settle,
  statusOf,
  ZONES,
} from './helpers';

interface Snapshot {
  ec2: {
    transitGatewayAttachments: { vpcId: string; state: string }[];
    vpcEndpointServices?: { id: string; allowedPrincipals: string[] }[];
  };
  route53: { zones: Record<string, { vpcs: string[]; authorizations: string[] }> };
  ram: { shares: Record<string, { principals: string[] }> };
}

const snap = (hub: LocalHub) => hub.twin.snapshot() as unknown as Snapshot;
const principalsOfShare = (hub: LocalHub) => snap(hub).ram.shares[SHARE_ARN]!.principals;
const servicePrincipals = (hub: LocalHub) =>
  ec2State(hub.twin).endpointServices[SERVICE]!.allowedPrincipals.map((p) => p.principal);
const sgRulesOf = (hub: LocalHub, vpcId: string) =>
  Object.values(ec2State(hub.twin).securityGroups)
    .flatMap((g) => g.rules)
    .filter((r) => (r.description ?? '').includes(vpcId));
const zonesWith = (hub: LocalHub, vpcId: string) =>
  Object.entries(snap(hub).route53.zones)
    .filter(([, z]) => z.vpcs.some((v) => v.endsWith(`/${vpcId}`)))
    .map(([id]) => id)
    .sort();

async function connect(hub: LocalHub, vpcId: string, tags: Record<string, string> = {}) {
  await hub.tagVpc(vpcId, { 'spokelink:connect': 'true', ...tags });
  await settle(hub);
  expect(statusOf(hub, vpcId).status).toBe('connected');
}

describe('Lifecycle: offboarding', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('leaves the twin exactly as before onboarding, apart from the status tags that say disconnected', async () => {
    hub = await lifecycleHub();
    const before = hub.twin.snapshot();

    await connect(hub, PAYMENTS, { 'spokelink:segment': 'prod' });
    expect(networkDiff(hub, before).length).toBeGreaterThan(5);
    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment']);
    await settle(hub);
    await advance(hub, 5 * 60_000); // AWS finishes deleting the attachment

    expect(networkDiff(hub, before)).toEqual([]);
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'disconnected',
      detail: expect.stringMatching(/^disconnected from segment prod; removed 1 route\(s\), 3 zone association\(s\)/),
      execution: expect.stringMatching(new RegExp(`^${PAYMENTS}-offboard-`)),
    });
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('keeps the membership as history with its end time, marks the record disconnected and frees the CIDRs', async () => {
    hub = await lifecycleHub();
    await connect(hub, PAYMENTS, { 'spokelink:segment': 'prod' });
    await advance(hub, 3_600_000);
    await hub.untagVpc(PAYMENTS, ['spokelink:connect']);
    await settle(hub);

    const items = await registryOf(hub, PAYMENTS);
    const current = items.CURRENT!;
    expect(current).toMatchObject({ status: 'disconnected', routes: [], zones: [], securityGroupRules: [] });
    expect(current.attachmentId).toBeUndefined();
    const history = items[`HISTORY#${current.connectedAt}`];
    expect(history).toMatchObject({
      kind: 'history',
      status: 'disconnected',
      segment: 'prod',
      connectedAt: current.connectedAt,
      disconnectedAt: current.disconnectedAt,
    });
    expect(
      Date.parse(String(history!.disconnectedAt)) - Date.parse(String(history!.connectedAt)),
    ).toBeGreaterThanOrEqual(3_600_000);
    expect(items.LEASE).toBeUndefined();
    expect(await claims(hub)).not.toHaveProperty(PAYMENTS);
  });

  it("keeps the account's TGW share and endpoint service principal while another of its VPCs is connected", async () => {
    // Shared per account: with the organization share (the example's default) there is no account share to keep.
    hub = await lifecycleHub({
      config: lifecycleConfig((raw) => {
        (raw.organization as Record<string, unknown>).shareTransitGateway = false;
      }),
    });
    await connect(hub, PAYMENTS, { 'spokelink:segment': 'prod' });
    await connect(hub, LEDGER, { 'spokelink:segment': 'prod' });

    await hub.untagVpc(PAYMENTS, ['spokelink:connect']);
    await settle(hub);
    expect(principalsOfShare(hub)).toEqual(['222222222222 ASSOCIATED']);
    expect(servicePrincipals(hub)).toEqual(['arn:aws:iam::222222222222:root']);
    expect(sgRulesOf(hub, PAYMENTS)).toEqual([]);
    expect(sgRulesOf(hub, LEDGER).length).toBeGreaterThan(0);

    await hub.untagVpc(LEDGER, ['spokelink:connect']);
    await settle(hub);
    expect(principalsOfShare(hub)).toEqual([]);
    expect(servicePrincipals(hub)).toEqual([]);
  });

  it('completes the hub-side clean-up of a VPC its team deleted: zones, rules, principals, share, registry', async () => {
    hub = await lifecycleHub();
    await connect(hub, SCRATCH);
    expect(zonesWith(hub, SCRATCH)).toEqual([ZONES.ssm, ZONES.sts].sort());

    await deleteVpcAsAppTeam(hub, SCRATCH);
    await settle(hub);

    const offboard = hub.executions().find((e) => e.name.startsWith(`${SCRATCH}-offboard-`));
    expect(offboard?.status).toBe('SUCCEEDED');
    // Route 53 keeps a deleted VPC listed on the zones: the hub, as their owner, removed it.
    expect(zonesWith(hub, SCRATCH)).toEqual([]);
    expect(sgRulesOf(hub, SCRATCH)).toEqual([]);
    expect(servicePrincipals(hub)).toEqual([]);
    expect(principalsOfShare(hub)).toEqual([]);
    const items = await registryOf(hub, SCRATCH);
    expect(items.CURRENT).toMatchObject({ status: 'disconnected', zones: [], securityGroupRules: [], routes: [] });
    expect(Object.keys(items).filter((k) => k.startsWith('HISTORY#'))).toHaveLength(1);
    expect(await claims(hub)).not.toHaveProperty(SCRATCH);
  });

  it('never removes a route someone pointed elsewhere, and says so in the status detail', async () => {
    hub = await lifecycleHub();
    await connect(hub, PAYMENTS, { 'spokelink:segment': 'prod' });
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

    await hub.untagVpc(PAYMENTS, ['spokelink:connect']);
    await settle(hub);

    const table = ec2State(hub.twin).routeTables['rtb-0a200000000000101']!;
    expect(table.routes.find((r) => r.destinationCidrBlock === '10.0.0.0/16')).toMatchObject({
      natGatewayId: 'nat-0a200000000000101',
    });
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'disconnected',
      detail: expect.stringContaining('left alone: rtb-0a200000000000101 10.0.0.0/16 now to nat-0a200000000000101'),
    });
  });

  it('does nothing for a VPC that was never connected and carries no status', async () => {
    hub = await lifecycleHub();
    const before = hub.twin.snapshot();
    await hub.tagVpc(ANALYTICS, { 'spokelink:segment': 'nonprod' }); // no connect request: an offboarding event
    await settle(hub);

    expect(hub.executions().map((e) => [e.name.replace(/-[0-9a-f]{12}$/, ''), e.status])).toEqual([
      [`${ANALYTICS}-offboard`, 'SUCCEEDED'],
    ]);
    expect(statusOf(hub, ANALYTICS).status).toBeUndefined();
    expect(await registryOf(hub, ANALYTICS)).toEqual({});
    expect(networkDiff(hub, before).filter((p) => !p.includes('spokelink:segment'))).toEqual([]);
  });
});
