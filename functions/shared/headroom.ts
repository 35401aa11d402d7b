import { peeringAttachmentsOf } from './attachment-quota';
import { type HubConfig, hubProfileName } from './config';
import { groupKey, QUOTAS, type QuotaId } from './quotas';
import type { ConsumerRecord } from './registry/model';
import { shardResources } from './shards';

/**
 * The hub's use of the quotas a migration day meets (functions/shared/quotas.ts), as the registry holds it, and its
 * headroom: what the reconcile publishes (`Headroom*` metrics, percent of each quota left on its tightest resource)
 * for the hub stack's capacity dashboard and alarms, and what `spokelink preflight --config` starts from
 * (cli/preflight/capacity.ts, which reads a world file the same way).
 */

/** What the hub holds now, by quota key. */
export interface HubUsage {
  /** Where it was read. */
  source: string;
  /** Non-deleted attachments of the hub TGW (spoke, hub, peering). */
  attachments: number;
  /**
   * Of `attachments`, the peering attachments: one per configured peer of the hub's region (`hub.peers`), counted
   * whatever the source (neither a world file nor the registry lists them).
   */
  peeringAttachments: number;
  /** Routes of the hub TGW, every route table together. */
  tgwRoutes: number;
  /** Inbound rules per endpoint security group and family (`sg-...` or `sg-... IPv6`). */
  rules: Map<string, number>;
  /** VPCs associated per catalog zone. */
  zoneVpcs: Map<string, number>;
  /** Per-zone VPC limits raised above the default (GetHostedZoneLimit MAX_VPCS_ASSOCIATED_BY_ZONE). */
  zoneLimits: Map<string, number>;
  /** Pending VPC association authorizations per catalog zone. */
  zoneAuthorizations: Map<string, number>;
  /** VPCs associated with the hub's Profile (profile mode). */
  profileVpcs: number;
  /** VPCs per endpoint shard (`<segment>/<shard>`, shards.ts), from the records' shards (a world file states none). */
  shardVpcs: Map<string, number>;
  /** Profiles the hub account owns in its region (undefined: not known from this source). */
  hubProfiles: number | undefined;
  /** Per account: rules per group key, zone associations per zone, attachments to the hub TGW (what the budgets count). */
  accountRules: Map<string, Map<string, number>>;
  accountZones: Map<string, Map<string, number>>;
  accountAttachments: Map<string, number>;
  /** Adjustable quotas raised above AWS's defaults (the configuration's, then the source's). */
  raised: Partial<Record<QuotaId, number>>;
}

export { groupKey } from './quotas';
export const bump = <K>(map: Map<K, number>, key: K, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
export const nested = (map: Map<string, Map<string, number>>, outer: string) => {
  const inner = map.get(outer) ?? new Map<string, number>();
  map.set(outer, inner);
  return inner;
};

/** Nothing used yet but the configured peers' peering attachments; the quotas the configuration says were raised. */
export function emptyUsage(config: HubConfig, source: string): HubUsage {
  return {
    source,
    attachments: peeringAttachmentsOf(config),
    peeringAttachments: peeringAttachmentsOf(config),
    tgwRoutes: 0,
    rules: new Map(),
    zoneVpcs: new Map(),
    zoneLimits: new Map(),
    zoneAuthorizations: new Map(),
    profileVpcs: 0,
    shardVpcs: new Map(),
    hubProfiles: undefined,
    accountRules: new Map(),
    accountZones: new Map(),
    accountAttachments: new Map(),
    raised: { ...config.capacity.raisedQuotas },
  };
}

/** The endpoint zones and security groups of the hub: the catalog's and the endpoint shards' (shards.ts). */
export const catalogZones = (config: HubConfig) =>
  new Set([...Object.values(config.endpoints).flatMap((e) => e.privateHostedZoneIds), ...shardResources(config).zones]);
export const catalogGroups = (config: HubConfig) =>
  new Set([...Object.values(config.endpoints).map((e) => e.securityGroupId), ...shardResources(config).groups]);

/** The quota's value in force: a raised one from the source, else AWS's default. */
export const limitOf = (usage: HubUsage, quota: QuotaId) => usage.raised[quota] ?? QUOTAS[quota].value;
/**
 * Usage from registry records (a saved local run): every member (not disconnected) holds one attachment, its claimed
 * CIDRs routed in each of its segment's route tables, its recorded rules, zone and Profile associations. The attachments
 * the registry does not hold are the configured peers' (emptyUsage) and `capacity.otherAttachments` (the hub VPC's
 * own, VPN, Connect); other Profiles of the hub account are not known (undefined).
 */
export function usageFromRecords(config: HubConfig, records: readonly ConsumerRecord[], source: string): HubUsage {
  const usage = emptyUsage(config, source);
  usage.attachments += config.capacity.otherAttachments;
  for (const record of records) {
    if (record.status === 'disconnected') continue;
    if (record.attachmentId) {
      usage.attachments += 1;
      bump(usage.accountAttachments, record.accountId);
    }
    const tables = config.segments[record.segment]?.propagationRouteTableIds.length ?? 0;
    if (record.attachmentId) usage.tgwRoutes += record.cidrs.length * tables;
    for (const rule of record.securityGroupRules ?? []) {
      bump(usage.rules, groupKey(rule.groupId, rule.cidr));
      bump(nested(usage.accountRules, record.accountId), groupKey(rule.groupId, rule.cidr));
    }
    for (const zone of record.zones ?? []) {
      bump(usage.zoneVpcs, zone.zoneId);
      bump(nested(usage.accountZones, record.accountId), zone.zoneId);
    }
    // A VPC of an endpoint shard is associated with its shard's Profile, not the hub's.
    if (record.shard !== undefined) bump(usage.shardVpcs, `${record.segment}/${record.shard}`);
    else if ((record.profileAssociations ?? []).length > 0) usage.profileVpcs += 1;
  }
  return usage;
}

/** The headroom metrics the reconcile publishes, by the quota each measures. */
export const HEADROOM_METRICS = {
  attachmentsPerTransitGateway: 'HeadroomTgwAttachments',
  routesPerTransitGateway: 'HeadroomTgwRoutes',
  rulesPerSecurityGroup: 'HeadroomEndpointRules',
  vpcsPerHostedZone: 'HeadroomZoneAssociations',
  vpcsPerProfile: 'HeadroomProfileAssociations',
} as const satisfies Partial<Record<QuotaId, string>>;

export type HeadroomMetric = (typeof HEADROOM_METRICS)[keyof typeof HEADROOM_METRICS];

/** The headroom metrics of a DNS mode (zones or Profile associations, not both). */
export function headroomMetricsOf(config: Pick<HubConfig, 'dns'>): HeadroomMetric[] {
  return Object.values(HEADROOM_METRICS).filter((m) =>
    config.dns.mode === 'profile' ? m !== 'HeadroomZoneAssociations' : m !== 'HeadroomProfileAssociations',
  );
}

export interface HeadroomFigure {
  metric: HeadroomMetric;
  quota: QuotaId;
  /** The tightest resource it is counted on (`tgw-...`, `sg-... IPv6`, a zone, the Profile). */
  on: string;
  used: number;
  limit: number;
  /** Percent of the quota left, rounded down (0 when over). */
  percent: number;
}

const figure = (metric: HeadroomMetric, quota: QuotaId, on: string, used: number, limit: number): HeadroomFigure => ({
  metric,
  quota,
  on,
  used,
  limit,
  percent: Math.max(0, Math.floor(((limit - used) * 100) / limit)),
});

/** The tightest of several figures of one metric (least percent left), or the resource's figure at 0 used. */
function tightest(figures: HeadroomFigure[], fallback: HeadroomFigure): HeadroomFigure {
  return figures.sort((a, b) => a.percent - b.percent || a.on.localeCompare(b.on))[0] ?? fallback;
}

/** The headroom of each quota of the hub's DNS mode, on its tightest resource (catalog groups and zones only). */
export function headroomOf(config: HubConfig, usage: HubUsage): HeadroomFigure[] {
  const tgw = config.hub.transitGatewayId;
  const rules = limitOf(usage, 'rulesPerSecurityGroup');
  const groups = [...catalogGroups(config)].sort();
  const zones = [...catalogZones(config)].sort();
  const zoneLimit = (zone: string) => usage.zoneLimits.get(zone) ?? limitOf(usage, 'vpcsPerHostedZone');
  const all: Record<HeadroomMetric, () => HeadroomFigure> = {
    HeadroomTgwAttachments: () =>
      figure(
        'HeadroomTgwAttachments',
        'attachmentsPerTransitGateway',
        tgw,
        usage.attachments,
        limitOf(usage, 'attachmentsPerTransitGateway'),
      ),
    HeadroomTgwRoutes: () =>
      figure(
        'HeadroomTgwRoutes',
        'routesPerTransitGateway',
        tgw,
        usage.tgwRoutes,
        limitOf(usage, 'routesPerTransitGateway'),
      ),
    HeadroomEndpointRules: () =>
      tightest(
        groups.flatMap((g) =>
          [g, `${g} IPv6`].map((key) =>
            figure('HeadroomEndpointRules', 'rulesPerSecurityGroup', key, usage.rules.get(key) ?? 0, rules),
          ),
        ),
        figure('HeadroomEndpointRules', 'rulesPerSecurityGroup', '-', 0, rules),
      ),
    HeadroomZoneAssociations: () =>
      tightest(
        zones.map((z) =>
          figure('HeadroomZoneAssociations', 'vpcsPerHostedZone', z, usage.zoneVpcs.get(z) ?? 0, zoneLimit(z)),
        ),
        figure('HeadroomZoneAssociations', 'vpcsPerHostedZone', '-', 0, limitOf(usage, 'vpcsPerHostedZone')),
      ),
    HeadroomProfileAssociations: () =>
      figure(
        'HeadroomProfileAssociations',
        'vpcsPerProfile',
        hubProfileName(config),
        usage.profileVpcs,
        limitOf(usage, 'vpcsPerProfile'),
      ),
  };
  return headroomMetricsOf(config).map((metric) => all[metric]());
}
