import { CfnOutput, Fn } from 'aws-cdk-lib';
import { CfnVPCEndpoint } from 'aws-cdk-lib/aws-ec2';
import { CfnRecordSet } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { Endpoint, HubConfig } from '#shared/config';

/**
 * The hub's cross-region interface endpoints (README, "Multi-region"; functions/shared/cross-region.ts): one per
 * catalog entry of a service of another region (`serviceRegion`), created in the hub VPC's `subnets` with the entry's
 * security group, as `AWS::EC2::VPCEndpoint` with `ServiceRegion`. Its zone answers `recordName` with the endpoint's
 * Regional DNS name (an alias A record; AWS gives a cross-region endpoint no zonal names): spokes reach it through the
 * TGW like any hub entry, the zone associated with them (zones mode) or held by the hub's Profile (profile mode, like
 * every catalog zone). Private DNS stays off: the catalog zone is what spokes resolve.
 *
 * The principal that deploys the stack (the CloudFormation execution role) needs `vpce:AllowMultiRegion` besides
 * `ec2:CreateVpcEndpoint` (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsprivatelink.html),
 * and no SCP may deny it: `crossRegionDeployStatements` is the least it needs (docs/deploy.md, "Several regions").
 */
export class CrossRegionEndpoints extends Construct {
  /** The endpoints, by catalog name. */
  readonly endpoints: Readonly<Record<string, CfnVPCEndpoint>>;

  constructor(scope: Construct, id: string, config: HubConfig) {
    super(scope, id);
    const endpoints: Record<string, CfnVPCEndpoint> = {};
    for (const [name, entry] of crossRegionEntries(config)) {
      const endpoint = new CfnVPCEndpoint(this, `${name}-endpoint`, {
        vpcId: config.hub.vpcId,
        vpcEndpointType: 'Interface',
        serviceName: entry.serviceName!,
        serviceRegion: entry.serviceRegion,
        subnetIds: entry.subnets!.map((s) => s.subnetId),
        securityGroupIds: [entry.securityGroupId],
        privateDnsEnabled: false,
        tags: [
          { key: 'spokelink:managed', value: 'true' },
          { key: 'spokelink:catalog', value: name },
        ],
      });
      // DnsEntries are "<hosted zone id>:<DNS name>"; a cross-region endpoint's first (and only AWS-made) one is its
      // Regional name.
      const regional = Fn.split(':', Fn.select(0, endpoint.attrDnsEntries));
      new CfnRecordSet(this, `${name}-record`, {
        hostedZoneId: entry.privateHostedZoneIds[0]!,
        name: entry.recordName!,
        type: 'A',
        aliasTarget: {
          hostedZoneId: Fn.select(0, regional),
          dnsName: Fn.select(1, regional),
          evaluateTargetHealth: false,
        },
      });
      new CfnOutput(this, `${name}-endpoint-id`, {
        value: endpoint.ref,
        description: `cross-region endpoint of ${name} (${entry.serviceName} in ${entry.serviceRegion})`,
      });
      endpoints[name] = endpoint;
    }
    this.endpoints = endpoints;
  }
}

/** The hub's catalog entries of a service of another region, by name. */
export function crossRegionEntries(config: Pick<HubConfig, 'endpoints'>): [string, Endpoint][] {
  return Object.entries(config.endpoints).filter(([, entry]) => entry.serviceRegion !== undefined);
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
