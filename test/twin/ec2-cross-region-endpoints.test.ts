import {
  AcceptVpcEndpointConnectionsCommand,
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  DescribeSubnetsCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  ModifyVpcEndpointServiceConfigurationCommand,
} from '@aws-sdk/client-ec2';
import type { PolicyDocument } from '#twin/iam';
import { ec2State } from '#twin/services/ec2/model';
import { createTwin, parseWorld } from '#twin/world';
import { ec2In } from './regions-helpers';

/**
 * Cross-region PrivateLink in the twin (issue 21): a provider's endpoint service in eu-west-1 lists the regions whose
 * consumers may connect (SupportedRegions); a us-east-1 consumer creates an interface endpoint with ServiceRegion
 * eu-west-1. Pages: configure-endpoint-service.html#manage-supported-regions, privatelink-share-your-services.html
 * ("Cross-Region access", "DNS hostnames"), list_awsprivatelink.html (vpce:AllowMultiRegion).
 */

const HUB = '111111111111';
const PROVIDER = '666666666666';
const role = (account: string) => `arn:aws:iam::${account}:role/deployer`;
const SERVICE = 'vpce-svc-0e1000000000000a1';
const SERVICE_NAME = `com.amazonaws.vpce.eu-west-1.${SERVICE}`;
const HUB_VPC = 'vpc-0f000000000000001';
/** us-east-1a is use1-az1 in the twin; us-east-1c is use1-az3, where AWS creates no cross-region endpoint. */
const SUBNET_A = 'subnet-0f000000000000101';
const SUBNET_C = 'subnet-0f000000000000103';
const START = Date.parse('2026-03-01T00:00:00Z');

/** Everything on EC2 allowed; vpce:AllowMultiRegion only when `multiRegion`. */
function policies(multiRegion: boolean): PolicyDocument[] {
  return [
    {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'ec2:*', Resource: '*' },
        ...(multiRegion ? [{ Effect: 'Allow', Action: 'vpce:AllowMultiRegion', Resource: '*' }] : []),
      ],
    },
  ];
}

function setup(options: { supportedRegions?: string[]; hubMultiRegion?: boolean; providerMultiRegion?: boolean } = {}) {
  jest.useFakeTimers({
    now: START,
    doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
  });
  const twin = createTwin(
    parseWorld({
      version: 1,
      iam: { principals: [role(HUB), role(PROVIDER)] },
      ec2: {
        vpcs: [
          {
            id: HUB_VPC,
            ownerId: HUB,
            region: 'us-east-1',
            cidrBlocks: ['10.0.0.0/16'],
            subnets: [
              { id: SUBNET_A, availabilityZone: 'us-east-1a', cidrBlock: '10.0.1.0/24' },
              { id: SUBNET_C, availabilityZone: 'us-east-1c', cidrBlock: '10.0.3.0/24' },
            ],
          },
        ],
        endpointServices: [
          {
            id: SERVICE,
            ownerId: PROVIDER,
            region: 'eu-west-1',
            serviceName: SERVICE_NAME,
            acceptanceRequired: true,
            allowedPrincipals: [`arn:aws:iam::${HUB}:root`],
            availabilityZones: ['eu-west-1a', 'eu-west-1b'],
            supportedRegions: options.supportedRegions ?? ['us-east-1'],
          },
        ],
      },
    }),
    {
      iam: {
        identityPolicies: (arn) =>
          arn === role(HUB)
            ? policies(options.hubMultiRegion ?? true)
            : arn === role(PROVIDER)
              ? policies(options.providerMultiRegion ?? true)
              : undefined,
      },
    },
  );
  return { twin, hub: ec2In(twin, role(HUB), 'us-east-1'), provider: ec2In(twin, role(PROVIDER), 'eu-west-1') };
}

const crossRegion = (more: Partial<CreateVpcEndpointCommandInput> = {}) =>
  new CreateVpcEndpointCommand({
    VpcEndpointType: 'Interface',
    VpcId: HUB_VPC,
    ServiceName: SERVICE_NAME,
    ServiceRegion: 'eu-west-1',
    SubnetIds: [SUBNET_A],
    ...more,
  });

async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  throw new Error('the call succeeded');
}

afterEach(() => jest.useRealTimers());

describe('twin: cross-region interface endpoints', () => {
  it('creates an endpoint in the consumer region to a service of another region that supports it', async () => {
    const { hub, provider } = setup();
    const { VpcEndpoint } = await hub.send(crossRegion());
    expect(VpcEndpoint).toMatchObject({
      VpcId: HUB_VPC,
      ServiceName: SERVICE_NAME,
      ServiceRegion: 'eu-west-1',
      State: 'pendingAcceptance',
      PrivateDnsEnabled: false,
    });
    // Regional DNS name only (no zonal names), in the service's region.
    expect(VpcEndpoint?.DnsEntries).toEqual([
      { DnsName: `${VpcEndpoint?.VpcEndpointId}.${SERVICE}.eu-west-1.vpce.amazonaws.com` },
    ]);
    // The provider sees and accepts the connection in its own region, not the consumer's.
    const seen = await provider.send(new DescribeVpcEndpointConnectionsCommand({}));
    expect(seen.VpcEndpointConnections?.map((c) => [c.VpcEndpointId, c.VpcEndpointOwner])).toEqual([
      [VpcEndpoint?.VpcEndpointId, HUB],
    ]);
    const accepted = await provider.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: SERVICE, VpcEndpointIds: [VpcEndpoint!.VpcEndpointId!] }),
    );
    expect(accepted.Unsuccessful).toEqual([]);
    jest.setSystemTime(Date.now() + 10 * 60_000);
    const { VpcEndpoints } = await hub.send(new DescribeVpcEndpointsCommand({}));
    expect(VpcEndpoints?.map((e) => [e.VpcEndpointId, e.State, e.ServiceRegion])).toEqual([
      [VpcEndpoint?.VpcEndpointId, 'available', 'eu-west-1'],
    ]);
  });

  it('refuses a consumer region the service does not support, until the provider adds it', async () => {
    const { hub, provider } = setup({ supportedRegions: [] });
    expect(await failure(hub.send(crossRegion()))).toEqual({
      name: 'InvalidServiceName',
      message: `The Vpc Endpoint Service '${SERVICE_NAME}' does not exist: eu-west-1 offers it to eu-west-1, not us-east-1`,
    });
    await provider.send(
      new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: SERVICE, AddSupportedRegions: ['us-east-1'] }),
    );
    const { ServiceConfigurations } = await provider.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
    expect(ServiceConfigurations?.[0]).toMatchObject({
      SupportedRegions: [
        { Region: 'eu-west-1', ServiceState: 'Available' },
        { Region: 'us-east-1', ServiceState: 'Available' },
      ],
      RemoteAccessEnabled: true,
    });
    expect((await hub.send(crossRegion())).VpcEndpoint?.ServiceRegion).toBe('eu-west-1');
  });

  it('refuses the service region without ServiceRegion: a service of another region is not found in the caller’s', async () => {
    const { hub } = setup();
    expect(await failure(hub.send(crossRegion({ ServiceRegion: undefined })))).toMatchObject({
      name: 'InvalidServiceName',
    });
  });

  it('refuses a subnet in an Availability Zone id AWS excludes, naming it', async () => {
    const { hub } = setup();
    const { Subnets } = await hub.send(new DescribeSubnetsCommand({ SubnetIds: [SUBNET_C] }));
    expect(Subnets?.[0]?.AvailabilityZoneId).toBe('use1-az3');
    expect(await failure(hub.send(crossRegion({ SubnetIds: [SUBNET_A, SUBNET_C] })))).toEqual({
      name: 'InvalidParameter',
      message: `Cross-Region endpoints are not supported in Availability Zone us-east-1c (use1-az3) of subnet ${SUBNET_C}`,
    });
    const { VpcEndpoints } = await hub.send(new DescribeVpcEndpointsCommand({}));
    expect(VpcEndpoints).toEqual([]);
  });

  it('refuses a service region of another partition', async () => {
    const { hub } = setup();
    expect(await failure(hub.send(crossRegion({ ServiceRegion: 'cn-north-1' })))).toEqual({
      name: 'InvalidParameterValue',
      message: 'Value (cn-north-1) for parameter serviceRegion is invalid.',
    });
  });

  it('denies a cross-region endpoint to a principal without vpce:AllowMultiRegion, and only a cross-region one', async () => {
    const { hub } = setup({ hubMultiRegion: false });
    const denied = await failure(hub.send(crossRegion()));
    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.message).toContain('vpce:AllowMultiRegion');
    expect((await hub.send(new DescribeVpcEndpointsCommand({}))).VpcEndpoints).toEqual([]);
    // The same principal creates a same-region endpoint to an AWS service.
    const local = await hub.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: HUB_VPC,
        ServiceName: 'com.amazonaws.us-east-1.kms',
        SubnetIds: [SUBNET_A],
        PrivateDnsEnabled: false,
      }),
    );
    expect(local.VpcEndpoint?.ServiceRegion).toBeUndefined();
  });

  it('denies changing supported regions without vpce:AllowMultiRegion', async () => {
    const { provider, twin } = setup({ providerMultiRegion: false });
    const denied = await failure(
      provider.send(
        new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: SERVICE, AddSupportedRegions: ['us-west-2'] }),
      ),
    );
    expect(denied.name).toBe('UnauthorizedOperation');
    expect(denied.message).toContain('vpce:AllowMultiRegion');
    expect(Object.values(ec2State(twin).endpointServices)[0]?.supportedRegions).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('lists the services of another region the caller may connect to (DescribeVpcEndpointServices ServiceRegions)', async () => {
    const { hub } = setup();
    const { ServiceNames, ServiceDetails } = await hub.send(
      new DescribeVpcEndpointServicesCommand({ ServiceRegions: ['eu-west-1'] }),
    );
    // AWS services offered across regions (those the twin models), and the provider's service.
    expect(ServiceNames).toEqual([
      'com.amazonaws.eu-west-1.ecr.api',
      'com.amazonaws.eu-west-1.ecr.dkr',
      'com.amazonaws.eu-west-1.kms',
      'com.amazonaws.eu-west-1.lambda',
      SERVICE_NAME,
    ]);
    expect(ServiceDetails?.find((d) => d.ServiceName === SERVICE_NAME)).toMatchObject({
      ServiceId: SERVICE,
      ServiceRegion: 'eu-west-1',
      Owner: PROVIDER,
      AcceptanceRequired: true,
    });
    // Another region's AWS service AWS does not offer across regions is not there.
    expect(
      await failure(
        hub.send(
          new DescribeVpcEndpointServicesCommand({
            ServiceRegions: ['eu-west-1'],
            ServiceNames: ['com.amazonaws.eu-west-1.sqs'],
          }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidServiceName' });
  });

  it('hides a service whose supported regions do not include the caller’s', async () => {
    const { hub } = setup({ supportedRegions: ['ap-southeast-1'] });
    const { ServiceNames } = await hub.send(new DescribeVpcEndpointServicesCommand({ ServiceRegions: ['eu-west-1'] }));
    expect(ServiceNames).not.toContain(SERVICE_NAME);
  });

  it('is loud about a configuration change it does not model, and changes nothing', async () => {
    const { hub, provider } = setup({ supportedRegions: [] });
    await expect(
      provider.send(
        new ModifyVpcEndpointServiceConfigurationCommand({
          ServiceId: SERVICE,
          AddSupportedRegions: ['us-east-1'],
          AcceptanceRequired: false,
        }),
      ),
    ).rejects.toThrow('twin: ModifyVpcEndpointServiceConfiguration AcceptanceRequired is not modeled');
    expect(await failure(hub.send(crossRegion()))).toMatchObject({ name: 'InvalidServiceName' });
  });

  it('refuses removing the service’s own region, and a region of another partition', async () => {
    const { provider } = setup();
    expect(
      await failure(
        provider.send(
          new ModifyVpcEndpointServiceConfigurationCommand({
            ServiceId: SERVICE,
            RemoveSupportedRegions: ['eu-west-1'],
          }),
        ),
      ),
    ).toEqual({
      name: 'InvalidParameterValue',
      message: "The service's own Region eu-west-1 cannot be removed from its supported Regions",
    });
    expect(
      await failure(
        provider.send(
          new ModifyVpcEndpointServiceConfigurationCommand({ ServiceId: SERVICE, AddSupportedRegions: ['cn-north-1'] }),
        ),
      ),
    ).toMatchObject({ name: 'InvalidParameterValue' });
  });
});
