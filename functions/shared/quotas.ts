import { isIpv6Cidr } from './cidr';

/**
 * The AWS quotas a hub's capacity depends on, with AWS's default values and the page that states each: the product's
 * own table (the twin keeps its own defaults and imports nothing from the product; test/preflight/quotas.test.ts
 * checks the two agree). `spokelink preflight --config` (cli/preflight/capacity.ts) measures a hub and a wave against
 * them; the reconcile publishes the hub's headroom against them (headroom.ts).
 */

export interface QuotaDefinition {
  /** What AWS calls it. */
  name: string;
  /** AWS's default value. */
  value: number;
  /** Whether Service Quotas can raise it (and to what, when AWS states a ceiling). */
  adjustable: boolean | { upTo: number };
  /** The page that states it. */
  page: string;
}

const TGW_QUOTAS = 'https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html';
const VPC_QUOTAS = 'https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups';
const ROUTE53_ZONE_QUOTAS =
  'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-hosted-zones';
const ROUTE53_PROFILE_QUOTAS =
  'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-profiles';

export const QUOTAS = {
  /** Counts every attachment: VPCs, the hub's own, peering, VPN, Connect. */
  attachmentsPerTransitGateway: {
    name: 'Attachments per transit gateway',
    value: 5_000,
    adjustable: false,
    page: TGW_QUOTAS,
  },
  /** Static and propagated routes of all the TGW's route tables together. */
  routesPerTransitGateway: {
    name: 'Routes per transit gateway (all route tables combined)',
    value: 10_000,
    adjustable: false,
    page: TGW_QUOTAS,
  },
  /** Per family: IPv4 and IPv6 rules are counted separately. */
  rulesPerSecurityGroup: {
    name: 'Inbound rules per security group',
    value: 60,
    adjustable: { upTo: 1_000 },
    page: VPC_QUOTAS,
  },
  securityGroupsPerNetworkInterface: {
    name: 'Security groups per network interface',
    value: 5,
    adjustable: { upTo: 16 },
    page: VPC_QUOTAS,
  },
  /** Rules per security group x security groups per network interface, per family. */
  rulesPerNetworkInterface: {
    name: 'Inbound rules per network interface (rules per group x groups per interface)',
    value: 1_000,
    adjustable: false,
    page: VPC_QUOTAS,
  },
  vpcsPerHostedZone: {
    name: 'VPCs associated with a private hosted zone',
    value: 300,
    adjustable: true,
    page: ROUTE53_ZONE_QUOTAS,
  },
  authorizationsPerHostedZone: {
    name: 'VPC association authorizations per private hosted zone',
    value: 100,
    adjustable: false,
    page: ROUTE53_ZONE_QUOTAS,
  },
  vpcsPerProfile: {
    name: 'VPC associations per Route 53 Profile',
    value: 1_000,
    adjustable: true,
    page: ROUTE53_PROFILE_QUOTAS,
  },
  profilesPerAccount: {
    name: 'Route 53 Profiles per account and Region',
    value: 5,
    adjustable: true,
    page: ROUTE53_PROFILE_QUOTAS,
  },
} as const satisfies Record<string, QuotaDefinition>;

export type QuotaId = keyof typeof QUOTAS;

/**
 * The key a security group rule counts against: its group's IPv4 rules, or its IPv6 rules (`<group> IPv6`): AWS
 * counts the two families separately (rulesPerSecurityGroup).
 */
export const groupKey = (groupId: string, cidr: string) => (isIpv6Cidr(cidr) ? `${groupId} IPv6` : groupId);
