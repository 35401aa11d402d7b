import { type BulkResult, runBulk } from '../../bench/bulk';
import { violations } from '../../bench/invariants';
import { bulkWorld } from '../../bench/worlds';

/**
 * A migration day, reduced for `npm test` (the 1,000-VPC version runs in `npm run bench`): 40 VPCs in 8 accounts
 * tagged within one minute, attachments 60-300 s (seeded), AWS's token buckets in every account, the real ASL and
 * handlers on the virtual clock.
 */
describe('Scale: 40 VPCs in 8 accounts tagged within one minute', () => {
  const bulk = bulkWorld({ accounts: 8, vpcsPerAccount: 5 });
  let result: BulkResult;

  beforeAll(async () => {
    result = await runBulk({ bulk, seed: 11 });
  });

  it('connects every VPC, with zero failed executions', () => {
    expect(result.notConnected).toEqual([]);
    expect(result.connected).toBe(40);
    expect(result.executions).toEqual({ total: 40, succeeded: 40, failed: 0, other: 0 });
  });

  it('makes no duplicate resource, loses no registry record and leaves no orphan', () => {
    expect(result.invariants).toEqual({ duplicates: [], lost: [], orphans: [] });
    expect(violations(result.invariants)).toBe(0);
  });

  it('makes exactly the hub calls the workload needs in the hub Route 53 bucket (2 per zone association)', () => {
    const associations = result.callsByOperation['spoke route53:AssociateVPCWithHostedZone'] ?? 0;
    expect(associations).toBeGreaterThan(0);
    const authorizations = result.callsByOperation['hub route53:CreateVPCAssociationAuthorization'] ?? 0;
    const deletions = result.callsByOperation['hub route53:DeleteVPCAssociationAuthorization'] ?? 0;
    // prod VPCs use 3 endpoint zones (ssm, sts, secretsmanager), nonprod VPCs 2.
    const zones = bulk.spokes.reduce((sum, s) => sum + (s.segment === 'prod' ? 3 : 2), 0);
    expect(zones).toBe(85);
    expect({ authorizations, deletions }).toEqual({ authorizations: zones, deletions: zones });
  });

  it('polls pending attachments from the spoke accounts, never from the hub', () => {
    // The hub reads an attachment to associate it (again if that step is retried) and, every 1 s for the few
    // seconds of `associating` (5 s on the twin), to confirm the association is in effect before `connected`
    // (WaitForConnectivity): a bound set by the association's time, not by the attachment's 90 s.
    expect(result.callsByOperation['hub ec2:DescribeTransitGatewayAttachments']).toBeLessThan(9 * 40);
    expect(result.callsByOperation['spoke ec2:DescribeTransitGatewayAttachments']).toBeGreaterThan(10 * 40);
  });

  it('finishes within 1.25x of the lower bound implied by the rate limits and the attachment latencies', () => {
    expect(result.lowerBound.seconds).toBeGreaterThan(60);
    expect(result.makespanSeconds).toBeGreaterThanOrEqual(result.lowerBound.seconds);
    expect(result.makespanSeconds).toBeLessThanOrEqual(1.25 * result.lowerBound.seconds);
  });
});
