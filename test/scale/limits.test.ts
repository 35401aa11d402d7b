import { type BulkResult, runBulk } from '../../bench/bulk';
import { invariantSnapshot, type TwinSnapshotView } from '../../bench/invariants';
import { bulkWorld } from '../../bench/worlds';

/**
 * Hard limits reached at scale: AWS's 5,000 attachments per Transit Gateway, and a private hosted zone's
 * MAX_VPCS_ASSOCIATED_BY_ZONE (300 by default; a small world limit here). The VPC that does not fit gets a clear,
 * specific status naming the step and the quota; what exists for it is exactly what its registry record lists.
 */

/** The endpoints' security groups (config/example.hub.json). */
const groupIds = ['sg-0e55e0000000000a1', 'sg-0e55e0000000000a2', 'sg-0e55e0000000000a3'];

interface RecordItem {
  sk?: string;
  vpcId?: string;
  status?: string;
  attachmentId?: string;
  zones?: { zoneId: string }[];
  securityGroupRules?: { groupId: string; cidr: string; ruleId?: string }[];
}

describe('Scale: the 5,000-attachment limit of a Transit Gateway', () => {
  // 4,998 attachments exist (the hub's and 4,997 others): room for two of the three VPCs that ask.
  const bulk = bulkWorld({ accounts: 1, vpcsPerAccount: 3, attachedVpcs: 4_997 });
  const spokeIds = bulk.spokes.map((s) => s.vpcId);
  let result: BulkResult;
  let snapshot: TwinSnapshotView;
  let records: RecordItem[];

  beforeAll(async () => {
    result = await runBulk({
      bulk,
      seed: 5,
      beforeClose: async (hub) => {
        snapshot = invariantSnapshot(hub.twin, spokeIds, groupIds);
        records = (await hub.registry()) as RecordItem[];
      },
    });
  }, 120_000);

  it('connects the VPCs that fit and fails the 5,001st attachment with a status naming the step and the quota', () => {
    expect(result.connected).toBe(2);
    expect(result.notConnected).toHaveLength(1);
    const [failed] = result.notConnected;
    expect(failed!.status).toBe('failed');
    expect(failed!.detail).toMatch(
      /^CreateAttachment: QuotaExceededError: attaching vpc-[0-9a-f]+ to tgw-0a1b2c3d4e5f60718: TransitGatewayAttachmentLimitExceeded: /,
    );
    expect(result.failures).toEqual([
      expect.objectContaining({ error: 'QuotaExceededError', cause: expect.stringMatching(/^CreateAttachment: /) }),
    ]);
  });

  it('stops at exactly 5,000 attachments, none of them for the VPC that did not fit', () => {
    const onTgw = snapshot.ec2.transitGatewayAttachments.filter(
      (a) => a.transitGatewayId === bulk.config.hub.transitGatewayId,
    );
    expect(onTgw).toHaveLength(5_000);
    expect(onTgw.filter((a) => a.vpcId === result.notConnected[0]!.vpcId)).toEqual([]);
  });

  it('leaves nothing half-made that its record does not list: the failed VPC is recorded with what exists', () => {
    expect(result.invariants).toEqual({ duplicates: [], lost: [], orphans: [] });
    const vpcId = result.notConnected[0]!.vpcId;
    const record = records.find((r) => r.sk === 'CURRENT' && r.vpcId === vpcId)!;
    expect(record.status).toBe('failed');
    expect(record.attachmentId).toBeUndefined();
    const zonesWithVpc = Object.entries(snapshot.route53.zones)
      .filter(([, z]) => z.vpcs.includes(`us-east-1/${vpcId}`))
      .map(([id]) => id)
      .sort();
    expect((record.zones ?? []).map((z) => z.zoneId).sort()).toEqual(zonesWithVpc);
    const rules = snapshot.ec2.vpcs
      .flatMap((v) => v.securityGroups.flatMap((g) => g.rules.map((r) => ({ groupId: g.id, ...r }))))
      .filter((r) => r.description?.startsWith(`spokelink ${vpcId} `));
    expect((record.securityGroupRules ?? []).map((r) => r.ruleId).sort()).toEqual(rules.map((r) => r.id).sort());
  });
});

describe('Scale: a private hosted zone full (MAX_VPCS_ASSOCIATED_BY_ZONE)', () => {
  // Zones hold 10 VPCs (the hub's and 9 spokes); 12 nonprod VPCs each want the ssm and sts zones.
  const bulk = bulkWorld({ accounts: 2, vpcsPerAccount: 6, zoneMaxVpcs: 10, prodEvery: Number.POSITIVE_INFINITY });
  let result: BulkResult;
  let snapshot: TwinSnapshotView;

  beforeAll(async () => {
    result = await runBulk({
      bulk,
      seed: 3,
      beforeClose: (hub) => {
        snapshot = invariantSnapshot(
          hub.twin,
          bulk.spokes.map((s) => s.vpcId),
          groupIds,
        );
      },
    });
  }, 120_000);

  it('fills each zone to its limit and no further', () => {
    for (const zoneId of ['Z0SSM00000000000000001', 'Z0STS00000000000000001']) {
      expect({ zoneId, vpcs: snapshot.route53.zones[zoneId]!.vpcs.length }).toEqual({ zoneId, vpcs: 10 });
    }
  });

  it('fails the VPCs that do not fit with a status naming the step, the zone and the limit', () => {
    expect(result.notConnected.length).toBeGreaterThanOrEqual(3);
    expect(result.connected + result.notConnected.length).toBe(12);
    for (const vpc of result.notConnected) {
      expect(vpc.status).toBe('failed');
      expect(vpc.detail).toMatch(
        /^AssociateZones: QuotaExceededError: associating vpc-[0-9a-f]+ with zone (ssm|sts)\.us-east-1\.amazonaws\.com: LimitsExceeded: .*MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of 10/,
      );
    }
    expect(result.failures.map((f) => f.error)).toEqual(result.notConnected.map(() => 'QuotaExceededError'));
  });

  it('leaves no authorization behind and nothing its record does not list', () => {
    for (const zone of Object.values(snapshot.route53.zones)) expect(zone.authorizations).toEqual([]);
    expect(result.invariants).toEqual({ duplicates: [], lost: [], orphans: [] });
  });
});
