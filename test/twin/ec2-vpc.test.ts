import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AssociateRouteTableCommand,
  AssociateVpcCidrBlockCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVpcCommand,
  DeleteRouteCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteTagsCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTagsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DisassociateVpcCidrBlockCommand,
  EC2Client,
  type EC2ClientConfig,
  ModifyVpcAttributeCommand,
  RevokeSecurityGroupIngressCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import type { Pluggable } from '@smithy/types';
import { twinPlugin } from '#twin/plugin';
import { ec2BucketFor, findVpc } from '#twin/services/ec2';
import type { Twin, TwinOptions } from '#twin/twin';
import type { ApiCallEvent, TagChangeEvent } from '#twin/types';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const SPOKE = '222222222222';
const HUB_ROLE = `arn:aws:iam::${HUB}:role/spokelink-functions`;
const SPOKE_ROLE = `arn:aws:iam::${SPOKE}:role/spokelink-spoke`;
const HUB_VPC = 'vpc-0f000000000000001';
const SPOKE_VPC = 'vpc-0b000000000000002';
const SPOKE_RTB = 'rtb-0b000000000000021';
const HUB_RTB = 'rtb-0f000000000000011';
const HUB_SG = 'sg-0e55e0000000000a1';

function world(extra: Record<string, unknown> = {}) {
  return parseWorld({
    version: 1,
    iam: { principals: [HUB_ROLE, SPOKE_ROLE] },
    ec2: {
      vpcs: [
        {
          id: HUB_VPC,
          ownerId: HUB,
          cidrBlocks: ['10.0.0.0/16'],
          subnets: [{ id: 'subnet-0f000000000000001', availabilityZone: 'us-east-1a', cidrBlock: '10.0.1.0/24' }],
          routeTables: [{ id: HUB_RTB, main: true, subnetIds: [] }],
          securityGroups: [
            {
              id: HUB_SG,
              name: 'spokelink-ssm',
              description: 'ssm endpoint',
              ingress: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '10.9.0.0/16', description: 'seed' }],
            },
          ],
        },
        {
          id: SPOKE_VPC,
          ownerId: SPOKE,
          cidrBlocks: ['10.1.0.0/16', '10.101.0.0/16'],
          tags: { Name: 'app', 'spokelink:connect': 'true' },
          subnets: [
            { id: 'subnet-0b000000000000001', availabilityZone: 'us-east-1a', cidrBlock: '10.1.1.0/24' },
            { id: 'subnet-0b000000000000002', availabilityZone: 'us-east-1b', cidrBlock: '10.1.2.0/24' },
          ],
          routeTables: [
            {
              id: SPOKE_RTB,
              subnetIds: ['subnet-0b000000000000002'],
              routes: [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0b000000000000001' }],
            },
          ],
        },
      ],
      ...extra,
    },
  });
}

function ec2As(twin: Twin, arn: string, config: EC2ClientConfig = {}) {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(arn);
  const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, ...config });
  client.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
  return client;
}

function setup(options: TwinOptions = {}) {
  const twin = createTwin(world(), options);
  return { twin, hub: ec2As(twin, HUB_ROLE, { maxAttempts: 1 }), spoke: ec2As(twin, SPOKE_ROLE, { maxAttempts: 1 }) };
}

/** Allows HTTPS into the hub endpoint group from `count` /16s, `10.<first>.0.0/16` upwards, in one call. */
function authorizeHttps(hub: EC2Client, count: number, first: number) {
  return hub.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: HUB_SG,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: Array.from({ length: count }, (_, i) => ({ CidrIp: `10.${first + i}.0.0/16` })),
        },
      ],
    }),
  );
}

const tagEvents = (twin: Twin) => twin.events.filter((e): e is TagChangeEvent => e.source === 'aws.tag');

describe('Twin EC2: VPCs and subnets', () => {
  it('shows each account its own VPCs, with their CIDRs, and answers InvalidVpcID.NotFound for others', async () => {
    const { hub, spoke } = setup();
    const out = await spoke.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'cidr-block-association.cidr-block', Values: ['10.101.0.0/16'] }] }),
    );
    expect(out.Vpcs?.map((v) => v.VpcId)).toEqual([SPOKE_VPC]);
    expect(out.Vpcs?.[0]?.CidrBlockAssociationSet?.map((c) => c.CidrBlock)).toEqual(['10.1.0.0/16', '10.101.0.0/16']);
    await expect(hub.send(new DescribeVpcsCommand({ VpcIds: [SPOKE_VPC] }))).rejects.toMatchObject({
      name: 'InvalidVpcID.NotFound',
      $metadata: { httpStatusCode: 400 },
    });
    const all = await hub.send(new DescribeVpcsCommand({}));
    expect(all.Vpcs?.map((v) => v.VpcId)).toEqual([HUB_VPC]);
  });

  it('filters VPCs by tag, tag key and owner', async () => {
    const { spoke } = setup();
    const byTag = await spoke.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag:spokelink:connect', Values: ['true'] }] }),
    );
    const byKey = await spoke.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag-key', Values: ['Name'] }] }));
    const byOwner = await spoke.send(new DescribeVpcsCommand({ Filters: [{ Name: 'owner-id', Values: [HUB] }] }));
    expect(byTag.Vpcs?.map((v) => v.VpcId)).toEqual([SPOKE_VPC]);
    expect(byKey.Vpcs?.map((v) => v.VpcId)).toEqual([SPOKE_VPC]);
    expect(byOwner.Vpcs).toEqual([]);
  });

  it('refuses a filter it does not know instead of ignoring it', async () => {
    const { spoke } = setup();
    await expect(
      spoke.send(new DescribeVpcsCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('pages through VPCs with MaxResults and NextToken', async () => {
    const { spoke } = setup();
    for (const cidr of ['10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16', '10.5.0.0/16', '10.6.0.0/16']) {
      await spoke.send(new CreateVpcCommand({ CidrBlock: cidr }));
    }
    const first = await spoke.send(new DescribeVpcsCommand({ MaxResults: 5 }));
    const second = await spoke.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(first.Vpcs).toHaveLength(5);
    expect(second.Vpcs).toHaveLength(1);
    expect(second.NextToken).toBeUndefined();
  });

  it('reads and changes the DNS attributes of a VPC, one attribute per call', async () => {
    const { twin, spoke } = setup();
    await spoke.send(new ModifyVpcAttributeCommand({ VpcId: SPOKE_VPC, EnableDnsHostnames: { Value: false } }));
    const out = await spoke.send(
      new DescribeVpcAttributeCommand({ VpcId: SPOKE_VPC, Attribute: 'enableDnsHostnames' }),
    );
    expect(out.EnableDnsHostnames?.Value).toBe(false);
    expect(findVpc(twin, SPOKE_VPC)).toMatchObject({
      ownerId: SPOKE,
      enableDnsSupport: true,
      enableDnsHostnames: false,
    });
    await expect(
      spoke.send(
        new ModifyVpcAttributeCommand({
          VpcId: SPOKE_VPC,
          EnableDnsHostnames: { Value: true },
          EnableDnsSupport: { Value: true },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
  });

  it('refuses to enable DNS hostnames while DNS support is off', async () => {
    const { twin, spoke } = setup();
    await spoke.send(new ModifyVpcAttributeCommand({ VpcId: SPOKE_VPC, EnableDnsHostnames: { Value: false } }));
    await spoke.send(new ModifyVpcAttributeCommand({ VpcId: SPOKE_VPC, EnableDnsSupport: { Value: false } }));
    await expect(
      spoke.send(new ModifyVpcAttributeCommand({ VpcId: SPOKE_VPC, EnableDnsHostnames: { Value: true } })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
    expect(findVpc(twin, SPOKE_VPC)).toMatchObject({ enableDnsSupport: false, enableDnsHostnames: false });
  });

  it('creates a VPC with a main route table and a default security group, and emits CreateVpc and its tags', async () => {
    const { twin, spoke } = setup();
    const { Vpc } = await spoke.send(
      new CreateVpcCommand({
        CidrBlock: '10.7.0.0/16',
        TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'spokelink:connect', Value: 'true' }] }],
      }),
    );
    const vpcId = Vpc!.VpcId!;
    const tables = await spoke.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [vpcId] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    expect(tables.RouteTables?.[0]?.Routes).toEqual([
      { DestinationCidrBlock: '10.7.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' },
    ]);
    const groups = await spoke.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
    );
    expect(groups.SecurityGroups?.map((g) => g.GroupName)).toEqual(['default']);
    const trail = twin.events.filter((e): e is ApiCallEvent => e['detail-type'] === 'AWS API Call via CloudTrail');
    expect(trail.map((e) => [e.detail.eventName, e.account, e.detail.requestParameters])).toEqual([
      ['CreateVpc', SPOKE, { cidrBlock: '10.7.0.0/16' }],
    ]);
    expect(tagEvents(twin).map((e) => [e.resources[0], e.detail['changed-tag-keys']])).toEqual([
      [`arn:aws:ec2:us-east-1:${SPOKE}:vpc/${vpcId}`, ['spokelink:connect']],
    ]);
  });

  it('refuses to delete a VPC that still has subnets, then deletes it and emits DeleteVpc', async () => {
    const { twin, spoke } = setup();
    const { Vpc } = await spoke.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }));
    const { Subnet } = await spoke.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.8.1.0/24' }));
    await expect(spoke.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }))).rejects.toMatchObject({
      name: 'DependencyViolation',
    });
    await spoke.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
    await spoke.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }));
    expect(findVpc(twin, Vpc!.VpcId!)).toBeUndefined();
    const names = twin.events.flatMap((e) => (e.source === 'aws.ec2' ? [(e as ApiCallEvent).detail.eventName] : []));
    expect(names).toEqual(['CreateVpc', 'DeleteVpc']);
  });

  it('refuses to delete a VPC that has a non-main route table or a non-default security group', async () => {
    const { spoke, hub } = setup();
    await expect(spoke.send(new DeleteVpcCommand({ VpcId: SPOKE_VPC }))).rejects.toMatchObject({
      name: 'DependencyViolation',
    });
    const { Vpc } = await hub.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
    await hub.send(new CreateSecurityGroupCommand({ VpcId: Vpc!.VpcId, GroupName: 'x', Description: 'x' }));
    await expect(hub.send(new DeleteVpcCommand({ VpcId: Vpc!.VpcId }))).rejects.toMatchObject({
      name: 'DependencyViolation',
    });
  });

  it('refuses a subnet outside the VPC CIDRs or overlapping another subnet', async () => {
    const { spoke } = setup();
    await expect(
      spoke.send(new CreateSubnetCommand({ VpcId: SPOKE_VPC, CidrBlock: '10.200.0.0/24' })),
    ).rejects.toMatchObject({ name: 'InvalidSubnet.Range' });
    await expect(
      spoke.send(new CreateSubnetCommand({ VpcId: SPOKE_VPC, CidrBlock: '10.1.1.0/25' })),
    ).rejects.toMatchObject({ name: 'InvalidSubnet.Conflict' });
    const out = await spoke.send(
      new CreateSubnetCommand({ VpcId: SPOKE_VPC, CidrBlock: '10.101.3.0/24', AvailabilityZone: 'us-east-1c' }),
    );
    const found = await spoke.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-east-1c'] }] }),
    );
    expect(found.Subnets?.map((s) => s.SubnetId)).toEqual([out.Subnet?.SubnetId]);
  });
});

describe('Twin EC2: VPC CIDR blocks', () => {
  it('associates a secondary block (local route in every table, CloudTrail event) and disassociates it', async () => {
    const { twin, spoke } = setup();
    const out = await spoke.send(new AssociateVpcCidrBlockCommand({ VpcId: SPOKE_VPC, CidrBlock: '10.9.0.0/16' }));
    expect(out.CidrBlockAssociation).toMatchObject({
      CidrBlock: '10.9.0.0/16',
      CidrBlockState: { State: 'associating' },
    });
    const { Vpcs } = await spoke.send(new DescribeVpcsCommand({ VpcIds: [SPOKE_VPC] }));
    expect(Vpcs![0]!.CidrBlockAssociationSet?.map((a) => a.CidrBlock)).toContain('10.9.0.0/16');
    const { RouteTables } = await spoke.send(new DescribeRouteTablesCommand({ RouteTableIds: [SPOKE_RTB] }));
    expect(RouteTables![0]!.Routes).toContainEqual(
      expect.objectContaining({ DestinationCidrBlock: '10.9.0.0/16', GatewayId: 'local' }),
    );

    await spoke.send(new DisassociateVpcCidrBlockCommand({ AssociationId: out.CidrBlockAssociation!.AssociationId }));
    const after = await spoke.send(new DescribeVpcsCommand({ VpcIds: [SPOKE_VPC] }));
    expect(after.Vpcs![0]!.CidrBlockAssociationSet?.map((a) => a.CidrBlock)).not.toContain('10.9.0.0/16');
    const trail = twin.events.flatMap((e) => (e.source === 'aws.ec2' ? [(e as ApiCallEvent).detail] : []));
    expect(trail.map((d) => [d.eventName, d.requestParameters])).toEqual([
      ['AssociateVpcCidrBlock', { vpcId: SPOKE_VPC, cidrBlock: '10.9.0.0/16' }],
      ['DisassociateVpcCidrBlock', { associationId: out.CidrBlockAssociation!.AssociationId }],
    ]);
  });

  it.each([
    ['10.9.0.0/15', 'InvalidVpc.Range', 'larger than /16'],
    ['10.9.0.0/29', 'InvalidVpc.Range', 'smaller than /28'],
    ['192.168.0.0/16', 'InvalidVpc.Range', 'restricted for a 10/8 primary'],
    ['172.16.0.0/16', 'InvalidVpc.Range', 'restricted for a 10/8 primary'],
    ['198.19.0.0/16', 'InvalidVpc.Range', 'restricted for a 10/8 primary'],
    ['169.254.0.0/16', 'InvalidVpc.Range', 'link-local'],
  ])('refuses the secondary block %s with %s (%s) and changes nothing', async (cidr, code) => {
    const { spoke } = setup();
    const blocks = async () =>
      (await spoke.send(new DescribeVpcsCommand({ VpcIds: [SPOKE_VPC] }))).Vpcs![0]!.CidrBlockAssociationSet;
    const before = await blocks();
    await expect(
      spoke.send(new AssociateVpcCidrBlockCommand({ VpcId: SPOKE_VPC, CidrBlock: cidr })),
    ).rejects.toMatchObject({ name: code });
    expect(await blocks()).toEqual(before);
  });

  it('refuses a block overlapping the VPC, the sixth block, and the primary going', async () => {
    const { spoke } = setup();
    const { Vpcs } = await spoke.send(new DescribeVpcsCommand({ VpcIds: [SPOKE_VPC] }));
    const primary = Vpcs![0]!.CidrBlockAssociationSet![0]!;
    await expect(
      spoke.send(new AssociateVpcCidrBlockCommand({ VpcId: SPOKE_VPC, CidrBlock: primary.CidrBlock })),
    ).rejects.toMatchObject({ name: 'InvalidVpc.Range' });
    expect(Vpcs![0]!.CidrBlockAssociationSet).toHaveLength(2);
    for (const second of [3, 4, 5]) {
      await spoke.send(new AssociateVpcCidrBlockCommand({ VpcId: SPOKE_VPC, CidrBlock: `10.6${second}.0.0/16` }));
    }
    await expect(
      spoke.send(new AssociateVpcCidrBlockCommand({ VpcId: SPOKE_VPC, CidrBlock: '10.70.0.0/16' })),
    ).rejects.toMatchObject({ name: 'CidrLimitExceeded' });
    await expect(
      spoke.send(new DisassociateVpcCidrBlockCommand({ AssociationId: primary.AssociationId })),
    ).rejects.toMatchObject({ name: 'OperationNotPermitted' });
  });

  it('refuses a world whose VPC block AWS would refuse: a /8, a restricted secondary', () => {
    const vpc = (cidrBlocks: string[]) => ({
      version: 1,
      ec2: { vpcs: [{ id: 'vpc-0a000000000000009', ownerId: SPOKE, cidrBlocks, subnets: [], routeTables: [] }] },
    });
    expect(() => createTwin(parseWorld(vpc(['10.0.0.0/8'])))).toThrow(/10\.0\.0\.0\/8.*not \/16 to \/28/);
    expect(() => createTwin(parseWorld(vpc(['10.0.0.0/16', '192.168.0.0/16'])))).toThrow(/restricted/);
    expect(() => createTwin(parseWorld(vpc(['10.0.0.0/16', '10.1.0.0/16'])))).not.toThrow();
  });
});

describe('Twin EC2: route tables', () => {
  it('answers RouteAlreadyExists for a destination that points elsewhere, and overwrites nothing', async () => {
    const { twin, spoke } = setup();
    const before = twin.snapshot();
    await expect(
      spoke.send(
        new CreateRouteCommand({
          RouteTableId: SPOKE_RTB,
          DestinationCidrBlock: '0.0.0.0/0',
          NatGatewayId: 'nat-0b000000000000001',
        }),
      ),
    ).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
    await expect(
      spoke.send(
        new CreateRouteCommand({ RouteTableId: SPOKE_RTB, DestinationCidrBlock: '10.1.0.0/16', GatewayId: 'igw-1' }),
      ),
    ).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
    expect(twin.snapshot()).toEqual(before);
  });

  it('refuses a route to a TGW the VPC is not attached to', async () => {
    const { spoke } = setup();
    await expect(
      spoke.send(
        new CreateRouteCommand({
          RouteTableId: SPOKE_RTB,
          DestinationCidrBlock: '10.0.0.0/16',
          TransitGatewayId: 'tgw-0a1b2c3d4e5f60718',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTransitGatewayID.NotFound' });
  });

  it('does not let a spoke touch the hub route tables', async () => {
    const { spoke } = setup();
    await expect(
      spoke.send(
        new CreateRouteCommand({ RouteTableId: HUB_RTB, DestinationCidrBlock: '10.1.0.0/16', GatewayId: 'igw-1' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidRouteTableID.NotFound' });
    await expect(spoke.send(new DescribeRouteTablesCommand({ RouteTableIds: [HUB_RTB] }))).rejects.toMatchObject({
      name: 'InvalidRouteTableID.NotFound',
    });
  });

  it('answers InvalidRoute.NotFound when deleting a route that does not exist, and deletes one that does', async () => {
    const { spoke } = setup();
    await expect(
      spoke.send(new DeleteRouteCommand({ RouteTableId: SPOKE_RTB, DestinationCidrBlock: '10.50.0.0/16' })),
    ).rejects.toMatchObject({ name: 'InvalidRoute.NotFound' });
    await spoke.send(new DeleteRouteCommand({ RouteTableId: SPOKE_RTB, DestinationCidrBlock: '0.0.0.0/0' }));
    const out = await spoke.send(new DescribeRouteTablesCommand({ RouteTableIds: [SPOKE_RTB] }));
    expect(out.RouteTables?.[0]?.Routes?.map((r) => r.DestinationCidrBlock)).toEqual(['10.1.0.0/16', '10.101.0.0/16']);
  });

  it('gives a subnet without an explicit association the main route table, and associates one explicitly', async () => {
    const { twin, spoke } = setup();
    const explicit = await spoke.send(
      new DescribeRouteTablesCommand({
        Filters: [{ Name: 'association.subnet-id', Values: ['subnet-0b000000000000001'] }],
      }),
    );
    expect(explicit.RouteTables).toEqual([]);
    const subnetRouteTable = () =>
      (twin.snapshot().ec2 as { vpcs: { subnets: { id: string; routeTableId: string }[] }[] }).vpcs
        .flatMap((v) => v.subnets)
        .find((s) => s.id === 'subnet-0b000000000000001')?.routeTableId;
    const main = await spoke.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'vpc-id', Values: [SPOKE_VPC] },
          { Name: 'association.main', Values: ['true'] },
        ],
      }),
    );
    expect(subnetRouteTable()).toBe(main.RouteTables?.[0]?.RouteTableId);
    await spoke.send(new AssociateRouteTableCommand({ RouteTableId: SPOKE_RTB, SubnetId: 'subnet-0b000000000000001' }));
    expect(subnetRouteTable()).toBe(SPOKE_RTB);
    await expect(
      spoke.send(new AssociateRouteTableCommand({ RouteTableId: SPOKE_RTB, SubnetId: 'subnet-0b000000000000001' })),
    ).rejects.toMatchObject({ name: 'Resource.AlreadyAssociated' });
  });
});

describe('Twin EC2: tags and tag events', () => {
  it('emits one event per effective change, with the changed keys and the full tags after', async () => {
    const { twin, spoke } = setup();
    await spoke.send(
      new CreateTagsCommand({
        Resources: [SPOKE_VPC],
        Tags: [
          { Key: 'spokelink:status', Value: 'pending' },
          { Key: 'Name', Value: 'app' },
        ],
      }),
    );
    await spoke.send(new DeleteTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'spokelink:connect' }] }));
    const events = tagEvents(twin);
    expect(events.map((e) => e.detail['changed-tag-keys'])).toEqual([['spokelink:status'], ['spokelink:connect']]);
    expect(events[1]?.detail.tags).toEqual({ Name: 'app', 'spokelink:status': 'pending' });
    expect(events[0]).toMatchObject({
      account: SPOKE,
      region: 'us-east-1',
      resources: [`arn:aws:ec2:us-east-1:${SPOKE}:vpc/${SPOKE_VPC}`],
      detail: { service: 'ec2', 'resource-type': 'vpc' },
    });
  });

  it('emits the CloudTrail CreateTags and DeleteTags events with the resources and tags', async () => {
    const { twin, spoke } = setup();
    await spoke.send(
      new CreateTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'spokelink:segment', Value: 'prod' }] }),
    );
    await spoke.send(new DeleteTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'spokelink:segment' }] }));
    const trail = twin.events.filter((e): e is ApiCallEvent => e.source === 'aws.ec2');
    expect(trail.map((e) => [e.detail.eventName, e.detail.requestParameters])).toEqual([
      [
        'CreateTags',
        {
          resourcesSet: { items: [{ resourceId: SPOKE_VPC }] },
          tagSet: { items: [{ key: 'spokelink:segment', value: 'prod' }] },
        },
      ],
      [
        'DeleteTags',
        { resourcesSet: { items: [{ resourceId: SPOKE_VPC }] }, tagSet: { items: [{ key: 'spokelink:segment' }] } },
      ],
    ]);
  });

  it('emits an event for a status-tag write made by spokelink itself', async () => {
    const { twin, spoke } = setup();
    await spoke.send(
      new CreateTagsCommand({
        Resources: ['subnet-0b000000000000001'],
        Tags: [{ Key: 'spokelink:status', Value: 'connected' }],
      }),
    );
    expect(tagEvents(twin).map((e) => [e.detail['resource-type'], e.detail.tags])).toEqual([
      ['subnet', { 'spokelink:status': 'connected' }],
    ]);
  });

  it('emits nothing for a write that changes nothing', async () => {
    const { twin, spoke } = setup();
    await spoke.send(new CreateTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'Name', Value: 'app' }] }));
    await spoke.send(new DeleteTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'absent' }] }));
    expect(tagEvents(twin)).toEqual([]);
  });

  it('deletes a tag given with a value only when the value matches', async () => {
    const { spoke } = setup();
    await spoke.send(new DeleteTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'Name', Value: 'other' }] }));
    const kept = await spoke.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['Name'] }] }));
    expect(kept.Tags).toEqual([{ ResourceId: SPOKE_VPC, ResourceType: 'vpc', Key: 'Name', Value: 'app' }]);
    await spoke.send(new DeleteTagsCommand({ Resources: [SPOKE_VPC], Tags: [{ Key: 'Name', Value: 'app' }] }));
    const gone = await spoke.send(new DescribeTagsCommand({ Filters: [{ Name: 'key', Values: ['Name'] }] }));
    expect(gone.Tags).toEqual([]);
  });

  it('enforces 50 tags per resource, 128-character keys, 256-character values and the aws: prefix', async () => {
    const { spoke } = setup();
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    await expect(spoke.send(new CreateTagsCommand({ Resources: [SPOKE_VPC], Tags: many }))).rejects.toMatchObject({
      name: 'TagLimitExceeded',
    });
    await spoke.send(new CreateTagsCommand({ Resources: [SPOKE_VPC], Tags: many.slice(0, 48) }));
    const tags = await spoke.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [SPOKE_VPC] }] }));
    expect(tags.Tags).toHaveLength(50);
    const cases = [
      { Key: 'k'.repeat(129), Value: 'v' },
      { Key: 'ok', Value: 'v'.repeat(257) },
      { Key: 'aws:cloudformation:stack-name', Value: 'x' },
    ];
    for (const tag of cases) {
      await expect(
        spoke.send(new CreateTagsCommand({ Resources: ['subnet-0b000000000000001'], Tags: [tag] })),
      ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    }
    await spoke.send(
      new CreateTagsCommand({ Resources: ['subnet-0b000000000000001'], Tags: [{ Key: 'k'.repeat(128), Value: '' }] }),
    );
    const subnetTags = await spoke.send(
      new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ['subnet-0b000000000000001'] }] }),
    );
    expect(subnetTags.Tags?.map((t) => t.Key)).toEqual(['k'.repeat(128)]);
  });

  it('tags only resources the caller owns, all or nothing', async () => {
    const { twin, hub } = setup();
    const before = twin.snapshot();
    await expect(
      hub.send(new CreateTagsCommand({ Resources: [HUB_VPC, SPOKE_VPC], Tags: [{ Key: 'x', Value: 'y' }] })),
    ).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
    await expect(
      hub.send(new CreateTagsCommand({ Resources: ['subnet-0b000000000000001'], Tags: [{ Key: 'x', Value: 'y' }] })),
    ).rejects.toMatchObject({ name: 'InvalidSubnetID.NotFound' });
    expect(twin.snapshot()).toEqual(before);
  });
});

describe('Twin EC2: security groups', () => {
  it('authorizes ingress rules with descriptions and returns them with rule ids', async () => {
    const { hub } = setup();
    const out = await hub.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: HUB_SG,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.1.0.0/16', Description: 'spoke app' }],
          },
        ],
      }),
    );
    expect(out.Return).toBe(true);
    const ruleId = out.SecurityGroupRules?.[0]?.SecurityGroupRuleId;
    expect(ruleId).toMatch(/^sgr-/);
    const rules = await hub.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId!] }));
    expect(rules.SecurityGroupRules).toEqual([
      expect.objectContaining({
        GroupId: HUB_SG,
        GroupOwnerId: HUB,
        IsEgress: false,
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        CidrIpv4: '10.1.0.0/16',
        Description: 'spoke app',
      }),
    ]);
  });

  it('answers InvalidPermission.Duplicate for an existing rule and adds nothing of the request', async () => {
    const { twin, hub } = setup();
    const before = twin.snapshot();
    await expect(
      hub.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: HUB_SG,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 443,
              ToPort: 443,
              IpRanges: [{ CidrIp: '10.1.0.0/16' }, { CidrIp: '10.9.0.0/16', Description: 'other text' }],
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPermission.Duplicate' });
    expect(twin.snapshot()).toEqual(before);
  });

  it('refuses the 61st inbound rule with RulesPerSecurityGroupLimitExceeded', async () => {
    const { hub } = setup();
    await authorizeHttps(hub, 59, 100); // with the seeded rule: 60
    await expect(authorizeHttps(hub, 1, 250)).rejects.toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
  });

  it('allows inbound rules up to the quota a world raised it to, and refuses the next one', async () => {
    const twin = createTwin(world({ quotas: { rulesPerSecurityGroup: 100 } }));
    const hub = ec2As(twin, HUB_ROLE, { maxAttempts: 1 });
    await authorizeHttps(hub, 99, 100); // with the seeded rule: 100
    await expect(authorizeHttps(hub, 1, 10)).rejects.toMatchObject({ name: 'RulesPerSecurityGroupLimitExceeded' });
  });

  it('updates a rule description and revokes by rule id or by exact rule', async () => {
    const { hub } = setup();
    await hub.send(
      new UpdateSecurityGroupRuleDescriptionsIngressCommand({
        GroupId: HUB_SG,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.9.0.0/16', Description: 'renamed' }],
          },
        ],
      }),
    );
    const groups = await hub.send(new DescribeSecurityGroupsCommand({ GroupIds: [HUB_SG] }));
    expect(groups.SecurityGroups?.[0]?.IpPermissions?.[0]?.IpRanges).toEqual([
      { CidrIp: '10.9.0.0/16', Description: 'renamed' },
    ]);
    await expect(
      hub.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: HUB_SG,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 443,
              ToPort: 443,
              IpRanges: [{ CidrIp: '10.9.0.0/16' }, { CidrIp: '10.77.0.0/16' }],
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPermission.NotFound' });
    const still = await hub.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [HUB_SG] }] }),
    );
    const ingress = still.SecurityGroupRules?.filter((r) => !r.IsEgress) ?? [];
    expect(ingress).toHaveLength(1);
    const revoked = await hub.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: HUB_SG,
        SecurityGroupRuleIds: [ingress[0]!.SecurityGroupRuleId!],
      }),
    );
    expect(revoked.Return).toBe(true);
    const after = await hub.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [HUB_SG] }] }),
    );
    expect(after.SecurityGroupRules?.filter((r) => !r.IsEgress)).toEqual([]);
  });

  it('lets only the owner see or change a security group', async () => {
    const { spoke } = setup();
    await expect(
      spoke.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: HUB_SG,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.1.0.0/16' }] }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
  });
});

describe('Twin EC2: throttling and eventual consistency', () => {
  afterEach(() => jest.useRealTimers());

  it('throttles an unfiltered describe storm with RequestLimitExceeded and refills over time', async () => {
    const start = Date.parse('2026-03-01T00:00:00Z');
    jest.useFakeTimers({
      now: start,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
    });
    const { spoke } = setup();
    for (let i = 0; i < 50; i += 1) await spoke.send(new DescribeVpcsCommand({}));
    const error = await spoke.send(new DescribeVpcsCommand({})).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } });
    // A filtered describe draws from the other bucket.
    await spoke.send(new DescribeVpcsCommand({ VpcIds: [SPOKE_VPC] }));
    jest.setSystemTime(start + 1_000);
    for (let i = 0; i < 10; i += 1) await spoke.send(new DescribeVpcsCommand({}));
    await expect(spoke.send(new DescribeVpcsCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  });

  it('maps operations to the EC2 buckets', () => {
    expect(ec2BucketFor('DescribeVpcs', {})).toBe('ec2:describe-unfiltered');
    expect(ec2BucketFor('DescribeVpcs', { MaxResults: 5 })).toBe('ec2:describe');
    expect(ec2BucketFor('DescribeVpcs', { VpcIds: ['vpc-1'] })).toBe('ec2:describe');
    expect(ec2BucketFor('SearchTransitGatewayRoutes', { TransitGatewayRouteTableId: 'x' })).toBe('ec2:describe');
    expect(ec2BucketFor('CreateTags', {})).toBe('ec2:CreateTags');
    expect(ec2BucketFor('CreateVpcEndpoint', {})).toBe('ec2:CreateVpcEndpoint');
    expect(ec2BucketFor('CreateTransitGatewayVpcAttachment', {})).toBe('ec2:mutating');
  });

  it('hides a new resource until the consistency lag has passed', async () => {
    const start = Date.parse('2026-03-01T00:00:00Z');
    jest.useFakeTimers({
      now: start,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
    });
    const { spoke } = setup({ consistencyLagMs: 2_000 });
    const { Vpc } = await spoke.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
    await expect(spoke.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }))).rejects.toMatchObject({
      name: 'InvalidVpcID.NotFound',
    });
    await expect(
      spoke.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: '10.20.1.0/24' })),
    ).rejects.toMatchObject({ name: 'InvalidVpcID.NotFound' });
    jest.setSystemTime(start + 2_000);
    const out = await spoke.send(new DescribeVpcsCommand({ VpcIds: [Vpc!.VpcId!] }));
    expect(out.Vpcs?.[0]?.VpcId).toBe(Vpc!.VpcId);
  });
});

describe('Twin EC2: world', () => {
  it('names a subnet outside its VPC CIDR', () => {
    const bad = world();
    bad.ec2.vpcs[0]!.subnets[0]!.cidrBlock = '192.168.0.0/24';
    expect(() => createTwin(bad)).toThrow(/subnet subnet-0f000000000000001 CIDR 192.168.0.0\/24 is outside/);
  });

  it('names a route table that names an unknown subnet', () => {
    const bad = world();
    bad.ec2.vpcs[1]!.routeTables[0]!.subnetIds = ['subnet-0f000000000000001'];
    expect(() => createTwin(bad)).toThrow(/route table rtb-0b000000000000021 names subnet subnet-0f000000000000001/);
  });

  it('refuses a quota above what AWS grants, or below its default', () => {
    expect(() => world({ quotas: { rulesPerSecurityGroup: 1001 } })).toThrow(
      /ec2\.quotas\.rulesPerSecurityGroup: AWS allows at most 1,000/,
    );
    expect(() => world({ quotas: { routesPerRouteTable: 10 } })).toThrow(
      /ec2\.quotas\.routesPerRouteTable: cannot be below the default 50/,
    );
    expect(() => world({ quotas: { attachmentsPerTransitGateway: 6000 } })).toThrow(/ec2\.quotas/);
  });

  it('names a security group seeded with more inbound rules than the quota', () => {
    const bad = world();
    bad.ec2.vpcs[0]!.securityGroups[0]!.ingress = Array.from({ length: 61 }, (_, i) => ({
      protocol: 'tcp' as const,
      fromPort: 443,
      toPort: 443,
      cidr: `10.${i}.0.0/16`,
    }));
    expect(() => createTwin(bad)).toThrow(
      /security group sg-0e55e0000000000a1 has 61 inbound rules, over the quota of 60/,
    );
  });

  it('names bad fields through the schema', () => {
    expect(() => parseWorld({ version: 1, ec2: { vpcs: [{ id: 'nope', ownerId: '1', cidrBlocks: [] }] } })).toThrow(
      /ec2\.vpcs\.0\.id[\s\S]*ec2\.vpcs\.0\.ownerId[\s\S]*ec2\.vpcs\.0\.cidrBlocks/,
    );
  });
});

describe('Twin EC2: what each account owns (the owner index beside the records)', () => {
  it('lists an account its own resources in creation order after creates and deletes, never those of another account', async () => {
    const { hub, spoke } = setup();
    const ids = async (client: EC2Client) => ({
      vpcs: (await client.send(new DescribeVpcsCommand({}))).Vpcs?.map((v) => v.VpcId),
      subnets: (await client.send(new DescribeSubnetsCommand({}))).Subnets?.map((x) => x.SubnetId),
      tables: (await client.send(new DescribeRouteTablesCommand({}))).RouteTables?.map((x) => x.RouteTableId),
      groups: (await client.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups?.map((x) => x.GroupId),
    });
    // Read first, so that the index exists before the writes below (it is built on first use).
    const before = { hub: await ids(hub), spoke: await ids(spoke) };
    expect(before.spoke.vpcs).toEqual([SPOKE_VPC]);
    const { Vpc } = await spoke.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }));
    const vpcId = Vpc!.VpcId!;
    const { Subnet } = await spoke.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.8.1.0/24' }));
    const { RouteTable } = await spoke.send(new CreateRouteTableCommand({ VpcId: vpcId }));
    const { GroupId } = await spoke.send(
      new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'extra', Description: 'extra' }),
    );
    const grown = await ids(spoke);
    expect(grown.vpcs).toEqual([SPOKE_VPC, vpcId]);
    expect(grown.subnets).toEqual([...before.spoke.subnets!, Subnet!.SubnetId]);
    expect(grown.tables?.slice(0, -2)).toEqual(before.spoke.tables);
    expect(grown.tables?.at(-1)).toBe(RouteTable!.RouteTableId);
    expect(grown.groups?.at(-1)).toBe(GroupId);
    // The hub sees none of it.
    expect(await ids(hub)).toEqual(before.hub);

    await spoke.send(new DeleteSecurityGroupCommand({ GroupId }));
    await spoke.send(new DeleteSubnetCommand({ SubnetId: Subnet!.SubnetId }));
    expect((await ids(spoke)).subnets).toEqual(before.spoke.subnets);
    expect((await ids(spoke)).groups).not.toContain(GroupId);
  });

  it('is kept up because nothing in the twin writes or deletes an EC2 record but putResource and removeResource', () => {
    const dir = join(__dirname, '..', '..', 'twin', 'services', 'ec2');
    const direct =
      /(\.(vpcs|subnets|routeTables|securityGroups|transitGateways|tgwRouteTables|attachments|endpointServices|endpoints)\[[^\]]+\]\s*=[^=])|delete\s+[\w.()]+\.(vpcs|subnets|routeTables|securityGroups|transitGateways|tgwRouteTables|attachments|endpointServices|endpoints)\[/;
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .flatMap((f) =>
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
          .filter(({ line }) => direct.test(line) && !/^\s*(\/\/|\*)/.test(line)),
      )
      .filter(({ where }) => !where.startsWith('model.ts:'));
    expect(offenders).toEqual([]);
    // The check itself finds a direct write.
    expect(direct.test('    s.vpcs[vpc.id] = vpc;')).toBe(true);
    expect(direct.test('    delete s.subnets[subnet.id];')).toBe(true);
  });
});
