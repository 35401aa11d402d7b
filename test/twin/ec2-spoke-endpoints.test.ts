/**
 * Interface endpoints to AWS services in a tenant's own VPC (the spoke placement): creation with subnets, security
 * groups, private DNS and policy; the private DNS conflicts with a same-named private hosted zone, in both directions;
 * ModifyVpcEndpoint, DeleteVpcEndpoints, DeleteSecurityGroup; the endpoints-per-VPC quota; name resolution.
 */
import {
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  DeleteSecurityGroupCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import {
  AssociateVPCWithHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  DisassociateVPCFromHostedZoneCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
import type { Pluggable } from '@smithy/types';
import { twinPlugin } from '#twin/plugin';
import { resolvingZone } from '#twin/services/route53profiles';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const SPOKE = '222222222222';
const role = (account: string) => `arn:aws:iam::${account}:role/spokelink`;
const R = 'us-east-1';
const VPC = 'vpc-0b000000000000002';
const OTHER_VPC = 'vpc-0b000000000000003';
const STS_ZONE = 'Z0STS00000000000000001';
const STS = `com.amazonaws.${R}.sts`;
const STS_NAME = `sts.${R}.amazonaws.com`;
const START = Date.parse('2026-03-01T00:00:00Z');

function setup(options: { dns?: boolean; zoneOnVpc?: boolean; endpointQuota?: number } = {}) {
  jest.useFakeTimers({
    now: START,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
  const twin = createTwin(
    parseWorld({
      version: 1,
      iam: { principals: [role(HUB), role(SPOKE)] },
      ec2: {
        ...(options.endpointQuota ? { quotas: { interfaceEndpointsPerVpc: options.endpointQuota } } : {}),
        vpcs: [
          {
            id: VPC,
            ownerId: SPOKE,
            cidrBlocks: ['10.1.0.0/16'],
            enableDnsHostnames: options.dns ?? true,
            subnets: [
              { id: 'subnet-0b00000000000000a', availabilityZone: 'us-east-1a', cidrBlock: '10.1.1.0/24' },
              { id: 'subnet-0b00000000000000b', availabilityZone: 'us-east-1b', cidrBlock: '10.1.2.0/24' },
            ],
          },
          { id: OTHER_VPC, ownerId: HUB, cidrBlocks: ['10.0.0.0/16'] },
        ],
      },
      route53: {
        zones: [
          {
            id: STS_ZONE,
            name: STS_NAME,
            ownerId: HUB,
            vpcs: [{ vpcId: OTHER_VPC, region: R }, ...(options.zoneOnVpc ? [{ vpcId: VPC, region: R }] : [])],
          },
        ],
      },
    }),
  );
  return {
    twin,
    spoke: clientAs<EC2Client>(twin, SPOKE, EC2Client),
    hub53: clientAs<Route53Client>(twin, HUB, Route53Client),
  };
}

function clientAs<C extends EC2Client | Route53Client>(
  twin: Twin,
  account: string,
  Client: typeof EC2Client | typeof Route53Client,
): C {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new Client({ region: R, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }) as C;
  client.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
  return client;
}

const create = (spoke: EC2Client, extra: Partial<CreateVpcEndpointCommandInput> = {}) =>
  spoke.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: VPC,
      ServiceName: STS,
      SubnetIds: ['subnet-0b00000000000000a', 'subnet-0b00000000000000b'],
      ...extra,
    }),
  );

afterEach(() => jest.useRealTimers());

describe('Twin EC2: interface endpoints to AWS services in a spoke VPC', () => {
  it('creates one with subnets, a security group, private DNS on by default, the policy and tags; it answers the name once available', async () => {
    const { twin, spoke } = setup();
    const { GroupId } = await spoke.send(
      new CreateSecurityGroupCommand({ VpcId: VPC, GroupName: 'sts-endpoint', Description: 'sts' }),
    );
    const policy = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:*', Resource: '*' }] });

    const { VpcEndpoint } = await create(spoke, {
      SecurityGroupIds: [GroupId!],
      PolicyDocument: policy,
      TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'spokelink:managed', Value: 'true' }] }],
    });

    expect(VpcEndpoint).toMatchObject({
      VpcId: VPC,
      ServiceName: STS,
      State: 'pending',
      PrivateDnsEnabled: true,
      PolicyDocument: policy,
      Groups: [{ GroupId }],
      SubnetIds: ['subnet-0b00000000000000a', 'subnet-0b00000000000000b'],
      DnsEntries: [{ DnsName: STS_NAME }],
      Tags: [{ Key: 'spokelink:managed', Value: 'true' }],
    });
    expect(resolvingZone(twin, STS_NAME, VPC, R)).toBeUndefined();
    jest.advanceTimersByTime(60_000);
    expect(resolvingZone(twin, STS_NAME, VPC, R)).toEqual({ zoneId: VpcEndpoint!.VpcEndpointId, via: 'endpoint' });
  });

  it('refuses an AWS service name it does not know, as one that does not exist', async () => {
    const { spoke } = setup();
    await expect(create(spoke, { ServiceName: `com.amazonaws.${R}.no-such-service` })).rejects.toMatchObject({
      name: 'InvalidServiceName',
    });
  });

  it('refuses private DNS in a VPC whose DNS hostnames are off, and without private DNS creates it', async () => {
    const { spoke } = setup({ dns: false });
    await expect(create(spoke)).rejects.toMatchObject({
      name: 'InvalidParameter',
      message: expect.stringContaining('enableDnsHostnames or enableDnsSupport is set to false'),
    });
    await expect(create(spoke, { PrivateDnsEnabled: false })).resolves.toMatchObject({
      VpcEndpoint: { PrivateDnsEnabled: false },
    });
  });

  it('refuses private DNS while a private hosted zone of the same name is associated with the VPC', async () => {
    const { spoke } = setup({ zoneOnVpc: true });
    // EC2's own code, not Route 53's ConflictingDomainExists (twin/services/ec2/endpoints.ts, checkPrivateDns).
    await expect(create(spoke)).rejects.toMatchObject({
      name: 'InvalidParameter',
      message: expect.stringContaining(`conflicting DNS domain for ${STS_NAME} in the VPC ${VPC}`),
    });
  });

  it('refuses a second endpoint with private DNS for the same name in one VPC', async () => {
    const { spoke } = setup();
    await create(spoke);
    await expect(create(spoke)).rejects.toMatchObject({
      name: 'InvalidParameter',
      message: expect.stringContaining('conflicting DNS domain'),
    });
  });

  it("refuses to associate a same-named zone with a VPC whose endpoint holds the name (Route 53's side)", async () => {
    const { twin, spoke, hub53 } = setup();
    await create(spoke);
    await hub53.send(
      new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: STS_ZONE, VPC: { VPCId: VPC, VPCRegion: R } }),
    );
    const spoke53 = clientAs<Route53Client>(twin, SPOKE, Route53Client);

    await expect(
      spoke53.send(
        new AssociateVPCWithHostedZoneCommand({ HostedZoneId: STS_ZONE, VPC: { VPCId: VPC, VPCRegion: R } }),
      ),
    ).rejects.toMatchObject({ name: 'ConflictingDomainExists' });
  });

  it('enables private DNS later only once the same-named zone is disassociated (the move order)', async () => {
    const { twin, spoke } = setup({ zoneOnVpc: true });
    const { VpcEndpoint } = await create(spoke, { PrivateDnsEnabled: false });
    const id = VpcEndpoint!.VpcEndpointId!;
    jest.advanceTimersByTime(60_000);
    expect(resolvingZone(twin, STS_NAME, VPC, R)).toEqual({ zoneId: STS_ZONE, via: 'zone' });

    await expect(
      spoke.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: true })),
    ).rejects.toMatchObject({ name: 'InvalidParameter', message: expect.stringContaining('conflicting DNS domain') });
    const spoke53 = clientAs<Route53Client>(twin, SPOKE, Route53Client);
    await spoke53.send(
      new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: STS_ZONE, VPC: { VPCId: VPC, VPCRegion: R } }),
    );
    expect(resolvingZone(twin, STS_NAME, VPC, R)).toBeUndefined();
    await spoke.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: true }));

    expect(resolvingZone(twin, STS_NAME, VPC, R)).toEqual({ zoneId: id, via: 'endpoint' });
  });

  it('refuses a policy that is not JSON or longer than 20,480 characters, at creation and modification', async () => {
    const { spoke } = setup();
    await expect(create(spoke, { PolicyDocument: '{not json' })).rejects.toMatchObject({
      name: 'InvalidPolicyDocument',
    });
    const long = JSON.stringify({ Statement: [{ Effect: 'Allow', Sid: 'x'.repeat(20_500) }] });
    await expect(create(spoke, { PolicyDocument: long })).rejects.toMatchObject({ name: 'InvalidParameter' });
    const { VpcEndpoint } = await create(spoke, { PrivateDnsEnabled: false });
    await expect(
      spoke.send(new ModifyVpcEndpointCommand({ VpcEndpointId: VpcEndpoint!.VpcEndpointId, PolicyDocument: long })),
    ).rejects.toMatchObject({ name: 'InvalidParameter' });
  });

  it('is loud about a modification it does not model, and changes nothing', async () => {
    const { spoke } = setup();
    const { VpcEndpoint } = await create(spoke, { PrivateDnsEnabled: false });
    const id = VpcEndpoint!.VpcEndpointId!;
    await expect(
      spoke.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: true, AddSubnetIds: ['x'] })),
    ).rejects.toThrow('twin: ModifyVpcEndpoint AddSubnetIds is not modeled');
    const { VpcEndpoints } = await spoke.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    expect(VpcEndpoints?.[0]?.PrivateDnsEnabled).toBe(false);
  });

  it('holds the endpoints-per-VPC quota; an endpoint being deleted no longer counts', async () => {
    const { spoke } = setup({ endpointQuota: 50 });
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const { VpcEndpoint } = await create(spoke, { PrivateDnsEnabled: false, SubnetIds: [] });
      ids.push(VpcEndpoint!.VpcEndpointId!);
      jest.advanceTimersByTime(4_000); // CreateVpcEndpoint's own bucket refills 0.3 per second
    }
    await expect(create(spoke, { PrivateDnsEnabled: false, SubnetIds: [] })).rejects.toMatchObject({
      name: 'VpcEndpointLimitExceeded',
    });
    await spoke.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [ids[0]!] }));
    await expect(create(spoke, { PrivateDnsEnabled: false, SubnetIds: [] })).resolves.toBeDefined();
  });

  it('deletes: deleting then deleted, the name stops answering, unknown ids come back in Unsuccessful; the security group is freed only once deleted', async () => {
    const { twin, spoke } = setup();
    const { GroupId } = await spoke.send(
      new CreateSecurityGroupCommand({ VpcId: VPC, GroupName: 'sts-endpoint', Description: 'sts' }),
    );
    const { VpcEndpoint } = await create(spoke, { SecurityGroupIds: [GroupId!] });
    const id = VpcEndpoint!.VpcEndpointId!;
    jest.advanceTimersByTime(60_000);

    const { Unsuccessful } = await spoke.send(
      new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id, 'vpce-0000000000000dead'] }),
    );

    expect(Unsuccessful).toEqual([
      expect.objectContaining({
        ResourceId: 'vpce-0000000000000dead',
        Error: expect.objectContaining({ Code: 'InvalidVpcEndpointId.NotFound' }),
      }),
    ]);
    const { VpcEndpoints } = await spoke.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    expect(VpcEndpoints?.[0]?.State).toBe('deleting');
    expect(resolvingZone(twin, STS_NAME, VPC, R)).toBeUndefined();
    await expect(spoke.send(new DeleteSecurityGroupCommand({ GroupId }))).rejects.toMatchObject({
      name: 'DependencyViolation',
    });
    jest.advanceTimersByTime(30_000);
    await expect(
      spoke.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [VPC] }] })),
    ).resolves.toMatchObject({
      VpcEndpoints: [],
    });
    await expect(spoke.send(new DeleteSecurityGroupCommand({ GroupId }))).resolves.toBeDefined();
  });

  it('lets only the owner delete or modify an endpoint', async () => {
    const { twin, spoke } = setup();
    const { VpcEndpoint } = await create(spoke);
    const hub = clientAs<EC2Client>(twin, HUB, EC2Client);
    const { Unsuccessful } = await hub.send(
      new DeleteVpcEndpointsCommand({ VpcEndpointIds: [VpcEndpoint!.VpcEndpointId!] }),
    );
    expect(Unsuccessful?.[0]?.Error?.Code).toBe('InvalidVpcEndpointId.NotFound');
    await expect(
      hub.send(new ModifyVpcEndpointCommand({ VpcEndpointId: VpcEndpoint!.VpcEndpointId, PrivateDnsEnabled: false })),
    ).rejects.toMatchObject({ name: 'InvalidVpcEndpointId.NotFound' });
  });

  it('turning DNS hostnames off after creation stops the name from resolving (the VPC attribute rules resolution)', async () => {
    const { twin, spoke } = setup();
    await create(spoke);
    jest.advanceTimersByTime(60_000);
    await spoke.send(new ModifyVpcAttributeCommand({ VpcId: VPC, EnableDnsHostnames: { Value: false } }));
    expect(resolvingZone(twin, STS_NAME, VPC, R)).toBeUndefined();
  });
});
