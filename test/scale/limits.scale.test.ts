import { type BulkResult, runBulk } from '../../bench/bulk';
import { checkInvariants, invariantSnapshot } from '../../bench/invariants';
import { bulkWorld } from '../../bench/worlds';
import {
  advance,
  type Footprint,
  footprints,
  groupIds,
  HUB_FUNCTIONS,
  type RecordItem,
  settle,
  statusOf,
} from './limits';

/**
 * The hard limit of limits.test.ts at its real size (scale tier, `npm run test:scale`): AWS's 5,000 attachments per
 * Transit Gateway, 4,997 of them in the world. The VPC that does not fit gets a status naming the step and the quota,
 * what the other branches made is rolled back, and asking again once there is room connects it.
 */

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
