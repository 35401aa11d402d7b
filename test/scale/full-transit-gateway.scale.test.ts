import { type BulkResult, type NextVpcOutcome, runFullTransitGateway } from '../../bench/bulk';
import { violations } from '../../bench/invariants';
import { ATTACHMENTS_PER_TRANSIT_GATEWAY, fullTransitGatewayWorld } from '../../bench/worlds';

/**
 * `bulk5000` reduced for the scale tier (`npm run test:scale`; the full day, 4,999 spokes in 500 accounts, runs in `npm run bench`): the same
 * generator and runner, 12 spokes in 3 accounts in Profile mode with aggregated ingress, the rest of the TGW filled
 * with VPCs attached before the run, then the next VPC asks.
 */
describe('bulk5000 reduced: spokes that fill the TGW, then one more', () => {
  const bulk = fullTransitGatewayWorld({ accounts: 3, vpcs: 13, fillWithAttached: true });
  let result: BulkResult & { next: NextVpcOutcome };

  beforeAll(async () => {
    result = await runFullTransitGateway({ bulk, seed: 3 });
  });

  it('builds the world the bench states: Profile mode, supernets per segment, raised quotas with their pages', () => {
    expect(bulk.config.dns.mode).toBe('profile');
    expect(bulk.config.segments.prod!.aggregatedIngress).toEqual(['10.128.0.0/9']);
    expect(bulk.spokes).toHaveLength(12);
    expect(new Set(bulk.spokes.map((s) => s.accountId)).size).toBe(3);
    expect(bulk.hubAttachments).toBe(1);
    for (const q of bulk.raisedQuotas) expect(q.page).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
  });

  it('connects every spoke: 0 failed, 0 duplicates, within 1.25x of the lower bound', () => {
    expect(result.notConnected).toEqual([]);
    expect(result.executions.failed).toBe(0);
    expect(violations(result.invariants)).toBe(0);
    expect(result.makespanSeconds).toBeLessThanOrEqual(1.25 * result.lowerBound.seconds);
  });

  it('adds no security group rule per VPC: the supernets admit them', () => {
    expect(result.callsByOperation['hub ec2:AuthorizeSecurityGroupIngress'] ?? 0).toBe(0);
  });

  it('rejects the next VPC at validation naming the attachment quota, never failed, the TGW still at 5,000', () => {
    expect(result.next.status).toBe('rejected');
    expect(result.next.detail).toMatch(
      /^capacity: Attachments per transit gateway \(5,000, not adjustable\) reached on tgw-0a1b2c3d4e5f60718: 12 spoke VPCs, 4,988 other and 0 peering attachments; no attachment left for vpc-/,
    );
    expect(result.next.attachments).toBe(ATTACHMENTS_PER_TRANSIT_GATEWAY);
    expect(result.next.rejectedNamingQuota).toBe(true);
  });
});
