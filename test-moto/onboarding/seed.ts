import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AssociateRouteTableCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayRouteTableCommand,
  CreateVpcCommand,
  CreateVpcEndpointServiceConfigurationCommand,
  DescribeRouteTablesCommand,
  type EC2Client,
  ModifyVpcAttributeCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { registryTableDefinition } from '#local/registry-table';
import { type HubConfig, parseConfig } from '#shared/config';
import { MOTO_ACCOUNT, motoTarget, REGION } from '../harness/compare';

/**
 * The same-account onboarding scenario, seeded in moto through the SDK (and, where the repository has no client, one
 * plain Query call): a hub VPC with the endpoints' security groups, private hosted zones, an endpoint service over a
 * Network Load Balancer, a Transit Gateway with two route tables, the spoke role, the registry table (through the
 * table definition the local runner and the CDK stack share), and a spoke VPC of the same account asking to connect.
 * The hub configuration is then built from the ids moto assigned.
 */

export class MotoSeedError extends Error {
  override name = 'MotoSeedError';
}

/** What the scenario's spoke VPC asks for (`spokelink:services`): two endpoints and the endpoint service. */
export const SPOKE_SERVICES = 'ssm,sts,payments';

export const SPOKE_ROLE = 'spokelink-spoke';
export const EXTERNAL_ID = 'spokelink-moto-external-id';
export const TABLE_NAME = 'spokelink-registry';
export const HUB_DESTINATION = '10.0.0.0/16';
export const SPOKE_CIDR = '10.1.0.0/16';
export const ZONE_NAMES = { ssm: `ssm.${REGION}.amazonaws.com`, sts: `sts.${REGION}.amazonaws.com` } as const;
/** Credentials the hub's functions use against moto (any key is accepted; it maps to moto's default account). */
export const FUNCTIONS_CREDENTIALS = { accessKeyId: 'AKIAMOTOFUNCTIONS001', secretAccessKey: 'moto' };

export interface MotoScenario {
  config: HubConfig;
  hubVpcId: string;
  transitGatewayId: string;
  tables: { prod: string; shared: string };
  zones: { ssm: string; sts: string };
  securityGroups: { ssm: string; sts: string };
  serviceId: string;
  spoke: {
    vpcId: string;
    subnetIds: string[];
    /** The table subnets a and b are explicitly associated with; subnet c uses the main table. */
    privateRouteTableId: string;
    mainRouteTableId: string;
  };
}

/** A Query API call to moto for services the repository has no SDK client for (IAM, ELBv2): setup only. */
async function query(endpoint: string, service: string, params: Record<string, string>): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `AWS4-HMAC-SHA256 Credential=AKIAMOTOSEED00000001/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  if (!response.ok) throw new MotoSeedError(`moto ${service} ${params.Action} failed (${response.status}): ${text}`);
  return text;
}

const required = <T>(value: T | undefined, what: string): T => {
  if (value === undefined || value === null || value === '') throw new MotoSeedError(`moto returned no ${what}`);
  return value;
};

const tags = (map: Record<string, string>): Tag[] => Object.entries(map).map(([Key, Value]) => ({ Key, Value }));

async function vpc(ec2: EC2Client, cidr: string, name: string, extra: Record<string, string> = {}) {
  const { Vpc } = await ec2.send(
    new CreateVpcCommand({
      CidrBlock: cidr,
      TagSpecifications: [{ ResourceType: 'vpc', Tags: tags({ Name: name, ...extra }) }],
    }),
  );
  const vpcId = required(Vpc?.VpcId, 'VPC id');
  // Private hosted zones need both DNS attributes on (moto, like AWS, creates VPCs with hostnames off).
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsSupport: { Value: true } }));
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
  return vpcId;
}

async function subnet(ec2: EC2Client, vpcId: string, cidr: string, zone: string) {
  const { Subnet } = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }));
  return required(Subnet?.SubnetId, 'subnet id');
}

/**
 * A private hosted zone associated with `vpcId`. AWS zone ids start with Z (and the hub configuration requires it);
 * moto draws 22 random characters from A-Z0-9, so zones whose id does not start with Z are deleted and created again.
 */
async function privateZone(route53: Route53Client, name: string, vpcId: string): Promise<string> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const { HostedZone } = await route53.send(
      new CreateHostedZoneCommand({
        Name: name,
        CallerReference: `${name}-${attempt}`,
        VPC: { VPCId: vpcId, VPCRegion: REGION },
        HostedZoneConfig: { PrivateZone: true, Comment: `centralized endpoint ${name}` },
      }),
    );
    const id = required(HostedZone?.Id, 'hosted zone id').replace('/hostedzone/', '');
    if (id.startsWith('Z')) return id;
    await route53.send(new DeleteHostedZoneCommand({ Id: id }));
  }
  throw new MotoSeedError(`moto gave no zone id starting with Z for ${name}`);
}

/** Seeds the scenario in a freshly reset moto and returns the hub configuration built from moto's ids. */
export async function seedSameAccountScenario(endpoint: string): Promise<MotoScenario> {
  const { ec2, route53 } = motoTarget(endpoint).clients;

  // Hub: shared-services VPC, endpoint security groups, zones, endpoint service, TGW and its route tables.
  const hubVpcId = await vpc(ec2, HUB_DESTINATION, 'shared-services');
  const hubSubnet = await subnet(ec2, hubVpcId, '10.0.0.0/24', `${REGION}a`);
  const securityGroup = async (name: string) =>
    required(
      (
        await ec2.send(
          new CreateSecurityGroupCommand({
            GroupName: `endpoint-${name}`,
            Description: `endpoint ${name}`,
            VpcId: hubVpcId,
          }),
        )
      ).GroupId,
      'security group id',
    );
  const securityGroups = { ssm: await securityGroup('ssm'), sts: await securityGroup('sts') };
  const zones = {
    ssm: await privateZone(route53, ZONE_NAMES.ssm, hubVpcId),
    sts: await privateZone(route53, ZONE_NAMES.sts, hubVpcId),
  };
  const nlb = await query(endpoint, 'elasticloadbalancing', {
    Action: 'CreateLoadBalancer',
    Version: '2015-12-01',
    Name: 'payments-api',
    Type: 'network',
    Scheme: 'internal',
    'Subnets.member.1': hubSubnet,
  });
  const nlbArn = required(/<LoadBalancerArn>([^<]+)<\/LoadBalancerArn>/.exec(nlb)?.[1], 'load balancer ARN');
  const { ServiceConfiguration } = await ec2.send(
    new CreateVpcEndpointServiceConfigurationCommand({ NetworkLoadBalancerArns: [nlbArn], AcceptanceRequired: true }),
  );
  const serviceId = required(ServiceConfiguration?.ServiceId, 'endpoint service id');
  const { TransitGateway } = await ec2.send(
    new CreateTransitGatewayCommand({
      Description: 'spokelink hub',
      Options: {
        AutoAcceptSharedAttachments: 'disable',
        DefaultRouteTableAssociation: 'disable',
        DefaultRouteTablePropagation: 'disable',
      },
    }),
  );
  const transitGatewayId = required(TransitGateway?.TransitGatewayId, 'transit gateway id');
  const tgwTable = async (name: string) =>
    required(
      (
        await ec2.send(
          new CreateTransitGatewayRouteTableCommand({
            TransitGatewayId: transitGatewayId,
            TagSpecifications: [{ ResourceType: 'transit-gateway-route-table', Tags: tags({ Name: name }) }],
          }),
        )
      ).TransitGatewayRouteTable?.TransitGatewayRouteTableId,
      'TGW route table id',
    );
  const tables = { prod: await tgwTable('prod'), shared: await tgwTable('shared') };

  // The spoke execution role (moto's AssumeRole neither requires it nor evaluates its trust: see the test).
  await query(endpoint, 'iam', {
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: SPOKE_ROLE,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` },
          Action: 'sts:AssumeRole',
          Condition: {
            StringEquals: { 'sts:ExternalId': EXTERNAL_ID },
            ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${MOTO_ACCOUNT}:role/spokelink-*` },
          },
        },
      ],
    }),
  });

  // The registry table, as the CDK stack and the local runner create it.
  const dynamo = new DynamoDBClient({ region: REGION, endpoint, credentials: FUNCTIONS_CREDENTIALS, maxAttempts: 1 });
  await dynamo.send(new CreateTableCommand(registryTableDefinition(TABLE_NAME)));
  dynamo.destroy();

  // The spoke: same account, asks for prod with two endpoints and the endpoint service; subnets a and b on a private
  // table, c on the main one.
  const spokeVpcId = await vpc(ec2, SPOKE_CIDR, 'payments', {
    'spokelink:connect': 'true',
    'spokelink:segment': 'prod',
    'spokelink:services': SPOKE_SERVICES,
  });
  const subnetIds = [
    await subnet(ec2, spokeVpcId, '10.1.0.0/24', `${REGION}a`),
    await subnet(ec2, spokeVpcId, '10.1.1.0/24', `${REGION}b`),
    await subnet(ec2, spokeVpcId, '10.1.2.0/24', `${REGION}c`),
  ];
  const privateRouteTableId = required(
    (await ec2.send(new CreateRouteTableCommand({ VpcId: spokeVpcId }))).RouteTable?.RouteTableId,
    'route table id',
  );
  for (const subnetId of subnetIds.slice(0, 2)) {
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: privateRouteTableId, SubnetId: subnetId }));
  }
  const { RouteTables = [] } = await ec2.send(
    new DescribeRouteTablesCommand({
      Filters: [
        { Name: 'vpc-id', Values: [spokeVpcId] },
        { Name: 'association.main', Values: ['true'] },
      ],
    }),
  );
  const mainRouteTableId = required(RouteTables[0]?.RouteTableId, 'main route table id');

  const config = parseConfig(
    {
      version: 1,
      prefix: 'spokelink',
      hub: { accountId: MOTO_ACCOUNT, region: REGION, transitGatewayId, vpcId: hubVpcId },
      organization: { id: 'o-motoexample1', spokeOrganizationalUnits: ['r-moto'] },
      spokeRole: { name: SPOKE_ROLE, externalId: EXTERNAL_ID },
      segments: {
        prod: {
          associationRouteTableId: tables.prod,
          propagationRouteTableIds: [tables.shared],
          allowedAccounts: [MOTO_ACCOUNT],
        },
      },
      defaultSegment: 'prod',
      destinations: [{ cidr: HUB_DESTINATION, description: 'shared-services VPC' }],
      endpoints: {
        ssm: { privateHostedZoneIds: [zones.ssm], securityGroupId: securityGroups.ssm, ports: [443] },
        sts: { privateHostedZoneIds: [zones.sts], securityGroupId: securityGroups.sts, ports: [443] },
      },
      // moto has no DescribeVpcEndpointConnections/AcceptVpcEndpointConnections: see the test for the accepting case.
      endpointServices: { payments: { serviceId, acceptConnections: false } },
      registry: { tableName: TABLE_NAME },
    },
    'moto scenario configuration',
  );
  return {
    config,
    hubVpcId,
    transitGatewayId,
    tables,
    zones,
    securityGroups,
    serviceId,
    spoke: { vpcId: spokeVpcId, subnetIds, privateRouteTableId, mainRouteTableId },
  };
}
