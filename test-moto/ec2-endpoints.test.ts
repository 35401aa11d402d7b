import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeVpcEndpointServiceConfigurationsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointServicesCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  ModifyVpcEndpointServiceConfigurationCommand,
  ModifyVpcEndpointServicePermissionsCommand,
  type ServiceConfiguration,
} from '@aws-sdk/client-ec2';
import { type Clients, type KnownDifference, MOTO_ACCOUNT, REGION, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, tagMap, useMoto } from './harness/suite';

const moto = useMoto();

/** The provider's Network Load Balancer lives in this zone: the endpoint service is offered there. */
const SERVICE_ZONE = `${REGION}a`;

class MotoSetupError extends Error {
  override name = 'MotoSetupError';
}

/**
 * moto side: an endpoint service needs a Network Load Balancer. The repository has no ELBv2 client, so the load
 * balancer is created with one plain Query call to moto (setup only, not compared), then the service through the EC2
 * API as a provider would.
 */
async function motoEndpointService(endpoint: string, clients: Clients, acceptanceRequired: boolean): Promise<void> {
  const ec2: EC2Client = clients.ec2;
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.90.0.0/16' }));
  const subnet = await ec2.send(
    new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.90.1.0/24', AvailabilityZone: SERVICE_ZONE }),
  );
  const body = new URLSearchParams({
    Action: 'CreateLoadBalancer',
    Version: '2015-12-01',
    Name: 'provider-nlb',
    Type: 'network',
    Scheme: 'internal',
    'Subnets.member.1': subnet.Subnet?.SubnetId ?? '',
  });
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIAMOTOTESTER000001/20260101/${REGION}/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body,
  });
  const arn = /<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>/.exec(await response.text())?.[1];
  if (!response.ok || !arn) throw new MotoSetupError(`moto CreateLoadBalancer failed (${response.status})`);
  await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({
      NetworkLoadBalancerArns: [arn],
      AcceptanceRequired: acceptanceRequired,
    }),
  );
}

/** Twin side: the same service as a world resource (the twin does not model CreateVpcEndpointServiceConfiguration). */
function twinEndpointService(acceptanceRequired: boolean) {
  const id = 'vpce-svc-0d000000000000001';
  return {
    ec2: {
      endpointServices: [
        {
          id,
          ownerId: MOTO_ACCOUNT,
          region: REGION,
          serviceName: `com.amazonaws.vpce.${REGION}.${id}`,
          acceptanceRequired,
          availabilityZones: [SERVICE_ZONE],
        },
      ],
    },
  };
}

const serviceView = (c: ServiceConfiguration) => ({
  ServiceId: c.ServiceId,
  ServiceName: c.ServiceName,
  ServiceType: c.ServiceType,
  ServiceState: c.ServiceState,
  AcceptanceRequired: c.AcceptanceRequired,
  ManagesVpcEndpoints: c.ManagesVpcEndpoints,
  AvailabilityZones: c.AvailabilityZones,
  BaseEndpointDnsNames: c.BaseEndpointDnsNames,
});

describe('Twin vs moto: VPC endpoint services (provider and consumer in one account)', () => {
  it('describes the service, manages its allowed principals, and creates an interface endpoint to it', async () => {
    const api = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/';
    const modify = `${api}API_ModifyVpcEndpointServicePermissions.html`;
    const known: KnownDifference[] = [
      {
        step: 'ModifyVpcEndpointServicePermissions add an account',
        why: 'The response lists the added principals (addedPrincipalSet, with their type); moto answers only ReturnValue.',
        awsDoc: modify,
      },
      {
        step: 'DescribeVpcEndpointServicePermissions after adding',
        why: 'Each allowed principal comes with its PrincipalType (All | Service | OrganizationUnit | Account | User | Role); moto answers the Principal only.',
        awsDoc: `${api}API_AllowedPrincipal.html`,
      },
      {
        step: 'ModifyVpcEndpointServicePermissions with a principal that is not an ARN',
        why: 'AddAllowedPrincipals takes principal ARNs (or *); the twin refuses a bare account id (InvalidPrincipal, its choice of code: stricter than an undocumented answer); moto stores any string.',
        awsDoc: modify,
      },
      {
        step: 'DescribeVpcEndpointServicePermissions after removing',
        why: 'Consequence of the previous step: moto still lists the bare account id it accepted.',
        awsDoc: modify,
      },
      {
        step: 'CreateVpcEndpoint (Interface) to the service',
        why: 'A new interface endpoint is `pending` before `available` (same-account consumer: acceptance applies to requests "from other AWS accounts" only, so no pendingAcceptance); moto answers `available` at once.',
        awsDoc: `${api}API_VpcEndpoint.html`,
      },
      {
        step: 'CreateVpcEndpoint to a service that does not exist',
        why: 'A service name that names no service is InvalidServiceName; moto creates an endpoint to it.',
        awsDoc: `${api}errors-overview.html`,
      },
    ];
    const server = moto();
    const { twin } = await expectOnlyKnownDifferences(
      server,
      async ({ ec2 }, trace, env) => {
        const all = await trace.step(
          'DescribeVpcEndpointServiceConfigurations',
          () => ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({})),
          (o) => (o.ServiceConfigurations ?? []).map(serviceView),
        );
        const serviceId = all?.ServiceConfigurations?.[0]?.ServiceId ?? 'vpce-svc-missing';
        const serviceName = all?.ServiceConfigurations?.[0]?.ServiceName ?? 'missing';
        await trace.step(
          'DescribeVpcEndpointServiceConfigurations by id',
          () => ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] })),
          (o) => (o.ServiceConfigurations ?? []).map((c) => c.ServiceId),
        );
        await trace.step('DescribeVpcEndpointServiceConfigurations unknown id', () =>
          ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: ['vpce-svc-0aaaaaaaaaaaaaaaa'] })),
        );
        await trace.step(
          'DescribeVpcEndpointServicePermissions of a new service',
          () => ec2.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId })),
          (o) => o.AllowedPrincipals ?? [],
        );
        await trace.step(
          'ModifyVpcEndpointServicePermissions add an account',
          () =>
            ec2.send(
              new ModifyVpcEndpointServicePermissionsCommand({
                ServiceId: serviceId,
                AddAllowedPrincipals: ['arn:aws:iam::222222222222:root'],
              }),
            ),
          (o) => ({
            ReturnValue: o.ReturnValue,
            Added: (o.AddedPrincipals ?? []).map((p) => ({ Principal: p.Principal, PrincipalType: p.PrincipalType })),
          }),
        );
        await trace.step(
          'ModifyVpcEndpointServicePermissions add the same account again',
          () =>
            ec2.send(
              new ModifyVpcEndpointServicePermissionsCommand({
                ServiceId: serviceId,
                AddAllowedPrincipals: ['arn:aws:iam::222222222222:root'],
              }),
            ),
          (o) => o.ReturnValue,
        );
        await trace.step(
          'DescribeVpcEndpointServicePermissions after adding',
          () => ec2.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId })),
          (o) => (o.AllowedPrincipals ?? []).map((p) => ({ Principal: p.Principal, PrincipalType: p.PrincipalType })),
        );
        await trace.step('ModifyVpcEndpointServicePermissions with a principal that is not an ARN', () =>
          ec2.send(
            new ModifyVpcEndpointServicePermissionsCommand({
              ServiceId: serviceId,
              AddAllowedPrincipals: ['222222222222'],
            }),
          ),
        );
        await trace.step(
          'ModifyVpcEndpointServicePermissions remove the account',
          () =>
            ec2.send(
              new ModifyVpcEndpointServicePermissionsCommand({
                ServiceId: serviceId,
                RemoveAllowedPrincipals: ['arn:aws:iam::222222222222:root'],
              }),
            ),
          (o) => o.ReturnValue,
        );
        await trace.step(
          'DescribeVpcEndpointServicePermissions after removing',
          () => ec2.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId })),
          (o) => (o.AllowedPrincipals ?? []).map((p) => p.Principal),
        );
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.91.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const subnet = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.91.1.0/24', AvailabilityZone: SERVICE_ZONE }),
        );
        const group = await ec2.send(
          new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'endpoint', Description: 'endpoint' }),
        );
        const endpoint = await trace.step(
          'CreateVpcEndpoint (Interface) to the service',
          () =>
            ec2.send(
              new CreateVpcEndpointCommand({
                VpcEndpointType: 'Interface',
                VpcId: vpcId,
                ServiceName: serviceName,
                SubnetIds: [subnet.Subnet?.SubnetId ?? ''],
                SecurityGroupIds: [group.GroupId ?? ''],
                TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'Name', Value: 'svc' }] }],
              }),
            ),
          (o) => ({
            VpcEndpointId: o.VpcEndpoint?.VpcEndpointId,
            VpcEndpointType: o.VpcEndpoint?.VpcEndpointType,
            VpcId: o.VpcEndpoint?.VpcId,
            ServiceName: o.VpcEndpoint?.ServiceName,
            State: o.VpcEndpoint?.State,
            SubnetIds: o.VpcEndpoint?.SubnetIds,
            Groups: o.VpcEndpoint?.Groups?.map((g) => g.GroupId),
            Tags: tagMap(o.VpcEndpoint?.Tags),
          }),
        );
        const endpointId = endpoint?.VpcEndpoint?.VpcEndpointId ?? 'vpce-missing';
        env.advance(120_000);
        await trace.step(
          'DescribeVpcEndpoints by id',
          () => ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [endpointId] })),
          (o) => (o.VpcEndpoints ?? []).map((e) => ({ VpcEndpointId: e.VpcEndpointId, State: e.State })),
        );
        await trace.step(
          'DescribeVpcEndpoints by vpc-id and service-name',
          () =>
            ec2.send(
              new DescribeVpcEndpointsCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [vpcId] },
                  { Name: 'service-name', Values: [serviceName] },
                ],
              }),
            ),
          (o) => (o.VpcEndpoints ?? []).map((e) => e.VpcEndpointId),
        );
        // What RegisterConsumer asks the spoke role: the endpoints of one VPC, with the VPC each lives in.
        await trace.step(
          'DescribeVpcEndpoints by vpc-id',
          () => ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })),
          (o) => (o.VpcEndpoints ?? []).map((e) => ({ VpcEndpointId: e.VpcEndpointId, VpcId: e.VpcId })),
        );
        await trace.step('CreateVpcEndpoint to a service that does not exist', () =>
          ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: vpcId,
              ServiceName: `com.amazonaws.vpce.${REGION}.vpce-svc-0aaaaaaaaaaaaaaaa`,
              SubnetIds: [subnet.Subnet?.SubnetId ?? ''],
            }),
          ),
        );
      },
      known,
      {
        twinWorld: twinEndpointService(true),
        motoSetup: (clients) => motoEndpointService(server.endpoint, clients, true),
      },
    );
    const result = (step: string) => stepOf(twin, step)?.result;
    expect(result('ModifyVpcEndpointServicePermissions add an account')).toEqual({
      ReturnValue: true,
      Added: [{ Principal: 'arn:aws:iam::222222222222:root', PrincipalType: 'Account' }],
    });
    expect(result('DescribeVpcEndpointServicePermissions after adding')).toEqual([
      { Principal: 'arn:aws:iam::222222222222:root', PrincipalType: 'Account' },
    ]);
    expect(stepOf(twin, 'ModifyVpcEndpointServicePermissions with a principal that is not an ARN')?.error).toBe(
      'InvalidPrincipal',
    );
    expect(result('DescribeVpcEndpointServicePermissions after removing')).toEqual([]);
    expect(result('CreateVpcEndpoint (Interface) to the service')).toMatchObject({ State: 'pending' });
    expect(stepOf(twin, 'CreateVpcEndpoint to a service that does not exist')?.error).toBe('InvalidServiceName');
    // Same on both: the service as described (type, zone, acceptance) and the endpoint once settled.
    expect(result('DescribeVpcEndpointServiceConfigurations')).toEqual([
      expect.objectContaining({
        AcceptanceRequired: true,
        AvailabilityZones: [SERVICE_ZONE],
        ServiceState: 'Available',
      }),
    ]);
    expect(result('DescribeVpcEndpoints by id')).toEqual([{ VpcEndpointId: 'vpce-#1', State: 'available' }]);
    expect(result('DescribeVpcEndpoints by vpc-id')).toEqual([{ VpcEndpointId: 'vpce-#1', VpcId: expect.any(String) }]);
  });

  it('manages the regions the service supports (cross-region PrivateLink) and offers it to a consumer', async () => {
    const manage =
      'https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#manage-supported-regions';
    const regionsOf = (o: { ServiceConfigurations?: ServiceConfiguration[] }) =>
      (o.ServiceConfigurations ?? []).flatMap((c) => (c.SupportedRegions ?? []).map((r) => r.Region)).sort();
    const known: KnownDifference[] = [
      {
        step: 'DescribeVpcEndpointServiceConfigurations supported regions',
        why: "The service's own (host) region is always among its supported regions; moto lists only the regions added.",
        awsDoc: manage,
      },
      {
        step: 'DescribeVpcEndpointServiceConfigurations after removing',
        why: 'Consequence of the previous step: the host region stays listed.',
        awsDoc: manage,
      },
      {
        step: "ModifyVpcEndpointServiceConfiguration remove the service's own region",
        why: 'The host region cannot be removed (the twin answers InvalidParameterValue, its choice of code); moto, which does not list it, fails with an HTTP 500 (a Python ValueError).',
        awsDoc: manage,
      },
    ];
    const server = moto();
    const { twin } = await expectOnlyKnownDifferences(
      server,
      async ({ ec2 }, trace) => {
        const all = await ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({}));
        const serviceId = all.ServiceConfigurations?.[0]?.ServiceId ?? 'vpce-svc-missing';
        const serviceName = all.ServiceConfigurations?.[0]?.ServiceName ?? 'missing';
        await trace.step(
          'ModifyVpcEndpointServiceConfiguration add a supported region',
          () =>
            ec2.send(
              new ModifyVpcEndpointServiceConfigurationCommand({
                ServiceId: serviceId,
                AddSupportedRegions: ['eu-west-1'],
              }),
            ),
          (o) => o.Return,
        );
        await trace.step(
          'DescribeVpcEndpointServiceConfigurations supported regions',
          () => ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] })),
          regionsOf,
        );
        await trace.step(
          'ModifyVpcEndpointServiceConfiguration remove the added region',
          () =>
            ec2.send(
              new ModifyVpcEndpointServiceConfigurationCommand({
                ServiceId: serviceId,
                RemoveSupportedRegions: ['eu-west-1'],
              }),
            ),
          (o) => o.Return,
        );
        await trace.step(
          'DescribeVpcEndpointServiceConfigurations after removing',
          () => ec2.send(new DescribeVpcEndpointServiceConfigurationsCommand({ ServiceIds: [serviceId] })),
          regionsOf,
        );
        await trace.step("ModifyVpcEndpointServiceConfiguration remove the service's own region", () =>
          ec2.send(
            new ModifyVpcEndpointServiceConfigurationCommand({
              ServiceId: serviceId,
              RemoveSupportedRegions: [REGION],
            }),
          ),
        );
        await trace.step(
          'DescribeVpcEndpointServices of the service by name',
          () => ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceNames: [serviceName] })),
          (o) => ({
            ServiceNames: o.ServiceNames,
            Details: (o.ServiceDetails ?? []).map((d) => ({
              ServiceName: d.ServiceName,
              ServiceId: d.ServiceId,
              Owner: d.Owner,
              AcceptanceRequired: d.AcceptanceRequired,
            })),
          }),
        );
      },
      known,
      {
        twinWorld: twinEndpointService(true),
        motoSetup: (clients) => motoEndpointService(server.endpoint, clients, true),
      },
    );
    expect(stepOf(twin, 'DescribeVpcEndpointServiceConfigurations supported regions')?.result).toEqual([
      'eu-west-1',
      REGION,
    ]);
    expect(stepOf(twin, "ModifyVpcEndpointServiceConfiguration remove the service's own region")?.error).toBe(
      'InvalidParameterValue',
    );
  });
});
