/**
 * What must hold after any run, whatever the load or the faults (test/scale, test/faults, `npm run bench`): no
 * duplicate resource, no resource of a spoke that its registry record does not name (a "lost" record would make
 * offboarding leave it behind), no orphan (a spokelink rule or association authorization that no record owns).
 * Computed from the twin's snapshot (what exists in AWS) and a scan of the registry table.
 */

import { ec2State, type RouteTable, ruleSnapshot, type SecurityGroup, stateAt } from '#twin/services/ec2/model';
import type { Twin } from '#twin/twin';

export interface InvariantReport {
  /** More than one of something that must be unique (attachment per VPC and TGW, route, rule, association). */
  duplicates: string[];
  /** Resources spokelink made that no registry record names. */
  lost: string[];
  /** Leftovers with no owner: association authorizations, rules of VPCs without a record. */
  orphans: string[];
}

interface SnapshotRoute {
  destinationCidrBlock: string;
  transitGatewayId?: string;
}
interface SnapshotRule {
  id: string;
  isEgress: boolean;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr?: string;
  description: string | null;
}
export interface SnapshotVpc {
  id: string;
  ownerId: string;
  tags: Record<string, string>;
  routeTables: { id: string; routes: SnapshotRoute[] }[];
  securityGroups: { id: string; rules: SnapshotRule[] }[];
}
interface SnapshotAttachment {
  id: string;
  transitGatewayId: string;
  vpcId: string;
  state: string;
}
interface SnapshotZone {
  vpcs: string[];
  authorizations: string[];
}
export interface TwinSnapshotView {
  ec2: {
    vpcs: SnapshotVpc[];
    transitGatewayAttachments: SnapshotAttachment[];
    endpointServices: { id: string; allowedPrincipals: string[] }[];
  };
  route53: { zones: Record<string, SnapshotZone> };
}

/** The registry item fields the checks read (a scan returns plain objects). */
interface RecordView {
  pk?: unknown;
  sk?: unknown;
  vpcId?: unknown;
  accountId?: unknown;
  attachmentId?: unknown;
  routes?: unknown;
  zones?: unknown;
  securityGroupRules?: unknown;
  endpointServicePrincipals?: unknown;
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** The description spokelink writes on its rules (`ruleDescription` in functions/shared/registry/model.ts). */
const RULE_DESCRIPTION = /^spokelink (vpc-[0-9a-f]+) (\d{12})$/;

/**
 * Checks the invariants. `spokeVpcIds`: the VPCs the run concerns (others, e.g. the hub VPC or VPCs attached before
 * the run, are left alone); `transitGatewayId`: the hub's TGW.
 */
export function checkInvariants(
  snapshot: TwinSnapshotView,
  registry: Record<string, unknown>[],
  options: { spokeVpcIds: readonly string[]; transitGatewayId: string },
): InvariantReport {
  const report: InvariantReport = { duplicates: [], lost: [], orphans: [] };
  const spokes = new Set(options.spokeVpcIds);
  const records = new Map<string, RecordView>();
  for (const item of registry as RecordView[]) {
    if (item.sk === 'CURRENT' && typeof item.vpcId === 'string') records.set(item.vpcId, item);
  }

  // One attachment per VPC per TGW; the record names it.
  const attachments = new Map<string, SnapshotAttachment[]>();
  for (const a of snapshot.ec2.transitGatewayAttachments) {
    if (a.transitGatewayId !== options.transitGatewayId || !spokes.has(a.vpcId)) continue;
    attachments.set(a.vpcId, [...(attachments.get(a.vpcId) ?? []), a]);
  }
  for (const [vpcId, list] of attachments) {
    const live = list.filter((a) => a.state !== 'deleting');
    if (live.length > 1) report.duplicates.push(`${vpcId}: ${live.length} attachments (${ids(live)})`);
    const recorded = records.get(vpcId)?.attachmentId;
    for (const a of list) {
      // An attachment being deleted (offboarding) is on its way out: no record needed.
      if (a.state === 'deleting') continue;
      if (recorded !== a.id) report.lost.push(`${vpcId}: attachment ${a.id} (${a.state}) not in its record`);
    }
  }

  for (const vpc of snapshot.ec2.vpcs) {
    // Routes to the TGW: one per destination and table (EC2 enforces it; checked anyway), each recorded.
    if (spokes.has(vpc.id)) {
      const recordedRoutes = new Set(
        list<{ routeTableId: string; destinationCidr: string }>(records.get(vpc.id)?.routes).map(
          (r) => `${r.routeTableId} ${r.destinationCidr}`,
        ),
      );
      for (const table of vpc.routeTables) {
        const seen = new Set<string>();
        for (const route of table.routes) {
          if (seen.has(route.destinationCidrBlock)) {
            report.duplicates.push(`${vpc.id}: two routes to ${route.destinationCidrBlock} in ${table.id}`);
          }
          seen.add(route.destinationCidrBlock);
          if (route.transitGatewayId === options.transitGatewayId) {
            const key = `${table.id} ${route.destinationCidrBlock}`;
            if (!recordedRoutes.has(key)) report.lost.push(`${vpc.id}: route ${key} -> TGW not in its record`);
          }
        }
      }
    }
    // Security group rules spokelink wrote (found by their description): unique and recorded by their VPC.
    for (const group of vpc.securityGroups) {
      const seen = new Map<string, string>();
      for (const rule of group.rules) {
        if (rule.isEgress) continue;
        const key = `${rule.protocol} ${rule.fromPort}-${rule.toPort} ${rule.cidr ?? ''}`;
        if (seen.has(key))
          report.duplicates.push(`${group.id}: rules ${seen.get(key)} and ${rule.id} both allow ${key}`);
        seen.set(key, rule.id);
        const owner = RULE_DESCRIPTION.exec(rule.description ?? '')?.[1];
        if (!owner || !spokes.has(owner)) continue;
        const record = records.get(owner);
        if (!record) {
          report.orphans.push(`${group.id}: rule ${rule.id} (${key}) of ${owner}, which has no record`);
          continue;
        }
        const recorded = list<{ groupId: string; cidr: string; port: number; ruleId?: string }>(
          record.securityGroupRules,
        ).some((r) => r.groupId === group.id && r.cidr === rule.cidr && r.port === rule.fromPort);
        if (!recorded) report.lost.push(`${owner}: rule ${rule.id} on ${group.id} (${key}) not in its record`);
      }
    }
  }

  // Zone associations: recorded; authorizations: none left behind.
  for (const [zoneId, zone] of Object.entries(snapshot.route53.zones)) {
    const seen = new Set<string>();
    for (const ref of zone.vpcs) {
      if (seen.has(ref)) report.duplicates.push(`${zoneId}: ${ref} associated twice`);
      seen.add(ref);
      const vpcId = ref.split('/')[1] ?? '';
      if (!spokes.has(vpcId)) continue;
      const recorded = list<{ zoneId: string }>(records.get(vpcId)?.zones).some((z) => z.zoneId === zoneId);
      if (!recorded) report.lost.push(`${vpcId}: association with ${zoneId} not in its record`);
    }
    for (const ref of zone.authorizations) {
      if (spokes.has(ref.split('/')[1] ?? '')) report.orphans.push(`${zoneId}: authorization for ${ref} left behind`);
    }
  }

  // Endpoint service principals of the spokes' accounts: recorded by at least one VPC of the account.
  const accountsWithRecord = new Map<string, Set<string>>();
  for (const record of records.values()) {
    for (const p of list<{ serviceId: string; principal: string }>(record.endpointServicePrincipals)) {
      const set = accountsWithRecord.get(p.serviceId) ?? new Set<string>();
      set.add(p.principal);
      accountsWithRecord.set(p.serviceId, set);
    }
  }
  const spokeAccounts = new Set(
    snapshot.ec2.vpcs.filter((v) => spokes.has(v.id)).map((v) => `arn:aws:iam::${v.ownerId}:root`),
  );
  for (const service of snapshot.ec2.endpointServices) {
    for (const principal of service.allowedPrincipals) {
      if (spokeAccounts.has(principal) && !accountsWithRecord.get(service.id)?.has(principal)) {
        report.lost.push(`${service.id}: principal ${principal} not in any record`);
      }
    }
  }
  return report;
}

function ids(list: { id: string }[]): string {
  return list.map((x) => x.id).join(', ');
}

/** Total count of violations. */
export function violations(report: InvariantReport): number {
  return report.duplicates.length + report.lost.length + report.orphans.length;
}

/**
 * The parts of the twin's snapshot the invariants read, for the VPCs of `vpcIds` and the VPCs holding the endpoints'
 * security groups only. The full snapshot grows with the square of the world's VPCs (5,000: about a minute); this
 * one with the VPCs concerned.
 */
export function invariantSnapshot(twin: Twin, vpcIds: readonly string[], securityGroupIds: readonly string[]) {
  const s = ec2State(twin);
  const now = twin.now();
  const wanted = new Set(vpcIds);
  for (const id of securityGroupIds) {
    const group = s.securityGroups[id];
    if (group) wanted.add(group.vpcId);
  }
  const tablesByVpc = new Map<string, RouteTable[]>();
  for (const t of Object.values(s.routeTables)) {
    if (wanted.has(t.vpcId)) tablesByVpc.set(t.vpcId, [...(tablesByVpc.get(t.vpcId) ?? []), t]);
  }
  const groupsByVpc = new Map<string, SecurityGroup[]>();
  for (const g of Object.values(s.securityGroups)) {
    if (wanted.has(g.vpcId)) groupsByVpc.set(g.vpcId, [...(groupsByVpc.get(g.vpcId) ?? []), g]);
  }
  const vpcs: SnapshotVpc[] = [...wanted]
    .filter((id) => s.vpcs[id])
    .sort()
    .map((id) => {
      const vpc = s.vpcs[id]!;
      return {
        id,
        ownerId: vpc.ownerId,
        tags: { ...vpc.tags },
        routeTables: (tablesByVpc.get(id) ?? []).map((t) => ({ id: t.id, routes: t.routes.map((r) => ({ ...r })) })),
        securityGroups: (groupsByVpc.get(id) ?? []).map((g) => ({
          id: g.id,
          rules: g.rules.map(ruleSnapshot),
        })),
      };
    });
  const transitGatewayAttachments = Object.values(s.attachments)
    .map((a) => ({ id: a.id, transitGatewayId: a.transitGatewayId, vpcId: a.vpcId, state: stateAt(a.timeline, now) }))
    .filter((a) => a.state !== 'deleted');
  const endpointServices = Object.values(s.endpointServices).map((x) => ({
    id: x.id,
    allowedPrincipals: x.allowedPrincipals.map((p) => p.principal),
  }));
  const route53 = twin.services.get('route53')!.snapshot!(twin.state.route53, now) as TwinSnapshotView['route53'];
  return { ec2: { vpcs, transitGatewayAttachments, endpointServices }, route53 } satisfies TwinSnapshotView;
}
