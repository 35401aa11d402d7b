import { isIpv6Cidr } from '#shared/cidr';
import { type HubConfig, hubProfileName } from '#shared/config';
import {
  bump,
  catalogGroups,
  catalogZones,
  emptyUsage,
  groupKey,
  type HubUsage,
  limitOf,
  nested,
} from '#shared/headroom';
import { QUOTAS, type QuotaId } from '#shared/quotas';
import { isSharded } from '#shared/shards';
import type { World } from '#twin/world';
import type { Finding, PreflightCheck } from './checks';
import { endpointShards } from './shards';

/**
 * Capacity preflight (`spokelink preflight --config FILE [--world FILE | --local] [--add N]`), offline: what the hub
 * uses of each quota a migration day meets (from a world file, or the registry of a saved local run), what one more
 * VPC of the wave takes, and so how many more VPCs each quota admits. The quota that admits the fewest is the one the
 * wave hits first; the wave fits when every quota admits it.
 *
 * A wave VPC is assumed to be: of `segment`, asking for every endpoint the segment may use (`spokelink:services=*`),
 * with one IPv4 CIDR, allocated inside the segment's aggregated ingress supernet when it declares one; `accounts`
 * accounts share the wave evenly (the per-account budgets).
 */

export interface Wave {
  /** VPCs to add. */
  add: number;
  segment: string;
  /** Accounts the wave's VPCs spread over (evenly). */
  accounts: number;
}

/** The capacity of one quota (a Finding's `capacity`). */
export interface QuotaCapacity {
  quota: QuotaId;
  /** AWS's name of the quota and its page. */
  name: string;
  page: string;
  /** The resource it is counted on (`tgw-...`, `sg-... IPv6`, a zone), or the account for a budget. */
  on: string;
  limit: number;
  used: number;
  /** What one wave VPC adds (0: the wave does not use it). */
  perVpc: number;
  /** More VPCs it admits (null: unlimited by the wave). */
  headroomVpcs: number | null;
}

export interface CapacityContext {
  config: HubConfig;
  usage: HubUsage;
  wave: Wave;
}

/**
 * Usage from a world file (the twin's format: what an account holds). Attachments (the world's VPC attachments, and
 * the configured peers' peering attachments, which a world does not list: emptyUsage) and TGW routes are counted as AWS
 * counts them (routes: each attachment's blocks in each table it propagates to or is routed from; the world states
 * attachments, not routes); rules by their group and family, and by account from spokelink's description
 * (`spokelink <vpc> <account>`); zone associations by the VPC's owner.
 */
export function usageFromWorld(config: HubConfig, world: World, source: string): HubUsage {
  const usage = emptyUsage(config, source);
  const vpcs = new Map((world.ec2?.vpcs ?? []).map((v) => [v.id, v]));
  for (const attachment of world.ec2?.transitGatewayAttachments ?? []) {
    if (attachment.transitGatewayId !== config.hub.transitGatewayId) continue;
    if (attachment.state === 'failed' || attachment.state === 'rejected') continue;
    usage.attachments += 1;
    const owner = vpcs.get(attachment.vpcId)?.ownerId;
    if (owner && owner !== config.hub.accountId) bump(usage.accountAttachments, owner);
    const blocks = vpcs.get(attachment.vpcId)?.cidrBlocks.length ?? 1;
    usage.tgwRoutes += blocks * attachment.propagationRouteTableIds.length;
  }
  const groups = catalogGroups(config);
  for (const vpc of vpcs.values()) {
    for (const group of vpc.securityGroups) {
      if (!groups.has(group.id)) continue;
      for (const rule of group.ingress) {
        bump(usage.rules, groupKey(group.id, rule.cidr));
        const [tag, , account] = (rule.description ?? '').split(' ');
        if (tag === 'spokelink' && account && /^\d{12}$/.test(account)) {
          bump(nested(usage.accountRules, account), groupKey(group.id, rule.cidr));
        }
      }
    }
  }
  const zones = catalogZones(config);
  for (const zone of world.route53?.zones ?? []) {
    if (!zones.has(zone.id)) continue;
    usage.zoneVpcs.set(zone.id, zone.vpcs.length);
    usage.zoneAuthorizations.set(zone.id, zone.authorizations.length);
    if (zone.maxVpcs !== undefined) usage.zoneLimits.set(zone.id, zone.maxVpcs);
    for (const ref of zone.vpcs) {
      const owner = vpcs.get(ref.vpcId)?.ownerId;
      if (owner && owner !== config.hub.accountId) bump(nested(usage.accountZones, owner), zone.id);
    }
  }
  usage.hubProfiles = (world.route53profiles?.profiles ?? []).filter(
    (p) => p.ownerId === config.hub.accountId && p.region === config.hub.region,
  ).length;
  const raised = world.ec2?.quotas ?? {};
  if (raised.rulesPerSecurityGroup !== undefined) usage.raised.rulesPerSecurityGroup = raised.rulesPerSecurityGroup;
  return usage;
}

/**
 * The catalog endpoints a segment's VPCs use: those it may use, none when it declares endpoint shards (its VPCs use
 * the shards' groups and zones: the endpoint-shards check, ./shards.ts).
 */
function endpointsOfSegment(config: HubConfig, segment: string) {
  if (isSharded(config, segment)) return [];
  return Object.entries(config.endpoints).filter(([, e]) => e.segments === undefined || e.segments.includes(segment));
}

/**
 * Rules one wave VPC (one IPv4 block) adds per endpoint group: one per distinct port of the endpoints sharing the
 * group, none when the segment declares an IPv4 aggregated ingress supernet (the wave is allocated inside it).
 */
function rulesPerWaveVpc(config: HubConfig, segment: string): Map<string, number> {
  const covered = (config.segments[segment]?.aggregatedIngress ?? []).some((s) => !isIpv6Cidr(s));
  const ports = new Map<string, Set<number>>();
  for (const [, endpoint] of endpointsOfSegment(config, segment)) {
    const set = ports.get(endpoint.securityGroupId) ?? new Set<number>();
    for (const port of endpoint.ports) set.add(port);
    ports.set(endpoint.securityGroupId, set);
  }
  return new Map([...ports].map(([group, set]) => [group, covered ? 0 : set.size]));
}

const headroom = (limit: number, used: number, perVpc: number) =>
  perVpc === 0 ? null : Math.max(0, Math.floor((limit - used) / perVpc));

function capacity(quota: QuotaId, on: string, limit: number, used: number, perVpc: number): QuotaCapacity {
  return {
    quota,
    name: QUOTAS[quota].name,
    page: QUOTAS[quota].page,
    on,
    limit,
    used,
    perVpc,
    headroomVpcs: headroom(limit, used, perVpc),
  };
}

/** A capacity Finding: ok when the wave fits in every capacity listed (and `alsoOk`). */
function finding(wave: Wave, capacities: QuotaCapacity[], detail: string, alsoOk = true) {
  const tight = capacities.filter((c) => c.headroomVpcs !== null && c.headroomVpcs < wave.add);
  const over = capacities.filter((c) => c.used > c.limit);
  return {
    ok: alsoOk && tight.length === 0 && over.length === 0,
    detail,
    missing: [...over, ...tight].map(
      (c) =>
        `${c.on}: ${c.name} ${c.used}/${c.limit}` +
        (c.headroomVpcs === null ? '' : `, room for ${c.headroomVpcs} more VPC(s), the wave needs ${wave.add}`) +
        ` (${c.page})`,
    ),
    capacity: capacities,
  };
}

const fmt = (c: QuotaCapacity) =>
  `${c.used}/${c.limit}${c.headroomVpcs === null ? '' : `, room for ${c.headroomVpcs}`}`;
/** The capacity that admits the fewest VPCs (the tightest) among some. */
const tightest = (capacities: QuotaCapacity[]) =>
  capacities
    .filter((c) => c.headroomVpcs !== null)
    .sort((a, b) => (a.headroomVpcs ?? 0) - (b.headroomVpcs ?? 0) || a.on.localeCompare(b.on))[0];

export type CapacityCheck = PreflightCheck<CapacityContext>;

const attachments: CapacityCheck = {
  id: 'tgw-attachments',
  async run({ config, usage, wave }) {
    const c = capacity(
      'attachmentsPerTransitGateway',
      config.hub.transitGatewayId,
      limitOf(usage, 'attachmentsPerTransitGateway'),
      usage.attachments,
      1,
    );
    const peering = usage.peeringAttachments;
    return finding(
      wave,
      [c],
      `${config.hub.transitGatewayId}: ${fmt(c)} (one attachment per VPC; ` +
        `${peering} peering attachment(s) of the configured peers counted)`,
    );
  },
};

const tgwRoutes: CapacityCheck = {
  id: 'tgw-routes',
  async run({ config, usage, wave }) {
    const tables = config.segments[wave.segment]?.propagationRouteTableIds.length ?? 0;
    const c = capacity(
      'routesPerTransitGateway',
      config.hub.transitGatewayId,
      limitOf(usage, 'routesPerTransitGateway'),
      usage.tgwRoutes,
      tables,
    );
    return finding(wave, [c], `all route tables combined: ${fmt(c)} (${tables} static route(s) per VPC block)`);
  },
};

const securityGroupRules: CapacityCheck = {
  id: 'endpoint-rules',
  async run({ config, usage, wave }) {
    const perVpc = rulesPerWaveVpc(config, wave.segment);
    // One group per endpoint interface: the interface admits what its group admits, within rules x groups <= 1,000.
    const limit = Math.min(limitOf(usage, 'rulesPerSecurityGroup'), QUOTAS.rulesPerNetworkInterface.value);
    const keys = new Set([...perVpc.keys(), ...[...usage.rules.keys()].filter((k) => !k.endsWith(' IPv6'))]);
    const capacities = [...keys]
      .filter((k) => catalogGroups(config).has(k))
      .sort()
      .map((key) => capacity('rulesPerSecurityGroup', key, limit, usage.rules.get(key) ?? 0, perVpc.get(key) ?? 0));
    const v6 = [...usage.rules].filter(([k]) => k.endsWith(' IPv6'));
    capacities.push(...v6.map(([key, used]) => capacity('rulesPerSecurityGroup', key, limit, used, 0)));
    const first = tightest(capacities);
    const aggregated = (config.segments[wave.segment]?.aggregatedIngress.length ?? 0) > 0;
    return finding(
      wave,
      capacities,
      `${capacities.length} endpoint group(s) (per family, at most ${limit} inbound rules each)` +
        (aggregated
          ? `; segment ${wave.segment} declares aggregated ingress: its VPCs add no rule`
          : first
            ? `; tightest ${first.on}: ${fmt(first)}`
            : ''),
    );
  },
};

/** `each` for every zone of the catalog, in id order. */
const perZone = <T>(config: HubConfig, each: (zone: string) => T): T[] => [...catalogZones(config)].sort().map(each);

const zoneVpcs: CapacityCheck = {
  id: 'zone-associations',
  async run({ config, usage, wave }) {
    if (config.dns.mode !== 'zones')
      return { ok: true, detail: 'DNS mode profile: no zone association per VPC', missing: [] };
    const wanted = new Set(endpointsOfSegment(config, wave.segment).flatMap(([, e]) => e.privateHostedZoneIds));
    const capacities = perZone(config, (zone) =>
      capacity(
        'vpcsPerHostedZone',
        zone,
        usage.zoneLimits.get(zone) ?? limitOf(usage, 'vpcsPerHostedZone'),
        usage.zoneVpcs.get(zone) ?? 0,
        wanted.has(zone) ? 1 : 0,
      ),
    );
    const first = tightest(capacities);
    return finding(
      wave,
      capacities,
      `${capacities.length} zone(s)${first ? `; tightest ${first.on}: ${fmt(first)}` : ''}`,
    );
  },
};

const zoneAuthorizations: CapacityCheck = {
  id: 'zone-authorizations',
  async run({ config, usage, wave }) {
    const capacities = perZone(config, (zone) =>
      capacity(
        'authorizationsPerHostedZone',
        zone,
        QUOTAS.authorizationsPerHostedZone.value,
        usage.zoneAuthorizations.get(zone) ?? 0,
        0,
      ),
    );
    const most = Math.max(0, ...capacities.map((c) => c.used));
    return finding(
      wave,
      capacities,
      `at most ${most}/${QUOTAS.authorizationsPerHostedZone.value} pending per zone (an onboarding holds one only until ` +
        'its association is made)',
    );
  },
};

const profiles: CapacityCheck = {
  id: 'profiles',
  async run({ config, usage, wave }) {
    if (config.dns.mode !== 'profile') {
      return { ok: true, detail: 'DNS mode zones: no Profile association per VPC', missing: [] };
    }
    const perProfile = capacity(
      'vpcsPerProfile',
      hubProfileName(config),
      limitOf(usage, 'vpcsPerProfile'),
      usage.profileVpcs,
      // A segment with endpoint shards uses its shards' Profiles (the endpoint-shards check).
      isSharded(config, wave.segment) ? 0 : 1,
    );
    const capacities = [perProfile];
    if (usage.hubProfiles !== undefined) {
      capacities.push(
        capacity('profilesPerAccount', config.hub.accountId, QUOTAS.profilesPerAccount.value, usage.hubProfiles, 0),
      );
    }
    return finding(
      wave,
      capacities,
      `${perProfile.on}: ${fmt(perProfile)} VPCs` +
        (usage.hubProfiles === undefined
          ? ''
          : `; ${usage.hubProfiles}/${QUOTAS.profilesPerAccount.value} Profiles in the hub account`),
    );
  },
};

/**
 * The per-account budgets (`budgets.*`): an account's VPCs of the wave (`add / accounts`, rounded up) on top of what
 * the most loaded account holds must stay within each budget, else validation rejects them (`budget-exceeded`).
 */
const budgets: CapacityCheck = {
  id: 'account-budgets',
  async run({ config, usage, wave }) {
    const perAccount = Math.ceil(wave.add / wave.accounts);
    const rules = rulesPerWaveVpc(config, wave.segment);
    const zones =
      config.dns.mode === 'zones'
        ? new Set(endpointsOfSegment(config, wave.segment).flatMap(([, e]) => e.privateHostedZoneIds))
        : new Set<string>();
    const most = (held: Map<string, Map<string, number>>, key: string) =>
      Math.max(0, ...[...held.values()].map((m) => m.get(key) ?? 0));
    const capacities: QuotaCapacity[] = [];
    const quotaOf: Record<keyof HubConfig['budgets'], QuotaId> = {
      securityGroupRulesPerAccount: 'rulesPerSecurityGroup',
      zoneAssociationsPerAccount: 'vpcsPerHostedZone',
      attachmentsPerAccount: 'attachmentsPerTransitGateway',
    };
    const budget = (field: keyof HubConfig['budgets'], on: string, used: number, perVpc: number) => {
      const limit = config.budgets[field];
      capacities.push({
        quota: quotaOf[field],
        name: `budgets.${field}`,
        page: 'README.md, "Configuration" (budgets)',
        on,
        limit,
        used,
        perVpc,
        headroomVpcs: headroom(limit, used, perVpc),
      });
    };
    for (const [group, n] of [...rules].sort()) {
      budget('securityGroupRulesPerAccount', `${group} per account`, most(usage.accountRules, group), n);
    }
    for (const zone of [...zones].sort()) {
      budget('zoneAssociationsPerAccount', `${zone} per account`, most(usage.accountZones, zone), 1);
    }
    const attachedMost = Math.max(0, ...usage.accountAttachments.values());
    budget('attachmentsPerAccount', `${config.hub.transitGatewayId} per account`, attachedMost, 1);
    const tight = capacities.filter((c) => c.headroomVpcs !== null && c.headroomVpcs < perAccount);
    return {
      ok: tight.length === 0,
      detail: `${perAccount} VPC(s) per account (${wave.add} over ${wave.accounts} account(s))`,
      missing: tight.map(
        (c) =>
          `${c.on}: ${c.name} ${c.used}/${c.limit}, room for ${c.headroomVpcs} VPC(s) of one account, ` +
          `the wave gives an account ${perAccount}`,
      ),
      capacity: capacities,
    };
  },
};

/** The capacity checks, in the order the report lists them. */
export const CAPACITY_CHECKS: readonly CapacityCheck[] = [
  attachments,
  tgwRoutes,
  securityGroupRules,
  zoneVpcs,
  zoneAuthorizations,
  profiles,
  endpointShards,
  budgets,
];

/** The quota the wave meets first: the capacity (AWS quota, not a budget) that admits the fewest more VPCs. */
export function firstLimit(findings: readonly Finding[]): QuotaCapacity | undefined {
  return tightest(findings.filter((f) => f.check !== 'account-budgets').flatMap((f) => f.capacity ?? []));
}
