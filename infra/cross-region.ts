import type { Endpoint, HubConfig } from '#shared/config';

/**
 * The facts of a regional hub's cross-region interface endpoints (README, "Multi-region"; functions/shared/
 * cross-region.ts), defined once for the hub stack (infra/constructs/cross-region-endpoints.ts) and the local runner,
 * which deploys them through the twin as the stack does (local/hub.ts). No aws-cdk-lib here: the local runner never
 * loads it.
 */

/** The hub's catalog entries of a service of another region, by name. */
export function crossRegionEntries(config: Pick<HubConfig, 'endpoints'>): [string, Endpoint][] {
  return Object.entries(config.endpoints).filter(([, entry]) => entry.serviceRegion !== undefined);
}

/**
 * The interface endpoint the hub stack creates for a cross-region entry: in the hub VPC's `subnets` with the entry's
 * security group, `ServiceRegion` the entry's, private DNS off (the catalog zone is what spokes resolve: its
 * `recordName` is an alias of the endpoint's Regional DNS name), tagged as spokelink's.
 */
export function crossRegionEndpointOf(
  config: Pick<HubConfig, 'hub'>,
  name: string,
  entry: Endpoint,
): {
  vpcId: string;
  serviceName: string;
  serviceRegion: string;
  subnetIds: string[];
  securityGroupIds: string[];
  privateDnsEnabled: false;
  tags: { key: string; value: string }[];
} {
  return {
    vpcId: config.hub.vpcId,
    serviceName: entry.serviceName!,
    serviceRegion: entry.serviceRegion!,
    subnetIds: entry.subnets!.map((s) => s.subnetId),
    securityGroupIds: [entry.securityGroupId],
    privateDnsEnabled: false,
    tags: [
      { key: 'spokelink:managed', value: 'true' },
      { key: 'spokelink:catalog', value: name },
    ],
  };
}

/**
 * The least the deploying principal of a regional hub needs for its cross-region endpoints (on top of what the rest
 * of the stack needs): `ec2:CreateVpcEndpoint` of exactly these services in their regions, and the permission-only
 * `vpce:AllowMultiRegion` on the endpoints it creates. Empty without cross-region entries.
 */
export function crossRegionDeployStatements(
  config: HubConfig,
  partition = 'aws',
): { Sid: string; Effect: 'Allow'; Action: string[]; Resource: string[]; Condition?: Record<string, unknown> }[] {
  const entries = crossRegionEntries(config);
  if (entries.length === 0) return [];
  const { accountId, region, vpcId } = config.hub;
  const ec2 = `arn:${partition}:ec2:${region}:${accountId}`;
  const endpoints = `${ec2}:vpc-endpoint/*`;
  const unique = (values: string[]) => [...new Set(values)].sort();
  return [
    {
      Sid: 'CreateCrossRegionEndpoints',
      Effect: 'Allow',
      Action: ['ec2:CreateVpcEndpoint'],
      Resource: [endpoints],
      Condition: {
        StringEquals: {
          'ec2:VpceServiceName': unique(entries.map(([, e]) => e.serviceName!)),
          'ec2:VpceServiceRegion': unique(entries.map(([, e]) => e.serviceRegion!)),
        },
      },
    },
    {
      Sid: 'CreateCrossRegionEndpointsInTheHubVpc',
      Effect: 'Allow',
      Action: ['ec2:CreateVpcEndpoint'],
      Resource: unique([
        `${ec2}:vpc/${vpcId}`,
        ...entries.flatMap(([, e]) => [
          `${ec2}:security-group/${e.securityGroupId}`,
          ...e.subnets!.map((s) => `${ec2}:subnet/${s.subnetId}`),
        ]),
      ]),
    },
    {
      Sid: 'TagCrossRegionEndpoints',
      Effect: 'Allow',
      Action: ['ec2:CreateTags'],
      Resource: [endpoints],
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint' } },
    },
    { Sid: 'AllowMultiRegion', Effect: 'Allow', Action: ['vpce:AllowMultiRegion'], Resource: [endpoints] },
  ];
}
