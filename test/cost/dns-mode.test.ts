import type { MembershipInterval } from '#shared/registry/model';
import { run } from '../../cli/commands/cost';
import { allocate, hubCostPools } from '../../cli/cost/chargeback';
import { costModel, defaultPriceTable, roundCents } from '../../cli/cost/cost';
import { capture } from './capture';

/**
 * DNS mode `profile` priced: the hub, as the Profile's owner, pays $0.75 per hour covering 100 associations and
 * $0.0014 per association-hour beyond (https://aws.amazon.com/route53/pricing/, pricing/us-east-1.json).
 */

const prices = defaultPriceTable();
const base = { services: 10, azs: 3, gbPerVpcMonth: 50, prices };

describe('Cost: DNS modes', () => {
  it('adds the Profile hour to the centralized cost, and the association-hours beyond 100', () => {
    const small = costModel({ ...base, vpcs: 50, dnsMode: 'profile' });
    expect(small.centralized.lineItems.filter((i) => i.kind === 'route53-profile').map((i) => i.usd)).toEqual([547.5]);
    const large = costModel({ ...base, vpcs: 1_000, dnsMode: 'profile' });
    // 730 h x $0.75, and 900 associations x 730 h x $0.0014.
    expect(large.centralized.lineItems.filter((i) => i.kind === 'route53-profile').map((i) => i.usd)).toEqual([
      547.5, 919.8,
    ]);
    const zones = costModel({ ...base, vpcs: 1_000 });
    expect(roundCents(large.centralized.monthlyUsd - zones.centralized.monthlyUsd)).toBe(1467.3);
  });

  it('compares both modes at the given N and recommends by Route 53’s 300 VPCs per zone', () => {
    const at1000 = costModel({ ...base, vpcs: 1_000 });
    expect(at1000.dnsModes.profileUsd - at1000.dnsModes.zonesUsd).toBeCloseTo(1467.3, 2);
    expect(at1000.dnsModes.recommendation).toMatch(/^profile: 1,000 VPCs exceed Route 53's default of 300/);
    const at50 = costModel({ ...base, vpcs: 50 });
    expect(at50.dnsModes.recommendation).toMatch(/^zones: 50 VPCs fit .* would add \$547\.50\/month/);
    // The mode asked for does not change the comparison.
    expect(costModel({ ...base, vpcs: 50, dnsMode: 'profile' }).dnsModes).toEqual(at50.dnsModes);
  });

  it('refuses an unknown mode with a clear error, on the command line too', async () => {
    expect(() => costModel({ ...base, vpcs: 5, dnsMode: 'both' as never })).toThrow('dnsMode must be zones or profile');
    const c = capture();
    const code = await run(['--vpcs', '5', '--services', '2', '--azs', '2', '--gb', '1', '--dns-mode', 'both'], c.io);
    expect(code).toBe(2);
    expect(c.stderr()).toContain('--dns-mode must be zones or profile');
    expect(c.stdout()).toBe('');
  });

  it('prints the comparison and prices the chosen mode', async () => {
    const c = capture();
    expect(
      await run(['--vpcs', '400', '--services', '2', '--azs', '2', '--gb', '1', '--dns-mode', 'profile'], c.io),
    ).toBe(0);
    expect(c.stdout()).toContain('Route 53 Profile associations beyond 100: 300 x 730 h');
    expect(c.stdout()).toMatch(/DNS mode: zones \$[\d,.]+\/month, profile \$[\d,.]+\/month: profile: 400 VPCs/);
  });
});

describe('Chargeback: DNS mode profile', () => {
  const endpoints = {
    ssm: { privateHostedZoneIds: ['Z1'], securityGroupId: 'sg-0a', ports: [443] },
  } as never;
  const interval = (vpcId: string): MembershipInterval => ({
    vpcId,
    accountId: '222222222222',
    segment: 'prod',
    services: ['ssm'],
    connectedAt: '2026-04-01T00:00:00Z',
  });

  it('charges the Profile hour to every consumer, and nothing in zones mode', () => {
    const intervals = [interval('vpc-a'), interval('vpc-b')];
    const pools = hubCostPools({
      month: '2026-04',
      config: { endpoints, dns: { mode: 'profile' } },
      prices,
      hubAzs: 1,
      intervals,
    });
    const profile = pools.filter((p) => p.category === 'route53-profile');
    // April: 720 h x $0.75; two associations are within the 100 included.
    expect(profile.map((p) => [p.item, p.quantity, p.unitUsd])).toEqual([['hub Route 53 Profile', 720, 0.75]]);
    const report = allocate('2026-04', pools, intervals);
    const rows = report.rows.filter((r) => r.category === 'route53-profile');
    expect(rows.map((r) => [r.vpcId, r.usd])).toEqual([
      ['vpc-a', 270],
      ['vpc-b', 270],
    ]);
    const zones = hubCostPools({ month: '2026-04', config: { endpoints }, prices, hubAzs: 1, intervals });
    expect(zones.some((p) => p.category === 'route53-profile')).toBe(false);
  });
});
