import fc from 'fast-check';
import type { MembershipInterval } from '#shared/registry/model';
import {
  allocate,
  ChargebackInputError,
  type CostPool,
  formatMicroUsd,
  hubCostPools,
  membershipFromRecords,
  monthRange,
  splitLargestRemainder,
} from '../../cli/cost/chargeback';
import { defaultPriceTable } from '../../cli/cost/cost';

const prices = defaultPriceTable();
const catalog = {
  endpoints: {
    ssm: { privateHostedZoneIds: ['Z1'], securityGroupId: 'sg-00000001', ports: [443] },
    sts: { privateHostedZoneIds: ['Z2'], securityGroupId: 'sg-00000002', ports: [443] },
    secretsmanager: { privateHostedZoneIds: ['Z3'], securityGroupId: 'sg-00000003', ports: [443] },
  },
};

function interval(vpcId: string, services: string[], connectedAt: string, disconnectedAt?: string): MembershipInterval {
  const accountId = vpcId === 'vpc-a' ? '111111111111' : '222222222222';
  return { vpcId, accountId, segment: 'nonprod', services, connectedAt, ...(disconnectedAt ? { disconnectedAt } : {}) };
}

// April 2026: 30 days = 720 hours.
//   vpc-a (ssm, sts): connected 2026-03-15, never disconnected -> clipped to the whole month, 720 h
//   vpc-b (ssm): 04-01 00:00 -> 04-11 00:00 (240 h), then 04-21 00:00 -> 05-03 (clipped at 05-01: 240 h) = 480 h
//   secretsmanager: nobody
const intervals = [
  interval('vpc-a', ['ssm', 'sts'], '2026-03-15T08:00:00Z'),
  interval('vpc-b', ['ssm'], '2026-04-01T00:00:00Z', '2026-04-11T00:00:00Z'),
  interval('vpc-b', ['ssm'], '2026-04-21T00:00:00Z', '2026-05-03T00:00:00Z'),
];

describe('Function: monthRange', () => {
  it('gives the UTC bounds and hours of a month, leap February included', () => {
    expect(monthRange('2026-04')).toMatchObject({ hours: 720, startMs: Date.parse('2026-04-01T00:00:00Z') });
    expect(monthRange('2024-02').hours).toBe(696);
    expect(monthRange('2026-12').endMs).toBe(Date.parse('2027-01-01T00:00:00Z'));
  });

  it.each(['2026-13', '2026-4', 'April', '2026-04-01'])('rejects %s', (month) => {
    expect(() => monthRange(month)).toThrow(ChargebackInputError);
  });
});

describe('Function: hubCostPools', () => {
  it("models the month's endpoint-hours, the hub attachment and the zones", () => {
    // each endpoint: 2 AZs x 720 h = 1,440 h x $0.01 = $14.40; hub attachment 720 h x $0.05 = $36.00; zones $0.50
    const pools = hubCostPools({ month: '2026-04', config: catalog, prices, hubAzs: 2 });

    expect(pools.map((p) => [p.category, p.item, p.microUsd])).toEqual([
      ['endpoint', 'ssm', 14_400_000],
      ['endpoint', 'sts', 14_400_000],
      ['endpoint', 'secretsmanager', 14_400_000],
      ['tgw-hub-attachment', 'hub VPC attachment', 36_000_000],
      ['private-hosted-zone', 'Z1', 500_000],
      ['private-hosted-zone', 'Z2', 500_000],
      ['private-hosted-zone', 'Z3', 500_000],
    ]);
  });

  it('prices the 26th zone of the catalog at the second tier', () => {
    const endpoints = Object.fromEntries(
      Array.from({ length: 26 }, (_, i) => [
        `svc${i}`,
        { privateHostedZoneIds: [`Z${i}`], securityGroupId: 'sg-00000001', ports: [443] },
      ]),
    );
    const zones = hubCostPools({ month: '2026-04', config: { endpoints }, prices, hubAzs: 1 }).filter(
      (p) => p.category === 'private-hosted-zone',
    );

    expect(zones.map((z) => z.unitUsd)).toEqual([...Array(25).fill(0.5), 0.1]);
  });

  it("charges each spoke its own attachment's hours, partial hours rounded up, when the hub pays", () => {
    // vpc-b: 240 h + 240 h = 480 h x $0.05 = $24.00; vpc-c: 90 minutes billed as 2 h = $0.10
    const withPartial = [...intervals, interval('vpc-c', ['sts'], '2026-04-05T10:00:00Z', '2026-04-05T11:30:00Z')];
    const pools = hubCostPools({
      month: '2026-04',
      config: catalog,
      prices,
      hubAzs: 2,
      hubPaysAttachments: true,
      intervals: withPartial,
    });
    const spokes = pools.filter((p) => p.category === 'tgw-spoke-attachment');

    expect(spokes.map((p) => [p.scope, p.quantity, p.microUsd])).toEqual([
      [{ kind: 'vpc', vpcId: 'vpc-a' }, 720, 36_000_000],
      [{ kind: 'vpc', vpcId: 'vpc-b' }, 480, 24_000_000],
      [{ kind: 'vpc', vpcId: 'vpc-c' }, 2, 100_000],
    ]);
  });
});

describe('Function: allocate', () => {
  const pools = hubCostPools({ month: '2026-04', config: catalog, prices, hubAzs: 2 });
  const report = allocate('2026-04', pools, intervals);
  const usd = (vpcId: string, item: string) => report.rows.find((r) => r.vpcId === vpcId && r.item === item)?.usd;

  it('splits each cost pro rata by hours connected, as computed by hand', () => {
    // ssm $14.40 split 720 h : 480 h -> vpc-a 0.6 x 14.40 = $8.64, vpc-b $5.76
    // sts $14.40 -> vpc-a alone; hub attachment $36.00 split 720 : 480 -> $21.60 / $14.40
    // Z1 (ssm) $0.50 -> $0.30 / $0.20; Z2 (sts) $0.50 -> vpc-a
    // vpc-a 8.64 + 14.40 + 21.60 + 0.30 + 0.50 = $45.44; vpc-b 5.76 + 14.40 + 0.20 = $20.36
    expect(usd('vpc-a', 'ssm')).toBe(8.64);
    expect(usd('vpc-b', 'ssm')).toBe(5.76);
    expect(usd('vpc-a', 'sts')).toBe(14.4);
    expect(usd('vpc-b', 'sts')).toBeUndefined();
    expect(usd('vpc-a', 'hub VPC attachment')).toBe(21.6);
    expect(usd('vpc-b', 'hub VPC attachment')).toBe(14.4);
    expect(report.summary.byVpc.map((v) => [v.vpcId, v.connectedHours, v.usd])).toEqual([
      ['vpc-a', 720, 45.44],
      ['vpc-b', 480, 20.36],
    ]);
    expect(report.summary.byAccount).toEqual([
      { accountId: '111111111111', usd: 45.44, microUsd: 45_440_000 },
      { accountId: '222222222222', usd: 20.36, microUsd: 20_360_000 },
    ]);
  });

  it('clips an interval that starts before the month and ends after it to the whole month', () => {
    const across = [interval('vpc-x', ['ssm'], '2026-02-01T00:00:00Z', '2026-06-01T00:00:00Z')];

    const clipped = allocate('2026-04', pools, across);

    expect(clipped.summary.byVpc).toEqual([expect.objectContaining({ vpcId: 'vpc-x', connectedHours: 720 })]);
  });

  it("sums a VPC's two intervals in the month", () => {
    const b = report.rows.find((r) => r.vpcId === 'vpc-b' && r.item === 'ssm');

    expect(b?.connectedHours).toBe(480);
  });

  it('reports a cost nobody consumed as unallocated, never dropping it', () => {
    // secretsmanager $14.40 and its zone Z3 $0.50 -> $14.90 unallocated
    expect(report.rows.filter((r) => r.vpcId === 'unallocated').map((r) => [r.item, r.usd])).toEqual([
      ['secretsmanager', 14.4],
      ['Z3', 0.5],
    ]);
    expect(report.summary.unallocatedUsd).toBe(14.9);
    expect(report.summary.unallocated).toHaveLength(2);
  });

  it('allocates every micro-dollar exactly once (45.44 + 20.36 + 14.90 = 80.70)', () => {
    const total = pools.reduce((s, p) => s + p.microUsd, 0);

    expect(total).toBe(80_700_000);
    expect(report.rows.reduce((s, r) => s + r.microUsd, 0)).toBe(total);
    expect(report.summary.totalUsd).toBe(80.7);
    expect(report.summary.allocatedUsd + report.summary.unallocatedUsd).toBeCloseTo(80.7, 6);
  });

  it('ignores intervals outside the month', () => {
    const before = [interval('vpc-old', ['ssm'], '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z')];

    expect(allocate('2026-04', pools, before).summary.byVpc).toEqual([]);
  });

  it('rejects an interval that ends before it starts, naming the VPC', () => {
    const bad = [interval('vpc-bad', ['ssm'], '2026-04-10T00:00:00Z', '2026-04-09T00:00:00Z')];

    expect(() => allocate('2026-04', pools, bad)).toThrow(/interval of vpc-bad: disconnectedAt is before connectedAt/);
  });

  it('warns about overlapping intervals of one VPC', () => {
    const overlapping = [
      interval('vpc-o', ['ssm'], '2026-04-01T00:00:00Z', '2026-04-10T00:00:00Z'),
      interval('vpc-o', ['ssm'], '2026-04-05T00:00:00Z'),
    ];

    expect(allocate('2026-04', pools, overlapping).summary.warnings).toEqual([
      expect.stringContaining('vpc-o has overlapping membership intervals'),
    ]);
  });

  it('adds up exactly for any pools and intervals (property)', () => {
    const monthStart = Date.parse('2026-02-01T00:00:00Z');
    const arbitraryInterval = fc.record({
      vpc: fc.integer({ min: 0, max: 6 }),
      start: fc.integer({ min: -10 * 86_400_000, max: 30 * 86_400_000 }),
      length: fc.integer({ min: 1, max: 40 * 86_400_000 }),
      services: fc.subarray(['ssm', 'sts', 'secretsmanager']),
      open: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(arbitraryInterval, { maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 10_000_000_000 }), { minLength: 1, maxLength: 5 }),
        (raw, amounts) => {
          const list = raw.map((r) =>
            interval(
              `vpc-${r.vpc}`,
              r.services,
              new Date(monthStart + r.start).toISOString(),
              r.open ? undefined : new Date(monthStart + r.start + r.length).toISOString(),
            ),
          );
          const scopes: CostPool['scope'][] = [
            { kind: 'all' },
            { kind: 'services', services: ['ssm'] },
            { kind: 'services', services: ['sts', 'secretsmanager'] },
            { kind: 'vpc', vpcId: 'vpc-1' },
          ];
          const randomPools: CostPool[] = amounts.map((microUsd, i) => ({
            category: 'endpoint',
            item: `pool-${i}`,
            quantity: 1,
            unit: 'x',
            unitUsd: microUsd / 1e6,
            microUsd,
            scope: scopes[i % scopes.length]!,
          }));
          const result = allocate('2026-02', randomPools, list);
          const rowsTotal = result.rows.reduce((s, r) => s + r.microUsd, 0);
          return rowsTotal === amounts.reduce((s, a) => s + a, 0) && result.rows.every((r) => r.microUsd >= 0);
        },
      ),
    );
  });
});

describe('Function: splitLargestRemainder', () => {
  it('gives the leftover micro-dollars to the largest remainders', () => {
    // 500,000 / 3 = 166,666.67 each: two get 166,667, one 166,666
    expect(splitLargestRemainder(500_000, [1, 1, 1])).toEqual([166_667, 166_667, 166_666]);
    // 10 split 1 : 2 : 4 -> 1.43, 2.86, 5.71: floors 1, 2, 5 (8), remainders .43, .86, .71 -> +1 to 2nd and 3rd
    expect(splitLargestRemainder(10, [1, 2, 4])).toEqual([1, 3, 6]);
  });

  it('stays exact beyond 2^53 products', () => {
    const shares = splitLargestRemainder(9_000_000_000_000, [2_678_400_000, 1, 7]);

    expect(shares.reduce((s, x) => s + x, 0)).toBe(9_000_000_000_000);
  });
});

describe('Function: chargebackCsv', () => {
  it('writes exact decimal amounts that add up to the total', () => {
    const pools = hubCostPools({ month: '2026-04', config: catalog, prices, hubAzs: 2 });
    const { csv } = allocate('2026-04', pools, [
      ...intervals,
      interval('vpc-c', ['ssm'], '2026-04-01T00:00:00Z', '2026-04-01T07:00:00Z'),
    ]);
    const lines = csv.trimEnd().split('\n');

    expect(lines[0]).toBe('month,account_id,vpc_id,segment,category,item,connected_hours,usd');
    expect(lines).toContain('2026-04,,unallocated,,endpoint,secretsmanager,0.0000,14.400000');
    const micro = lines.slice(1).reduce((s, l) => s + Number(l.split(',').at(-1)!.replace('.', '')), 0);
    expect(micro).toBe(80_700_000);
  });

  it('formats micro-dollars without floating point', () => {
    expect(formatMicroUsd(1)).toBe('0.000001');
    expect(formatMicroUsd(80_700_000)).toBe('80.700000');
    expect(formatMicroUsd(123_456_789_012_345)).toBe('123456789.012345');
  });
});

describe('Function: membershipFromRecords', () => {
  const base = { accountId: '222222222222', segment: 'nonprod', services: ['ssm'] };

  it('turns registry records into intervals, once per membership', () => {
    const records = [
      { ...base, vpcId: 'vpc-1', status: 'connected' as const, connectedAt: '2026-04-02T00:00:00Z' },
      // current record after offboarding and its history copy: one interval, with its end
      { ...base, vpcId: 'vpc-2', status: 'disconnected' as const, connectedAt: '2026-03-01T00:00:00Z' },
      {
        ...base,
        vpcId: 'vpc-2',
        status: 'disconnected' as const,
        connectedAt: '2026-03-01T00:00:00Z',
        disconnectedAt: '2026-04-03T00:00:00Z',
      },
      // disconnected without disconnectedAt: ends at updatedAt
      {
        ...base,
        vpcId: 'vpc-3',
        status: 'disconnected' as const,
        connectedAt: '2026-04-01T00:00:00Z',
        updatedAt: '2026-04-02T00:00:00Z',
      },
      // never connected
      { ...base, vpcId: 'vpc-4', status: 'failed' as const },
    ];

    expect(membershipFromRecords(records)).toEqual([
      { ...base, vpcId: 'vpc-1', connectedAt: '2026-04-02T00:00:00Z' },
      { ...base, vpcId: 'vpc-2', connectedAt: '2026-03-01T00:00:00Z', disconnectedAt: '2026-04-03T00:00:00Z' },
      { ...base, vpcId: 'vpc-3', connectedAt: '2026-04-01T00:00:00Z', disconnectedAt: '2026-04-02T00:00:00Z' },
    ]);
  });

  it("leaves services served in the VPC (spoke placement, or the VPC's own) out of the hub pools", () => {
    const records = [
      {
        ...base,
        vpcId: 'vpc-5',
        services: ['secretsmanager', 'ssm', 'sts'],
        localServices: ['sts'],
        selfServed: ['secretsmanager'],
        status: 'connected' as const,
        connectedAt: '2026-04-01T00:00:00Z',
      },
      {
        ...base,
        vpcId: 'vpc-6',
        services: ['ssm', 'sts'],
        status: 'connected' as const,
        connectedAt: '2026-04-01T00:00:00Z',
      },
    ];
    const intervals = membershipFromRecords(records);
    expect(intervals.map((i) => i.services)).toEqual([['ssm'], ['ssm', 'sts']]);

    // The hub's sts endpoint is charged to vpc-6 alone: AWS bills vpc-5's own sts endpoint to its account already.
    const pools = hubCostPools({ month: '2026-04', config: catalog, prices, hubAzs: 2 });
    const rows = allocate('2026-04', pools, intervals).rows.filter((r) => r.item === 'sts');
    expect(rows.map((r) => [r.vpcId, r.usd])).toEqual([['vpc-6', 14.4]]);
  });
});
