import type { LocalHub } from '#local/hub';
import { ec2State, stateAt } from '#twin/services/ec2/model';
import type { Route53State } from '#twin/services/route53';
import { type BulkResult, runBulk } from '../../bench/bulk';
import { checkInvariants, invariantSnapshot, type TwinSnapshotView } from '../../bench/invariants';
import { type BulkWorld, bulkWorld } from '../../bench/worlds';

/**
 * Hard limits reached at scale: AWS's 5,000 attachments per Transit Gateway, and a private hosted zone's
 * MAX_VPCS_ASSOCIATED_BY_ZONE (300 by default; a small world limit here). The VPC that does not fit gets a clear,
 * specific status naming the step and the quota, and nothing half-made: what the other branches of its onboarding
 * made (zone associations, rules, the account's principal, the attachment) is rolled back, the status says what was,
 * and asking again once there is room connects it.
 */

/** The endpoints' security groups (config/example.hub.json). */
const groupIds = ['sg-0e55e0000000000a1', 'sg-0e55e0000000000a2', 'sg-0e55e0000000000a3'];
const ENDPOINT_SERVICE = 'vpce-svc-0d000000000000001';
const HUB_FUNCTIONS = 'arn:aws:iam::111111111111:role/spokelink-functions';

interface RecordItem {
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
interface Footprint {
  attachments: string[];
  attachmentsDeleting: string[];
  zones: string[];
  rules: string[];
  principal: boolean;
  shared: boolean;
}

function footprints(hub: LocalHub, bulk: BulkWorld): Map<string, Footprint> {
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

const statusOf = (hub: LocalHub, vpcId: string) => {
  const vpc = invariantSnapshot(hub.twin, [vpcId], []).ec2.vpcs[0];
  return { status: vpc?.tags['spokelink:status'], detail: vpc?.tags['spokelink:detail'] };
};

async function settle(hub: LocalHub, what: string): Promise<void> {
  const run = await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });
  if (run.reason !== 'predicate') throw new Error(`${what} did not settle: ${run.reason}`);
}

/** Lets AWS finish what it does asynchronously (an attachment is `deleting` for a minute on the twin). */
async function advance(hub: LocalHub, ms: number): Promise<void> {
  let reached = false;
  setTimeout(() => {
    reached = true;
  }, ms);
  await hub.runUntil(() => reached && hub.idle(), { maxVirtualMs: ms + 3_600_000 });
}

describe('Scale: the 5,000-attachment limit of a Transit Gateway', () => {
  // 4,998 attachments exist (the hub's and 4,997 others): room for two of the three VPCs that ask, one per account,
  // so the one that does not fit is the only VPC of its account and its account's grants are its own.
  const bulk = bulkWorld({ accounts: 3, vpcsPerAccount: 1, attachedVpcs: 4_997 });
  let result: BulkResult;
  let before: Map<string, Footprint>;
  let after: Map<string, Footprint>;
  let records: RecordItem[];
  let rerun: { status?: string; attachments: string[]; connected: number; invariants: unknown };
  let onTgw: number;

  beforeAll(async () => {
    result = await runBulk({
      bulk,
      seed: 5,
      onHub: (hub) => {
        before = footprints(hub, bulk);
      },
      beforeClose: async (hub, run) => {
        after = footprints(hub, bulk);
        records = (await hub.registry()) as RecordItem[];
        onTgw = invariantSnapshot(hub.twin, [], []).ec2.transitGatewayAttachments.filter(
          (a) => a.transitGatewayId === bulk.config.hub.transitGatewayId,
        ).length;
        // Room is made (an operator deletes an attachment nobody uses), then the app team asks again.
        const vpcId = run.notConnected[0]!.vpcId;
        const ec2 = hub.twin.stateOf<{
          attachments: Record<string, { id: string; vpcId: string; vpcOwnerId: string }>;
        }>('ec2');
        const spokes = new Set(bulk.spokes.map((s) => s.vpcId));
        const unused = Object.values(ec2.attachments).find(
          (a) => !spokes.has(a.vpcId) && a.vpcOwnerId !== bulk.config.hub.accountId,
        )!;
        const { accessKeyId } = hub.twin.credentialsFor(HUB_FUNCTIONS);
        await hub.twin.call(
          'ec2',
          'DeleteTransitGatewayVpcAttachment',
          { TransitGatewayAttachmentId: unused.id },
          accessKeyId,
          'us-east-1',
        );
        await advance(hub, 5 * 60_000);
        hub.announceTags(vpcId);
        await settle(hub, 'the retry');
        const now = footprints(hub, bulk);
        const registry = await hub.registry();
        rerun = {
          status: statusOf(hub, vpcId).status,
          attachments: now.get(vpcId)!.attachments,
          connected: bulk.spokes.filter((s) => statusOf(hub, s.vpcId).status === 'connected').length,
          invariants: checkInvariants(
            invariantSnapshot(
              hub.twin,
              bulk.spokes.map((s) => s.vpcId),
              groupIds,
            ),
            registry,
            { spokeVpcIds: [...spokes], transitGatewayId: bulk.config.hub.transitGatewayId },
          ),
        };
      },
    });
  });

  it('connects the VPCs that fit and fails the 5,001st attachment with a status naming the step and the quota', () => {
    expect(result.connected).toBe(2);
    expect(result.notConnected).toHaveLength(1);
    const [failed] = result.notConnected;
    expect(failed!.status).toBe('failed');
    expect(failed!.detail).toMatch(
      // The detail is on the VPC: its id gives way to "the VPC" when the 256 characters are short.
      /^CreateAttachment: QuotaExceededError: attaching (vpc-[0-9a-f]+|the VPC) to tgw-0a1b2c3d4e5f60718: TransitGatewayAttachmentLimitExceeded: /,
    );
    expect(result.failures).toEqual([
      expect.objectContaining({ error: 'QuotaExceededError', cause: expect.stringMatching(/^CreateAttachment: /) }),
    ]);
  });

  it('stops at exactly 5,000 attachments, none of them for the VPC that did not fit', () => {
    expect(onTgw).toBe(5_000);
    const vpcId = result.notConnected[0]!.vpcId;
    expect(after.get(vpcId)!.attachments).toEqual([]);
    expect(after.get(vpcId)!.attachmentsDeleting).toEqual([]);
  });

  it('rolls back what the other branches made: the VPC is as before, and the status says what was undone', () => {
    const vpcId = result.notConnected[0]!.vpcId;
    expect(before.get(vpcId)).toEqual({
      attachments: [],
      attachmentsDeleting: [],
      zones: [],
      rules: [],
      principal: false,
      shared: false,
    });
    expect(after.get(vpcId)).toEqual(before.get(vpcId));
    const detail = result.notConnected[0]!.detail!;
    expect(detail.length).toBeLessThanOrEqual(256);
    // nonprod: the ssm and sts zones and their rules (one CIDR), made meanwhile; no principal (the endpoint service is
    // prod-only, so the plan had none).
    expect(detail).toMatch(/; rolled back: 2 zone assocs, 2 SG rules$/);
    expect(result.invariants).toEqual({ duplicates: [], lost: [], orphans: [] });
  });

  it('keeps the failed record, listing nothing: nothing exists for it', () => {
    const vpcId = result.notConnected[0]!.vpcId;
    const record = records.find((r) => r.sk === 'CURRENT' && r.vpcId === vpcId)!;
    expect(record).toMatchObject({
      status: 'failed',
      routes: [],
      zones: [],
      securityGroupRules: [],
      endpointServicePrincipals: [],
    });
    expect(record.attachmentId).toBeUndefined();
  });

  it('connects it when the app team asks again once there is room', () => {
    expect(rerun).toEqual({
      status: 'connected',
      attachments: [expect.stringMatching(/^tgw-attach-/)],
      connected: 3,
      invariants: { duplicates: [], lost: [], orphans: [] },
    });
  });
});

describe('Scale: a private hosted zone full (MAX_VPCS_ASSOCIATED_BY_ZONE)', () => {
  // Zones hold 10 VPCs (the hub's and 9 spokes); 12 nonprod VPCs each want the ssm and sts zones.
  const bulk = bulkWorld({ accounts: 2, vpcsPerAccount: 6, zoneMaxVpcs: 10, prodEvery: Number.POSITIVE_INFINITY });
  const zoneIds = ['Z0SSM00000000000000001', 'Z0STS00000000000000001'];
  let result: BulkResult;
  let snapshot: TwinSnapshotView;
  let before: Map<string, Footprint>;
  let after: Map<string, Footprint>;
  let records: RecordItem[];
  let rerun: { statuses: (string | undefined)[]; zones: number[]; invariants: unknown };
  /** States of every attachment each failed VPC ever had, after the run. */
  let attachmentStates: Map<string, string[]>;

  beforeAll(async () => {
    result = await runBulk({
      bulk,
      seed: 3,
      onHub: (hub) => {
        before = footprints(hub, bulk);
      },
      beforeClose: async (hub, run) => {
        const spokes = bulk.spokes.map((s) => s.vpcId);
        snapshot = invariantSnapshot(hub.twin, spokes, groupIds);
        after = footprints(hub, bulk);
        records = (await hub.registry()) as RecordItem[];
        const attachments = Object.values(ec2State(hub.twin).attachments);
        attachmentStates = new Map(
          run.notConnected.map(({ vpcId }) => [
            vpcId,
            attachments.filter((a) => a.vpcId === vpcId).map((a) => stateAt(a.timeline, hub.twin.now())),
          ]),
        );
        // The operator has the zones' quota raised; the app teams of the failed VPCs ask again.
        const route53 = hub.twin.stateOf<Route53State>('route53');
        for (const id of zoneIds) route53.zones[id]!.maxVpcs = 20;
        for (const { vpcId } of run.notConnected) hub.announceTags(vpcId);
        await settle(hub, 'the retries');
        const now = invariantSnapshot(hub.twin, spokes, groupIds);
        rerun = {
          statuses: run.notConnected.map(({ vpcId }) => statusOf(hub, vpcId).status),
          zones: zoneIds.map((id) => now.route53.zones[id]!.vpcs.length),
          invariants: checkInvariants(now, await hub.registry(), {
            spokeVpcIds: spokes,
            transitGatewayId: bulk.config.hub.transitGatewayId,
          }),
        };
      },
    });
  });

  it('fills each zone to its limit and no further', () => {
    for (const zoneId of zoneIds) {
      expect({ zoneId, vpcs: snapshot.route53.zones[zoneId]!.vpcs.length }).toEqual({ zoneId, vpcs: 10 });
    }
  });

  it('fails the VPCs that do not fit with a status naming the step, the zone, the limit and what was rolled back', () => {
    expect(result.notConnected.length).toBeGreaterThanOrEqual(3);
    expect(result.connected + result.notConnected.length).toBe(12);
    for (const vpc of result.notConnected) {
      expect(vpc.status).toBe('failed');
      expect(vpc.detail!.length).toBeLessThanOrEqual(256);
      expect(vpc.detail).toMatch(
        /^AssociateZones: QuotaExceededError: associating (vpc-[0-9a-f]+|the VPC) with zone (ssm|sts)\.us-east-1\.amazonaws\.com: LimitsExceeded: .*MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of 10\.; rolled back: attachment, 1 route, (1 zone assoc, )?2 SG rules$/,
      );
    }
    expect(result.failures.map((f) => f.error)).toEqual(result.notConnected.map(() => 'QuotaExceededError'));
  });

  it('rolls back the attachment, the route, the other zone and the rules the failed VPCs had meanwhile', () => {
    for (const { vpcId } of result.notConnected) {
      const was = before.get(vpcId)!;
      const is = after.get(vpcId)!;
      // The attachment made meanwhile was deleted (or is being deleted); nothing else of the VPC is left.
      const prod = bulk.spokes.find((spoke) => spoke.vpcId === vpcId)!.segment === 'prod';
      expect({ vpcId, ...is, attachmentsDeleting: [] }).toEqual({
        vpcId,
        ...was,
        // A prod account's principal (its VPCs ask for `*`, the prod-only endpoint service included) is shared with
        // its connected VPCs: it stays, recorded by them. A nonprod account never gets one.
        principal: prod,
      });
      const states = attachmentStates.get(vpcId)!;
      expect({ vpcId, made: states.length, gone: states.every((s) => s === 'deleted' || s === 'deleting') }).toEqual({
        vpcId,
        made: 1,
        gone: true,
      });
      const record = records.find((r) => r.sk === 'CURRENT' && r.vpcId === vpcId)!;
      expect({ vpcId, record }).toMatchObject({
        vpcId,
        record: { status: 'failed', routes: [], zones: [], securityGroupRules: [], endpointServicePrincipals: [] },
      });
    }
  });

  it('leaves no authorization behind and nothing its record does not list', () => {
    for (const zone of Object.values(snapshot.route53.zones)) expect(zone.authorizations).toEqual([]);
    expect(result.invariants).toEqual({ duplicates: [], lost: [], orphans: [] });
  });

  it('connects the failed VPCs when they ask again after the quota was raised', () => {
    expect(rerun).toEqual({
      statuses: result.notConnected.map(() => 'connected'),
      zones: [13, 13],
      invariants: { duplicates: [], lost: [], orphans: [] },
    });
  });
});
