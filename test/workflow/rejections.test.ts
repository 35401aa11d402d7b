import { statusDetail } from '#shared/tags';
import {
  ACCOUNTS,
  changesBesidesStatus,
  exampleWorld,
  type RawVpc,
  type RawWorld,
  scenarioRouteTableId,
  scenarioSubnetId,
  scenarioVpc,
  scenarioVpcId,
  startWorkflowHub,
  type WorkflowHub,
  withVpcs,
} from './helpers';

/**
 * Every rejection of ValidateAndPlan (and the race-free overlap check of AcquireLease), end to end: the execution
 * ends in `Rejected`, the VPC carries status `rejected` with the precise reason, and nothing else changed in the twin
 * (only the VPC's three status tags differ) nor in the registry.
 */

const ANALYTICS = ACCOUNTS.analytics;
const connect = (tags: Record<string, string> = {}) => ({ 'spokelink:connect': 'true', ...tags });
const vpc = (n: number, tags: Record<string, string>, extra: Partial<RawVpc> = {}) => ({
  ...scenarioVpc(n, { ownerId: ANALYTICS, cidrs: [`10.${100 + n}.0.0/16`], tags }),
  ...extra,
});
/** The app team's own transit gateways, each with an attachment of VPC 16. */
const OTHER_TGWS = [1, 2, 3, 4, 5].map((i) => `tgw-0e00000000000000${i}`);
const otherAttachment = (i: number) => `tgw-attach-0e00000000000001${i}`;

interface Case {
  name: string;
  vpc: RawVpc;
  detail: (vpcId: string) => string;
}

const CASES: Case[] = [
  {
    name: 'an unknown segment',
    vpc: vpc(1, connect({ 'spokelink:segment': 'gold' })),
    detail: () => 'unknown-segment: segment "gold" is not one of prod, nonprod',
  },
  {
    name: 'an unknown service',
    vpc: vpc(2, connect({ 'spokelink:services': 'ssm,dynamodb' })),
    detail: () => 'unknown-service: service "dynamodb" is not in the catalog (ssm, sts, secretsmanager, payments-api)',
  },
  {
    name: 'a service the segment may not use',
    vpc: vpc(3, connect({ 'spokelink:services': 'secretsmanager' })),
    detail: () => 'service-not-allowed: service secretsmanager is not available to segment nonprod',
  },
  {
    name: 'an account the segment does not allow (not listed, not under an allowed OU)',
    vpc: vpc(4, connect({ 'spokelink:segment': 'prod' })),
    detail: () => `account-not-allowed: account ${ANALYTICS} may not use segment prod`,
  },
  {
    name: "a secondary CIDR overlapping the hub's destinations",
    vpc: scenarioVpc(5, { ownerId: ANALYTICS, cidrs: ['10.105.0.0/16', '10.0.64.0/18'], tags: connect() }),
    detail: (id) =>
      `cidr-overlap: ${id} CIDR 10.0.64.0/18 overlaps the hub destination 10.0.0.0/16 ` +
      '(shared-services VPC (centralized endpoints))',
  },
  {
    name: 'DNS hostnames off',
    vpc: scenarioVpc(6, { ownerId: ANALYTICS, cidrs: ['10.106.0.0/16'], tags: connect(), enableDnsHostnames: false }),
    detail: (id) =>
      `dns-attributes: ${id} has enableDnsHostnames off: private hosted zones need both on (ModifyVpcAttribute)`,
  },
  {
    name: 'DNS support and hostnames off',
    vpc: scenarioVpc(7, {
      ownerId: ANALYTICS,
      cidrs: ['10.107.0.0/16'],
      tags: connect(),
      enableDnsSupport: false,
      enableDnsHostnames: false,
    }),
    detail: (id) =>
      `dns-attributes: ${id} has enableDnsSupport and enableDnsHostnames off: private hosted zones need both on ` +
      '(ModifyVpcAttribute)',
  },
  {
    name: 'no subnet',
    vpc: scenarioVpc(8, { ownerId: ANALYTICS, cidrs: ['10.108.0.0/16'], tags: connect(), subnets: 0 }),
    detail: (id) => `no-subnet: ${id} has no subnet with an IPv4 CIDR to attach`,
  },
  {
    name: 'two subnets tagged spokelink:attach in one AZ',
    vpc: (() => {
      const v = scenarioVpc(9, { ownerId: ANALYTICS, cidrs: ['10.109.0.0/16'], tags: connect(), subnets: 4 });
      v.subnets![0]!.tags = { 'spokelink:attach': 'true' };
      v.subnets![3] = { ...v.subnets![3]!, availabilityZone: 'us-east-1a', tags: { 'spokelink:attach': 'TRUE' } };
      return v;
    })(),
    detail: () =>
      `duplicate-attach-subnet: ${scenarioSubnetId(9, 0)} and ${scenarioSubnetId(9, 3)} are both tagged ` +
      'spokelink:attach=true in us-east-1a: a Transit Gateway attachment uses one subnet per Availability Zone',
  },
  {
    name: 'a spokelink:connect value that is neither true nor false',
    vpc: vpc(10, { 'spokelink:connect': 'yes' }),
    detail: () => 'malformed-tags: spokelink:connect must be "true" or "false", not "yes"',
  },
  {
    name: 'an empty entry in spokelink:services',
    vpc: vpc(11, connect({ 'spokelink:services': 'ssm,,sts' })),
    detail: () => 'malformed-tags: spokelink:services has an empty entry: "ssm,,sts"',
  },
  {
    name: 'a segment that is not a segment name',
    vpc: vpc(12, connect({ 'spokelink:segment': 'Prod' })),
    detail: () => 'malformed-tags: spokelink:segment "Prod" is not a segment name',
  },
  {
    name: 'a duplicate service',
    vpc: vpc(13, connect({ 'spokelink:services': 'ssm, ssm' })),
    detail: () => 'malformed-tags: spokelink:services names "ssm" twice',
  },
  {
    name: 'a route to a hub destination through something else than the hub TGW (spokelink never overwrites it)',
    vpc: (() => {
      const v = vpc(15, connect());
      v.routeTables![1]!.routes = [
        { destinationCidrBlock: '10.0.0.0/16', vpcPeeringConnectionId: 'pcx-0e000000000000015' },
      ];
      return v;
    })(),
    detail: () =>
      `route-conflict: ${scenarioRouteTableId(15, 1)} routes 10.0.0.0/16 to pcx-0e000000000000015 (not to ` +
      'tgw-0a1b2c3d4e5f60718); spokelink never overwrites a route: remove it or change the hub destinations',
  },
  {
    name: 'a VPC already at the 5 Transit Gateway attachments AWS allows per VPC',
    vpc: vpc(16, connect()),
    detail: (id) =>
      statusDetail(
        `attachment-limit: ${id} already has 5 Transit Gateway attachments, the most AWS allows per VPC: delete ` +
          `one to attach it to tgw-0a1b2c3d4e5f60718 (${OTHER_TGWS.map((_, i) => otherAttachment(i)).join(', ')})`,
      ),
  },
];

const UNSERVED = scenarioVpc(20, {
  ownerId: ANALYTICS,
  region: 'us-west-2',
  cidrs: ['10.120.0.0/16'],
  tags: connect(),
});

function scenario(): RawWorld {
  const world = withVpcs(exampleWorld(), ...CASES.map((c) => c.vpc), UNSERVED);
  world.ec2!.transitGateways!.push(
    ...OTHER_TGWS.map((id) => ({ id, ownerId: ANALYTICS, region: 'us-east-1' as const })),
  );
  world.ec2!.transitGatewayAttachments = [
    ...(world.ec2!.transitGatewayAttachments ?? []),
    ...OTHER_TGWS.map((transitGatewayId, i) => ({
      id: otherAttachment(i),
      transitGatewayId,
      vpcId: scenarioVpcId(16),
      subnetIds: [scenarioSubnetId(16, 0)],
    })),
  ];
  return world;
}

describe('Rejections: status rejected with the precise reason, nothing else changed', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    w = await startWorkflowHub({ world: scenario() });
  });
  afterAll(() => w?.close());

  /** Runs the VPC's request to the end; returns the twin changes besides its status tags. */
  async function rejectionOf(vpcId: string) {
    const before = w.snapshot();
    const executions = await w.onboard(vpcId);
    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(w.status(vpcId)).toMatchObject({ status: 'rejected', execution: executions[0]!.name });
    expect(await w.registryItemsAbout(vpcId)).toEqual([]);
    return changesBesidesStatus(before, w.snapshot(), vpcId);
  }

  it.each(CASES)('rejects $name', async ({ vpc: { id }, detail }) => {
    const changes = await rejectionOf(id);
    expect(w.status(id).detail).toBe(detail(id));
    expect(changes).toEqual([]);
  });

  it('rejects a CIDR overlapping a connected VPC, naming the other VPC and its account', async () => {
    await w.onboard('vpc-0b300000000000001');
    expect(w.status('vpc-0b300000000000001').status).toBe('connected');

    const overlapping = 'vpc-0c400000000000001';
    const changes = await rejectionOf(overlapping);
    expect(w.status(overlapping).detail).toBe(
      `cidr-overlap: ${overlapping} CIDR 10.3.0.0/16 overlaps 10.3.0.0/16 of vpc-0b300000000000001 ` +
        `(account ${ANALYTICS}), already in the registry`,
    );
    expect(changes).toEqual([]);
  });

  it('ignores the tag event of a VPC in a region the hub does not serve (never forwarded to the hub)', async () => {
    const before = w.snapshot();
    const events = w.hub.events.records.length;
    expect(w.hub.announceTags(UNSERVED.id)).toBe(true);
    await w.hub.runUntilIdle();
    expect(w.executionsOf(UNSERVED.id)).toEqual([]);
    expect(w.hub.events.records.slice(events).map((r) => r.outcome)).toEqual(['not-forwarded']);
    expect(changesBesidesStatus(before, w.snapshot(), UNSERVED.id)).toEqual([]);
    expect(w.status(UNSERVED.id).status).toBeUndefined();
  });

  it('rejects an execution started by hand for a VPC in a region the hub does not serve', async () => {
    const event = w.twin.events.filter((e) => JSON.stringify(e).includes(UNSERVED.id)).at(-1);
    expect(event).toBeDefined();
    const before = w.snapshot();
    const name = `${UNSERVED.id}-onboard-byhand`;
    w.hub.sfn.start(w.hub.sfn.arnOf('spokelink-onboard'), name, JSON.stringify(event));
    await w.hub.runUntilIdle();
    expect(w.executionsOf(UNSERVED.id).map((e) => e.status)).toEqual(['SUCCEEDED']);
    // The spoke role may write status tags only on VPCs of the served regions (its synthesized policy), so AWS
    // refuses the rejection's status tag: the VPC stays untouched, and the twin, evaluating IAM, says so.
    const writes = w.twin.calls.filter(
      (c) => c.origin === 'status' && c.operation === 'CreateTags' && c.region === 'us-west-2',
    );
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((c) => c.error !== 'UnauthorizedOperation')).toEqual([]);
    expect(w.status(UNSERVED.id).status).toBeUndefined();
    expect(w.snapshot()).toEqual(before);
    expect(await w.registryItemsAbout(UNSERVED.id)).toEqual([]);
  });
});
