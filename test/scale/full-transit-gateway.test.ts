import { cidrContains } from '#shared/cidr';
import { ATTACHMENTS_PER_TRANSIT_GATEWAY, fullTransitGatewayWorld } from '../../bench/worlds';

/**
 * The world of `bulk5000` at full size (the day itself runs in `npm run bench`, reduced in
 * full-transit-gateway.scale.test.ts): what the bench states about it holds.
 */
describe('bulk5000 world', () => {
  const bulk = fullTransitGatewayWorld();

  it('fills the TGW: 5,000 attachments minus the hub own, in 500 accounts, and one more VPC that asks after', () => {
    expect(bulk.hubAttachments).toBe(1);
    expect(bulk.spokes).toHaveLength(ATTACHMENTS_PER_TRANSIT_GATEWAY - bulk.hubAttachments);
    const accounts = new Set([...bulk.spokes, bulk.next].map((s) => s.accountId));
    expect(accounts.size).toBe(500);
    expect(bulk.spokes.map((s) => s.vpcId)).not.toContain(bulk.next.vpcId);
  });

  it('puts every VPC block inside a supernet of its own segment, and no two blocks overlap', () => {
    for (const s of [...bulk.spokes, bulk.next]) {
      const supernets = bulk.config.segments[s.segment]!.aggregatedIngress;
      expect(supernets.some((n) => cidrContains(n, s.cidr))).toBe(true);
    }
    const blocks = [...bulk.spokes, bulk.next].map((s) => s.cidr);
    expect(new Set(blocks).size).toBe(blocks.length);
  });

  it('states the VPCs attached before a reduced run in capacity.otherAttachments, so that the TGW is full for spokelink', () => {
    expect(bulk.config.capacity.otherAttachments).toBe(1);
    const reduced = fullTransitGatewayWorld({ accounts: 3, vpcs: 13, fillWithAttached: true });
    expect(reduced.config.capacity.otherAttachments).toBe(ATTACHMENTS_PER_TRANSIT_GATEWAY - reduced.spokes.length);
    expect(reduced.world.ec2.transitGatewayAttachments).toHaveLength(
      ATTACHMENTS_PER_TRANSIT_GATEWAY - reduced.spokes.length,
    );
  });

  it('is in Profile mode with the adjustable quotas raised, each with its page, and nothing else raised', () => {
    expect(bulk.config.dns.mode).toBe('profile');
    expect(bulk.raisedQuotas.map((q) => q.value)).toEqual([5_000, 25_000]);
    for (const q of bulk.raisedQuotas) expect(q.page).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    expect(bulk.world.ec2.quotas.rulesPerSecurityGroup).toBeUndefined();
  });
});
