import {
  AssociateRouteTableCommand,
  AssociateSubnetCidrBlockCommand,
  AssociateVpcCidrBlockCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DisassociateVpcCidrBlockCommand,
  ModifyVpcAttributeCommand,
  type RouteTable,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { type KnownDifference, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, tagMap, tagSpec, useMoto } from './harness/suite';

const moto = useMoto();

const vpcView = (v: Vpc | undefined) => ({
  VpcId: v?.VpcId,
  CidrBlock: v?.CidrBlock,
  IsDefault: v?.IsDefault,
  OwnerId: v?.OwnerId,
  Tags: tagMap(v?.Tags),
});
const subnetView = (x: Subnet) => ({
  SubnetId: x.SubnetId,
  VpcId: x.VpcId,
  CidrBlock: x.CidrBlock,
  AvailabilityZone: x.AvailabilityZone,
  AvailableIpAddressCount: x.AvailableIpAddressCount,
  Tags: tagMap(x.Tags),
});
const routeTableView = (t: RouteTable) => ({
  RouteTableId: t.RouteTableId,
  VpcId: t.VpcId,
  Routes: (t.Routes ?? []).map((r) => ({
    DestinationCidrBlock: r.DestinationCidrBlock,
    GatewayId: r.GatewayId,
    TransitGatewayId: r.TransitGatewayId,
    State: r.State,
  })),
  Associations: (t.Associations ?? []).map((a) => ({ Main: a.Main, SubnetId: a.SubnetId })),
});

describe('Twin vs moto: VPCs', () => {
  it('creates, finds (by id and by tag), inspects, modifies and deletes a VPC alike, except where moto is wrong', async () => {
    const known: KnownDifference[] = [
      {
        step: 'CreateVpc',
        why: 'A new VPC is answered in state `pending` (it becomes `available` shortly after); moto answers `available` at once.',
        awsDoc: 'https://docs.aws.amazon.com/ec2/latest/devguide/example_ec2_CreateVpc_section.html',
      },
      {
        step: 'ModifyVpcAttribute two attributes at once',
        why: 'AWS: "You cannot modify the DNS resolution and DNS hostnames attributes in the same request. Use separate requests for each attribute." The twin refuses (InvalidParameterCombination, its choice of code); moto applies both.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html',
      },
      {
        step: 'DescribeVpcAttribute enableDnsHostnames (after refused modify)',
        why: 'Consequence of the previous step: on moto the refused request changed the attribute.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const created = await trace.step(
          'CreateVpc',
          () =>
            ec2.send(
              new CreateVpcCommand({
                CidrBlock: '10.20.0.0/16',
                TagSpecifications: tagSpec('vpc', { Name: 'spoke-a', 'spokelink:connect': 'true' }),
              }),
            ),
          (o) => ({ ...vpcView(o.Vpc), State: o.Vpc?.State }),
        );
        const vpcId = created?.Vpc?.VpcId ?? 'vpc-missing';
        await trace.step(
          'DescribeVpcs by id',
          () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
          (o) => (o.Vpcs ?? []).map((v) => ({ ...vpcView(v), State: v.State })),
        );
        await trace.step(
          'DescribeVpcs by tag filter',
          () => ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:spokelink:connect', Values: ['true'] }] })),
          (o) => (o.Vpcs ?? []).map((v) => v.VpcId),
        );
        await trace.step(
          'DescribeVpcs by tag-key and cidr filters',
          () =>
            ec2.send(
              new DescribeVpcsCommand({
                Filters: [
                  { Name: 'tag-key', Values: ['spokelink:*'] },
                  { Name: 'cidr-block-association.cidr-block', Values: ['10.20.0.0/16'] },
                ],
              }),
            ),
          (o) => (o.Vpcs ?? []).map((v) => v.VpcId),
        );
        await trace.step(
          'DescribeVpcs by tag filter that matches nothing',
          () => ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:spokelink:connect', Values: ['no'] }] })),
          (o) => (o.Vpcs ?? []).map((v) => v.VpcId),
        );
        await trace.step(
          'DescribeVpcAttribute enableDnsSupport',
          () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' })),
          (o) => ({ VpcId: o.VpcId, EnableDnsSupport: o.EnableDnsSupport?.Value }),
        );
        await trace.step(
          'DescribeVpcAttribute enableDnsHostnames (new VPC)',
          () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
          (o) => ({ VpcId: o.VpcId, EnableDnsHostnames: o.EnableDnsHostnames?.Value }),
        );
        await trace.step('ModifyVpcAttribute enableDnsHostnames true', () =>
          ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } })),
        );
        await trace.step(
          'DescribeVpcAttribute enableDnsHostnames (after modify)',
          () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
          (o) => o.EnableDnsHostnames?.Value,
        );
        await trace.step('ModifyVpcAttribute two attributes at once', () =>
          ec2.send(
            new ModifyVpcAttributeCommand({
              VpcId: vpcId,
              EnableDnsHostnames: { Value: false },
              EnableDnsSupport: { Value: false },
            }),
          ),
        );
        await trace.step(
          'DescribeVpcAttribute enableDnsHostnames (after refused modify)',
          () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
          (o) => o.EnableDnsHostnames?.Value,
        );
        await trace.step('DeleteVpc', () => ec2.send(new DeleteVpcCommand({ VpcId: vpcId })));
        await trace.step('DescribeVpcs by id after delete', () =>
          ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
        );
        await trace.step('DescribeVpcAttribute of a deleted VPC', () =>
          ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsSupport' })),
        );
        await trace.step('DeleteVpc twice', () => ec2.send(new DeleteVpcCommand({ VpcId: vpcId })));
      },
      known,
    );
    expect(stepOf(twin, 'CreateVpc')?.result).toMatchObject({ State: 'pending' });
    expect(stepOf(twin, 'ModifyVpcAttribute two attributes at once')?.error).toBe('InvalidParameterCombination');
    expect(stepOf(twin, 'DescribeVpcAttribute enableDnsHostnames (after refused modify)')?.result).toBe(true);
  });

  // Both accept this, although the API reference says "You can only enable DNS hostnames if you've enabled DNS
  // support" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html): reported as a
  // suspected twin defect (docs/twin-moto.md); pinned here so a fix shows up.
  it('refuses DNS hostnames while DNS support is off, where moto accepts them', async () => {
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.21.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        await trace.step('ModifyVpcAttribute enableDnsSupport false', () =>
          ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: false } })),
        );
        await trace.step('ModifyVpcAttribute enableDnsHostnames true without DNS support', () =>
          ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } })),
        );
        await trace.step(
          'DescribeVpcAttribute enableDnsHostnames',
          () => ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: 'enableDnsHostnames' })),
          (o) => o.EnableDnsHostnames?.Value,
        );
      },
      [
        {
          step: 'ModifyVpcAttribute enableDnsHostnames true without DNS support',
          why: 'AWS: "You can only enable DNS hostnames if you\'ve enabled DNS support"; moto accepts the change',
          awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html',
        },
        {
          step: 'DescribeVpcAttribute enableDnsHostnames',
          why: 'follows from the refused change: hostnames stay off on the twin',
          awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyVpcAttribute.html',
        },
      ],
    );
    expect(stepOf(twin, 'ModifyVpcAttribute enableDnsHostnames true without DNS support')?.error).toBe(
      'InvalidParameterValue',
    );
    expect(stepOf(twin, 'DescribeVpcAttribute enableDnsHostnames')?.result).toBe(false);
  });

  it('refuses VPC CIDRs outside /16../28 the same way', async () => {
    await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        await trace.step('CreateVpc /8', () => ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/8' })));
        await trace.step('CreateVpc /29', () => ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/29' })));
        await trace.step('CreateVpc not a CIDR', () => ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.300/16' })));
        await trace.step(
          'CreateVpc /28',
          () => ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/28' })),
          (o) => o.Vpc?.CidrBlock,
        );
      },
      [],
    );
  });
});

describe('Twin vs moto: VPC CIDR blocks', () => {
  it('associates and disassociates a secondary block; refuses what AWS refuses where moto accepts it', async () => {
    const page = 'https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html';
    const known: KnownDifference[] = [
      {
        step: 'AssociateVpcCidrBlock /15',
        why: 'IPv4 VPC blocks are /16 to /28; moto accepts any size.',
        awsDoc: page,
      },
      {
        step: 'AssociateVpcCidrBlock from a restricted range',
        why: 'A VPC whose primary block is in 10.0.0.0/8 cannot add a block from 192.168.0.0/16 ("IPv4 CIDR block association restrictions"); moto accepts it.',
        awsDoc: page,
      },
      {
        step: 'AssociateVpcCidrBlock overlapping the VPC',
        why: "A secondary block may not overlap the VPC's blocks; moto accepts it.",
        awsDoc: page,
      },
      {
        step: 'DescribeVpcs blocks',
        why: 'Consequence: moto holds the blocks it should have refused.',
        awsDoc: page,
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const added = await trace.step(
          'AssociateVpcCidrBlock',
          () => ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.61.0.0/16' })),
          (o) => ({
            CidrBlock: o.CidrBlockAssociation?.CidrBlock,
            State: o.CidrBlockAssociation?.CidrBlockState?.State,
          }),
        );
        await trace.step('AssociateVpcCidrBlock /15', () =>
          ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.62.0.0/15' })),
        );
        await trace.step('AssociateVpcCidrBlock from a restricted range', () =>
          ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '192.168.0.0/16' })),
        );
        await trace.step('AssociateVpcCidrBlock overlapping the VPC', () =>
          ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.61.0.0/16' })),
        );
        await trace.step(
          'DescribeVpcs blocks',
          () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
          (o) => (o.Vpcs?.[0]?.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock).sort(),
        );
        await trace.step(
          'DisassociateVpcCidrBlock',
          () =>
            ec2.send(
              new DisassociateVpcCidrBlockCommand({ AssociationId: added?.CidrBlockAssociation?.AssociationId }),
            ),
          (o) => ({ VpcId: o.VpcId, CidrBlock: o.CidrBlockAssociation?.CidrBlock }),
        );
        const primary = vpc.Vpc?.CidrBlockAssociationSet?.[0]?.AssociationId;
        await trace.step('DisassociateVpcCidrBlock of the primary', () =>
          ec2.send(new DisassociateVpcCidrBlockCommand({ AssociationId: primary })),
        );
      },
      known,
    );
    expect(stepOf(twin, 'AssociateVpcCidrBlock /15')?.error).toBe('InvalidVpc.Range');
    expect(stepOf(twin, 'DescribeVpcs blocks')?.result).toEqual(['10.60.0.0/16', '10.61.0.0/16']);
  });
});

/** The `n`-th /64 of an IPv6 /56 (`2600:1f00::/56`, 1 -> `2600:1f00:0:1::/64`). */
function subnet64(block: string, n: number): string {
  const [head = ''] = block.split('::/');
  const groups = head.split(':');
  while (groups.length < 4) groups.push('0');
  groups[3] = (Number.parseInt(groups[3]!, 16) + n).toString(16);
  return `${groups.join(':')}::/64`;
}

describe('Twin vs moto: IPv6 blocks and subnets', () => {
  it('associates an Amazon-provided /56, gives subnets /64s from it, and shows them alike', async () => {
    await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.70.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const added = await trace.step(
          'AssociateVpcCidrBlock AmazonProvidedIpv6CidrBlock',
          () => ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, AmazonProvidedIpv6CidrBlock: true })),
          (o) => ({
            prefix: o.Ipv6CidrBlockAssociation?.Ipv6CidrBlock?.split('/')[1],
            State: o.Ipv6CidrBlockAssociation?.Ipv6CidrBlockState?.State,
          }),
        );
        const block = added?.Ipv6CidrBlockAssociation?.Ipv6CidrBlock ?? '2600:1f00::/56';
        await trace.step(
          'DescribeVpcs IPv6 blocks',
          () => ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] })),
          (o) => (o.Vpcs?.[0]?.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock === block),
        );
        const a = await trace.step(
          'CreateSubnet dual-stack',
          () =>
            ec2.send(
              new CreateSubnetCommand({
                VpcId: vpcId,
                CidrBlock: '10.70.1.0/24',
                Ipv6CidrBlock: subnet64(block, 0),
                AvailabilityZone: 'us-east-1a',
              }),
            ),
          (o) => (o.Subnet?.Ipv6CidrBlockAssociationSet ?? []).map((x) => x.Ipv6CidrBlock?.split('/')[1]),
        );
        const b = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.70.2.0/24', AvailabilityZone: 'us-east-1b' }),
        );
        await trace.step(
          'AssociateSubnetCidrBlock',
          () =>
            ec2.send(
              new AssociateSubnetCidrBlockCommand({ SubnetId: b.Subnet?.SubnetId, Ipv6CidrBlock: subnet64(block, 1) }),
            ),
          (o) => o.Ipv6CidrBlockAssociation?.Ipv6CidrBlock?.split('/')[1],
        );
        await trace.step(
          'DescribeSubnets IPv6',
          () => ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })),
          (o) => (o.Subnets ?? []).map((x) => `${x.CidrBlock} ${(x.Ipv6CidrBlockAssociationSet ?? []).length}`).sort(),
        );
        expect(a?.Subnet?.SubnetId).toBeDefined();
      },
      [],
    );
  });
});

describe('Twin vs moto: subnets', () => {
  it('creates subnets, refuses overlaps and out-of-range CIDRs, and filters them the same way', async () => {
    await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const a = await trace.step(
          'CreateSubnet a',
          () =>
            ec2.send(
              new CreateSubnetCommand({
                VpcId: vpcId,
                CidrBlock: '10.30.1.0/24',
                AvailabilityZone: 'us-east-1a',
                TagSpecifications: tagSpec('subnet', { 'spokelink:attach': 'true' }),
              }),
            ),
          (o) => (o.Subnet ? subnetView(o.Subnet) : undefined),
        );
        await trace.step('CreateSubnet overlapping', () =>
          ec2.send(
            new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.128/25', AvailabilityZone: 'us-east-1b' }),
          ),
        );
        await trace.step('CreateSubnet containing another', () =>
          ec2.send(
            new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.0.0/20', AvailabilityZone: 'us-east-1b' }),
          ),
        );
        await trace.step('CreateSubnet outside the VPC', () =>
          ec2.send(
            new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.31.1.0/24', AvailabilityZone: 'us-east-1b' }),
          ),
        );
        await trace.step('CreateSubnet in an unknown VPC', () =>
          ec2.send(
            new CreateSubnetCommand({
              VpcId: 'vpc-0aaaaaaaaaaaaaaaa',
              CidrBlock: '10.30.9.0/24',
              AvailabilityZone: 'us-east-1b',
            }),
          ),
        );
        await trace.step(
          'CreateSubnet b',
          () =>
            ec2.send(
              new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.2.0/24', AvailabilityZone: 'us-east-1b' }),
            ),
          (o) => o.Subnet?.SubnetId,
        );
        await trace.step(
          'DescribeSubnets by vpc-id',
          () => ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })),
          (o) => (o.Subnets ?? []).map(subnetView).sort((x, y) => (x.CidrBlock ?? '').localeCompare(y.CidrBlock ?? '')),
        );
        await trace.step(
          'DescribeSubnets by vpc-id and zone',
          () =>
            ec2.send(
              new DescribeSubnetsCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [vpcId] },
                  { Name: 'availability-zone', Values: ['us-east-1b'] },
                ],
              }),
            ),
          (o) => (o.Subnets ?? []).map((x) => x.CidrBlock),
        );
        await trace.step(
          'DescribeSubnets by tag',
          () =>
            ec2.send(
              new DescribeSubnetsCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [vpcId] },
                  { Name: 'tag:spokelink:attach', Values: ['true'] },
                ],
              }),
            ),
          (o) => (o.Subnets ?? []).map((x) => x.CidrBlock),
        );
        await trace.step(
          'DescribeSubnets by cidr-block',
          () => ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'cidr-block', Values: ['10.30.2.0/24'] }] })),
          (o) => (o.Subnets ?? []).map((x) => x.CidrBlock),
        );
        await trace.step('DeleteVpc with subnets', () => ec2.send(new DeleteVpcCommand({ VpcId: vpcId })));
        const aId = a?.Subnet?.SubnetId ?? 'subnet-missing';
        await trace.step('DeleteSubnet a', () => ec2.send(new DeleteSubnetCommand({ SubnetId: aId })));
        await trace.step('DescribeSubnets a after delete', () =>
          ec2.send(new DescribeSubnetsCommand({ SubnetIds: [aId] })),
        );
        await trace.step('DeleteSubnet a twice', () => ec2.send(new DeleteSubnetCommand({ SubnetId: aId })));
      },
      [],
    );
  });
});

describe('Twin vs moto: route tables', () => {
  it('shows the main table, creates and associates a table alike; only the twin refuses a second association', async () => {
    const known: KnownDifference[] = [
      {
        step: 'AssociateRouteTable of an already associated subnet',
        why: 'A subnet is associated with one route table at a time; moving it takes ReplaceRouteTableAssociation. The twin answers Resource.AlreadyAssociated; moto silently returns the existing association (with the other table).',
        awsDoc: 'https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        await trace.step(
          'DescribeRouteTables main of the VPC',
          () =>
            ec2.send(
              new DescribeRouteTablesCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [vpcId] },
                  { Name: 'association.main', Values: ['true'] },
                ],
              }),
            ),
          (o) => (o.RouteTables ?? []).map(routeTableView),
        );
        const table = await trace.step(
          'CreateRouteTable',
          () =>
            ec2.send(
              new CreateRouteTableCommand({ VpcId: vpcId, TagSpecifications: tagSpec('route-table', { Name: 'rt' }) }),
            ),
          (o) => (o.RouteTable ? { ...routeTableView(o.RouteTable), Tags: tagMap(o.RouteTable.Tags) } : undefined),
        );
        const tableId = table?.RouteTable?.RouteTableId ?? 'rtb-missing';
        const subnet = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.40.1.0/24', AvailabilityZone: 'us-east-1a' }),
        );
        const subnetId = subnet.Subnet?.SubnetId ?? 'subnet-missing';
        await trace.step(
          'AssociateRouteTable',
          () => ec2.send(new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId })),
          (o) => o.AssociationState?.State,
        );
        await trace.step(
          'DescribeRouteTables by association.subnet-id',
          () =>
            ec2.send(
              new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }),
            ),
          (o) => (o.RouteTables ?? []).map(routeTableView),
        );
        const other = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
        await trace.step('AssociateRouteTable of an already associated subnet', () =>
          ec2.send(
            new AssociateRouteTableCommand({ RouteTableId: other.RouteTable?.RouteTableId, SubnetId: subnetId }),
          ),
        );
        await trace.step('DescribeRouteTables unknown id', () =>
          ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0aaaaaaaaaaaaaaaa'] })),
        );
      },
      known,
    );
    expect(stepOf(twin, 'AssociateRouteTable of an already associated subnet')?.error).toBe(
      'Resource.AlreadyAssociated',
    );
  });

  it('refuses CreateRoute over the local route (twin) where moto overwrites it; deletes alike', async () => {
    const known: KnownDifference[] = [
      {
        step: 'CreateRoute over the local route',
        why: 'The local route exists in every table: CreateRoute to its destination is RouteAlreadyExists (its target is changed with ReplaceRoute only). moto skips local routes in its duplicate check and replaces the local route.',
        awsDoc: 'https://docs.aws.amazon.com/vpc/latest/userguide/replace-local-route-target.html',
      },
      {
        step: 'DescribeRouteTables by id',
        why: "Consequence of the previous step: moto lost the local route's `local` target.",
        awsDoc: 'https://docs.aws.amazon.com/vpc/latest/userguide/replace-local-route-target.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.50.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const table = await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
        const tableId = table.RouteTable?.RouteTableId ?? 'rtb-missing';
        await trace.step('CreateRoute over the local route', () =>
          ec2.send(
            new CreateRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '10.50.0.0/16', GatewayId: 'local' }),
          ),
        );
        await trace.step('DeleteRoute of a missing destination', () =>
          ec2.send(new DeleteRouteCommand({ RouteTableId: tableId, DestinationCidrBlock: '10.99.0.0/16' })),
        );
        await trace.step(
          'DescribeRouteTables by id',
          () => ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [tableId] })),
          (o) => (o.RouteTables ?? []).map(routeTableView),
        );
      },
      known,
    );
    expect(stepOf(twin, 'CreateRoute over the local route')?.error).toBe('RouteAlreadyExists');
    expect(stepOf(twin, 'DescribeRouteTables by id')?.result).toEqual([
      expect.objectContaining({
        Routes: [{ DestinationCidrBlock: '10.50.0.0/16', GatewayId: 'local', State: 'active' }],
      }),
    ]);
  });
});
