import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The Plan: what onboarding one VPC will create, computed by ValidateAndPlan before anything changes and passed to
 * every later state (it is the task output of ValidateAndPlan, so the execution history shows it). Later steps act
 * only on the plan, never on the event's tags, so a plan is the single statement of intent of an execution.
 */

const ZonePlan = z.object({
  /** Endpoint catalog name the zone belongs to. */
  endpoint: z.string(),
  zoneId: z.string(),
  /** Zone name without the trailing dot (`ssm.us-east-1.amazonaws.com`). */
  zoneName: z.string(),
});

const SecurityGroupRulePlan = z.object({
  endpoint: z.string(),
  groupId: z.string(),
  cidr: z.string(),
  port: z.number().int(),
  /** `ruleDescription(vpcId, accountId)`: how offboarding finds exactly this rule. */
  description: z.string(),
});

/**
 * The lease an execution holds on the VPC (docs/lifecycle.md, "Leases and fencing"): the holder's execution ARN and
 * the lease token, a number that grows with every acquisition of the VPC's lease. Every registry write of a step is
 * conditioned on it (a record written under a newer token refuses older ones) and every step renews the lease first.
 */
export const LeaseFenceSchema = z.object({
  vpcId: z.string(),
  owner: z.string(),
  token: z.number().int().min(1),
});
export type LeaseFence = z.infer<typeof LeaseFenceSchema>;

const EndpointServicePlan = z.object({
  /** Catalog name (`endpointServices` key); absent in plans made before services were scoped. */
  name: z.string().optional(),
  serviceId: z.string(),
  acceptConnections: z.boolean(),
});

const SubnetPlan = z.object({
  subnetId: z.string(),
  availabilityZone: z.string(),
  cidr: z.string(),
  /** The subnet's IPv6 CIDR, if it has one (an attachment with IPv6 support needs one in each of its subnets). */
  ipv6Cidr: z.string().optional(),
});

/**
 * A CIDR of a member VPC that no longer validates (a block the tenant added that overlaps another VPC's claim or a
 * hub destination): never claimed, routed or admitted. The VPC's status is `quarantined` while it has one.
 */
const QuarantinedCidr = z.object({
  cidr: z.string(),
  /** What it overlaps: `10.9.0.0/16 of vpc-... (account ...)` or `the hub destination 10.0.0.0/16`. */
  overlaps: z.string(),
  /**
   * Why it is quarantined when it overlaps nothing: an IPv6 block the attachment cannot carry (`not carried: ...`).
   * The detail then names this reason instead of an overlap.
   */
  reason: z.string().optional(),
});

/** A catalog endpoint the VPC serves itself, and with what (a zone id, or an endpoint id). */
export const SelfServedSchema = z.object({
  endpoint: z.string(),
  by: z.enum(['zone', 'endpoint']),
  id: z.string(),
});
export type SelfServed = z.infer<typeof SelfServedSchema>;

export const PlanSchema = z.object({
  vpcId: z.string(),
  accountId: z.string(),
  region: z.string(),
  /** True when the account is outside the organization (RAM invitations are accepted by the spoke role). */
  externalAccount: z.boolean(),
  segment: z.string(),
  /**
   * The endpoint shard of the segment the VPC is assigned to (functions/shared/shards.ts): `zones`, `profile` and
   * `securityGroupRules` are that shard's. Absent: the segment declares no shards.
   */
  shard: z.string().optional(),
  /** Catalog names (endpoints and endpoint services) the VPC asked for and may use, sorted. */
  services: z.array(z.string()),
  /**
   * The catalog endpoints among `services` served by an interface endpoint in the VPC itself (placement `spoke`,
   * README "Placement"), sorted: no hub zone association and no hub security group rule for them. Absent: none.
   */
  localServices: z.array(z.string()).optional(),
  /**
   * The catalog endpoints among `services` the VPC already serves itself (its own zone of the name, or its own
   * endpoint with private DNS; functions/validate/self-served.ts), sorted: skipped (no hub zone, no hub rule, no
   * spokelink endpoint) and reported. Absent: none.
   */
  selfServed: z.array(SelfServedSchema).optional(),
  /**
   * The VPC's associated CIDR blocks that validate, IPv4 then IPv6, sorted: the only ones claimed, routed and
   * admitted.
   */
  cidrs: z.array(z.string()),
  /**
   * The attachment carries IPv6 (`Options.Ipv6Support: enable`): `cidrs` has an IPv6 block and every attachment
   * subnet an IPv6 CIDR. Absent: false (plans made before IPv6 support).
   */
  ipv6Support: z.boolean().optional(),
  /** The member's blocks that do not validate (absent or empty: none). */
  quarantine: z.array(QuarantinedCidr).optional(),
  transitGatewayId: z.string(),
  /** RAM share of the TGW, by name (`<prefix>-tgw`). */
  shareName: z.string(),
  /** `Name` tag of the attachment. */
  attachmentName: z.string(),
  /** How the attachment subnets were chosen: tagged `spokelink:attach=true`, or one per AZ by lowest CIDR. */
  subnetSelection: z.enum(['tagged', 'one-per-az']),
  attachmentSubnets: z.array(SubnetPlan),
  attachmentSubnetIds: z.array(z.string()),
  /** Route tables of all the VPC's subnets (explicit association, else the main table), sorted. */
  routeTableIds: z.array(z.string()),
  /** Hub destination CIDRs routed through the TGW. */
  destinations: z.array(z.string()),
  associationRouteTableId: z.string(),
  propagationRouteTableIds: z.array(z.string()),
  /** Zones to associate with the VPC directly (DNS mode `zones`; empty in `profile` mode). */
  zones: z.array(ZonePlan),
  /**
   * DNS mode `profile`: the hub's Route 53 Profile the VPC's account associates with the VPC (it holds the catalog's
   * zones). Absent in `zones` mode.
   */
  profile: z.object({ profileId: z.string(), associationName: z.string() }).optional(),
  /**
   * DNS mode `profile` with `dns.existingProfile: "associate-zones"`: the VPC has its account's own Route 53 Profile
   * (read at validation), so `zones` are associated directly instead of `profile` (they take precedence over that
   * Profile's zones of the same name); that Profile is left alone. Recorded as the record's `existingProfileId`.
   */
  existingProfile: z.object({ profileId: z.string() }).optional(),
  securityGroupRules: z.array(SecurityGroupRulePlan),
  /** The endpoint services among `services`: the account's principal is allowed on these, their connections accepted. */
  endpointServices: z.array(EndpointServicePlan),
  /** `arn:aws:iam::<account>:root`: the principal added to endpoint services. */
  principal: z.string(),
  /** The lease under which the plan was made (ValidateAndPlan runs under it); absent in plans made without one. */
  fence: LeaseFenceSchema.optional(),
});

export type Plan = z.infer<typeof PlanSchema>;
export type ZonePlan = z.infer<typeof ZonePlan>;
export type SecurityGroupRulePlan = z.infer<typeof SecurityGroupRulePlan>;
export type SubnetPlan = z.infer<typeof SubnetPlan>;
export type EndpointServicePlan = z.infer<typeof EndpointServicePlan>;
export type QuarantinedCidr = z.infer<typeof QuarantinedCidr>;

/**
 * The digest of what a request asks for: segment, services, CIDRs and local services (sorted). An approval is bound to it: an approval
 * given for one digest never lets a request with another one go on (docs/lifecycle.md, "Approvals").
 */
export function requestDigest(request: Pick<Plan, 'segment' | 'services' | 'cidrs' | 'localServices'>): string {
  const local = [...(request.localServices ?? [])].sort();
  // Without local services the digest is the one of plans made before placements (approvals pending across an
  // upgrade stay valid); with them, an approval for hub placement never covers a request for spoke placement.
  const canonical = JSON.stringify([
    request.segment,
    [...request.services].sort(),
    [...request.cidrs].sort(),
    ...(local.length > 0 ? [local] : []),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
