import { readFileSync } from 'node:fs';
import {
  CostInputError,
  costModel,
  costTotals,
  defaultPriceTable,
  loadPriceTable,
  type PriceTable,
  PriceTableError,
  tierSlices,
} from '../../cli/cost/cost';

const prices = defaultPriceTable();
const PB = 1_048_576; // GB, AWS billing units

function usdOf(result: ReturnType<typeof costModel>, architecture: 'decentralized' | 'centralized', kind: string) {
  return result[architecture].lineItems.filter((item) => item.kind === kind).map((item) => item.usd);
}

describe('Function: costModel', () => {
  it('prices the README example (100 VPCs, 10 services, 3 AZs, 50 GB) as computed by hand', () => {
    // Decentralized:
    //   endpoint-hours 100 x 10 x 3 x 730 = 2,190,000 x $0.01 = $21,900.00
    //   endpoint data  100 x 50 GB = 5,000 GB (each VPC far below 1 PB) x $0.01 = $50.00
    //   total $21,950.00
    // Centralized:
    //   endpoint-hours 10 x 3 x 730 = 21,900 x $0.01 = $219.00
    //   spoke attachments 100 x 730 = 73,000 h x $0.05 = $3,650.00; hub attachment 730 h x $0.05 = $36.50
    //   TGW data 5,000 GB x $0.02 = $100.00; endpoint data 5,000 GB x $0.01 = $50.00
    //   zones 10 x $0.50 = $5.00
    //   total 219 + 3,650 + 36.5 + 100 + 50 + 5 = $4,060.50
    const result = costModel({ vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices });

    expect(result.decentralized.monthlyUsd).toBe(21_950);
    expect(result.decentralized.lineItems.map((i) => i.usd)).toEqual([21_900, 50]);
    expect(result.centralized.monthlyUsd).toBe(4_060.5);
    expect(result.centralized.lineItems.map((i) => i.usd)).toEqual([219, 3_650, 36.5, 100, 50, 5]);
    expect(result.centralized.lineItems[1]).toMatchObject({ quantity: 73_000, unit: 'attachment-hour', unitUsd: 0.05 });
    expect(result.cheaper).toBe('centralized');
    expect(result.savingsUsd).toBe(17_889.5);
    expect(result.recommendation).toMatch(/^Centralize: \$4,060\.50\/month against \$21,950\.00/);
  });

  it('makes every line item quantity x unit price, and the total the sum of the items', () => {
    const result = costModel({ vpcs: 37, services: 7, azs: 2, gbPerVpcMonth: 123.45, prices });

    for (const cost of [result.decentralized, result.centralized]) {
      for (const item of cost.lineItems) expect(item.usd).toBeCloseTo(item.quantity * item.unitUsd, 2);
      const cents = cost.lineItems.reduce((sum, item) => sum + Math.round(item.usd * 100), 0);
      expect(cost.monthlyUsd).toBe(cents / 100);
    }
  });

  it('tiers the hub account on the aggregate GB across the 1 PB boundary', () => {
    // 2 VPCs x 600,000 GB = 1,200,000 GB in the hub account:
    //   first 1,048,576 GB x $0.01 = $10,485.76; next 151,424 GB x $0.006 = $908.544 -> $908.54
    // Decentralized: each VPC's 600,000 GB stays in its account's first tier: 1,200,000 x $0.01 = $12,000.00
    const result = costModel({ vpcs: 2, services: 1, azs: 1, gbPerVpcMonth: 600_000, prices });

    expect(usdOf(result, 'centralized', 'endpoint-data')).toEqual([10_485.76, 908.54]);
    expect(result.centralized.lineItems.filter((i) => i.kind === 'endpoint-data').map((i) => i.quantity)).toEqual([
      PB,
      151_424,
    ]);
    expect(usdOf(result, 'decentralized', 'endpoint-data')).toEqual([12_000]);
  });

  it("tiers each decentralized VPC's own GB, up to the over-5-PB tier", () => {
    // 1 VPC x 6,000,000 GB: first 1,048,576 x $0.01 = $10,485.76; next 4,194,304 x $0.006 = $25,165.824 -> $25,165.82;
    // the remaining 757,120 x $0.004 = $3,028.48
    const result = costModel({ vpcs: 1, services: 1, azs: 1, gbPerVpcMonth: 6_000_000, prices });

    expect(usdOf(result, 'decentralized', 'endpoint-data')).toEqual([10_485.76, 25_165.82, 3_028.48]);
    expect(result.decentralized.lineItems.map((i) => i.label)).toEqual([
      expect.any(String),
      expect.stringMatching(/\[first 1 PB\]$/),
      expect.stringMatching(/\[next 4 PB\]$/),
      expect.stringMatching(/\[over 5 PB\]$/),
    ]);
  });

  it('prices private hosted zones at $0.50 for the first 25 and $0.10 after', () => {
    // 25 zones: 25 x $0.50 = $12.50. 26 zones: $12.50 + 1 x $0.10 = $12.60. 30 zones: $12.50 + 5 x $0.10 = $13.00
    const zones = (services: number) =>
      usdOf(costModel({ vpcs: 1, services, azs: 1, gbPerVpcMonth: 0, prices }), 'centralized', 'private-hosted-zone');

    expect(zones(25)).toEqual([12.5]);
    expect(zones(26)).toEqual([12.5, 0.1]);
    expect(zones(30)).toEqual([12.5, 0.5]);
  });

  it('leaves spoke attachments out as a sunk cost when the TGW exists, and keeps the hub attachment', () => {
    const result = costModel({ vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices, existingTgw: true });

    expect(usdOf(result, 'centralized', 'tgw-attachment')).toEqual([36.5]);
    expect(result.centralized.monthlyUsd).toBe(410.5); // 4,060.50 - 3,650.00
    expect(result.assumptions.join(' ')).toMatch(/sunk cost/);
  });

  it('runs the hub endpoints in their own AZ count when hubVpcAzs is given', () => {
    const result = costModel({ vpcs: 10, services: 4, azs: 3, hubVpcAzs: 2, gbPerVpcMonth: 0, prices });

    expect(result.centralized.lineItems[0]).toMatchObject({ quantity: 4 * 2 * 730, usd: 58.4 });
  });

  it('rejects inputs out of range with a named error', () => {
    expect(() => costModel({ vpcs: 0, services: 1, azs: 1, gbPerVpcMonth: 1, prices })).toThrow(CostInputError);
    expect(() => costModel({ vpcs: 1, services: 1, azs: 1.5, gbPerVpcMonth: 1, prices })).toThrow(
      /azs must be a whole number/,
    );
    expect(() => costModel({ vpcs: 1, services: 1, azs: 1, gbPerVpcMonth: -1, prices })).toThrow(/gbPerVpcMonth/);
    expect(() => costModel({ vpcs: 5_000, services: 1, azs: 1, gbPerVpcMonth: 1, prices })).toThrow(/at most 4999/);
  });
});

describe('Function: costModel break-even', () => {
  const diff = (input: Parameters<typeof costTotals>[0]) => {
    const totals = costTotals(input);
    return totals.decentralizedUsd - totals.centralizedUsd;
  };

  it('finds the smallest N at which centralized is not more expensive (README example: 2)', () => {
    // f(N) = decentralized - centralized = 219.5 N - (219 + 36.5 (N + 1) + 1.5 N + 5) = 181.5 N - 260.5
    // f(1) = -79 (centralized $298.50 vs $219.50), f(2) = 102.5 (centralized $336.50 vs $439.00)
    const input = { vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices };
    const result = costModel(input);

    expect(result.breakEvenVpcs).toBe(2);
    expect(diff({ ...input, vpcs: 2 })).toBeGreaterThanOrEqual(0);
    expect(diff({ ...input, vpcs: 1 })).toBeLessThan(0);
  });

  it('finds a break-even of 4 VPCs for 5 services in 2 AZs at 100 GB', () => {
    // decentralized(N) = N x (5 x 2 x 730 x 0.01 + 100 x 0.01) = 74 N
    // centralized(N) = 73 + 36.5 (N + 1) + 2 N + 1 N + 2.5 = 112 + 39.5 N
    // 74 N >= 112 + 39.5 N  <=>  N >= 3.25: N = 3 gives 222 < 230.50, N = 4 gives 296 >= 270
    const input = { vpcs: 10, services: 5, azs: 2, gbPerVpcMonth: 100, prices };
    const result = costModel(input);

    expect(result.breakEvenVpcs).toBe(4);
    expect(costTotals({ ...input, vpcs: 3 })).toEqual({ decentralizedUsd: 222, centralizedUsd: 230.5 });
    expect(costTotals({ ...input, vpcs: 4 })).toEqual({ decentralizedUsd: 296, centralizedUsd: 270 });
  });

  it('moves the break-even when attachments are sunk (1 service, 2 AZs, 100 GB: 5 VPCs)', () => {
    // decentralized(N) = N x (14.6 + 1) = 15.6 N; centralized(N) = 14.6 + 36.5 + 3 N + 0.5 = 51.6 + 3 N
    // 12.6 N >= 51.6  <=>  N >= 4.1: N = 4 gives 62.4 < 63.6, N = 5 gives 78 >= 66.6
    const input = { vpcs: 10, services: 1, azs: 2, gbPerVpcMonth: 100, prices, existingTgw: true };
    const result = costModel(input);

    expect(result.breakEvenVpcs).toBe(5);
    expect(diff({ ...input, vpcs: 4 })).toBeLessThan(0);
    expect(diff({ ...input, vpcs: 5 })).toBeGreaterThanOrEqual(0);
  });

  it('reports no break-even in N, with the reason, when each VPC adds more TGW cost than endpoint-hours', () => {
    // per VPC: decentralized adds 1 x 2 x 7.30 + 1 = $15.60, centralized adds 36.50 + 2 + 1 = $39.50
    const result = costModel({ vpcs: 10, services: 1, azs: 2, gbPerVpcMonth: 100, prices });

    expect(result.breakEvenVpcs).toBeNull();
    expect(result.breakEvenVpcsReason).toMatch(/at every N up to 4,999 VPCs/);
    expect(result.cheaper).toBe('decentralized');
    expect(result.recommendation).toMatch(/^Stay decentralized/);
  });

  it('finds the largest G at which centralized is still not more expensive (README example: 8,994 GB)', () => {
    // At N = 100 and G below 1 PB / 100: f(G) = 100 (219 + 0.01 G) - (3,910.50 + 0.02 x 100 G + 0.01 x 100 G)
    //   = 17,989.5 - 2 G >= 0  <=>  G <= 8,994.75
    const input = { vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices };
    const result = costModel(input);

    expect(result.breakEvenGb).toBe(8_994);
    expect(diff({ ...input, gbPerVpcMonth: 8_994 })).toBeGreaterThanOrEqual(0);
    expect(diff({ ...input, gbPerVpcMonth: 8_995 })).toBeLessThan(0);
  });

  it('reports no break-even in G when centralized costs more even with no traffic', () => {
    const result = costModel({ vpcs: 1, services: 1, azs: 1, gbPerVpcMonth: 10, prices });

    expect(result.breakEvenGb).toBeNull();
    expect(result.breakEvenGbReason).toMatch(/even with no traffic/);
  });

  it('reports no break-even in G when centralized stays cheaper at any volume', () => {
    // Free TGW processing and a flat endpoint price make the GB cost the same both ways.
    const flat = loadPriceTable(prices, [
      {
        source: 'test',
        raw: {
          prices: { tgwDataProcessingGb: { usd: 0 }, endpointDataProcessingGb: { tiers: [{ upTo: null, usd: 0.01 }] } },
        },
      },
    ]);
    const result = costModel({ vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices: flat });

    expect(result.breakEvenGb).toBeNull();
    expect(result.breakEvenGbReason).toMatch(/stays cheaper at every volume/);
  });
});

describe('Function: costModel JSON shape', () => {
  it('has the fields the issue promises scripts, with line items', () => {
    const result = JSON.parse(
      JSON.stringify(costModel({ vpcs: 100, services: 10, azs: 3, gbPerVpcMonth: 50, prices })),
    ) as Record<string, unknown>;

    expect(Object.keys(result)).toEqual(
      expect.arrayContaining(['decentralized', 'centralized', 'breakEvenVpcs', 'breakEvenGb', 'recommendation']),
    );
    expect(result.decentralized).toEqual({ monthlyUsd: 21_950, lineItems: expect.any(Array) });
    expect((result.centralized as { lineItems: unknown[] }).lineItems[0]).toEqual({
      kind: 'endpoint-hours',
      label: 'Endpoint-hours, hub VPC only: 10 services x 3 AZs x 730 h',
      quantity: 21_900,
      unit: 'endpoint-AZ-hour',
      unitUsd: 0.01,
      usd: 219,
    });
    expect(result.prices).toEqual({ region: 'us-east-1', asOf: '2026-11-27', currency: 'USD', hoursPerMonth: 730 });
  });
});

describe('Function: tierSlices', () => {
  const tiers = [
    { upTo: 10, usd: 1 },
    { upTo: 50, usd: 0.5 },
    { upTo: null, usd: 0.1 },
  ];

  it('fills the tiers in order, each up to its cumulative bound', () => {
    expect(tierSlices(5, tiers)).toEqual([{ from: 0, to: 10, quantity: 5, usd: 1 }]);
    expect(tierSlices(10, tiers)).toEqual([{ from: 0, to: 10, quantity: 10, usd: 1 }]);
    expect(tierSlices(60, tiers).map((s) => s.quantity)).toEqual([10, 40, 10]);
    expect(tierSlices(0, tiers)).toEqual([]);
  });
});

describe('Function: loadPriceTable', () => {
  const base = JSON.parse(readFileSync('pricing/us-east-1.json', 'utf8')) as PriceTable;

  it('ships a dated table whose every price names its AWS pricing page', () => {
    expect(base.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(base.note).toMatch(/aws-facts\.md/);
    expect(base.note).toMatch(/confirm/);
    for (const price of Object.values(base.prices))
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\/.+\/pricing\/$/);
    expect(defaultPriceTable()).toEqual(base);
  });

  it('merges a partial override over the table', () => {
    const table = loadPriceTable(base, [
      { source: 'mine.json', raw: { prices: { tgwDataProcessingGb: { usd: 0.015 } } } },
    ]);

    expect(table.prices.tgwDataProcessingGb).toEqual({ ...base.prices.tgwDataProcessingGb, usd: 0.015 });
    expect(table.prices.tgwAttachmentHour).toEqual(base.prices.tgwAttachmentHour);
  });

  it('names the bad field and the files it came from', () => {
    const bad = { source: 'mine.json', raw: { prices: { tgwDataProcessingGb: { usd: -1 } } } };

    expect(() => loadPriceTable(base, [bad], 'pricing/us-east-1.json')).toThrow(PriceTableError);
    expect(() => loadPriceTable(base, [bad], 'pricing/us-east-1.json')).toThrow(
      /prices from pricing\/us-east-1\.json \+ mine\.json are invalid:\n {2}prices\.tgwDataProcessingGb\.usd: must be a price >= 0/,
    );
  });

  it('rejects a misspelled price instead of ignoring it', () => {
    const typo = { source: 'mine.json', raw: { prices: { tgwDataProcesingGb: { usd: 0.01 } } } };

    expect(() => loadPriceTable(base, [typo])).toThrow(/prices: Unrecognized key.*tgwDataProcesingGb/);
  });

  it('rejects tiers out of order or without an open-ended last tier', () => {
    const tiers = [
      { upTo: 100, usd: 0.01 },
      { upTo: 50, usd: 0.006 },
    ];
    const raw = { prices: { endpointDataProcessingGb: { tiers } } };

    expect(() => loadPriceTable(base, [{ source: 'x', raw }])).toThrow(
      /prices\.endpointDataProcessingGb\.tiers\.1\.upTo: the last tier must be open-ended[\s\S]*tiers\.1\.upTo: must be greater than 100/,
    );
  });

  it('rejects an override that is not an object', () => {
    expect(() => loadPriceTable(base, [{ source: 'list.json', raw: [] }])).toThrow(/list\.json must be a JSON object/);
  });
});
