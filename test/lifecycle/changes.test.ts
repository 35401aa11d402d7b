import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import { advance, lifecycleHub, PAYMENTS, registryOf, settle, statusOf, TGW, ZONES } from './helpers';

const PROD_TABLE = 'tgw-rtb-0a000000000000001';
const NONPROD_TABLE = 'tgw-rtb-0b000000000000002';
const SHARED_TABLE = 'tgw-rtb-0c000000000000003';
const SPOKE_TABLE = 'rtb-0a200000000000101';
const GROUPS = { ssm: 'sg-0e55e0000000000a1', sts: 'sg-0e55e0000000000a2', secrets: 'sg-0e55e0000000000a3' };

interface Snapshot {
  ec2: {
    vpcs: {
      id: string;
      routeTables: { id: string; routes: { destinationCidrBlock: string; transitGatewayId?: string }[] }[];
      securityGroups: { id: string; rules: { id: string; cidr: string; description: string | null }[] }[];
    }[];
    transitGateways: {
      id: string;
      routeTables: {
        id: string;
        associations: { attachmentId: string; state: string }[];
        routes: { cidr: string; attachmentId: string }[];
      }[];
    }[];
    transitGatewayAttachments: { id: string; vpcId: string; state: string }[];
  };
  route53: { zones: Record<string, { vpcs: string[] }> };
}

/** What connectivity PAYMENTS has in one twin state. */
interface Connectivity {
  at: number;
  operation: string;
  /** TGW route table the spoke attachment is associated with (only once `associated`). */
  associatedWith?: string;
  /** The spoke CIDR is propagated into the hub VPC's table (the return path). */
  returnPath: boolean;
  spokeRoute: boolean;
  zones: string[];
  /** Rule ids by endpoint security group. */
  rules: Record<string, string[]>;
}

function connectivity(hub: LocalHub, operation: string): Connectivity {
  const s = hub.twin.snapshot() as unknown as Snapshot;
  const attachment = s.ec2.transitGatewayAttachments.find((a) => a.vpcId === PAYMENTS && a.state !== 'deleted');
  const tgw = s.ec2.transitGateways.find((t) => t.id === TGW)!;
  const associatedWith = tgw.routeTables.find((t) =>
    t.associations.some((a) => a.attachmentId === attachment?.id && a.state === 'associated'),
  )?.id;
  const hubVpc = s.ec2.vpcs.find((v) => v.id === 'vpc-0f000000000000001')!;
  const spoke = s.ec2.vpcs.find((v) => v.id === PAYMENTS)!;
  const rules: Record<string, string[]> = {};
  for (const g of hubVpc.securityGroups) {
    rules[g.id] = g.rules.filter((r) => (r.description ?? '').includes(PAYMENTS)).map((r) => r.id);
  }
  return {
    at: hub.clock.now(),
    operation,
    associatedWith,
    returnPath: tgw.routeTables
      .find((t) => t.id === SHARED_TABLE)!
      .routes.some((r) => r.cidr === '10.1.0.0/16' && r.attachmentId === attachment?.id),
    spokeRoute: spoke.routeTables
      .find((t) => t.id === SPOKE_TABLE)!
      .routes.some((r) => r.destinationCidrBlock === '10.0.0.0/16' && r.transitGatewayId === TGW),
    zones: Object.entries(s.route53.zones)
      .filter(([, z]) => z.vpcs.includes(`us-east-1/${PAYMENTS}`))
      .map(([id]) => id)
      .sort(),
    rules,
  };
}

/** Samples the twin before every AWS call from now on (a fault rule that never fires), and once more on demand. */
function sampleEveryCall(hub: LocalHub) {
  const samples: Connectivity[] = [];
  hub.twin.inject({
    when: (ctx) => {
      samples.push(connectivity(hub, `${ctx.service}:${ctx.operation}`));
      return false;
    },
  });
  return { samples, last: () => samples.push(connectivity(hub, 'end')) };
}

describe('Lifecycle: changes converge by difference', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('moves a VPC to another segment with the services that stay reachable at every step', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true' }); // nonprod: ssm and sts
    await settle(hub);
    await advance(hub, 60_000); // the association and propagations settle
    const start = connectivity(hub, 'start');
    expect(start).toMatchObject({ associatedWith: NONPROD_TABLE, returnPath: true, spokeRoute: true });
    expect(start.zones).toEqual([ZONES.ssm, ZONES.sts].sort());

    const { samples, last } = sampleEveryCall(hub);
    await hub.tagVpc(PAYMENTS, { 'spokelink:segment': 'prod' }); // prod: ssm, sts and secretsmanager
    await settle(hub);
    await advance(hub, 60_000);
    last();

    expect(samples.length).toBeGreaterThan(20);
    for (const sample of samples) {
      // The services that stay (ssm, sts): their zones, their rules (the very same ones), the spoke route and the
      // return path are there in every state of the twin, before every call of the change.
      expect({ ...sample, ok: true }).toMatchObject({
        returnPath: true,
        spokeRoute: true,
        zones: expect.arrayContaining([ZONES.ssm, ZONES.sts]),
        rules: { [GROUPS.ssm]: start.rules[GROUPS.ssm], [GROUPS.sts]: start.rules[GROUPS.sts] },
      });
    }
    // The association moves from one table to the other. AWS allows one association per attachment and requires the
    // old one gone before the new one is made (AWS::EC2::TransitGatewayRouteTableAssociation), so the only state
    // without it lies between those two calls, inside AssociateAndPropagate.
    const firstGap = samples.findIndex((s) => s.associatedWith === undefined);
    const lastGap = samples.map((s) => s.associatedWith).lastIndexOf(undefined);
    expect(samples[firstGap - 1]?.operation).toBe('ec2:DisassociateTransitGatewayRouteTable');
    expect(samples.slice(firstGap, lastGap + 1).every((s) => s.associatedWith === undefined)).toBe(true);
    const disassociatedAt = samples[firstGap - 1]!.at;
    const attachmentId = String((await registryOf(hub, PAYMENTS)).CURRENT!.attachmentId);
    const newLink = ec2State(hub.twin).tgwRouteTables[PROD_TABLE]!.associations.find(
      (l) => l.attachmentId === attachmentId,
    )!;
    expect(newLink.readyAt - disassociatedAt).toBeLessThanOrEqual(30_000);
    expect(samples.slice(0, firstGap).every((s) => s.associatedWith === NONPROD_TABLE)).toBe(true);
    expect(samples.slice(lastGap + 1).every((s) => s.associatedWith === PROD_TABLE)).toBe(true);
    expect(samples.at(-1)!.associatedWith).toBe(PROD_TABLE);

    const end = samples.at(-1)!;
    expect(end.zones).toEqual([ZONES.secrets, ZONES.ssm, ZONES.sts].sort());
    expect(end.rules[GROUPS.secrets]).toHaveLength(1);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({
      status: 'connected',
      segment: 'prod',
      // `*` in prod: the prod-only endpoint service too.
      services: ['payments-api', 'secretsmanager', 'ssm', 'sts'],
    });
  });

  it('changes only the services that changed, adding the new before removing the old', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(PAYMENTS, {
      'spokelink:connect': 'true',
      'spokelink:segment': 'prod',
      'spokelink:services': 'ssm,secretsmanager',
    });
    await settle(hub);
    await advance(hub, 60_000);
    const start = connectivity(hub, 'start');
    expect(start.zones).toEqual([ZONES.secrets, ZONES.ssm].sort());
    const callsBefore = hub.twin.calls.length;

    const { samples, last } = sampleEveryCall(hub);
    await hub.tagVpc(PAYMENTS, { 'spokelink:services': 'ssm,sts' });
    await settle(hub);
    last();

    const end = samples.at(-1)!;
    expect(end.zones).toEqual([ZONES.ssm, ZONES.sts].sort());
    expect(end.rules[GROUPS.secrets]).toEqual([]);
    expect(end.rules[GROUPS.sts]).toHaveLength(1);
    // ssm stayed: the same association and the very same rule throughout.
    for (const sample of samples) {
      expect(sample.zones).toContain(ZONES.ssm);
      expect(sample.rules[GROUPS.ssm]).toEqual(start.rules[GROUPS.ssm]);
      expect(sample.associatedWith).toBe(PROD_TABLE);
    }
    const calls = hub.twin.calls.slice(callsBefore).map((c) => c.operation);
    expect(calls).not.toContain('DisassociateTransitGatewayRouteTable');
    expect(calls.indexOf('AuthorizeSecurityGroupIngress')).toBeLessThan(calls.indexOf('RevokeSecurityGroupIngress'));
    expect(calls.indexOf('AssociateVPCWithHostedZone')).toBeLessThan(calls.indexOf('DisassociateVPCFromHostedZone'));
    expect(calls.filter((c) => c === 'RevokeSecurityGroupIngress')).toHaveLength(1);
    expect(calls.filter((c) => c === 'DisassociateVPCFromHostedZone')).toHaveLength(1);
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({
      services: ['ssm', 'sts'],
      zones: [expect.objectContaining({ endpoint: 'ssm' }), expect.objectContaining({ endpoint: 'sts' })],
    });
  });
});
