import {
  AssociateSubnetCidrBlockCommand,
  AssociateVpcCidrBlockCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateSubnetCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  CreateVpcEndpointCommand,
  DeleteRouteCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcsCommand,
  DisassociateVpcCidrBlockCommand,
  EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
  ModifyTransitGatewayVpcAttachmentCommand,
  SearchTransitGatewayRoutesCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import type { Pluggable } from '@smithy/types';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import type { ApiCallEvent } from '#twin/types';
import { createTwin, parseWorld } from '#twin/world';

/**
 * The twin's IPv6 model (issue 22): VPC blocks from Amazon's pool and from world-declared pools, subnet IPv6 CIDRs and
 * IPv6-only subnets, IPv6 routes, TGW attachment Ipv6Support, IPv6 static routes and propagation, IPv6 rules and their
 * own quota, endpoint IP address types.
 */

const HUB = '111111111111';
const OTHER = '222222222222';
const role = (account: string) => `arn:aws:iam::${account}:role/spokelink-functions`;
const VPC = 'vpc-0f000000000000001';
const PLAIN_VPC = 'vpc-0f000000000000002';
const DUAL_A = 'subnet-0f00000000000000a';
const DUAL_B = 'subnet-0f00000000000000b';
const V4_ONLY = 'subnet-0f00000000000000c';
const V6_ONLY = 'subnet-0f00000000000000d';
const RTB = 'rtb-0f000000000000001';
const SG = 'sg-0f000000000000001';
const TGW = 'tgw-0a1b2c3d4e5f60718';
const TGW_RTB = 'tgw-rtb-0a000000000000001';
const V6 = '2600:1f00:0:1000::/56';
const POOL = 'ipam-pool-0f0000000000000aa';
const OTHER_POOL = 'ipam-pool-0b0000000000000aa';
const V4_SERVICE = 'vpce-svc-0d000000000000001';
const DUAL_SERVICE = 'vpce-svc-0d000000000000002';
const PENDING_MS = 90_000;
const START = Date.parse('2026-03-01T00:00:00Z');

function world(quotas: Record<string, number> = {}) {
  return parseWorld({
    version: 1,
    iam: { principals: [role(HUB), role(OTHER)] },
    ec2: {
      quotas,
      ipv6Pools: [
        { id: POOL, ownerId: HUB, cidrs: ['fd00:1::/48'] },
        // Another account's IPAM with the same private range: pools of different owners may overlap.
        { id: OTHER_POOL, ownerId: OTHER, cidrs: ['fd00:1::/48'] },
      ],
      vpcs: [
        {
          id: VPC,
          ownerId: HUB,
          cidrBlocks: ['10.0.0.0/16'],
          ipv6CidrBlocks: [{ cidrBlock: V6 }],
          subnets: [
            {
              id: DUAL_A,
              availabilityZone: 'us-east-1a',
              cidrBlock: '10.0.1.0/24',
              ipv6CidrBlock: '2600:1f00:0:1000::/64',
            },
            {
              id: DUAL_B,
              availabilityZone: 'us-east-1b',
              cidrBlock: '10.0.2.0/24',
              ipv6CidrBlock: '2600:1f00:0:1001::/64',
            },
            { id: V4_ONLY, availabilityZone: 'us-east-1c', cidrBlock: '10.0.3.0/24' },
            { id: V6_ONLY, availabilityZone: 'us-east-1d', ipv6Native: true, ipv6CidrBlock: '2600:1f00:0:1002::/64' },
          ],
          routeTables: [{ id: RTB, main: true }],
          securityGroups: [{ id: SG, name: 'endpoint', description: 'endpoint' }],
        },
        { id: PLAIN_VPC, ownerId: OTHER, cidrBlocks: ['10.9.0.0/16'] },
      ],
      transitGateways: [
        {
          id: TGW,
          ownerId: HUB,
          options: {
            autoAcceptSharedAttachments: 'disable',
            defaultRouteTableAssociation: 'disable',
            defaultRouteTablePropagation: 'disable',
          },
          routeTables: [{ id: TGW_RTB }],
        },
      ],
      endpointServices: [
        { id: V4_SERVICE, ownerId: HUB, serviceName: 'com.example.v4', acceptanceRequired: false },
        {
          id: DUAL_SERVICE,
          ownerId: HUB,
          serviceName: 'com.example.dual',
          acceptanceRequired: false,
          supportedIpAddressTypes: ['ipv4', 'ipv6'],
        },
      ],
    },
  });
}

function ec2As(twin: Twin, account: string) {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
  return client;
}

function setup(quotas: Record<string, number> = {}) {
  jest.useFakeTimers({
    now: START,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
  const twin = createTwin(world(quotas), { timings: { attachmentPendingMs: PENDING_MS } });
  return { twin, ec2: ec2As(twin, HUB), other: ec2As(twin, OTHER) };
}

const advance = (ms: number) => jest.setSystemTime(Date.now() + ms);

afterEach(() => jest.useRealTimers());

async function attachment(ec2: EC2Client, subnetIds: string[], ipv6?: 'enable' | 'disable') {
  const out = await ec2.send(
    new CreateTransitGatewayVpcAttachmentCommand({
      TransitGatewayId: TGW,
      VpcId: VPC,
      SubnetIds: subnetIds,
      ...(ipv6 ? { Options: { Ipv6Support: ipv6 } } : {}),
    }),
  );
  return out.TransitGatewayVpcAttachment!;
}

describe('Twin EC2: IPv6 blocks of VPCs', () => {
  it('hands out an Amazon-provided /56, shows it, routes it locally, and takes it back', async () => {
    const { twin, other } = setup();
    const out = await other.send(
      new AssociateVpcCidrBlockCommand({ VpcId: PLAIN_VPC, AmazonProvidedIpv6CidrBlock: true }),
    );
    const block = out.Ipv6CidrBlockAssociation!;
    expect(block.Ipv6CidrBlock).toMatch(/^2600:1f00:[0-9a-f:]*\/56$/);
    // Never one a VPC of the twin already has.
    expect(block.Ipv6CidrBlock).not.toBe(V6);

    const { Vpcs } = await other.send(new DescribeVpcsCommand({ VpcIds: [PLAIN_VPC] }));
    expect(Vpcs?.[0]?.Ipv6CidrBlockAssociationSet).toEqual([
      expect.objectContaining({
        AssociationId: block.AssociationId,
        Ipv6CidrBlock: block.Ipv6CidrBlock,
        Ipv6Pool: 'Amazon',
      }),
    ]);
    const tables = await other.send(
      new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [PLAIN_VPC] }] }),
    );
    expect(tables.RouteTables?.[0]?.Routes).toContainEqual(
      expect.objectContaining({ DestinationIpv6CidrBlock: block.Ipv6CidrBlock, GatewayId: 'local' }),
    );
    const trail = twin.events.filter((e): e is ApiCallEvent => e.source === 'aws.ec2');
    expect(trail.map((e) => e.detail.eventName)).toContain('AssociateVpcCidrBlock');

    await other.send(new DisassociateVpcCidrBlockCommand({ AssociationId: block.AssociationId }));
    const after = await other.send(new DescribeVpcsCommand({ VpcIds: [PLAIN_VPC] }));
    expect(after.Vpcs?.[0]?.Ipv6CidrBlockAssociationSet).toBeUndefined();
  });

  it('allocates from a pool only inside it, once, and only for the pool owner; another owner’s pool may overlap', async () => {
    const { ec2, other } = setup();
    await expect(
      ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: VPC, Ipv6IpamPoolId: POOL, Ipv6CidrBlock: 'fd00:2::/56' })),
    ).rejects.toMatchObject({ name: 'InvalidVpc.Range' });
    await expect(
      other.send(
        new AssociateVpcCidrBlockCommand({ VpcId: PLAIN_VPC, Ipv6IpamPoolId: POOL, Ipv6CidrBlock: 'fd00:1::/56' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidIpv6Pool.NotFound' });

    const mine = await ec2.send(
      new AssociateVpcCidrBlockCommand({ VpcId: VPC, Ipv6IpamPoolId: POOL, Ipv6CidrBlock: 'fd00:1::/56' }),
    );
    expect(mine.Ipv6CidrBlockAssociation).toMatchObject({ Ipv6CidrBlock: 'fd00:1::/56', Ipv6Pool: POOL });
    // The pool does not hand the same addresses out twice (here to the same VPC, as a second block).
    await expect(
      ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: VPC, Ipv6IpamPoolId: POOL, Ipv6CidrBlock: 'fd00:1::/60' })),
    ).rejects.toMatchObject({ name: 'InvalidVpc.Range' });
    // The other account's IPAM hands out the same range.
    const theirs = await other.send(
      new AssociateVpcCidrBlockCommand({ VpcId: PLAIN_VPC, Ipv6IpamPoolId: OTHER_POOL, Ipv6NetmaskLength: 56 }),
    );
    expect(theirs.Ipv6CidrBlockAssociation?.Ipv6CidrBlock).toBe('fd00:1::/56');
    // A /64 is no VPC block.
    await expect(
      other.send(
        new AssociateVpcCidrBlockCommand({
          VpcId: PLAIN_VPC,
          Ipv6IpamPoolId: OTHER_POOL,
          Ipv6CidrBlock: 'fd00:1:0:100::/64',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidVpc.Range' });
  });
});

describe('Twin EC2: IPv6 subnets and routes', () => {
  it('creates IPv6-only subnets without IPv4 and refuses IPv6 CIDRs outside the VPC’s blocks', async () => {
    const { ec2 } = setup();
    const out = await ec2.send(
      new CreateSubnetCommand({ VpcId: VPC, Ipv6Native: true, Ipv6CidrBlock: '2600:1f00:0:1010::/64' }),
    );
    expect(out.Subnet).toMatchObject({ Ipv6Native: true, AvailableIpAddressCount: 0 });
    expect(out.Subnet?.CidrBlock).toBeUndefined();
    await expect(
      ec2.send(
        new CreateSubnetCommand({
          VpcId: VPC,
          Ipv6Native: true,
          CidrBlock: '10.0.9.0/24',
          Ipv6CidrBlock: '2600:1f00:0:1011::/64',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(
      ec2.send(
        new CreateSubnetCommand({ VpcId: VPC, CidrBlock: '10.0.9.0/24', Ipv6CidrBlock: '2600:1f00:0:2000::/64' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidSubnet.Range' });
    await expect(
      ec2.send(new AssociateSubnetCidrBlockCommand({ SubnetId: DUAL_A, Ipv6CidrBlock: '2600:1f00:0:1020::/64' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const added = await ec2.send(
      new AssociateSubnetCidrBlockCommand({ SubnetId: V4_ONLY, Ipv6CidrBlock: '2600:1f00:0:1020::/64' }),
    );
    expect(added.Ipv6CidrBlockAssociation?.Ipv6CidrBlock).toBe('2600:1f00:0:1020::/64');
  });

  it('routes an IPv6 destination to an attached TGW with DestinationIpv6CidrBlock, and deletes it by the same', async () => {
    const { ec2 } = setup();
    const att = await attachment(ec2, [DUAL_A, DUAL_B], 'enable');
    advance(PENDING_MS);
    await expect(
      ec2.send(
        new CreateRouteCommand({
          RouteTableId: RTB,
          DestinationCidrBlock: '10.8.0.0/16',
          DestinationIpv6CidrBlock: 'fd00::/8',
          TransitGatewayId: TGW,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await ec2.send(
      new CreateRouteCommand({ RouteTableId: RTB, DestinationIpv6CidrBlock: 'FD00::/8', TransitGatewayId: TGW }),
    );
    const { RouteTables } = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    expect(RouteTables?.[0]?.Routes).toContainEqual(
      expect.objectContaining({ DestinationIpv6CidrBlock: 'fd00::/8', TransitGatewayId: TGW, State: 'active' }),
    );
    await expect(
      ec2.send(new DeleteRouteCommand({ RouteTableId: RTB, DestinationCidrBlock: '10.8.0.0/16' })),
    ).rejects.toMatchObject({ name: 'InvalidRoute.NotFound' });
    await ec2.send(new DeleteRouteCommand({ RouteTableId: RTB, DestinationIpv6CidrBlock: 'fd00::/8' }));
    const after = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [RTB] }));
    expect(after.RouteTables?.[0]?.Routes?.some((r) => r.TransitGatewayId)).toBe(false);
    expect(att.Options?.Ipv6Support).toBe('enable');
  });
});

describe('Twin EC2: TGW attachments and IPv6', () => {
  it('refuses an IPv6-only subnet in an attachment, and IPv6 support without IPv6 in every subnet', async () => {
    const { ec2 } = setup();
    await expect(attachment(ec2, [DUAL_A, V6_ONLY])).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('IPv6-only'),
    });
    await expect(attachment(ec2, [DUAL_A, V4_ONLY], 'enable')).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('has no IPv6 CIDR block'),
    });
    expect((await attachment(ec2, [DUAL_A, V4_ONLY])).Options?.Ipv6Support).toBe('disable');
  });

  it('propagates IPv6 blocks only with Ipv6Support, enabled by ModifyTransitGatewayVpcAttachment (modifying, then available)', async () => {
    const { ec2 } = setup();
    const att = await attachment(ec2, [DUAL_A, DUAL_B]);
    const id = att.TransitGatewayAttachmentId!;
    advance(PENDING_MS);
    await ec2.send(
      new EnableTransitGatewayRouteTablePropagationCommand({
        TransitGatewayRouteTableId: TGW_RTB,
        TransitGatewayAttachmentId: id,
      }),
    );
    advance(10_000);
    const routes = async () =>
      (
        await ec2.send(
          new SearchTransitGatewayRoutesCommand({
            TransitGatewayRouteTableId: TGW_RTB,
            Filters: [{ Name: 'type', Values: ['propagated'] }],
          }),
        )
      ).Routes?.map((r) => r.DestinationCidrBlock);
    expect(await routes()).toEqual(['10.0.0.0/16']);

    const modified = await ec2.send(
      new ModifyTransitGatewayVpcAttachmentCommand({
        TransitGatewayAttachmentId: id,
        Options: { Ipv6Support: 'enable' },
      }),
    );
    expect(modified.TransitGatewayVpcAttachment).toMatchObject({
      State: 'modifying',
      Options: { Ipv6Support: 'enable' },
    });
    advance(10_000);
    const { TransitGatewayVpcAttachments } = await ec2.send(
      new DescribeTransitGatewayVpcAttachmentsCommand({ TransitGatewayAttachmentIds: [id] }),
    );
    expect(TransitGatewayVpcAttachments?.[0]?.State).toBe('available');
    expect(await routes()).toEqual(['10.0.0.0/16', V6]);
  });

  it('is loud about an attachment option it does not model, and changes nothing', async () => {
    const { ec2 } = setup();
    const id = (await attachment(ec2, [DUAL_A, DUAL_B])).TransitGatewayAttachmentId!;
    advance(PENDING_MS);
    await expect(
      ec2.send(
        new ModifyTransitGatewayVpcAttachmentCommand({
          TransitGatewayAttachmentId: id,
          Options: { Ipv6Support: 'enable', ApplianceModeSupport: 'enable' },
        }),
      ),
    ).rejects.toThrow('twin: ModifyTransitGatewayVpcAttachment Options ApplianceModeSupport is not modeled');
    const { TransitGatewayVpcAttachments } = await ec2.send(
      new DescribeTransitGatewayVpcAttachmentsCommand({ TransitGatewayAttachmentIds: [id] }),
    );
    expect(TransitGatewayVpcAttachments?.[0]).toMatchObject({
      State: 'available',
      Options: { Ipv6Support: 'disable' },
    });
  });

  it('takes IPv6 static routes in DestinationCidrBlock', async () => {
    const { ec2 } = setup();
    const id = (await attachment(ec2, [DUAL_A, DUAL_B], 'enable')).TransitGatewayAttachmentId!;
    advance(PENDING_MS);
    const out = await ec2.send(
      new CreateTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: TGW_RTB,
        DestinationCidrBlock: V6,
        TransitGatewayAttachmentId: id,
      }),
    );
    expect(out.Route).toMatchObject({ DestinationCidrBlock: V6, Type: 'static', State: 'active' });
  });
});

describe('Twin EC2: IPv6 security group rules and endpoint IP address types', () => {
  it('answers Ipv6Ranges rules as CidrIpv6 and counts them against their own quota', async () => {
    const { ec2 } = setup();
    const v4 = Array.from({ length: 60 }, (_, i) => ({ CidrIp: `10.${i}.0.0/16` }));
    await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: SG,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: v4 }],
      }),
    );
    // The IPv4 rules are at 60; an IPv6 rule still fits (the quota is per family), a 61st IPv4 one does not.
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: SG,
        IpPermissions: [
          { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: V6, Description: 'v6' }] },
        ],
      }),
    );
    expect(out.SecurityGroupRules?.[0]).toMatchObject({ CidrIpv6: V6, Description: 'v6' });
    expect(out.SecurityGroupRules?.[0]?.CidrIpv4).toBeUndefined();
    await expect(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: SG,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.200.0.0/16' }] }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
    await expect(
      ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: SG,
          IpPermissions: [
            { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: '2600:1F00:0:1000::/56' }] },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    const { SecurityGroupRules } = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [SG] }] }),
    );
    expect(SecurityGroupRules?.filter((r) => r.CidrIpv6 === V6)).toHaveLength(1);
  });

  it('creates dual-stack endpoints only for a service that supports IPv6, with a DNS record type that fits', async () => {
    const { ec2 } = setup();
    const { ServiceConfigurations } = await ec2.send(
      new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [DUAL_SERVICE, V4_SERVICE] }),
    );
    expect(ServiceConfigurations?.map((c) => c.SupportedIpAddressTypes)).toEqual([['ipv4', 'ipv6'], ['ipv4']]);
    const create = (
      serviceName: string,
      ipAddressType?: 'ipv4' | 'dualstack' | 'ipv6',
      dns?: 'ipv4' | 'dualstack' | 'ipv6',
    ) => {
      // CreateVpcEndpoint has its own small token bucket: let it refill between calls.
      advance(60_000);
      return ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: VPC,
          ServiceName: serviceName,
          SubnetIds: [DUAL_A, DUAL_B],
          ...(ipAddressType ? { IpAddressType: ipAddressType } : {}),
          ...(dns ? { DnsOptions: { DnsRecordIpType: dns } } : {}),
        }),
      );
    };
    await expect(create('com.example.v4', 'dualstack')).rejects.toMatchObject({ name: 'InvalidParameter' });
    await expect(create('com.example.dual', 'ipv4', 'ipv6')).rejects.toMatchObject({ name: 'InvalidParameter' });
    await expect(create('com.example.dual', 'ipv6')).rejects.toMatchObject({ name: 'InvalidParameter' });
    const dual = await create('com.example.dual', 'dualstack');
    expect(dual.VpcEndpoint).toMatchObject({
      IpAddressType: 'dualstack',
      DnsOptions: { DnsRecordIpType: 'dualstack' },
    });
    const plain = await create('com.example.v4');
    expect(plain.VpcEndpoint).toMatchObject({ IpAddressType: 'ipv4', DnsOptions: { DnsRecordIpType: 'ipv4' } });
  });
});
