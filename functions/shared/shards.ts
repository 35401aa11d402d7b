import { type HubConfig, hubProfileName } from './config';
import type { Plan } from './plan';
import { groupKey, QUOTAS, type QuotaId } from './quotas';

/**
 * Endpoint shards (`segments.<name>.shards`, README "Capacity planning"). One interface endpoint admits at most
 * `rules per security group x security groups per network interface <= 1,000` inbound rules per family, one private
 * hosted zone 300 VPCs by default, one Route 53 Profile 1,000 VPCs by default (functions/shared/quotas.ts): past that,
 * a segment is served by several shards, each a complete copy of its hub endpoints (their security groups and zones)
 * or, in profile mode, a whole Profile. ValidateAndPlan assigns each VPC to the least loaded shard that has room for
 * it (ties: the first in configuration order) and keeps it there; BeginOnboarding takes the VPC's slot in the shard's
 * counter (registry/shards.ts) with a conditional write, so that two onboardings never overfill a shard.
 *
 * A segment that declares no shards is served by the catalog's endpoints: one implicit shard, never counted (what
 * spokelink did before shards).
 */

/** The resources one catalog endpoint has in a shard. */
export interface ShardEndpointResources {
  securityGroupId: string;
  privateHostedZoneIds: string[];
}

export interface ResolvedShard {
  /** The shard's configured name; undefined for the implicit shard (the catalog's endpoints). */
  name: string | undefined;
  /** Per catalog endpoint name, the shard's security group and zones. */
  endpoints: Record<string, ShardEndpointResources>;
  /** Profile mode: the name of the shard's Profile (the hub's Profile for the implicit shard). */
  profileName: string;
}

/** Whether the segment declares shards (its VPCs are then assigned and counted). */
export function isSharded(config: Pick<HubConfig, 'segments'>, segment: string): boolean {
  return (config.segments[segment]?.shards?.length ?? 0) > 0;
}

/** The shards of a segment in configuration order: the declared ones, or the implicit one. */
export function shardsOf(config: HubConfig, segment: string): ResolvedShard[] {
  const declared = config.segments[segment]?.shards ?? [];
  if (declared.length === 0) {
    return [
      {
        name: undefined,
        endpoints: Object.fromEntries(
          Object.entries(config.endpoints).map(([n, e]) => [
            n,
            { securityGroupId: e.securityGroupId, privateHostedZoneIds: e.privateHostedZoneIds },
          ]),
        ),
        profileName: hubProfileName(config),
      },
    ];
  }
  return declared.map((s) => ({ name: s.name, endpoints: s.endpoints, profileName: s.profileName ?? '' }));
}

/**
 * The shard a VPC of `segment` recorded as `shard` is served by: that declared shard, or the implicit one when the
 * segment declares none. Undefined when the segment declares shards and `shard` is none of them (never assigned, or
 * a shard the configuration no longer has).
 */
export function shardNamed(config: HubConfig, segment: string, shard: string | undefined): ResolvedShard | undefined {
  const shards = shardsOf(config, segment);
  if (!isSharded(config, segment)) return shards[0];
  return shards.find((s) => s.name === shard);
}

/**
 * The security group and zones of a catalog endpoint for a VPC of `segment` in `shard` (the catalog's own for the
 * implicit shard, and for an endpoint the shard does not list, which configuration validation allows only for
 * endpoints the segment does not use from the hub).
 */
export function endpointResourcesOf(
  config: HubConfig,
  segment: string,
  shard: string | undefined,
  endpoint: string,
): ShardEndpointResources {
  const own = shardNamed(config, segment, shard)?.endpoints[endpoint];
  const catalog = config.endpoints[endpoint]!;
  return own ?? { securityGroupId: catalog.securityGroupId, privateHostedZoneIds: catalog.privateHostedZoneIds };
}

/**
 * Every zone an endpoint has anywhere: the catalog's and every shard's (where a VPC's leftover association
 * authorization can be; deleting one the VPC does not have is never attempted, each zone is listed first).
 */
export function zonesOfEndpointAnywhere(config: HubConfig, endpoint: string): string[] {
  const catalog = config.endpoints[endpoint]?.privateHostedZoneIds ?? [];
  const sharded = Object.values(config.segments).flatMap((s) =>
    (s.shards ?? []).flatMap((shard) => shard.endpoints[endpoint]?.privateHostedZoneIds ?? []),
  );
  return [...new Set([...catalog, ...sharded])];
}

/** Every security group and zone of every declared shard, and their Profiles (the hub stack's and the grants'). */
export function shardResources(config: HubConfig): { groups: string[]; zones: string[]; profiles: string[] } {
  const shards = Object.values(config.segments).flatMap((s) => s.shards ?? []);
  const endpoints = shards.flatMap((s) => Object.values(s.endpoints));
  return {
    groups: [...new Set(endpoints.map((e) => e.securityGroupId))].sort(),
    zones: [...new Set(endpoints.flatMap((e) => e.privateHostedZoneIds))].sort(),
    profiles: shards.flatMap((s) => (s.profileName ? [s.profileName] : [])).sort(),
  };
}

/** What one VPC holds in its shard: rules per group and family (`sg-...`, `sg-... IPv6`), zones, a Profile. */
export interface ShardUse {
  rules: Record<string, number>;
  zones: string[];
  profile: boolean;
}

/** What a plan takes in its shard. */
export function shardUseOf(plan: {
  securityGroupRules: readonly Pick<Plan['securityGroupRules'][number], 'groupId' | 'cidr'>[];
  zones: readonly { zoneId: string }[];
  profile?: unknown;
}): ShardUse {
  const rules: Record<string, number> = {};
  for (const rule of plan.securityGroupRules) {
    const key = groupKey(rule.groupId, rule.cidr);
    rules[key] = (rules[key] ?? 0) + 1;
  }
  return { rules, zones: [...new Set(plan.zones.map((z) => z.zoneId))].sort(), profile: plan.profile !== undefined };
}

/** The per-shard limits in force: AWS's defaults, or the raised quotas of `capacity.raisedQuotas`. */
export function shardLimits(config: Pick<HubConfig, 'capacity'>) {
  const raised = config.capacity.raisedQuotas;
  return {
    // One group per endpoint interface: the interface admits what its group admits, within rules x groups <= 1,000.
    rules: Math.min(
      raised.rulesPerSecurityGroup ?? QUOTAS.rulesPerSecurityGroup.value,
      QUOTAS.rulesPerNetworkInterface.value,
    ),
    zoneVpcs: raised.vpcsPerHostedZone ?? QUOTAS.vpcsPerHostedZone.value,
    profileVpcs: raised.vpcsPerProfile ?? QUOTAS.vpcsPerProfile.value,
  };
}

/** A shard's load: its members' uses (by VPC id). */
export type ShardMembers = Record<string, ShardUse>;

/** What the shard's members other than `vpcId` hold, summed. */
function heldBy(members: ShardMembers, vpcId: string) {
  const rules = new Map<string, number>();
  const zones = new Map<string, number>();
  let profile = 0;
  for (const [member, use] of Object.entries(members)) {
    if (member === vpcId) continue;
    for (const [key, n] of Object.entries(use.rules)) rules.set(key, (rules.get(key) ?? 0) + n);
    for (const zone of use.zones) zones.set(zone, (zones.get(zone) ?? 0) + 1);
    if (use.profile) profile += 1;
  }
  return { rules, zones, profile };
}

/** Why a shard has no room for a VPC: the quota it would exceed (its id, for the detail and the tests). */
export interface ShardOverrun {
  quota: QuotaId;
  text: string;
}

/**
 * The first quota the VPC's use would take the shard over (the VPC's own slot, if it holds one, is replaced), or
 * undefined when the VPC fits.
 */
export function shardOverrun(
  config: Pick<HubConfig, 'capacity'>,
  members: ShardMembers,
  vpcId: string,
  use: ShardUse,
): ShardOverrun | undefined {
  const limits = shardLimits(config);
  const held = heldBy(members, vpcId);
  for (const [key, n] of Object.entries(use.rules).sort(([a], [b]) => a.localeCompare(b))) {
    const used = held.rules.get(key) ?? 0;
    if (used + n > limits.rules) {
      return {
        quota: 'rulesPerSecurityGroup',
        text: `${QUOTAS.rulesPerSecurityGroup.name} on ${key}: ${used} + ${n} > ${limits.rules}`,
      };
    }
  }
  for (const zone of use.zones) {
    const used = held.zones.get(zone) ?? 0;
    if (used + 1 > limits.zoneVpcs) {
      return {
        quota: 'vpcsPerHostedZone',
        text: `${QUOTAS.vpcsPerHostedZone.name} on ${zone}: ${used} + 1 > ${limits.zoneVpcs}`,
      };
    }
  }
  if (use.profile && held.profile + 1 > limits.profileVpcs) {
    return {
      quota: 'vpcsPerProfile',
      text: `${QUOTAS.vpcsPerProfile.name}: ${held.profile} + 1 > ${limits.profileVpcs}`,
    };
  }
  return undefined;
}

/** The number of VPCs a shard serves, the VPC itself left out (least loaded = fewest). */
export const loadOf = (members: ShardMembers, vpcId: string) => Object.keys(members).filter((m) => m !== vpcId).length;
