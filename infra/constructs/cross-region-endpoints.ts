import { CfnOutput, Fn } from 'aws-cdk-lib';
import { CfnVPCEndpoint } from 'aws-cdk-lib/aws-ec2';
import { CfnRecordSet } from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import type { HubConfig } from '#shared/config';
import { crossRegionEndpointOf, crossRegionEntries } from '../cross-region';

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
 * and no SCP may deny it: `crossRegionDeployStatements` (../cross-region.ts) is the least it needs (docs/deploy.md,
 * "Several regions").
 */
export class CrossRegionEndpoints extends Construct {
  /** The endpoints, by catalog name. */
  readonly endpoints: Readonly<Record<string, CfnVPCEndpoint>>;

  constructor(scope: Construct, id: string, config: HubConfig) {
    super(scope, id);
    const endpoints: Record<string, CfnVPCEndpoint> = {};
    for (const [name, entry] of crossRegionEntries(config)) {
      const spec = crossRegionEndpointOf(config, name, entry);
      const endpoint = new CfnVPCEndpoint(this, `${name}-endpoint`, {
        vpcId: spec.vpcId,
        vpcEndpointType: 'Interface',
        serviceName: spec.serviceName,
        serviceRegion: spec.serviceRegion,
        subnetIds: spec.subnetIds,
        securityGroupIds: spec.securityGroupIds,
        privateDnsEnabled: spec.privateDnsEnabled,
        tags: spec.tags,
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
