import { readFileSync } from 'node:fs';
import { type HubConfig, loadConfigFile, parseConfig } from '#shared/config';
import { allocate, membershipFromRecords } from '../../cli/cost/chargeback';
import { centralizedCostOf, costModel, type LineItem } from '../../cli/cost/cost';
import {
  type DesignId,
  type FlowInput,
  loadRegionPriceBook,
  RegionPriceTableError,
  type RegionsInput,
  RegionsInputError,
  regionalCostPools,
  regionsCostModel,
} from '../../cli/cost/regions';
import { ledgerEntry } from '../shared/cross-region-fixture';

const TWO_REGIONS = 'config/example-two-regions.hub.json';
const config = loadConfigFile(TWO_REGIONS);
const book = loadRegionPriceBook();
const use1 = book.pricesOf('us-east-1');
const euw1 = book.pricesOf('eu-west-1');
const H = use1.base.hoursPerMonth;

/** The two-region example as a raw document, to derive variants (no peers, a third region). */
interface RawRegion {
  peers?: unknown;
  [field: string]: unknown;
}
const rawConfig = () =>
  JSON.parse(readFileSync(TWO_REGIONS, 'utf8')) as { hub: RawRegion; regions: Record<string, RawRegion> };

const flows: FlowInput[] = [
  { from: 'eu-west-1', to: 'us-east-1', gb: 1_000, services: 2 },
  { from: 'us-east-1', to: 'eu-west-1', gb: 500, via: 'peering' },
];

const input = (overrides: Partial<RegionsInput> = {}): RegionsInput => ({
  config,
  regions: { 'us-east-1': { vpcs: 10, services: 3 }, 'eu-west-1': { vpcs: 5, services: 1 } },
  azs: 2,
  gbPerVpcMonth: 10,
  flows,
  prices: book,
  ...overrides,
});

const items = (result: ReturnType<typeof regionsCostModel>, id: DesignId, kind: LineItem['kind']) =>
  result.designs[id].lineItems.filter((item) => item.kind === kind);
const usd = (list: LineItem[]) => list.map((item) => item.usd);
const cents = (value: number) => Math.round(value * 100) / 100;

describe('Function: regionsCostModel', () => {
  const result = regionsCostModel(input());

  it("prices each region's own hub as spokelink cost prices the centralized hub, with the region's prices", () => {
    const hubs = items(result, 'regional-hubs', 'regional-hub');
    const expected = (region: 'us-east-1' | 'eu-west-1', vpcs: number, services: number) =>
      centralizedCostOf({
        vpcs,
        services,
        azs: 2,
        gbPerVpcMonth: 10,
        prices: book.pricesOf(region).base,
      }).monthlyUsd;

    expect(usd(hubs)).toEqual([expected('us-east-1', 10, 3), expected('eu-west-1', 5, 1)]);
    // The same figure as the centralized side of spokelink cost for that region alone.
    expect(expected('eu-west-1', 5, 1)).toBe(
      costModel({ vpcs: 5, services: 1, azs: 2, gbPerVpcMonth: 10, prices: euw1.base }).centralized.monthlyUsd,
    );
    // eu-west-1's endpoint-hour is dearer than us-east-1's: the region's table is used, not the first one.
    expect(euw1.base.prices.interfaceEndpointAzHour.usd).toBeGreaterThan(use1.base.prices.interfaceEndpointAzHour.usd);
    for (const id of ['nlb-peering', 'per-region'] as const) expect(items(result, id, 'regional-hub')).toEqual(hubs);
  });

  it('regional-hubs: peering attachment-hours on both sides, cross-region endpoints, TGW data once, transfer paid by the sender', () => {
    expect(usd(items(result, 'regional-hubs', 'tgw-peering'))).toEqual([
      cents(H * euw1.base.prices.tgwAttachmentHour.usd),
      cents(H * use1.base.prices.tgwAttachmentHour.usd),
    ]);
    // Only the privatelink flow needs a cross-region endpoint: 2 services x 2 hub AZs in eu-west-1's hub.
    expect(items(result, 'regional-hubs', 'endpoint-hours')).toEqual([
      expect.objectContaining({ quantity: 2 * 2 * H, unitUsd: euw1.base.prices.interfaceEndpointAzHour.usd }),
    ]);
    // TGW processing where the spokes send; nothing where the peering delivers.
    expect(items(result, 'regional-hubs', 'tgw-data')).toEqual([
      expect.objectContaining({ quantity: 1_000, unitUsd: euw1.base.prices.tgwDataProcessingGb.usd }),
      expect.objectContaining({ quantity: 500, unitUsd: use1.base.prices.tgwDataProcessingGb.usd }),
    ]);
    // eu-west-1's hub endpoints process both: the cross-region endpoint's 1,000 GB and the 500 GB arriving by peering.
    expect(items(result, 'regional-hubs', 'endpoint-data')).toEqual([
      expect.objectContaining({ quantity: 1_500, unitUsd: euw1.base.prices.endpointDataProcessingGb.tiers[0]!.usd }),
    ]);
    expect(items(result, 'regional-hubs', 'inter-region-data')).toEqual([
      expect.objectContaining({ quantity: 1_000, unitUsd: euw1.interRegionTransferGb.usd }),
      expect.objectContaining({ quantity: 500, unitUsd: use1.interRegionTransferGb.usd }),
    ]);
    expect(items(result, 'regional-hubs', 'nlb')).toEqual([]);
  });

  it("nlb-peering: the provider's NLB in the sending region, its NLCUs per GB and the VPC peering's transfer; no TGW peering", () => {
    expect(items(result, 'nlb-peering', 'tgw-peering')).toEqual([]);
    expect(items(result, 'nlb-peering', 'nlb')).toEqual([
      expect.objectContaining({ quantity: 2 * H, unitUsd: euw1.nlbHour.usd }),
      expect.objectContaining({ quantity: H, unitUsd: use1.nlbHour.usd }),
      expect.objectContaining({ quantity: 1_000, unitUsd: euw1.nlcuHour.usd }),
      expect.objectContaining({ quantity: 500, unitUsd: use1.nlcuHour.usd }),
    ]);
    expect(usd(items(result, 'nlb-peering', 'inter-region-data'))).toEqual([
      cents(1_000 * euw1.interRegionTransferGb.usd),
      cents(500 * use1.interRegionTransferGb.usd),
    ]);
    // Every flow is service traffic to an endpoint in the sending region's hub: eu-west-1's hub gets endpoints for
    // us-east-1's 2 services; us-east-1's hub already has one for eu-west-1's service in its catalog (the example's
    // cross-region ledger entry), counted in its own hub.
    expect(items(result, 'nlb-peering', 'endpoint-hours').map((item) => [item.label, item.quantity])).toEqual([
      [expect.stringContaining("in eu-west-1's hub for us-east-1's services: 2 x 2 AZs"), 2 * 2 * H],
    ]);
  });

  it('per-region: nothing crosses regions; the provider pays an NLB and a replica per service in each sending region', () => {
    const replicated = regionsCostModel(input({ serviceReplicaUsd: 120 }));

    expect(items(replicated, 'per-region', 'inter-region-data')).toEqual([]);
    expect(items(replicated, 'per-region', 'tgw-peering')).toEqual([]);
    expect(usd(items(replicated, 'per-region', 'service-replica'))).toEqual([2 * 120, 1 * 120]);
    expect(items(replicated, 'per-region', 'nlb')).toEqual(items(replicated, 'nlb-peering', 'nlb'));
  });

  it('prices the responses (returnGb): TGW processing where they re-enter a TGW from a VPC, transfer paid by their sender', () => {
    const both = regionsCostModel(
      input({
        flows: [
          { from: 'eu-west-1', to: 'us-east-1', gb: 100, returnGb: 900 },
          { from: 'us-east-1', to: 'eu-west-1', gb: 10, returnGb: 40, via: 'peering' },
        ],
      }),
    );

    // privatelink: the responses come back into eu-west-1's TGW from its hub VPC; peering: into eu-west-1's TGW
    // from the destination there, then across the peering (no processing in us-east-1 for them).
    expect(items(both, 'regional-hubs', 'tgw-data')).toEqual([
      expect.objectContaining({ quantity: 100 + 900 + 40, unitUsd: euw1.base.prices.tgwDataProcessingGb.usd }),
      expect.objectContaining({ quantity: 10, unitUsd: use1.base.prices.tgwDataProcessingGb.usd }),
    ]);
    expect(items(both, 'regional-hubs', 'inter-region-data').map((i) => [i.quantity, i.unitUsd])).toEqual([
      [100, euw1.interRegionTransferGb.usd],
      [900, use1.interRegionTransferGb.usd],
      [10, use1.interRegionTransferGb.usd],
      [40, euw1.interRegionTransferGb.usd],
    ]);
    expect(items(both, 'regional-hubs', 'endpoint-data')).toEqual([expect.objectContaining({ quantity: 1_000 + 50 })]);
    // The provider's NLB processes both directions.
    expect(
      items(both, 'nlb-peering', 'nlb')
        .filter((i) => i.unit === 'NLCU-hour')
        .map((i) => i.quantity),
    ).toEqual([1_000, 50]);
    expect(both.inputs.interRegionGb).toBe(1_050);
  });

  it("counts a catalog's cross-region entries once: their endpoints are in the hub's own cost, in every design", () => {
    const doc = rawConfig() as { endpoints?: Record<string, unknown> } & ReturnType<typeof rawConfig>;
    doc.endpoints = { ...doc.endpoints, ledger: ledgerEntry() };
    const withLedger = parseConfig(doc, 'with ledger');
    const ledgerFlows: FlowInput[] = [{ from: 'us-east-1', to: 'eu-west-1', gb: 100, segment: 'prod' }];

    const priced = regionsCostModel(
      input({
        config: withLedger,
        regions: { 'us-east-1': { vpcs: 10, services: 4 }, 'eu-west-1': { vpcs: 5, services: 1 } },
        flows: ledgerFlows,
      }),
    );

    // The ledger endpoint is one of us-east-1's 4 catalog services: no extra endpoint-hours for the flow.
    for (const id of ['regional-hubs', 'nlb-peering', 'per-region'] as const) {
      expect(items(priced, id, 'endpoint-hours')).toEqual([]);
    }
    // Its provider still runs one NLB in us-east-1 in the other designs.
    expect(items(priced, 'nlb-peering', 'nlb')[0]).toMatchObject({ quantity: H });
    const pools = regionalCostPools({
      month: '2026-04',
      config: withLedger,
      prices: book,
      hubAzs: 3,
      intervalsByRegion: {},
      flows: ledgerFlows,
    });
    expect(pools[0]!.pools.filter((p) => p.category === 'endpoint').map((p) => p.item)).toEqual([
      'ssm',
      'sts',
      'secretsmanager',
      'ledger',
    ]);
  });

  it('totals are the sum of their items, ranked cheapest first, with the saving against the runner-up', () => {
    for (const design of Object.values(result.designs)) {
      const sum = design.lineItems.reduce((s, item) => s + Math.round(item.usd * 100), 0) / 100;
      expect(design.monthlyUsd).toBe(sum);
    }
    const totals = result.ranking.map((id) => result.designs[id].monthlyUsd);
    expect(totals).toEqual([...totals].sort((a, b) => a - b));
    expect(result.cheapest).toBe(result.ranking[0]);
    expect(result.savingsUsd).toBe(cents(totals[1]! - totals[0]!));
    expect(result.recommendation).toContain(`${result.cheapest} is cheapest`);
  });

  it('finds each crossover: the volume from which the other design costs at most, and not one GB earlier', () => {
    const at = (gb: number) => {
      const scale = gb / 1_500;
      return regionsCostModel(input({ flows: flows.map((f) => ({ ...f, gb: f.gb * scale })) })).designs;
    };
    const crossings = result.crossovers.filter((c) => c.interRegionGb !== null && c.interRegionGb > 0);
    expect(crossings.length).toBeGreaterThan(0);
    for (const c of crossings) {
      const there = at(c.interRegionGb!);
      const before = at(c.interRegionGb! - 1);
      expect(there[c.from].monthlyUsd).toBeLessThanOrEqual(there[c.below].monthlyUsd);
      expect(before[c.below].monthlyUsd).toBeLessThan(before[c.from].monthlyUsd);
    }
  });

  it('per-region costs at most nlb-peering from 0 GB when a replica costs nothing (it saves the transfer)', () => {
    const c = regionsCostModel(input()).crossovers.find((x) => x.from === 'per-region' && x.below === 'nlb-peering');

    expect(c).toEqual({ below: 'nlb-peering', from: 'per-region', interRegionGb: 0, reason: null });
  });

  it('says when two designs never cross: without peerings, regional-hubs stays below nlb-peering at any volume', () => {
    const doc = rawConfig();
    delete doc.hub.peers;
    delete doc.regions['eu-west-1']!.peers;
    const unpeered = parseConfig(doc, 'unpeered');

    const c = regionsCostModel(input({ config: unpeered, flows: [flows[0]!] })).crossovers[0]!;

    expect(c).toMatchObject({ below: 'regional-hubs', from: 'nlb-peering', interRegionGb: null });
    expect(c.reason).toMatch(/stays cheaper than nlb-peering at every inter-region volume/);
  });

  it('has no crossover, and the designs differ by their fixed costs only, without inter-region traffic', () => {
    const none = regionsCostModel(input({ flows: [] }));

    expect(none.crossovers.every((c) => c.interRegionGb === null && /no inter-region traffic/.test(c.reason!))).toBe(
      true,
    );
    expect(none.designs['per-region'].monthlyUsd).toBe(none.designs['nlb-peering'].monthlyUsd);
    expect(none.designs['regional-hubs'].monthlyUsd).toBe(
      cents(none.designs['per-region'].monthlyUsd + 2 * cents(H * use1.base.prices.tgwAttachmentHour.usd)),
    );
  });

  it("prices a region without spokes yet at its hub's fixed cost: endpoints, hub attachment, zones", () => {
    const early = regionsCostModel(
      input({ regions: { 'us-east-1': { vpcs: 10, services: 3 }, 'eu-west-1': { vpcs: 0, services: 1 } } }),
    );
    const hub = items(early, 'regional-hubs', 'regional-hub')[1]!;
    const p = euw1.base.prices;

    expect(hub.label).toContain("no spoke VPC yet, 1 services (the hub's fixed cost)");
    expect(hub.usd).toBe(
      cents(
        cents(1 * 2 * H * p.interfaceEndpointAzHour.usd) +
          cents(H * p.tgwAttachmentHour.usd) +
          p.privateHostedZoneMonth.tiers[0]!.usd,
      ),
    );
    expect(() =>
      regionsCostModel(
        input({ regions: { 'us-east-1': { vpcs: 0, services: 3 }, 'eu-west-1': { vpcs: 0, services: 1 } } }),
      ),
    ).toThrow('no spoke VPC in any served region: nothing to price');
  });

  it('prices the inter-region endpoint data in the tiers the hub reaches beyond its own spokes', () => {
    const tiers = use1.base.prices.endpointDataProcessingGb.tiers;
    const firstTier = tiers[0]!.upTo!;
    // us-east-1's own spokes process exactly the first tier; the cross-region endpoint's GB are all in the second.
    const big = regionsCostModel(
      input({
        regions: { 'us-east-1': { vpcs: 1, services: 3 }, 'eu-west-1': { vpcs: 1, services: 1 } },
        gbPerVpcMonth: firstTier,
        flows: [{ from: 'us-east-1', to: 'eu-west-1', gb: 1_000 }],
      }),
    );

    expect(items(big, 'regional-hubs', 'endpoint-data')).toEqual([
      expect.objectContaining({ quantity: 1_000, unitUsd: tiers[1]!.usd }),
    ]);
  });
});

describe('Function: regionsCostModel (bad input)', () => {
  const fails = (overrides: Partial<RegionsInput>, message: RegExp) => {
    expect(() => regionsCostModel(input(overrides))).toThrow(RegionsInputError);
    expect(() => regionsCostModel(input(overrides))).toThrow(message);
  };

  it('refuses a single-region configuration, saying what is needed', () => {
    fails(
      { config: loadConfigFile('config/example.hub.json') },
      /needs a configuration that serves at least two regions; this configuration serves us-east-1 only .*"regions"/,
    );
  });

  it('refuses a region the configuration does not serve, in the spokes or in a flow', () => {
    fails(
      {
        regions: {
          'us-east-1': { vpcs: 1, services: 1 },
          'eu-west-1': { vpcs: 1, services: 1 },
          'ap-southeast-1': { vpcs: 1, services: 1 },
        },
      },
      /ap-southeast-1 is not a region of the configuration \(it serves us-east-1, eu-west-1\)/,
    );
    fails(
      { flows: [{ from: 'ap-southeast-1', to: 'us-east-1', gb: 1 }] },
      /flow 1: from ap-southeast-1 is not a region/,
    );
  });

  it('refuses negative GB, a flow within one region, and a served region without its spokes', () => {
    fails({ flows: [{ from: 'eu-west-1', to: 'us-east-1', gb: -5 }] }, /flow 1: .*must be GB >= 0/);
    fails({ flows: [{ from: 'eu-west-1', to: 'eu-west-1', gb: 5 }] }, /from and to are both eu-west-1/);
    fails({ gbPerVpcMonth: -1 }, /gbPerVpcMonth must be >= 0/);
    fails({ regions: { 'us-east-1': { vpcs: 1, services: 1 } } }, /no spoke VPCs given for eu-west-1/);
  });

  it('refuses a peering flow between regions the configuration does not peer, an unknown segment or VPC', () => {
    const doc = rawConfig();
    delete doc.hub.peers;
    delete doc.regions['eu-west-1']!.peers;
    fails(
      { config: parseConfig(doc, 'unpeered'), flows: [{ from: 'eu-west-1', to: 'us-east-1', gb: 1, via: 'peering' }] },
      /does not peer eu-west-1 and us-east-1/,
    );
    fails(
      { flows: [{ from: 'eu-west-1', to: 'us-east-1', gb: 1, segment: 'staging' }] },
      /eu-west-1 has no segment staging/,
    );
    fails(
      { flows: [{ vpcId: 'vpc-unknown', to: 'us-east-1', gb: 1 }] },
      /vpc-unknown is not a VPC of the registry or world/,
    );
    fails(
      { flows: [{ vpcId: 'vpc-1', from: 'us-east-1', to: 'eu-west-1', gb: 1 }], regionOfVpc: () => 'eu-west-1' },
      /vpc-1 is in eu-west-1, not in "from" us-east-1/,
    );
  });

  it('refuses a served region the price table does not tabulate, saying how to add it', () => {
    const doc = rawConfig();
    doc.regions['ap-southeast-1'] = {
      ...doc.regions['eu-west-1'],
      supernets: ['10.64.0.0/12'],
      peers: {},
      destinations: [{ cidr: '10.64.0.0/16' }],
    };
    const three: HubConfig = parseConfig(doc, 'three regions');
    fails(
      {
        config: three,
        regions: {
          'us-east-1': { vpcs: 1, services: 1 },
          'eu-west-1': { vpcs: 1, services: 1 },
          'ap-southeast-1': { vpcs: 1, services: 1 },
        },
      },
      /no prices for ap-southeast-1 in pricing\/regions.json .*--region-prices FILE/,
    );
  });

  it('refuses an invalid regional price override, naming the field', () => {
    expect(() =>
      loadRegionPriceBook([{ source: 'mine.json', raw: { regions: { 'eu-west-1': { nlbHour: { usd: -1 } } } } }]),
    ).toThrow(RegionPriceTableError);
    expect(() =>
      loadRegionPriceBook([{ source: 'mine.json', raw: { regions: { 'eu-west-1': { nlbHour: { usd: -1 } } } } }]),
    ).toThrow(/regions.eu-west-1.nlbHour.usd: must be a price >= 0/);
  });
});

describe('Function: regionalCostPools (chargeback per region)', () => {
  const month = '2026-04';
  const records = [
    { vpcId: 'vpc-use1', accountId: '222222222222', region: 'us-east-1', segment: 'prod', services: ['ssm'] },
    { vpcId: 'vpc-euw1-prod', accountId: '222222222222', region: 'eu-west-1', segment: 'prod', services: ['ssm'] },
    { vpcId: 'vpc-euw1-dev', accountId: '333333333333', region: 'eu-west-1', segment: 'nonprod', services: ['ssm'] },
  ].map((r) => ({ ...r, status: 'connected' as const, connectedAt: '2026-03-01T00:00:00Z' }));
  const intervals = membershipFromRecords(records);
  const regionOf = new Map(records.map((r) => [r.vpcId, r.region]));
  const regional = regionalCostPools({
    month,
    config,
    prices: book,
    hubAzs: 3,
    intervalsByRegion: {
      'us-east-1': intervals.filter((i) => regionOf.get(i.vpcId) === 'us-east-1'),
      'eu-west-1': intervals.filter((i) => regionOf.get(i.vpcId) === 'eu-west-1'),
    },
    flows: [
      { from: 'eu-west-1', to: 'us-east-1', gb: 2_000, segment: 'prod' },
      { vpcId: 'vpc-euw1-dev', to: 'us-east-1', gb: 100, via: 'peering' },
    ],
    regionOfVpc: (vpcId) => regionOf.get(vpcId),
  });
  const reports = Object.fromEntries(
    regional.map(({ region, pools }) => [
      region,
      allocate(
        month,
        pools,
        intervals.filter((i) => regionOf.get(i.vpcId) === region),
      ),
    ]),
  );

  it("charges each region's pools to its own VPCs only, with its own catalog and prices", () => {
    expect(reports['us-east-1']!.summary.byVpc.map((v) => v.vpcId)).toEqual(['vpc-use1']);
    expect(reports['eu-west-1']!.summary.byVpc.map((v) => v.vpcId)).toEqual(['vpc-euw1-dev', 'vpc-euw1-prod']);
    const euEndpoint = regional[1]!.pools.find((p) => p.category === 'endpoint' && p.item === 'ssm')!;
    expect(euEndpoint.unitUsd).toBe(euw1.base.prices.interfaceEndpointAzHour.usd);
    // us-east-1's catalog (ssm, sts, secretsmanager) is not eu-west-1's (ssm only).
    expect(regional[1]!.pools.filter((p) => p.category === 'endpoint').map((p) => p.item)).toEqual([
      'ssm',
      'cross-region endpoints to us-east-1',
    ]);
  });

  it("charges inter-region data to the VPCs that send it: the segment's VPCs or the one VPC", () => {
    const rows = reports['eu-west-1']!.rows.filter((r) => r.category === 'inter-region-data');

    expect(rows.map((r) => [r.vpcId, r.microUsd])).toEqual([
      ['vpc-euw1-prod', Math.round(2_000 * euw1.interRegionTransferGb.usd * 1e6)],
      ['vpc-euw1-dev', Math.round(100 * euw1.interRegionTransferGb.usd * 1e6)],
    ]);
    expect(reports['us-east-1']!.rows.some((r) => r.category === 'inter-region-data')).toBe(false);
  });

  it("charges each side of the peering to that side's VPCs, and the rows add up to the pools", () => {
    for (const { region, pools } of regional) {
      const peering = pools.filter((p) => p.category === 'tgw-peering-attachment');
      expect(peering).toHaveLength(1);
      expect(peering[0]!.quantity).toBe(720);
      const report = reports[region]!;
      expect(report.rows.reduce((s, r) => s + r.microUsd, 0)).toBe(pools.reduce((s, p) => s + p.microUsd, 0));
    }
  });
});
