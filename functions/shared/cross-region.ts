/**
 * Cross-region PrivateLink (README, "Multi-region"): a hub's interface endpoint to a service offered in another
 * region (`ServiceRegion` on CreateVpcEndpoint), and what AWS requires of it. Each fact is AWS's, with its page:
 *
 * - endpoint services (November 2024): the provider lists the consumer regions in `SupportedRegions`
 *   (https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#manage-supported-regions);
 *   provider and consumer are in the same partition, the consumer's endpoint gets Regional DNS names only (no zonal
 *   names), and AWS does not place cross-region endpoints in some Availability Zone ids
 *   (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html#endpoint-service-cross-region);
 * - AWS services (November 2025): only the services listed on
 *   https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html;
 * - IAM: the principal creating the endpoint needs the permission-only action `vpce:AllowMultiRegion`
 *   (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsprivatelink.html), besides
 *   `ec2:CreateVpcEndpoint` (whose `ec2:VpceServiceRegion` and `ec2:VpceMultiRegion` keys describe the request).
 */

/** The Availability Zone ids where AWS creates no cross-region interface endpoint (privatelink-share-your-services). */
export const CROSS_REGION_EXCLUDED_AZ_IDS: readonly string[] = Object.freeze([
  'use1-az3',
  'usw1-az2',
  'apne1-az3',
  'apne2-az2',
  'apne2-az4',
]);

/**
 * The regional AWS services that accept a cross-region interface endpoint, by the service part of their name
 * (`com.amazonaws.<region>.<service>`; aws-services-cross-region-privatelink-support). IAM and Route 53 are listed
 * there too, under global names (`com.amazonaws.iam`) that name no region.
 */
export const CROSS_REGION_AWS_SERVICES: readonly string[] = Object.freeze([
  's3',
  'ecr.api',
  'ecr.dkr',
  'kms',
  'kms-fips',
  'ecs',
  'lambda',
  'kinesis-firehose',
  'kinesisanalytics',
  'kinesisanalytics-fips',
]);

/** The partition of a region (`aws`, `aws-cn`, `aws-us-gov`, `aws-iso*`): cross-region PrivateLink stays in one. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  const iso = /^[a-z]{2}-(iso[a-z]?)-/.exec(region);
  return iso ? `aws-${iso[1]}` : 'aws';
}

/**
 * What a service name says about the service: an endpoint service (`com.amazonaws.vpce.<region>.vpce-svc-...`) or an
 * AWS service (`com.amazonaws.<region>.<service>`), with its region; undefined for a name of neither form.
 */
export function parseServiceName(
  serviceName: string,
): { kind: 'endpoint-service' | 'aws-service'; region: string; service: string } | undefined {
  const endpointService = /^com\.amazonaws\.vpce\.([a-z0-9-]+)\.(vpce-svc-[0-9a-f]+)$/.exec(serviceName);
  if (endpointService) return { kind: 'endpoint-service', region: endpointService[1]!, service: endpointService[2]! };
  const aws = /^com\.amazonaws\.([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)\.(.+)$/.exec(serviceName);
  return aws ? { kind: 'aws-service', region: aws[1]!, service: aws[2]! } : undefined;
}
