import { type BulkResult, runBulk } from '../../bench/bulk';
import { violations } from '../../bench/invariants';
import { bulkWorld } from '../../bench/worlds';
import { SIMULATION_TRANSPORT } from '../sdk-path';

/**
 * A migration day at a given size (the 1,000-VPC version runs in `npm run bench`): every VPC of `accounts` accounts
 * tagged within one minute, attachments 60-300 s (seeded), AWS's token buckets in every account, the real ASL and
 * handlers on the virtual clock. Every fifth account is in the prod OU: its VPCs use 3 endpoint zones, the others 2
 * (`zones`, the zone associations the world asks for).
 */
export function describeBulk(size: { accounts: number; vpcsPerAccount: number; seed: number; zones: number }): void {
  const n = size.accounts * size.vpcsPerAccount;
  describe(`Scale: ${n} VPCs in ${size.accounts} accounts tagged within one minute`, () => {
    const bulk = bulkWorld({ accounts: size.accounts, vpcsPerAccount: size.vpcsPerAccount });
    let result: BulkResult;

    beforeAll(async () => {
      result = await runBulk({ bulk, seed: size.seed, hubOptions: { sdkTransport: SIMULATION_TRANSPORT } });
    });

    it('connects every VPC, with zero failed executions', () => {
      expect(result.notConnected).toEqual([]);
      expect(result.connected).toBe(n);
      expect(result.executions).toEqual({ total: n, succeeded: n, failed: 0, other: 0 });
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
      expect(zones).toBe(size.zones);
      expect({ authorizations, deletions }).toEqual({ authorizations: zones, deletions: zones });
    });

    it('polls pending attachments from the spoke accounts, never from the hub', () => {
      // The hub reads an attachment to associate it (again if that step is retried) and, about every 1 s for the few
      // seconds of `associating` (5 s on the twin), to confirm the association is in effect before `connected`
      // (WaitForConnectivity): a bound set by the association's time, not by the attachment's 90 s.
      expect(result.callsByOperation['hub ec2:DescribeTransitGatewayAttachments']).toBeLessThan(9 * n);
      expect(result.callsByOperation['spoke ec2:DescribeTransitGatewayAttachments']).toBeGreaterThan(10 * n);
    });

    it("reads a new attachment's links on the hub neither to route it nor to confirm its routes", () => {
      // Every attachment of the day is new (CreateAttachment made it) and the example TGW has default association and
      // propagation disabled: AssociateAndPropagate reads the association alone and creates the static routes
      // without searching, and WaitForConnectivity trusts the `active` those creations answered (routesActive). A
      // search happens only where a retried attempt finds the association made already (its route call throttled) or
      // meets RouteAlreadyExists (docs/performance.md, "Create first").
      const searches = result.callsByOperation['hub ec2:SearchTransitGatewayRoutes'] ?? 0;
      const propagations = result.callsByOperation['hub ec2:GetTransitGatewayAttachmentPropagations'] ?? 0;
      expect(result.callsByOperation['hub ec2:CreateTransitGatewayRoute']).toBeGreaterThanOrEqual(n);
      expect(searches).toBeLessThan(n / 2);
      expect(propagations).toBeLessThan(n / 2);
    });

    it('finishes within 1.25x of the lower bound implied by the rate limits and the attachment latencies', () => {
      expect(result.lowerBound.seconds).toBeGreaterThan(60);
      expect(result.makespanSeconds).toBeGreaterThanOrEqual(result.lowerBound.seconds);
      expect(result.makespanSeconds).toBeLessThanOrEqual(1.25 * result.lowerBound.seconds);
    });
  });
}
