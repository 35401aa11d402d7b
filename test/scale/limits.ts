import type { LocalHub } from '#local/hub';
import { invariantSnapshot, type TwinSnapshotView } from '../../bench/invariants';
import type { BulkWorld } from '../../bench/worlds';

// What the hard-limit cases of limits.test.ts and limits.scale.test.ts share: footprints, statuses, settling.

/** The endpoints' security groups (config/example.hub.json). */
export const groupIds = ['sg-0e55e0000000000a1', 'sg-0e55e0000000000a2', 'sg-0e55e0000000000a3'];
const ENDPOINT_SERVICE = 'vpce-svc-0d000000000000001';
export const HUB_FUNCTIONS = 'arn:aws:iam::111111111111:role/spokelink-functions';

export interface RecordItem {
  sk?: string;
  vpcId?: string;
  status?: string;
  attachmentId?: string;
  routes?: unknown[];
  zones?: { zoneId: string }[];
  securityGroupRules?: { groupId: string; cidr: string; ruleId?: string }[];
  endpointServicePrincipals?: unknown[];
}

/** What exists for one spoke VPC: live attachments, zone associations, spokelink rules, its account's grants. */
export interface Footprint {
  attachments: string[];
  attachmentsDeleting: string[];
  zones: string[];
  rules: string[];
  principal: boolean;
  shared: boolean;
}

export function footprints(hub: LocalHub, bulk: BulkWorld): Map<string, Footprint> {
  const spokes = bulk.spokes.map((s) => s.vpcId);
  const snapshot: TwinSnapshotView = invariantSnapshot(hub.twin, spokes, groupIds);
  const ram = hub.twin.services.get('ram')!.snapshot!(hub.twin.state.ram, hub.twin.now()) as {
    shares: Record<string, { principals: string[] }>;
  };
  const sharedWith = new Set(Object.values(ram.shares).flatMap((s) => s.principals));
  const allowed = new Set(snapshot.ec2.endpointServices.find((s) => s.id === ENDPOINT_SERVICE)?.allowedPrincipals);
  const rules = snapshot.ec2.vpcs.flatMap((v) => v.securityGroups.flatMap((g) => g.rules));
  return new Map(
    bulk.spokes.map(({ vpcId, accountId }) => {
      const attachments = snapshot.ec2.transitGatewayAttachments.filter((a) => a.vpcId === vpcId);
      return [
        vpcId,
        {
          attachments: attachments.filter((a) => a.state !== 'deleting').map((a) => a.id),
          attachmentsDeleting: attachments.filter((a) => a.state === 'deleting').map((a) => a.id),
          zones: Object.entries(snapshot.route53.zones)
            .filter(([, z]) => z.vpcs.includes(`us-east-1/${vpcId}`))
            .map(([id]) => id)
            .sort(),
          rules: rules.filter((r) => r.description?.startsWith(`spokelink ${vpcId} `)).map((r) => r.id),
          principal: allowed.has(`arn:aws:iam::${accountId}:root`),
          shared: sharedWith.has(accountId),
        },
      ];
    }),
  );
}

export const statusOf = (hub: LocalHub, vpcId: string) => {
  const vpc = invariantSnapshot(hub.twin, [vpcId], []).ec2.vpcs[0];
  return { status: vpc?.tags['spokelink:status'], detail: vpc?.tags['spokelink:detail'] };
};

export async function settle(hub: LocalHub, what: string): Promise<void> {
  const run = await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });
  if (run.reason !== 'predicate') throw new Error(`${what} did not settle: ${run.reason}`);
}

/** Lets AWS finish what it does asynchronously (an attachment is `deleting` for a minute on the twin). */
export async function advance(hub: LocalHub, ms: number): Promise<void> {
  let reached = false;
  setTimeout(() => {
    reached = true;
  }, ms);
  await hub.runUntil(() => reached && hub.idle(), { maxVirtualMs: ms + 3_600_000 });
}
