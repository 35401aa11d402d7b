import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import type { Pluggable } from '@smithy/types';
import { twinPlugin } from '#twin/plugin';
import type { Twin } from '#twin/twin';
import { createTwin, parseWorld } from '#twin/world';

const HUB = '111111111111';
const SPOKE = '222222222222';
const role = (account: string) => `arn:aws:iam::${account}:role/spokelink`;
const SERVICE = 'vpce-svc-0d000000000000001';
const SERVICE_NAME = `com.amazonaws.vpce.us-east-1.${SERVICE}`;
const SPOKE_VPC = 'vpc-0b000000000000002';
const START = Date.parse('2026-03-01T00:00:00Z');

function setup() {
  jest.useFakeTimers({
    now: START,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
  const twin = createTwin(
    parseWorld({
      version: 1,
      iam: { principals: [role(HUB), role(SPOKE)] },
      ec2: {
        vpcs: [
          {
            id: SPOKE_VPC,
            ownerId: SPOKE,
            cidrBlocks: ['10.1.0.0/16'],
            subnets: [
              { id: 'subnet-0b00000000000000a', availabilityZone: 'us-east-1a', cidrBlock: '10.1.1.0/24' },
              { id: 'subnet-0b00000000000000b', availabilityZone: 'us-east-1a', cidrBlock: '10.1.2.0/24' },
            ],
          },
        ],
        endpointServices: [
          { id: SERVICE, ownerId: HUB, serviceName: SERVICE_NAME, acceptanceRequired: true, allowedPrincipals: [] },
        ],
      },
    }),
  );
  return { twin, hub: ec2As(twin, HUB), spoke: ec2As(twin, SPOKE) };
}

function ec2As(twin: Twin, account: string) {
  const { accessKeyId, secretAccessKey } = twin.credentialsFor(role(account));
  const client = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
  client.middlewareStack.use(twinPlugin(twin) as Pluggable<ServiceInputTypes, ServiceOutputTypes>);
  return client;
}

const createEndpoint = (spoke: EC2Client, subnets = ['subnet-0b00000000000000a']) =>
  spoke.send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: SPOKE_VPC,
      ServiceName: SERVICE_NAME,
      SubnetIds: subnets,
    }),
  );

const allowSpoke = (hub: EC2Client) =>
  hub.send(
    new ModifyVpcEndpointServicePermissionsCommand({
      ServiceId: SERVICE,
      AddAllowedPrincipals: [`arn:aws:iam::${SPOKE}:root`],
    }),
  );

afterEach(() => jest.useRealTimers());

describe('Twin EC2: endpoint services (provider side)', () => {
  it('shows a service configuration to its owner only', async () => {
    const { hub, spoke } = setup();
    const out = await hub.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [SERVICE] }));
    expect(out.ServiceConfigurations?.[0]).toMatchObject({
      ServiceId: SERVICE,
      ServiceName: SERVICE_NAME,
      AcceptanceRequired: true,
    });
    await expect(
      spoke.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [SERVICE] })),
    ).rejects.toMatchObject({ name: 'InvalidVpcEndpointServiceId.NotFound' });
  });

  it('adds and removes allowed principals by ARN, owner only', async () => {
    const { hub, spoke } = setup();
    const added = await allowSpoke(hub);
    expect(added.ReturnValue).toBe(true);
    expect(added.AddedPrincipals).toEqual([
      expect.objectContaining({
        Principal: `arn:aws:iam::${SPOKE}:root`,
        PrincipalType: 'Account',
        ServiceId: SERVICE,
      }),
    ]);
    const perms = await hub.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: SERVICE }));
    expect(perms.AllowedPrincipals?.map((p) => p.Principal)).toEqual([`arn:aws:iam::${SPOKE}:root`]);
    await expect(
      hub.send(new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: SERVICE, AddAllowedPrincipals: [SPOKE] })),
    ).rejects.toMatchObject({ name: 'InvalidPrincipal' });
    await expect(allowSpoke(spoke)).rejects.toMatchObject({ name: 'InvalidVpcEndpointServiceId.NotFound' });
    await hub.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: SERVICE,
        RemoveAllowedPrincipals: [`arn:aws:iam::${SPOKE}:root`],
      }),
    );
    const after = await hub.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: SERVICE }));
    expect(after.AllowedPrincipals).toEqual([]);
  });
});

describe('Twin EC2: endpoint connections (consumer and acceptance)', () => {
  it('denies an endpoint to a consumer that is not an allowed principal', async () => {
    const { spoke } = setup();
    await expect(createEndpoint(spoke)).rejects.toMatchObject({ name: 'InvalidServiceName' });
  });

  it('refuses two endpoint subnets in one zone', async () => {
    const { hub, spoke } = setup();
    await allowSpoke(hub);
    await expect(createEndpoint(spoke, ['subnet-0b00000000000000a', 'subnet-0b00000000000000b'])).rejects.toMatchObject(
      { name: 'DuplicateSubnetsInSameZone' },
    );
  });

  it('waits for acceptance, reports per-endpoint failures in Unsuccessful, then becomes available', async () => {
    const { hub, spoke } = setup();
    await allowSpoke(hub);
    const { VpcEndpoint } = await createEndpoint(spoke);
    expect(VpcEndpoint).toMatchObject({ VpcId: SPOKE_VPC, ServiceName: SERVICE_NAME, State: 'pendingAcceptance' });
    const id = VpcEndpoint!.VpcEndpointId!;
    const waiting = await hub.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [
          { Name: 'service-id', Values: [SERVICE] },
          { Name: 'vpc-endpoint-state', Values: ['pendingAcceptance'] },
        ],
      }),
    );
    expect(waiting.VpcEndpointConnections?.map((c) => [c.VpcEndpointId, c.VpcEndpointOwner])).toEqual([[id, SPOKE]]);
    const first = await hub.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [id, 'vpce-00000000000000000'] }),
    );
    expect(first.Unsuccessful).toEqual([
      {
        ResourceId: 'vpce-00000000000000000',
        Error: { Code: 'InvalidVpcEndpointId.NotFound', Message: expect.any(String) },
      },
    ]);
    const again = await hub.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [id] }));
    expect(again.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code])).toEqual([[id, 'IncorrectState']]);
    jest.setSystemTime(START + 60_000);
    const out = await spoke.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    expect(out.VpcEndpoints?.[0]?.State).toBe('available');
  });

  it('rejects a pending or accepted connection: the endpoint is rejected on both sides and cannot be accepted again', async () => {
    const { hub, spoke } = setup();
    await allowSpoke(hub);
    const pending = (await createEndpoint(spoke)).VpcEndpoint!.VpcEndpointId!;
    const accepted = (await createEndpoint(spoke, ['subnet-0b00000000000000b'])).VpcEndpoint!.VpcEndpointId!;
    await hub.send(new AcceptVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [accepted] }));
    jest.setSystemTime(START + 60_000);

    const out = await hub.send(
      new RejectVpcEndpointConnectionsCommand({
        ServiceId: SERVICE,
        VpcEndpointIds: [pending, accepted, 'vpce-00000000000000000'],
      }),
    );

    expect(out.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code])).toEqual([
      ['vpce-00000000000000000', 'InvalidVpcEndpointId.NotFound'],
    ]);
    const provider = await hub.send(
      new DescribeVpcEndpointConnectionsCommand({ Filters: [{ Name: 'service-id', Values: [SERVICE] }] }),
    );
    expect(provider.VpcEndpointConnections?.map((c) => [c.VpcEndpointId, c.VpcEndpointState]).sort()).toEqual(
      [
        [pending, 'rejected'],
        [accepted, 'rejected'],
      ].sort(),
    );
    const consumer = await spoke.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [accepted] }));
    expect(consumer.VpcEndpoints?.[0]?.State).toBe('rejected');
    const acceptAgain = await hub.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [accepted] }),
    );
    expect(acceptAgain.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code])).toEqual([[accepted, 'IncorrectState']]);
    const rejectAgain = await hub.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [accepted] }),
    );
    expect(rejectAgain.Unsuccessful?.map((u) => [u.ResourceId, u.Error?.Code])).toEqual([[accepted, 'IncorrectState']]);
    // Only the service's owner decides.
    await expect(
      spoke.send(new RejectVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [accepted] })),
    ).rejects.toMatchObject({ name: 'InvalidVpcEndpointServiceId.NotFound' });
  });

  it('throttles CreateVpcEndpoint on its own small bucket', async () => {
    const { hub, spoke } = setup();
    await allowSpoke(hub);
    const errors: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      await createEndpoint(spoke).catch((e: { name: string }) => errors.push(e.name));
    }
    expect(errors).toEqual(['RequestLimitExceeded']);
  });
});
