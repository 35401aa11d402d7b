import { AssociateSubnetCidrBlockCommand, AssociateVpcCidrBlockCommand } from '@aws-sdk/client-ec2';
import ipaddr from 'ipaddr.js';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import type { World } from '#twin/world';
import {
  advance,
  appTeamEc2,
  claims,
  hubRoutesFor,
  lifecycleHub,
  lifecycleWorld,
  networkDiff,
  registryOf,
  SCRATCH,
  settle,
  statusOf,
  TGW,
} from '../lifecycle/helpers';
import { expectCalledOnFullPath } from '../sdk-path';

/**
 * Dual-stack spokes (issue 22): a VPC's IPv6 blocks are validated, claimed, routed (hub static routes, spoke routes
 * to the hub's IPv6 destination) and admitted (Ipv6Ranges rules) like its IPv4 ones, through an attachment with IPv6
 * support; offboarding removes all of it; a VPC whose attachment subnets could only be IPv6-only is refused.
 */

/** The example world's dual-stack VPC: 10.6.0.0/16 and 2600:1f00:0:2000::/56, two dual-stack subnets, one IPv6-only. */
const DUAL = 'vpc-0c400000000000002';
const DUAL_V6 = '2600:1f00:0:2000::/56';
/** The hub's IPv6 destination (config/example.hub.json). */
const HUB_V6 = '2600:1f00:0:1000::/56';
const SSM_GROUP = 'sg-0e55e0000000000a1';
const V6_ONLY = 'vpc-0e3000000000000b1';

/** The VPC's live attachment to the hub TGW. */
function attachmentOf(hub: LocalHub, vpcId: string) {
  return Object.values(ec2State(hub.twin).attachments).find(
    (a) => a.vpcId === vpcId && !a.timeline.some((t) => ['deleting', 'deleted'].includes(t.state)),
  );
}

/** Routes of the VPC's route tables to the hub TGW: `<table> <destination>`. */
function spokeRoutesOf(hub: LocalHub, vpcId: string): string[] {
  return Object.values(ec2State(hub.twin).routeTables)
    .filter((t) => t.vpcId === vpcId)
    .flatMap((t) => t.routes.filter((r) => r.transitGatewayId === TGW).map((r) => `${t.id} ${r.destinationCidrBlock}`))
    .sort();
}

/** CIDRs the hub's ssm endpoint group admits on 443 for the VPC (by the description spokelink writes). */
function admitted(hub: LocalHub, vpcId: string): string[] {
  const group = ec2State(hub.twin).securityGroups[SSM_GROUP]!;
  return group.rules
    .filter((r) => !r.isEgress && r.fromPort === 443 && (r.description ?? '').includes(vpcId))
    .map((r) => r.cidr)
    .sort();
}

/** The `n`-th /64 of a /56. */
function nthSubnet64(block: string, n: number): string {
  const bytes = ipaddr.IPv6.parse(block.split('/')[0]!).toByteArray();
  bytes[7] = n;
  return `${ipaddr.fromByteArray(bytes).toString()}/64`;
}

/** The lifecycle world plus a VPC whose only subnets are IPv6-only (it has an IPv4 block: every VPC does). */
function worldWithIpv6OnlyVpc(): World {
  const world = lifecycleWorld();
  world.ec2!.vpcs.push({
    id: V6_ONLY,
    ownerId: '333333333333',
    region: 'us-east-1',
    cidrBlocks: ['10.32.0.0/16'],
    ipv6CidrBlocks: [{ cidrBlock: '2600:1f00:0:3000::/56' }],
    enableDnsSupport: true,
    enableDnsHostnames: true,
    tags: { Name: 'ipv6-only' },
    subnets: [
      {
        id: 'subnet-0e3000000000000b1',
        availabilityZone: 'us-east-1a',
        ipv6CidrBlock: '2600:1f00:0:3000::/64',
        ipv6Native: true,
        tags: {},
      },
      {
        id: 'subnet-0e3000000000000b2',
        availabilityZone: 'us-east-1b',
        ipv6CidrBlock: '2600:1f00:0:3001::/64',
        ipv6Native: true,
        tags: {},
      },
    ],
    routeTables: [{ id: 'rtb-0e3000000000000b0', main: true, subnetIds: [], routes: [], tags: {} }],
    securityGroups: [],
  });
  return world;
}

describe('Workflow: dual-stack spokes', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('onboards a dual-stack VPC: both blocks claimed, IPv6 attachment, IPv6 hub and spoke routes, IPv6 rules', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(DUAL, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(statusOf(hub, DUAL)).toMatchObject({ status: 'connected' });
    expect((await claims(hub))[DUAL]?.sort()).toEqual(['10.6.0.0/16', DUAL_V6]);
    const attachment = attachmentOf(hub, DUAL);
    expect(attachment?.ipv6Support).toBe('enable');
    // The IPv6-only subnet of us-east-1c cannot host the attachment: the two dual-stack subnets do.
    expect(attachment?.subnetIds.sort()).toEqual(['subnet-0c400000000000201', 'subnet-0c400000000000202']);
    expect(hubRoutesFor(hub, DUAL_V6)).toEqual([`tgw-rtb-0c000000000000003 -> ${DUAL}`]);
    expect(spokeRoutesOf(hub, DUAL)).toEqual([`rtb-0c400000000000200 10.0.0.0/16`, `rtb-0c400000000000200 ${HUB_V6}`]);
    expect(admitted(hub, DUAL)).toEqual(['10.6.0.0/16', DUAL_V6]);
    const record = (await registryOf(hub, DUAL)).CURRENT!;
    expect(record.cidrs).toEqual(['10.6.0.0/16', DUAL_V6]);
    expect(record.routes).toEqual(
      expect.arrayContaining([{ routeTableId: 'rtb-0c400000000000200', destinationCidr: HUB_V6 }]),
    );
  });

  it('gives an IPv4-only VPC no IPv6 route, attachment option or rule', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(SCRATCH, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(statusOf(hub, SCRATCH).status).toBe('connected');
    expect(attachmentOf(hub, SCRATCH)?.ipv6Support).toBe('disable');
    expect(spokeRoutesOf(hub, SCRATCH)).toEqual(['rtb-0e3000000000000a0 10.0.0.0/16']);
    expect(admitted(hub, SCRATCH)).toEqual(['10.31.0.0/16']);
  });

  it('connects an IPv6 block added to a connected VPC: the attachment gets IPv6 support, the block its routes and rules', async () => {
    hub = await lifecycleHub({ sdkTransport: 'sdk' });
    await hub.tagVpc(SCRATCH, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);
    const attachment = attachmentOf(hub, SCRATCH)!.id;

    // The app team makes its VPC dual-stack: an Amazon-provided /56, a /64 in each subnet (one apply).
    const team = appTeamEc2(hub, SCRATCH);
    const { Ipv6CidrBlockAssociation } = await team.send(
      new AssociateVpcCidrBlockCommand({ VpcId: SCRATCH, AmazonProvidedIpv6CidrBlock: true }),
    );
    const block = Ipv6CidrBlockAssociation!.Ipv6CidrBlock!;
    for (const [i, subnetId] of ['subnet-0e3000000000000a1', 'subnet-0e3000000000000a2'].entries()) {
      await team.send(
        new AssociateSubnetCidrBlockCommand({ SubnetId: subnetId, Ipv6CidrBlock: nthSubnet64(block, i) }),
      );
    }
    await settle(hub);

    expect(statusOf(hub, SCRATCH).status).toBe('connected');
    expect(attachmentOf(hub, SCRATCH)).toMatchObject({ id: attachment, ipv6Support: 'enable' });
    expect((await claims(hub))[SCRATCH]?.sort()).toEqual(['10.31.0.0/16', block]);
    expect(hubRoutesFor(hub, block)).toEqual([`tgw-rtb-0c000000000000003 -> ${SCRATCH}`]);
    expect(spokeRoutesOf(hub, SCRATCH)).toEqual([
      'rtb-0e3000000000000a0 10.0.0.0/16',
      `rtb-0e3000000000000a0 ${HUB_V6}`,
    ]);
    expect(admitted(hub, SCRATCH)).toEqual(['10.31.0.0/16', block]);
    expectCalledOnFullPath(hub, ['ec2:ModifyTransitGatewayVpcAttachment']);
  });

  it('quarantines an added IPv6 block the attachment cannot carry (no IPv6 in its subnets); IPv4 stays connected', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(SCRATCH, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    const { Ipv6CidrBlockAssociation } = await appTeamEc2(hub, SCRATCH).send(
      new AssociateVpcCidrBlockCommand({ VpcId: SCRATCH, AmazonProvidedIpv6CidrBlock: true }),
    );
    const block = Ipv6CidrBlockAssociation!.Ipv6CidrBlock!;
    await settle(hub);

    const { status, detail } = statusOf(hub, SCRATCH);
    expect(status).toBe('quarantined');
    expect(detail).toMatch(
      new RegExp(
        `^quarantined: ${block.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not carried: attachment subnet subnet-0e3000000000000a1`,
      ),
    );
    expect((await claims(hub))[SCRATCH]).toEqual(['10.31.0.0/16']);
    expect(hubRoutesFor(hub, block)).toEqual([]);
    expect(attachmentOf(hub, SCRATCH)?.ipv6Support).toBe('disable');
    expect(admitted(hub, SCRATCH)).toEqual(['10.31.0.0/16']);
  });

  it('offboards a dual-stack VPC leaving nothing: no route, rule, claim or attachment of either family', async () => {
    hub = await lifecycleHub();
    const before = hub.twin.snapshot();
    await hub.tagVpc(DUAL, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);
    expect(statusOf(hub, DUAL).status).toBe('connected');

    await hub.untagVpc(DUAL, ['spokelink:connect', 'spokelink:services']);
    await settle(hub);
    await advance(hub, 10 * 60_000);

    expect(statusOf(hub, DUAL).status).toBe('disconnected');
    expect(hubRoutesFor(hub, DUAL_V6)).toEqual([]);
    expect(spokeRoutesOf(hub, DUAL)).toEqual([]);
    expect(admitted(hub, DUAL)).toEqual([]);
    expect((await claims(hub))[DUAL]).toBeUndefined();
    // Only the status tags differ from before, and the attachment that AWS keeps describable as `deleted`.
    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:'))).toEqual([]);
  });

  it('rejects a VPC whose subnets are all IPv6-only (an attachment needs IPv4 in its subnets), changing nothing', async () => {
    hub = await lifecycleHub({ world: worldWithIpv6OnlyVpc() });
    const before = hub.twin.snapshot();
    await hub.tagVpc(V6_ONLY, { 'spokelink:connect': 'true' });
    await settle(hub);

    const { status, detail } = statusOf(hub, V6_ONLY);
    expect(status).toBe('rejected');
    expect(detail).toMatch(/^ipv6-only-subnet: vpc-0e3000000000000b1 has only IPv6-only subnets/);
    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:') && !p.includes(V6_ONLY))).toEqual([]);
    expect((await claims(hub))[V6_ONLY]).toBeUndefined();
    expect(attachmentOf(hub, V6_ONLY)).toBeUndefined();
  });

  it('rejects an IPv6-only subnet tagged for the attachment', async () => {
    hub = await lifecycleHub();
    ec2State(hub.twin).subnets['subnet-0c400000000000203']!.tags['spokelink:attach'] = 'true';
    await hub.tagVpc(DUAL, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(statusOf(hub, DUAL)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(
        /^ipv6-only-subnet: subnet-0c400000000000203 tagged spokelink:attach=true is IPv6-only/,
      ),
    });
    expect(attachmentOf(hub, DUAL)).toBeUndefined();
  });

  it('rejects a first request whose IPv6 blocks its attachment subnets could not carry', async () => {
    hub = await lifecycleHub();
    // The dual-stack VPC's subnet of us-east-1b loses its IPv6 CIDR (as before the app team added it).
    delete ec2State(hub.twin).subnets['subnet-0c400000000000202']!.ipv6CidrBlock;
    await hub.tagVpc(DUAL, { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(statusOf(hub, DUAL)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(
        /^ipv6-subnet: vpc-0c400000000000002 has IPv6 blocks \(2600:1f00:0:2000::\/56\) but attachment subnet subnet-0c400000000000202 \(us-east-1b\) has no IPv6 CIDR/,
      ),
    });
    expect((await claims(hub))[DUAL]).toBeUndefined();
    expect(attachmentOf(hub, DUAL)).toBeUndefined();
  });
});
