import 'aws-sdk-client-mock-jest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type RouteTable,
  type Subnet,
  type Vpc,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { ListParentsCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  GetHostedZoneCommand,
  type HostedZoneSummary,
  ListHostedZonesByVPCCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';
import { IgnoredEventError, RejectedError, VpcNotFoundError } from '#shared/errors';
import { requestDigest } from '#shared/plan';
import { handler } from '../../../functions/validate/handler';
import { resetZoneNameCache } from '../../../functions/validate/validate';
import { mockClientForFile } from '../../mock-client';
import { awsError, EXTERNAL, loadEvent, SPOKE, useExampleConfig, VPC } from '../helpers';

const ec2 = mockClientForFile(EC2Client);
const route53 = mockClientForFile(Route53Client);
const organizations = mockClientForFile(OrganizationsClient);
const sts = mockClientForFile(STSClient);
const dynamo = mockClientForFile(DynamoDBDocumentClient);
const ROOT = join(__dirname, '..', '..', '..');
// biome-ignore lint/suspicious/noExplicitAny: the stubs of several SDK clients, inspected generically.
const allMocks: AwsStub<any, any, any>[] = [ec2, route53, organizations, sts, dynamo];

interface World {
  account: string;
  region: string;
  tags: Record<string, string>;
  cidrs: string[];
  dnsSupport: boolean;
  dnsHostnames: boolean;
  subnets: Subnet[];
  routeTables: RouteTable[];
  zonesOfVpc: HostedZoneSummary[];
  /** The VPC's interface endpoints (the tenant's own). */
  endpoints: VpcEndpoint[];
  claims: Record<string, Record<string, { cidrs: string[]; accountId: string }>>;
  parents: Record<string, { Id: string; Type: 'ORGANIZATIONAL_UNIT' | 'ROOT' }>;
}

function defaultWorld(): World {
  return {
    account: SPOKE,
    region: 'us-east-1',
    tags: { Name: 'payments-dev', 'spokelink:connect': 'true', 'spokelink:services': 'ssm,sts' },
    cidrs: ['10.1.0.0/16'],
    dnsSupport: true,
    dnsHostnames: true,
    subnets: [
      { SubnetId: 'subnet-0000000000000000b', AvailabilityZone: 'us-east-1a', CidrBlock: '10.1.1.0/24' },
      { SubnetId: 'subnet-0000000000000000a', AvailabilityZone: 'us-east-1a', CidrBlock: '10.1.0.0/24' },
      { SubnetId: 'subnet-0000000000000000c', AvailabilityZone: 'us-east-1b', CidrBlock: '10.1.2.0/24' },
    ],
    routeTables: [
      { RouteTableId: 'rtb-00000000000000main', Associations: [{ Main: true }] },
      {
        RouteTableId: 'rtb-0000000000000priv',
        Associations: [{ Main: false, SubnetId: 'subnet-0000000000000000c' }],
      },
    ],
    zonesOfVpc: [],
    endpoints: [],
    claims: {},
    parents: {
      [SPOKE]: { Id: 'ou-ab12-wkld0001', Type: 'ORGANIZATIONAL_UNIT' },
      'ou-ab12-wkld0001': { Id: 'r-ab12', Type: 'ROOT' },
    },
  };
}

const ZONE_NAMES: Record<string, string> = {
  Z0SSM00000000000000001: 'ssm.us-east-1.amazonaws.com.',
  Z0STS00000000000000001: 'sts.us-east-1.amazonaws.com.',
  Z0SECRETS000000000001: 'secretsmanager.us-east-1.amazonaws.com.',
};

function install(world: World) {
  sts.on(AssumeRoleCommand).resolves({
    Credentials: {
      AccessKeyId: 'ASIASPOKE',
      SecretAccessKey: 'secret',
      SessionToken: 'token',
      Expiration: new Date(Date.now() + 3_600_000),
    },
  });
  const vpc: Vpc = {
    VpcId: VPC,
    OwnerId: world.account,
    CidrBlock: world.cidrs[0],
    CidrBlockAssociationSet: world.cidrs.map((c) => ({ CidrBlock: c, CidrBlockState: { State: 'associated' } })),
    Tags: Object.entries(world.tags).map(([Key, Value]) => ({ Key, Value })),
  };
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [vpc] });
  ec2
    .on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsSupport' })
    .resolves({ EnableDnsSupport: { Value: world.dnsSupport } });
  ec2
    .on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsHostnames' })
    .resolves({ EnableDnsHostnames: { Value: world.dnsHostnames } });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: world.subnets });
  ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: world.routeTables });
  ec2.on(DescribeTransitGatewayVpcAttachmentsCommand).resolves({ TransitGatewayVpcAttachments: [] });
  route53.on(GetHostedZoneCommand).callsFake(({ Id }: { Id: string }) => ({
    HostedZone: { Id: `/hostedzone/${Id}`, Name: ZONE_NAMES[Id], CallerReference: 'x' },
  }));
  route53.on(ListHostedZonesByVPCCommand).resolves({ HostedZoneSummaries: world.zonesOfVpc });
  ec2.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: world.endpoints });
  organizations.on(ListParentsCommand).callsFake(({ ChildId }: { ChildId: string }) => {
    const parent = world.parents[ChildId];
    if (!parent) throw awsError('ChildNotFoundException');
    return { Parents: [parent] };
  });
  dynamo.on(GetCommand).callsFake(({ Key }: { Key: { pk: string } }) => {
    const bucket = Key.pk.replace(/^CIDR#/, '');
    const claims = world.claims[bucket];
    return { Item: claims ? { ...Key, version: 1, claims } : undefined };
  });
  // The account's other VPCs, for the budgets: none.
  dynamo.on(QueryCommand).resolves({ Items: [] });
}

function eventFor(world: World) {
  const event = loadEvent('tag-change-connect');
  event.account = world.account;
  event.region = world.region;
  event.resources = [`arn:aws:ec2:${world.region}:${world.account}:vpc/${VPC}`];
  return event;
}

async function run(world: World) {
  install(world);
  return handler({ event: eventFor(world) });
}

/** Every SDK command the function sent, by name. */
function commandsSent(): string[] {
  return allMocks.flatMap((mock) => mock.calls().map((call) => (call.args[0] as object).constructor.name));
}

const READ_ONLY = /^(Describe|List|Get|Query|AssumeRole)/;

describe('Function: validateAndPlan', () => {
  beforeEach(() => {
    for (const mock of allMocks) mock.reset();
    resetZoneNameCache();
    useExampleConfig();
  });

  it('plans a compliant VPC: segment, services, one subnet per AZ by lowest CIDR, route tables of all subnets', async () => {
    const plan = await run(defaultWorld());

    expect(plan).toEqual({
      vpcId: VPC,
      accountId: SPOKE,
      region: 'us-east-1',
      externalAccount: false,
      segment: 'nonprod',
      services: ['ssm', 'sts'],
      cidrs: ['10.1.0.0/16'],
      transitGatewayId: 'tgw-0a1b2c3d4e5f60718',
      shareName: 'spokelink-tgw',
      attachmentName: `spokelink-${VPC}`,
      subnetSelection: 'one-per-az',
      attachmentSubnets: [
        { subnetId: 'subnet-0000000000000000a', availabilityZone: 'us-east-1a', cidr: '10.1.0.0/24' },
        { subnetId: 'subnet-0000000000000000c', availabilityZone: 'us-east-1b', cidr: '10.1.2.0/24' },
      ],
      attachmentSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000c'],
      routeTableIds: ['rtb-00000000000000main', 'rtb-0000000000000priv'],
      destinations: ['10.0.0.0/16'],
      associationRouteTableId: 'tgw-rtb-0b000000000000002',
      propagationRouteTableIds: ['tgw-rtb-0c000000000000003'],
      zones: [
        { endpoint: 'ssm', zoneId: 'Z0SSM00000000000000001', zoneName: 'ssm.us-east-1.amazonaws.com' },
        { endpoint: 'sts', zoneId: 'Z0STS00000000000000001', zoneName: 'sts.us-east-1.amazonaws.com' },
      ],
      securityGroupRules: [
        {
          endpoint: 'ssm',
          groupId: 'sg-0e55e0000000000a1',
          cidr: '10.1.0.0/16',
          port: 443,
          description: `spokelink ${VPC} ${SPOKE}`,
        },
        {
          endpoint: 'sts',
          groupId: 'sg-0e55e0000000000a2',
          cidr: '10.1.0.0/16',
          port: 443,
          description: `spokelink ${VPC} ${SPOKE}`,
        },
      ],
      // payments-api is an endpoint service of prod only, and the VPC did not ask for it.
      endpointServices: [],
      principal: `arn:aws:iam::${SPOKE}:root`,
      change: {
        membership: 'new',
        previousSegment: null,
        segmentChanged: false,
        servicesAdded: ['ssm', 'sts'],
        servicesRemoved: [],
      },
      approval: { required: false, timeoutSeconds: 86400 },
      // What an approval binds: segment, services, CIDRs.
      requestDigest: requestDigest({ segment: 'nonprod', services: plan.services, cidrs: plan.cidrs }),
    });
    expect(commandsSent().filter((name) => !READ_ONLY.test(name))).toEqual([]);
  });

  it('reads the tags through the spoke role, assumed with the external id', async () => {
    await run(defaultWorld());

    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      // The read-only spoke role: validation changes nothing in the spoke account.
      RoleArn: `arn:aws:iam::${SPOKE}:role/spokelink-spoke-read`,
      ExternalId: 'spokelink-example-external-id',
    });
  });

  it('uses the VPC current tags, not the event tags', async () => {
    const world = defaultWorld();
    world.tags['spokelink:services'] = 'ssm';

    const plan = await run(world);

    expect(plan.services).toEqual(['ssm']);
  });

  it('selects every endpoint the segment may use for services "*"', async () => {
    const world = defaultWorld();
    world.tags['spokelink:segment'] = 'prod';
    world.tags['spokelink:services'] = '*';

    const plan = await run(world);

    expect(plan.segment).toBe('prod');
    expect(plan.services).toEqual(['payments-api', 'secretsmanager', 'ssm', 'sts']);
    expect(plan.associationRouteTableId).toBe('tgw-rtb-0a000000000000001');
    // The endpoint service gets no zone and no rule: its principal and connections are its access.
    expect(plan.zones.map((z) => z.endpoint)).toEqual(['secretsmanager', 'ssm', 'sts']);
    expect(plan.endpointServices).toEqual([
      { name: 'payments-api', serviceId: 'vpce-svc-0d000000000000001', acceptConnections: true },
    ]);
  });

  it('leaves the prod-only endpoint service out of a nonprod VPC that asks for "*"', async () => {
    const world = defaultWorld();
    world.tags['spokelink:services'] = '*';

    const plan = await run(world);

    expect(plan.services).toEqual(['ssm', 'sts']);
    expect(plan.endpointServices).toEqual([]);
  });

  it('plans only the endpoint service named in spokelink:services, with its principal', async () => {
    const world = defaultWorld();
    world.tags['spokelink:segment'] = 'prod';
    world.tags['spokelink:services'] = 'payments-api';

    const plan = await run(world);

    expect(plan.services).toEqual(['payments-api']);
    expect(plan.zones).toEqual([]);
    expect(plan.securityGroupRules).toEqual([]);
    expect(plan.endpointServices).toEqual([
      { name: 'payments-api', serviceId: 'vpce-svc-0d000000000000001', acceptConnections: true },
    ]);
  });

  it('uses the subnets tagged spokelink:attach=true when there are any', async () => {
    const world = defaultWorld();
    world.subnets[0]!.Tags = [{ Key: 'spokelink:attach', Value: 'true' }];

    const plan = await run(world);

    expect(plan.subnetSelection).toBe('tagged');
    expect(plan.attachmentSubnetIds).toEqual(['subnet-0000000000000000b']);
    // Routes still go into the route tables of every subnet of the VPC.
    expect(plan.routeTableIds).toEqual(['rtb-00000000000000main', 'rtb-0000000000000priv']);
  });

  it('plans every associated CIDR block of the VPC', async () => {
    const world = defaultWorld();
    world.cidrs = ['10.1.0.0/16', '10.2.0.0/24'];

    const plan = await run(world);

    expect(plan.cidrs).toEqual(['10.1.0.0/16', '10.2.0.0/24']);
    expect(plan.securityGroupRules.map((r) => `${r.groupId} ${r.cidr}`)).toEqual([
      'sg-0e55e0000000000a1 10.1.0.0/16',
      'sg-0e55e0000000000a1 10.2.0.0/24',
      'sg-0e55e0000000000a2 10.1.0.0/16',
      'sg-0e55e0000000000a2 10.2.0.0/24',
    ]);
  });

  it('admits an account through an allowed OU anywhere above it', async () => {
    const world = defaultWorld();
    world.account = '444444444444';
    world.tags['spokelink:segment'] = 'prod';
    world.parents = {
      '444444444444': { Id: 'ou-ab12-team0001', Type: 'ORGANIZATIONAL_UNIT' },
      'ou-ab12-team0001': { Id: 'ou-ab12-prod0001', Type: 'ORGANIZATIONAL_UNIT' },
      'ou-ab12-prod0001': { Id: 'r-ab12', Type: 'ROOT' },
    };

    const plan = await run(world);

    expect(plan.segment).toBe('prod');
    expect(organizations).toHaveReceivedCommandTimes(ListParentsCommand, 2);
  });

  it('proves membership for a "*" segment with a single ListParents call', async () => {
    const world = defaultWorld();
    world.parents = {
      [SPOKE]: { Id: 'ou-ab12-team0001', Type: 'ORGANIZATIONAL_UNIT' },
      'ou-ab12-team0001': { Id: 'ou-ab12-wkld0001', Type: 'ORGANIZATIONAL_UNIT' },
      'ou-ab12-wkld0001': { Id: 'r-ab12', Type: 'ROOT' },
    };

    await run(world);

    expect(organizations).toHaveReceivedCommandTimes(ListParentsCommand, 1);
  });

  it('does not ask Organizations about an account the segment lists', async () => {
    const world = defaultWorld();
    world.tags['spokelink:segment'] = 'prod';

    await run(world);

    expect(organizations).not.toHaveReceivedCommand(ListParentsCommand);
  });

  it('admits an external account to a "*" segment without Organizations and marks it external', async () => {
    const world = defaultWorld();
    world.account = EXTERNAL;

    const plan = await run(world);

    expect(plan.externalAccount).toBe(true);
    expect(organizations).not.toHaveReceivedCommand(ListParentsCommand);
  });

  const rejections: [string, string, (world: World) => void][] = [
    [
      'malformed-tags',
      'spokelink:connect must be',
      (w) => {
        w.tags['spokelink:connect'] = 'maybe';
      },
    ],
    [
      'malformed-tags',
      'names "ssm" twice',
      (w) => {
        w.tags['spokelink:services'] = 'ssm,ssm';
      },
    ],
    [
      'unknown-segment',
      '"staging"',
      (w) => {
        w.tags['spokelink:segment'] = 'staging';
      },
    ],
    [
      'account-not-allowed',
      'may not use segment prod',
      (w) => {
        w.account = '444444444444';
        w.tags['spokelink:segment'] = 'prod';
        w.parents = { '444444444444': { Id: 'r-ab12', Type: 'ROOT' } };
      },
    ],
    [
      'account-not-allowed',
      'not a member of the organization',
      (w) => {
        w.account = '666666666666';
      },
    ],
    [
      'account-not-allowed',
      `account ${EXTERNAL} may not use segment prod`,
      (w) => {
        w.account = EXTERNAL;
        w.tags['spokelink:segment'] = 'prod';
      },
    ],
    [
      'unknown-service',
      '"kinesis"',
      (w) => {
        w.tags['spokelink:services'] = 'ssm,kinesis';
      },
    ],
    [
      'service-not-allowed',
      'secretsmanager',
      (w) => {
        w.tags['spokelink:services'] = 'secretsmanager';
      },
    ],
    [
      'service-not-allowed',
      'payments-api is not available to segment nonprod',
      (w) => {
        w.tags['spokelink:services'] = 'ssm,payments-api';
      },
    ],
    [
      'cidr-overlap',
      'hub destination 10.0.0.0/16',
      (w) => {
        w.cidrs = ['10.0.128.0/17'];
      },
    ],
    [
      'cidr-overlap',
      'vpc-0ther000000000001',
      (w) => {
        w.claims['10.1'] = { 'vpc-0ther000000000001': { cidrs: ['10.1.64.0/18'], accountId: '333333333333' } };
      },
    ],
    [
      'dns-attributes',
      'enableDnsHostnames',
      (w) => {
        w.dnsHostnames = false;
      },
    ],
    [
      'dns-attributes',
      'enableDnsSupport',
      (w) => {
        w.dnsSupport = false;
      },
    ],
    [
      'duplicate-attach-subnet',
      'us-east-1a',
      (w) => {
        w.subnets[0]!.Tags = [{ Key: 'spokelink:attach', Value: 'true' }];
        w.subnets[1]!.Tags = [{ Key: 'spokelink:attach', Value: 'true' }];
      },
    ],
    [
      'no-subnet',
      'no subnet',
      (w) => {
        w.subnets = [];
      },
    ],
  ];

  it.each(rejections)('rejects with %s (%s) and makes no mutating call', async (reason, text, change) => {
    const world = defaultWorld();
    change(world);

    const error = await run(world).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RejectedError);
    expect(error).toMatchObject({ reason, message: expect.stringContaining(text) });
    expect((error as Error).message.startsWith(`${reason}: `)).toBe(true);
    expect(commandsSent().filter((name) => !READ_ONLY.test(name))).toEqual([]);
  });

  it('rejects a VPC in a region the hub does not serve', async () => {
    const world = defaultWorld();
    world.region = 'eu-west-1';

    await expect(run(world)).rejects.toMatchObject({ name: 'RejectedError', reason: 'region-not-served' });
    expect(ec2.calls()).toHaveLength(0);
  });

  describe('with regional supernets (configuration version 3)', () => {
    const withSupernets = (supernets: string[]) =>
      useExampleConfig((raw) => {
        raw.version = 3;
        (raw.hub as Record<string, unknown>).supernets = supernets;
      });

    it("rejects a VPC outside its region's supernets, naming the region and the supernets, changing nothing", async () => {
      withSupernets(['10.16.0.0/12', '10.64.0.0/12']);
      const error = await run(defaultWorld()).catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'RejectedError',
        reason: 'outside-supernets',
        message:
          `outside-supernets: ${VPC} CIDR 10.1.0.0/16 is in none of the us-east-1 supernets ` +
          `(10.16.0.0/12, 10.64.0.0/12): spokes of us-east-1 are allocated from them`,
      });
      expect(commandsSent().filter((name) => !READ_ONLY.test(name))).toEqual([]);
    });

    it('plans a VPC inside them as before', async () => {
      withSupernets(['10.0.0.0/12']);
      await expect(run(defaultWorld())).resolves.toMatchObject({ cidrs: ['10.1.0.0/16'] });
    });

    it("rejects a VPC of another served region as served by that region's own hub", async () => {
      const config = JSON.parse(readFileSync(join(ROOT, 'config', 'example-two-regions.hub.json'), 'utf8'));
      useExampleConfig((raw) => Object.assign(raw, config));
      const world = defaultWorld();
      world.region = 'eu-west-1';
      await expect(run(world)).rejects.toMatchObject({
        reason: 'region-not-served',
        message: 'region-not-served: eu-west-1 is served by its own regional hub, not by the us-east-1 hub',
      });
    });
  });

  it('accepts a zone the VPC is already associated with (same id)', async () => {
    const world = defaultWorld();
    world.zonesOfVpc = [{ HostedZoneId: 'Z0SSM00000000000000001', Name: 'ssm.us-east-1.amazonaws.com.', Owner: {} }];

    await expect(run(world)).resolves.toMatchObject({ services: ['ssm', 'sts'] });
  });

  it('ignores a VPC whose request was withdrawn since the event', async () => {
    const world = defaultWorld();
    delete world.tags['spokelink:connect'];

    await expect(run(world)).rejects.toBeInstanceOf(IgnoredEventError);
  });

  it('reports a deleted VPC as VpcNotFoundError', async () => {
    install(defaultWorld());
    ec2.on(DescribeVpcsCommand).rejects(awsError('InvalidVpcID.NotFound'));

    await expect(handler({ event: eventFor(defaultWorld()) })).rejects.toBeInstanceOf(VpcNotFoundError);
  });

  it('throws IgnoredEventError for an input event it cannot trust', async () => {
    await expect(handler({ event: loadEvent('forged-account-mismatch') })).rejects.toBeInstanceOf(IgnoredEventError);
  });

  it('reads each zone name from Route 53 once per container', async () => {
    await run(defaultWorld());
    await run(defaultWorld());

    expect(route53).toHaveReceivedCommandTimes(GetHostedZoneCommand, 2);
  });
});

/** The example catalog with sts placeable in the spoke (either) and secretsmanager always in the spoke for prod. */
function usePlacementConfig(mode: 'zones' | 'profile' = 'zones') {
  return useExampleConfig((raw) => {
    const endpoints = raw.endpoints as Record<string, Record<string, unknown>>;
    endpoints.sts = { ...endpoints.sts, placement: 'either', serviceName: 'com.amazonaws.us-east-1.sts' };
    if (mode === 'profile') raw.dns = { mode: 'profile' };
  });
}

describe('Function: validateAndPlan, placement (spokelink:local-services)', () => {
  beforeEach(() => {
    for (const mock of allMocks) mock.reset();
    resetZoneNameCache();
    usePlacementConfig();
  });

  it('plans a local service without its hub zone or hub security group rule, and binds the digest to it', async () => {
    const world = defaultWorld();
    world.tags['spokelink:local-services'] = 'sts';

    const plan = await run(world);

    expect(plan.localServices).toEqual(['sts']);
    expect(plan.services).toEqual(['ssm', 'sts']);
    expect(plan.zones.map((z) => z.endpoint)).toEqual(['ssm']);
    expect(plan.securityGroupRules.map((r) => r.endpoint)).toEqual(['ssm']);
    expect(requestDigest(plan)).not.toBe(requestDigest({ ...plan, localServices: undefined }));
  });

  it('reads * as every selected service whose placement allows the spoke', async () => {
    const world = defaultWorld();
    world.tags['spokelink:local-services'] = '*';

    await expect(run(world)).resolves.toMatchObject({ localServices: ['sts'] });
  });

  it.each([
    ['ssm', 'placement-not-allowed', 'ssm is served from the hub only for segment nonprod'],
    ['kinesis', 'unknown-service', 'spokelink:local-services names "kinesis", which is not in the catalog'],
    ['payments-api', 'placement-not-allowed', 'payments-api is an endpoint service of the hub'],
  ])('rejects local-services=%s (%s) and changes nothing', async (value, reason, text) => {
    const world = defaultWorld();
    world.tags['spokelink:local-services'] = value;

    const error = await run(world).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RejectedError);
    expect(error).toMatchObject({ reason });
    expect((error as Error).message).toContain(text);
    expect(commandsSent().every((name) => READ_ONLY.test(name.replace(/Command$/, '')))).toBe(true);
  });

  it('rejects a local service the VPC does not ask for', async () => {
    const world = defaultWorld();
    world.tags['spokelink:services'] = 'ssm';
    world.tags['spokelink:local-services'] = 'sts';

    await expect(run(world)).rejects.toMatchObject({
      reason: 'local-service-not-requested',
      message: expect.stringContaining("not among the VPC's services (ssm)"),
    });
  });

  it('rejects a malformed local-services tag with the same parser as spokelink:services', async () => {
    const world = defaultWorld();
    world.tags['spokelink:local-services'] = 'sts,,ssm';

    await expect(run(world)).rejects.toMatchObject({
      reason: 'malformed-tags',
      message: expect.stringContaining('spokelink:local-services has an empty entry'),
    });
  });

  it('skips a service the VPC serves with its own zone of that name, and plans the others', async () => {
    const world = defaultWorld();
    world.zonesOfVpc = [
      { HostedZoneId: '/hostedzone/Z0THERSSM000000000001', Name: 'SSM.us-east-1.amazonaws.com.', Owner: {} },
    ];

    const plan = await run(world);

    expect(plan.selfServed).toEqual([{ endpoint: 'ssm', by: 'zone', id: 'Z0THERSSM000000000001' }]);
    expect(plan.services).toEqual(['ssm', 'sts']);
    expect(plan.zones.map((z) => z.endpoint)).toEqual(['sts']);
    expect(plan.securityGroupRules.map((r) => r.endpoint)).toEqual(['sts']);
    expect(commandsSent().filter((name) => !READ_ONLY.test(name))).toEqual([]);
  });

  it('skips a local service the VPC already serves with its own endpoint (private DNS on), and makes none of its own', async () => {
    const world = defaultWorld();
    world.tags['spokelink:local-services'] = 'sts';
    world.endpoints = [
      {
        VpcEndpointId: 'vpce-0team0000000000001',
        VpcId: VPC,
        ServiceName: 'com.amazonaws.us-east-1.sts',
        PrivateDnsEnabled: true,
        State: 'Available',
      },
    ];

    const plan = await run(world);

    expect(plan.selfServed).toEqual([{ endpoint: 'sts', by: 'endpoint', id: 'vpce-0team0000000000001' }]);
    expect(plan.localServices).toBeUndefined();
    expect(plan.zones.map((z) => z.endpoint)).toEqual(['ssm']);
  });

  it.each([
    ['private DNS off', { PrivateDnsEnabled: false, State: 'Available' }],
    ['being deleted', { PrivateDnsEnabled: true, State: 'Deleting' }],
    ['of another VPC', { PrivateDnsEnabled: true, State: 'Available', VpcId: 'vpc-0ther00000000001' }],
  ] as const)('does not count an endpoint %s as serving the name', async (_, fields) => {
    const world = defaultWorld();
    world.endpoints = [
      { VpcEndpointId: 'vpce-0team0000000000001', VpcId: VPC, ServiceName: 'com.amazonaws.us-east-1.sts', ...fields },
    ];

    const plan = await run(world);

    expect(plan.selfServed).toBeUndefined();
    expect(plan.zones.map((z) => z.endpoint)).toEqual(['ssm', 'sts']);
  });

  it('refuses spoke placement in DNS mode profile, naming the mode', async () => {
    usePlacementConfig('profile');
    const world = defaultWorld();
    world.tags['spokelink:local-services'] = 'sts';

    await expect(run(world)).rejects.toMatchObject({
      reason: 'placement-dns-mode',
      message: expect.stringContaining('use DNS mode zones for spoke placement'),
    });
  });
});
