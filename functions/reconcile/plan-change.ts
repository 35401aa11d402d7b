import type { HubConfig } from '#shared/config';
import { directZonesFor } from '#shared/profiles';
import type { ConsumerRecord } from '#shared/registry/model';
import { catalogOf, endpointServicesOf } from '../validate/validate';
import { desiredResources } from './reconcile';

/**
 * What a configuration would do to the members of a registry, before it is deployed (`spokelink plan`): per VPC, the
 * routes, zones, endpoint rules and endpoint service principals the reconcile's repairs would add and remove, the
 * services it would drop, the association it would move, or the refusal its request would meet. The desired state
 * is the reconcile's own (desiredResources); the actual one is what the registry records spokelink made.
 *
 * The registry keeps the services a VPC resolved, not its `spokelink:services` tag: a catalog entry the new
 * configuration adds reaches the VPCs that ask `*`, which the plan lists once per entry (`catalogAdded`) rather than
 * per VPC.
 */

export interface Change {
  added: string[];
  removed: string[];
}

export interface VpcPlan {
  vpcId: string;
  accountId: string;
  segment: string;
  /** The request would be refused under the new configuration (its segment is gone): the VPC is reported, not changed. */
  refused?: string;
  services: Change;
  routes: Change;
  zones: Change;
  rules: Change;
  principals: Change;
  association?: { from?: string; to: string };
}

export interface ConfigPlan {
  /** Members of the registry (not disconnected). */
  members: number;
  /** The members that would change, by VPC id. */
  changes: VpcPlan[];
  /** Catalog entries the new configuration adds, with the segments that may use them (`*`: every one). */
  catalogAdded: { name: string; segments: string[] | '*' }[];
}

const diff = (from: readonly string[], to: readonly string[]): Change => ({
  added: to.filter((x) => !from.includes(x)).sort(),
  removed: from.filter((x) => !to.includes(x)).sort(),
});

const empty = (c: Change) => c.added.length === 0 && c.removed.length === 0;

/** The plan of `config` against the registry's current records (see the module comment). */
export function planConfiguration(records: readonly ConsumerRecord[], config: HubConfig): ConfigPlan {
  const members = records.filter((r) => r.status !== 'disconnected');
  const changes: VpcPlan[] = [];
  for (const record of [...members].sort((a, b) => a.vpcId.localeCompare(b.vpcId))) {
    const base = { vpcId: record.vpcId, accountId: record.accountId, segment: record.segment };
    const none = { added: [], removed: [] };
    if (!config.segments[record.segment]) {
      changes.push({
        ...base,
        refused: `segment ${record.segment} is not in the configuration: its next onboarding is rejected`,
        services: none,
        routes: none,
        zones: none,
        rules: none,
        principals: none,
      });
      continue;
    }
    const catalog = catalogOf(config);
    const services = (record.services ?? []).filter((name) => {
      const entry = catalog.get(name);
      return entry !== undefined && (entry.segments === undefined || entry.segments.includes(record.segment));
    });
    const desired = desiredResources(
      config,
      record.segment,
      services,
      record.cidrs ?? [],
      directZonesFor(config, record),
      [...(record.localServices ?? []), ...(record.selfServed ?? [])],
      record.shard,
    );
    const tables = [...new Set((record.routes ?? []).map((r) => r.routeTableId))];
    const plan: VpcPlan = {
      ...base,
      services: diff(record.services ?? [], services),
      routes: diff(
        (record.routes ?? []).map((r) => `${r.routeTableId} ${r.destinationCidr}`),
        tables.flatMap((t) => desired.destinations.map((d) => `${t} ${d}`)),
      ),
      zones: diff(
        (record.zones ?? []).map((z) => z.zoneId),
        desired.zones,
      ),
      rules: diff(
        (record.securityGroupRules ?? []).map((r) => `${r.groupId}|${r.cidr}|${r.port}`),
        desired.rules,
      ),
      principals: diff(
        [...new Set((record.endpointServicePrincipals ?? []).map((p) => `${p.serviceId} ${p.principal}`))],
        endpointServicesOf(config, services).map((s) => `${s.serviceId} arn:aws:iam::${record.accountId}:root`),
      ),
    };
    const changed = [plan.services, plan.routes, plan.zones, plan.rules, plan.principals].some((c) => !empty(c));
    if (changed) changes.push(plan);
  }
  return { members: members.length, changes, catalogAdded: [] };
}

/** Catalog entries of `next` that `current` does not have (a plan against the configuration deployed now). */
export function catalogAdditions(current: HubConfig, next: HubConfig): ConfigPlan['catalogAdded'] {
  const before = catalogOf(current);
  return [...catalogOf(next)]
    .filter(([name]) => !before.has(name))
    .map(([name, entry]) => ({ name, segments: entry.segments ?? ('*' as const) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
