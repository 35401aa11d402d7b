import { ec2State, stateAt } from '#twin/services/ec2/model';
import type { Route53State } from '#twin/services/route53';
import { type BulkResult, runBulk } from '../../bench/bulk';
import { checkInvariants, invariantSnapshot, type TwinSnapshotView } from '../../bench/invariants';
import { bulkWorld } from '../../bench/worlds';
import { SIMULATION_TRANSPORT } from '../sdk-path';
import { type Footprint, footprints, groupIds, type RecordItem, settle, statusOf } from './limits';

/**
 * Hard limits: a private hosted zone's MAX_VPCS_ASSOCIATED_BY_ZONE (300 by default; a small world limit here). AWS's
 * 5,000 attachments per Transit Gateway, 4,997 of them in the world, is in limits.scale.test.ts. The VPC that does not
 * fit gets a clear, specific status naming the step and the quota, and nothing half-made: what the other branches of
 * its onboarding made (zone associations, rules, the account's principal, the attachment) is rolled back, the status
 * says what was, and asking again once there is room connects it.
 */

describe('Scale: a private hosted zone full (MAX_VPCS_ASSOCIATED_BY_ZONE)', () => {
  // Zones hold 4 VPCs (the hub's and 3 spokes); 6 nonprod VPCs each want the ssm and sts zones.
  const bulk = bulkWorld({ accounts: 2, vpcsPerAccount: 3, zoneMaxVpcs: 4, prodEvery: Number.POSITIVE_INFINITY });
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
      hubOptions: { sdkTransport: SIMULATION_TRANSPORT },
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
      expect({ zoneId, vpcs: snapshot.route53.zones[zoneId]!.vpcs.length }).toEqual({ zoneId, vpcs: 4 });
    }
  });

  it('fails the VPCs that do not fit with a status naming the step, the zone, the limit and what was rolled back', () => {
    expect(result.notConnected.length).toBeGreaterThanOrEqual(3);
    expect(result.connected + result.notConnected.length).toBe(6);
    for (const vpc of result.notConnected) {
      expect(vpc.status).toBe('failed');
      expect(vpc.detail!.length).toBeLessThanOrEqual(256);
      expect(vpc.detail).toMatch(
        /^AssociateZones: QuotaExceededError: associating (vpc-[0-9a-f]+|the VPC) with zone (ssm|sts)\.us-east-1\.amazonaws\.com: LimitsExceeded: .*MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of 4\.; rolled back: attachment, 1 route, (1 zone assoc, )?2 SG rules$/,
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
      zones: [7, 7],
      invariants: { duplicates: [], lost: [], orphans: [] },
    });
  });
});
