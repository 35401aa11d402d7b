import * as z from 'zod';
import { type HubConfig, regionalConfig, regionalHubOf, servedRegions } from '#shared/config';
import { escapeControl } from '#shared/display';
import { ConfigurationError } from '#shared/errors';
import { formatIssues, invalidFile } from '#shared/zod-issues';
import regionsTable from '../../pricing/regions.json';
import { type CostPool, hubCostPools, monthRange, type PoolScope, pool } from './chargeback';
import {
  type ArchitectureCost,
  centralizedCostOf,
  defaultPriceTable,
  FlatPriceSchema,
  fmt,
  type LineItem,
  line,
  loadPriceTable,
  mergeDeep,
  type PriceOverride,
  type PriceTable,
  roundCents,
  tierSlices,
  total,
} from './cost';

/**
 * `spokelink cost --regions`: the monthly cost of serving several regions, each with its own hub, and of the traffic
 * between them, in three designs (docs/cost.md, "Several regions"):
 * - `regional-hubs`: spokelink multi-region: regional hubs whose TGWs are peered, a service of another region reached
 *   through a cross-region interface endpoint in the consumer region's hub (PrivateLink `ServiceRegion`);
 * - `nlb-peering`: the seed article's pattern: the provider runs an NLB in the consumer's region whose targets are in
 *   its own region, reached over inter-region VPC peering; the consumer region's hub has an ordinary endpoint;
 * - `per-region`: a full deployment per region: every region's hub has every endpoint and the provider runs its
 *   service (an NLB and a replica) in every consumer region; nothing crosses regions.
 * Pure functions: no I/O, no clock.
 */

/** The inputs of `--regions` are inconsistent with the configuration or out of range; the message says what is needed. */
export class RegionsInputError extends ConfigurationError {}

/** The regional price table (or an override of it) is invalid; the message names every bad field. */
export class RegionPriceTableError extends ConfigurationError {}

const RegionPricesSchema = z.strictObject({
  /** Merged over pricing/us-east-1.json: only the figures that differ in the region. */
  overrides: z.record(z.string(), z.unknown()),
  /** Data transfer out of the region to another region, billed to the sender. */
  interRegionTransferGb: FlatPriceSchema,
  nlbHour: FlatPriceSchema,
  /** NLB capacity unit-hour; the model prices bytes only (1 NLCU = 1 GB processed per hour). */
  nlcuHour: FlatPriceSchema,
});

/** Schema of `pricing/regions.json`: per region, the differences from the us-east-1 table and the inter-region figures. */
export const RegionPriceTableSchema = z.strictObject({
  asOf: z.iso.date('must be a date YYYY-MM-DD'),
  currency: z.literal('USD'),
  note: z.string(),
  regions: z.record(z.string(), RegionPricesSchema),
});

type FlatPrice = z.infer<typeof FlatPriceSchema>;

/** The prices of one region: its full table and the inter-region figures. */
export interface RegionPrices {
  base: PriceTable;
  interRegionTransferGb: FlatPrice;
  nlbHour: FlatPrice;
  nlcuHour: FlatPrice;
}

/** The validated regional table: `pricesOf(region)` throws for a region it does not tabulate. */
export interface RegionPriceBook {
  asOf: string;
  regions: string[];
  pricesOf(region: string): RegionPrices;
}

/**
 * Loads `pricing/regions.json` with `regionOverrides` merged over it (`--region-prices FILE`, any subset) and
 * `baseOverrides` (`--prices FILE`) merged over every region's table after the region's own differences.
 */
export function loadRegionPriceBook(
  regionOverrides: PriceOverride[] = [],
  baseOverrides: PriceOverride[] = [],
): RegionPriceBook {
  for (const override of regionOverrides) {
    if (typeof override.raw !== 'object' || override.raw === null || Array.isArray(override.raw)) {
      throw new RegionPriceTableError(`regional price override ${override.source} must be a JSON object`);
    }
  }
  const merged = regionOverrides.reduce<unknown>((table, o) => mergeDeep(table, o.raw), regionsTable);
  const result = RegionPriceTableSchema.safeParse(merged);
  if (!result.success) {
    const sources = ['pricing/regions.json', ...regionOverrides.map((o) => o.source)].join(' + ');
    throw new RegionPriceTableError(invalidFile(`regional prices from ${sources} are invalid`, result.error));
  }
  const table = result.data;
  const cache = new Map<string, RegionPrices>();
  return {
    asOf: table.asOf,
    regions: Object.keys(table.regions),
    pricesOf(region) {
      const cached = cache.get(region);
      if (cached) return cached;
      const entry = table.regions[region];
      if (entry === undefined) {
        throw new RegionsInputError(
          `no prices for ${region} in pricing/regions.json (it tabulates ${Object.keys(table.regions).join(', ')}): ` +
            `add them with --region-prices FILE, e.g. {"regions": {"${region}": {"overrides": {"region": "${region}"}, ` +
            '"interRegionTransferGb": {...}, "nlbHour": {...}, "nlcuHour": {...}}}',
        );
      }
      const base = loadPriceTable(
        defaultPriceTable(),
        [{ source: `pricing/regions.json regions.${region}.overrides`, raw: entry.overrides }, ...baseOverrides],
        'pricing/us-east-1.json',
      );
      const prices: RegionPrices = {
        base,
        interRegionTransferGb: entry.interRegionTransferGb,
        nlbHour: entry.nlbHour,
        nlcuHour: entry.nlcuHour,
      };
      cache.set(region, prices);
      return prices;
    },
  };
}

/**
 * GB a month sent from `from` to `to`: by every spoke VPC of `from`, by one segment's VPCs, or by one VPC (then `from`
 * may be left out: it is the VPC's region); `returnGb`: the responses the other side sends back on the same path.
 * `via`: how spokelink (design `regional-hubs`) carries it: a cross-region interface endpoint in `from`'s hub for a
 * service of `to` (`privatelink`), or the TGW peering to a destination of `to` (`peering`). `services`: the services
 * of `to` the flow uses (one endpoint, NLB or replica each in `from`).
 */
export const FlowSchema = z
  .strictObject({
    from: z.string().min(1).optional(),
    to: z.string().min(1),
    gb: z.number({ error: 'must be a number of GB' }).finite().min(0, 'must be GB >= 0 (a month of traffic)'),
    /** GB a month sent back by the other side (responses), on the same path. @default 0 */
    returnGb: z
      .number({ error: 'must be a number of GB' })
      .finite()
      .min(0, 'must be GB >= 0 (a month of traffic)')
      .default(0),
    segment: z.string().min(1).optional(),
    vpcId: z.string().min(1).optional(),
    via: z.enum(['privatelink', 'peering']).default('privatelink'),
    services: z.number().int().min(1, 'must be at least 1').default(1),
    description: z.string().optional(),
  })
  .refine((f) => !(f.segment !== undefined && f.vpcId !== undefined), {
    message: 'give segment or vpcId, not both',
  })
  .refine((f) => f.from !== undefined || f.vpcId !== undefined, {
    message: 'needs from (the sending region), or vpcId (the sending VPC, whose region is known)',
    path: ['from'],
  });

/** Schema of `--inter-region FILE` (JSON or YAML). */
export const InterRegionFileSchema = z.strictObject({
  flows: z.array(FlowSchema),
  description: z.string().optional(),
});

export type FlowInput = z.input<typeof FlowSchema>;

/** A validated flow: its sending region known. */
export interface Flow {
  from: string;
  to: string;
  gb: number;
  returnGb: number;
  segment?: string;
  vpcId?: string;
  via: 'privatelink' | 'peering';
  services: number;
}

/** Validates a parsed `--inter-region` file. */
export function parseInterRegionFile(raw: unknown, source = 'inter-region file'): FlowInput[] {
  const result = InterRegionFileSchema.safeParse(raw);
  if (!result.success) throw new RegionsInputError(invalidFile(`${source} is invalid`, result.error));
  return result.data.flows;
}

/** One served region's spokes: N, S (the catalog services its hub runs) and S per VPC. */
export interface RegionSpokes {
  vpcs: number;
  services: number;
  /** @default services */
  servicesPerVpc?: number;
}

/** Inputs of {@link regionsCostModel}. */
export interface RegionsInput {
  config: HubConfig;
  /** Every served region's spokes. */
  regions: Record<string, RegionSpokes>;
  azs: number;
  /** @default azs */
  hubVpcAzs?: number;
  /** GB per VPC per month through its own region's hub endpoints (G). */
  gbPerVpcMonth: number;
  existingTgw?: boolean;
  flows: readonly FlowInput[];
  prices: RegionPriceBook;
  /** Design `per-region`: the provider's monthly cost of running one service in one more region (compute, storage). */
  serviceReplicaUsd?: number;
  /** The region of a VPC named by a flow (registry or world); absent: flows naming a VPC must give `from`. */
  regionOfVpc?: (vpcId: string) => string | undefined;
}

export type DesignId = 'regional-hubs' | 'nlb-peering' | 'per-region';

export const DESIGNS: Record<DesignId, string> = {
  'regional-hubs': 'Regional hubs, TGW-peered, cross-region PrivateLink (spokelink)',
  'nlb-peering': "NLB in the consumer's region + inter-region VPC peering (the article's pattern)",
  'per-region': 'A full deployment per region (every hub has every endpoint, the provider runs in every region)',
};

/** A crossing of two designs as the inter-region traffic grows (every flow scaled in proportion). */
export interface Crossover {
  /** The cheaper design with less traffic than `interRegionGb`. */
  below: DesignId;
  /** The design that costs at most `below` from `interRegionGb` on. */
  from: DesignId;
  /** Total inter-region GB a month at which `from` becomes at most `below`; null with `reason` when they never cross. */
  interRegionGb: number | null;
  reason: string | null;
}

/** Result of {@link regionsCostModel}; the `--json` output of `spokelink cost --regions` is this object. */
export interface RegionsCostResult {
  inputs: {
    azs: number;
    hubVpcAzs: number;
    gbPerVpcMonth: number;
    existingTgw: boolean;
    serviceReplicaUsd: number;
    regions: { region: string; vpcs: number; services: number; servicesPerVpc: number; dnsMode: string }[];
    flows: Flow[];
    interRegionGb: number;
  };
  prices: { asOf: string; hoursPerMonth: number; regions: Record<string, { asOf: string }> };
  designs: Record<DesignId, ArchitectureCost & { title: string }>;
  /** Cheapest first. */
  ranking: DesignId[];
  cheapest: DesignId;
  /** The runner-up's total minus the cheapest's. */
  savingsUsd: number;
  crossovers: Crossover[];
  recommendation: string;
  assumptions: string[];
}

interface Resolved {
  config: HubConfig;
  regions: string[];
  spokes: Record<string, Required<RegionSpokes>>;
  azs: number;
  hubVpcAzs: number;
  gbPerVpcMonth: number;
  existingTgw: boolean;
  serviceReplicaUsd: number;
  flows: Flow[];
  prices: RegionPriceBook;
  /** Unordered region pairs joined by a TGW peering (the configuration's `peers`), `a < b`. */
  peerings: [string, string][];
  /**
   * Catalog entries of `from`'s hub for a service of `to` (`serviceRegion`), by `from -> to`: their cross-region
   * endpoints are in the hub's own cost already, in every design.
   */
  catalogPairs: Map<string, number>;
}

function catalogPairsOf(config: HubConfig): Map<string, number> {
  const pairs = new Map<string, number>();
  for (const region of servedRegions(config)) {
    for (const endpoint of Object.values(regionalHubOf(config, region).endpoints)) {
      if (endpoint.serviceRegion === undefined) continue;
      const key = `${region} -> ${endpoint.serviceRegion}`;
      pairs.set(key, (pairs.get(key) ?? 0) + 1);
    }
  }
  return pairs;
}

const NumbersSchema = z.object({
  azs: z.number().int('azs must be a whole number').min(1, 'azs must be at least 1'),
  hubVpcAzs: z.number().int('hubVpcAzs must be a whole number').min(1, 'hubVpcAzs must be at least 1').optional(),
  gbPerVpcMonth: z.number().finite().min(0, 'gbPerVpcMonth must be >= 0'),
  serviceReplicaUsd: z.number().finite().min(0, 'serviceReplicaUsd must be >= 0').optional(),
});

function peeringsOf(config: HubConfig): [string, string][] {
  const pairs = new Map<string, [string, string]>();
  for (const region of servedRegions(config)) {
    for (const peer of Object.keys(regionalHubOf(config, region).peers)) {
      const pair = [region, peer].sort() as [string, string];
      pairs.set(pair.join(' '), pair);
    }
  }
  return [...pairs.values()].sort((a, b) => a.join(' ').localeCompare(b.join(' ')));
}

/** A name from a hand-made file, in a message for the terminal. */
const show = (name: string | undefined) => escapeControl(String(name));

/** Where a flow is checked: the configuration and, for a flow naming a VPC, the VPC's region. */
type FlowContext = Pick<RegionsInput, 'config' | 'regionOfVpc'>;

function resolveFlow(flow: FlowInput, index: number, input: FlowContext, served: string[]): Flow {
  const at = `flow ${index + 1}`;
  const parsed = FlowSchema.safeParse(flow);
  if (!parsed.success) throw new RegionsInputError(`${at}: ${formatIssues(parsed.error, { show: 'message' })}`);
  const f = parsed.data;
  const vpcRegion = f.vpcId === undefined ? undefined : input.regionOfVpc?.(f.vpcId);
  if (f.vpcId !== undefined && f.from === undefined && vpcRegion === undefined) {
    throw new RegionsInputError(
      `${at}: ${show(f.vpcId)} is not a VPC of the registry or world: give its region as "from" (or price it per segment)`,
    );
  }
  const from = f.from ?? vpcRegion!;
  if (vpcRegion !== undefined && vpcRegion !== from) {
    throw new RegionsInputError(`${at}: ${show(f.vpcId)} is in ${show(vpcRegion)}, not in "from" ${show(from)}`);
  }
  for (const [field, region] of [
    ['from', from],
    ['to', f.to],
  ] as const) {
    if (!served.includes(region)) {
      throw new RegionsInputError(
        `${at}: ${field} ${show(region)} is not a region of the configuration (it serves ${served.join(', ')})`,
      );
    }
  }
  if (from === f.to)
    throw new RegionsInputError(`${at}: from and to are both ${from}: a flow goes between two regions`);
  if (f.segment !== undefined && !Object.hasOwn(regionalHubOf(input.config, from).segments, f.segment)) {
    throw new RegionsInputError(`${at}: ${from} has no segment ${show(f.segment)}`);
  }
  if (f.via === 'peering') {
    const pair = [from, f.to].sort().join(' ');
    if (!peeringsOf(input.config).some((p) => p.join(' ') === pair)) {
      throw new RegionsInputError(
        `${at}: goes via the TGW peering, but the configuration does not peer ${from} and ${f.to} ` +
          `(list each under the other's "peers"), or send it via privatelink`,
      );
    }
  }
  return {
    from,
    to: f.to,
    gb: f.gb,
    returnGb: f.returnGb,
    ...(f.segment === undefined ? {} : { segment: f.segment }),
    ...(f.vpcId === undefined ? {} : { vpcId: f.vpcId }),
    via: f.via,
    services: f.services,
  };
}

/**
 * The served regions of a configuration that serves several, or {@link RegionsInputError} saying what is needed.
 * `source` names the configuration in the message (its file).
 */
export function requireSeveralRegions(config: HubConfig, source = 'this configuration'): string[] {
  const served = servedRegions(config);
  if (served.length < 2) {
    throw new RegionsInputError(
      `--regions needs a configuration that serves at least two regions; ${source} serves ${served[0]} only ` +
        '(configuration version 3 lists the other regions under "regions", each with its hub: see ' +
        'config/example-two-regions.hub.json)',
    );
  }
  return served;
}

/**
 * A note for a served region whose registry a source did not read (`read`: the regions it read; undefined: a file or
 * world given whole), or undefined when it was read. `what` says how the region is then counted.
 */
export function unreadRegionNote(
  source: string,
  region: string,
  read: readonly string[] | undefined,
  what: string,
): string | undefined {
  if (read === undefined || read.includes(region)) return undefined;
  return (
    `note: ${source} holds the registry of ${read.join(', ')} only, not ${region}'s: ${what} (read every ` +
    "region's registry: AWS without --region, --local after a simulate run serving it, or --registry-file FILE)\n"
  );
}

function resolve(input: RegionsInput): Resolved {
  const served = requireSeveralRegions(input.config);
  const numbers = NumbersSchema.safeParse(input);
  if (!numbers.success) throw new RegionsInputError(formatIssues(numbers.error, { show: 'message' }));
  for (const region of Object.keys(input.regions)) {
    if (!served.includes(region)) {
      throw new RegionsInputError(`${region} is not a region of the configuration (it serves ${served.join(', ')})`);
    }
  }
  const spokes: Resolved['spokes'] = {};
  for (const region of served) {
    const given = input.regions[region];
    if (given === undefined) {
      throw new RegionsInputError(`no spoke VPCs given for ${region}: every served region needs its N (--vpcs-in)`);
    }
    if (!Number.isInteger(given.vpcs) || given.vpcs < 0) {
      throw new RegionsInputError(`${region}: vpcs must be a whole number >= 0, not ${given.vpcs}`);
    }
    if (!Number.isInteger(given.services) || given.services < 1) {
      throw new RegionsInputError(
        `${region}: its hub runs no catalog endpoint the VPCs use (services ${given.services}): nothing to price`,
      );
    }
    spokes[region] = { ...given, servicesPerVpc: given.servicesPerVpc ?? given.services };
  }
  if (served.every((region) => spokes[region]!.vpcs === 0)) {
    throw new RegionsInputError('no spoke VPC in any served region: nothing to price');
  }
  // Every served region must be priced: fail before any arithmetic.
  for (const region of served) input.prices.pricesOf(region);
  return {
    config: input.config,
    regions: served,
    spokes,
    azs: numbers.data.azs,
    hubVpcAzs: numbers.data.hubVpcAzs ?? numbers.data.azs,
    gbPerVpcMonth: numbers.data.gbPerVpcMonth,
    existingTgw: input.existingTgw ?? false,
    serviceReplicaUsd: numbers.data.serviceReplicaUsd ?? 0,
    flows: input.flows.map((flow, index) => resolveFlow(flow, index, input, served)),
    prices: input.prices,
    peerings: peeringsOf(input.config),
    catalogPairs: catalogPairsOf(input.config),
  };
}

const hoursOf = (r: Resolved) => r.prices.pricesOf(r.regions[0]!).base.hoursPerMonth;

/** Each region's hub for its own spokes, as `spokelink cost` prices the centralized hub (same in every design). */
function hubLines(r: Resolved): LineItem[] {
  return r.regions.map((region) => {
    const s = r.spokes[region]!;
    const hub = centralizedCostOf({
      vpcs: s.vpcs,
      services: s.services,
      servicesPerVpc: s.servicesPerVpc,
      azs: r.azs,
      hubVpcAzs: r.hubVpcAzs,
      gbPerVpcMonth: r.gbPerVpcMonth,
      existingTgw: r.existingTgw,
      dnsMode: regionalHubOf(r.config, region).dns.mode,
      prices: r.prices.pricesOf(region).base,
    });
    const what =
      s.vpcs === 0
        ? `no spoke VPC yet, ${fmt(s.services)} services (the hub's fixed cost)`
        : `${fmt(s.vpcs)} VPCs, ${fmt(s.services)} services, ${fmt(r.gbPerVpcMonth)} GB/VPC (spokelink cost's centralized total)`;
    return line('regional-hub', `${region} hub for its own spokes: ${what}`, 1, 'hub-month', hub.monthlyUsd);
  });
}

/** Sum of `value` per key, keys in first-seen order. */
function sumBy<T>(items: readonly T[], key: (item: T) => string, value: (item: T) => number): Map<string, number> {
  const sums = new Map<string, number>();
  for (const item of items) sums.set(key(item), (sums.get(key(item)) ?? 0) + value(item));
  return sums;
}

/** A flow's GB both ways. */
const volume = (f: Flow) => f.gb + f.returnGb;

/** GB a month each region's flows carry both ways (requests and responses). */
const volumeBySender = (flows: readonly Flow[]) => sumBy(flows, (f) => f.from, volume);

interface PairServices {
  from: string;
  to: string;
  /** The services of `to` used from `from`: the most any flow names, at least the catalog's cross-region entries. */
  services: number;
  /** Of those, the catalog's cross-region entries (`serviceRegion`), whose endpoints the hub's own cost counts. */
  inCatalog: number;
}

/** Region pairs `from -> to` of the flows with their services. */
function servicesByPair(flows: readonly Flow[], catalogPairs = new Map<string, number>()): Map<string, PairServices> {
  const pairs = new Map<string, PairServices>();
  for (const f of flows) {
    const key = `${f.from} -> ${f.to}`;
    const inCatalog = catalogPairs.get(key) ?? 0;
    const services = Math.max(pairs.get(key)?.services ?? 0, f.services, inCatalog);
    pairs.set(key, { from: f.from, to: f.to, services, inCatalog });
  }
  return pairs;
}

/**
 * TGW data processing: each GB enters a TGW once, requests at the sending spoke's attachment, responses where they
 * come back into a TGW from a VPC (`responsesAt`); what arrives from a peering attachment pays no data processing
 * (https://aws.amazon.com/transit-gateway/pricing/).
 */
function tgwDataLines(r: Resolved, flows: readonly Flow[], responsesAt: (f: Flow) => string): LineItem[] {
  const gb = new Map<string, number>();
  for (const f of flows) {
    gb.set(f.from, (gb.get(f.from) ?? 0) + f.gb);
    if (f.returnGb > 0) gb.set(responsesAt(f), (gb.get(responsesAt(f)) ?? 0) + f.returnGb);
  }
  return [...gb].map(([region, processed]) =>
    line(
      'tgw-data',
      `TGW data processing in ${region}, inter-region flows entering its TGW from a VPC: ${fmt(processed)} GB`,
      processed,
      'GB',
      r.prices.pricesOf(region).base.prices.tgwDataProcessingGb.usd,
    ),
  );
}

/**
 * Endpoint data processing of the inter-region GB a region's hub endpoints carry, on top of its own spokes' N x G:
 * the hub account's tiers apply to the total, so these GB are priced in the tiers the total reaches beyond N x G.
 */
function endpointDataLines(r: Resolved, gbByRegion: Map<string, number>, what: string): LineItem[] {
  return [...gbByRegion].flatMap(([region, gb]) => {
    const tiers = r.prices.pricesOf(region).base.prices.endpointDataProcessingGb.tiers;
    const local = r.spokes[region]!.vpcs * r.gbPerVpcMonth;
    const before = tierSlices(local, tiers);
    const after = tierSlices(local + gb, tiers).map((slice) => ({
      ...slice,
      quantity: slice.quantity - (before.find((b) => b.from === slice.from)?.quantity ?? 0),
    }));
    const slices = after.filter((slice) => slice.quantity > 0);
    const label = `Endpoint data in ${region}'s hub, ${what}: ${fmt(gb)} GB`;
    if (slices.length === 0) return [line('endpoint-data', label, 0, 'GB', tiers[0]!.usd)];
    return slices.map((slice) =>
      line(
        'endpoint-data',
        slices.length > 1 ? `${label} [from ${fmt(slice.from)} GB]` : label,
        slice.quantity,
        'GB',
        slice.usd,
      ),
    );
  });
}

/** Inter-region transfer, charged to each direction's sender at its region's rate: requests, then any responses. */
function transferLines(r: Resolved, flows: readonly Flow[], how: (f: Flow) => string): LineItem[] {
  return flows.flatMap((f) => {
    const who = f.vpcId ? ` (${f.vpcId})` : f.segment ? ` (segment ${f.segment})` : '';
    const requests = line(
      'inter-region-data',
      `Inter-region data ${f.from} -> ${f.to}${who}, ${how(f)}: ${fmt(f.gb)} GB`,
      f.gb,
      'GB',
      r.prices.pricesOf(f.from).interRegionTransferGb.usd,
    );
    if (f.returnGb === 0) return [requests];
    const responses = line(
      'inter-region-data',
      `Inter-region data ${f.to} -> ${f.from}${who}, responses, sent by ${f.to}'s side: ${fmt(f.returnGb)} GB`,
      f.returnGb,
      'GB',
      r.prices.pricesOf(f.to).interRegionTransferGb.usd,
    );
    return [requests, responses];
  });
}

/** Endpoints in the sending hub for the other region's services, beyond the catalog's (in the hub's own cost). */
function endpointHourLines(r: Resolved, flows: readonly Flow[], what: string): LineItem[] {
  const hours = hoursOf(r);
  return [...servicesByPair(flows, r.catalogPairs).values()].flatMap(({ from, to, services, inCatalog }) => {
    const price = r.prices.pricesOf(from).base.prices.interfaceEndpointAzHour;
    const extra = services - inCatalog;
    if (extra === 0) return [];
    const beyond = inCatalog === 0 ? '' : ` beyond its ${fmt(inCatalog)} catalog entries`;
    return [
      line(
        'endpoint-hours',
        `${what} in ${from}'s hub for ${to}'s services${beyond}: ${fmt(extra)} x ${r.hubVpcAzs} AZs x ${fmt(hours)} h`,
        extra * r.hubVpcAzs * hours,
        price.unit,
        price.usd,
      ),
    ];
  });
}

/** The provider's NLB in each consumer region (designs `nlb-peering` and `per-region`): hours and NLCUs. */
function nlbLines(r: Resolved, flows: readonly Flow[]): LineItem[] {
  const hours = hoursOf(r);
  const nlbHours = [...servicesByPair(flows, r.catalogPairs).values()].map(({ from, to, services }) => {
    const price = r.prices.pricesOf(from).nlbHour;
    return line(
      'nlb',
      `Provider: NLB in ${from} for ${to}'s services: ${fmt(services)} x ${fmt(hours)} h`,
      services * hours,
      price.unit,
      price.usd,
    );
  });
  const nlcus = [...volumeBySender(flows)].map(([region, gb]) => {
    const price = r.prices.pricesOf(region).nlcuHour;
    return line(
      'nlb',
      `Provider: NLB capacity in ${region}, 1 NLCU-hour per GB: ${fmt(gb)} GB`,
      gb,
      price.unit,
      price.usd,
    );
  });
  return [...nlbHours, ...nlcus];
}

function peeringLines(r: Resolved): LineItem[] {
  const hours = hoursOf(r);
  return r.peerings.flatMap(([a, b]) =>
    [a, b].map((side) => {
      const price = r.prices.pricesOf(side).base.prices.tgwAttachmentHour;
      return line(
        'tgw-peering',
        `TGW peering attachment-hours, ${side} side of ${a} <-> ${b}: 1 x ${fmt(hours)} h`,
        hours,
        price.unit,
        price.usd,
      );
    }),
  );
}

function regionalHubsDesign(r: Resolved, hubs: LineItem[], flows: readonly Flow[]): ArchitectureCost {
  const privatelink = flows.filter((f) => f.via === 'privatelink');
  const peering = flows.filter((f) => f.via === 'peering');
  // A cross-region endpoint in the sender's hub processes the privatelink flows; the peering flows reach the other
  // region's hub VPC and its endpoints there.
  const endpointGb = new Map<string, number>();
  for (const f of privatelink) endpointGb.set(f.from, (endpointGb.get(f.from) ?? 0) + volume(f));
  for (const f of peering) endpointGb.set(f.to, (endpointGb.get(f.to) ?? 0) + volume(f));
  return total([
    ...hubs,
    ...peeringLines(r),
    ...endpointHourLines(r, privatelink, 'Cross-region endpoint-hours'),
    // A privatelink response comes back through the sender's hub VPC; a peering response enters the other TGW.
    ...tgwDataLines(r, flows, (f) => (f.via === 'peering' ? f.to : f.from)),
    ...endpointDataLines(r, endpointGb, 'inter-region flows'),
    ...transferLines(r, flows, (f) =>
      f.via === 'peering'
        ? 'across the TGW peering, paid by the sender'
        : 'cross-region PrivateLink, paid by the sender',
    ),
  ]);
}

/**
 * What `nlb-peering` and `per-region` share: every flow is service traffic to an endpoint in the sending region's hub,
 * for a service the provider fronts with an NLB in that region.
 */
function servedInSenderRegion(r: Resolved, flows: readonly Flow[], endpoints: string, data: string): LineItem[] {
  return [
    ...endpointHourLines(r, flows, endpoints),
    ...tgwDataLines(r, flows, (f) => f.from),
    ...endpointDataLines(r, volumeBySender(flows), data),
    ...nlbLines(r, flows),
  ];
}

function nlbPeeringDesign(r: Resolved, hubs: LineItem[], flows: readonly Flow[]): ArchitectureCost {
  return total([
    ...hubs,
    ...servedInSenderRegion(r, flows, "Endpoint-hours (the provider's NLB service)", 'inter-region flows'),
    ...transferLines(r, flows, () => "inter-region VPC peering, paid by the provider's NLB VPC"),
  ]);
}

function perRegionDesign(r: Resolved, hubs: LineItem[], flows: readonly Flow[]): ArchitectureCost {
  const replicas = [...servicesByPair(flows, r.catalogPairs).values()].map(({ from, to, services }) =>
    line(
      'service-replica',
      `Provider: ${to}'s services run in ${from} as well (--replica-usd per service and region)`,
      services,
      'service-month',
      r.serviceReplicaUsd,
    ),
  );
  return total([
    ...hubs,
    ...servedInSenderRegion(
      r,
      flows,
      'Endpoint-hours (local copies of the services)',
      'traffic that stays in the region',
    ),
    ...replicas,
  ]);
}

function designs(r: Resolved, hubs: LineItem[], flows: readonly Flow[]): Record<DesignId, ArchitectureCost> {
  return {
    'regional-hubs': regionalHubsDesign(r, hubs, flows),
    'nlb-peering': nlbPeeringDesign(r, hubs, flows),
    'per-region': perRegionDesign(r, hubs, flows),
  };
}

/** Upper end of the crossover search: 1 EB a month of inter-region traffic. */
const MAX_INTER_REGION_GB = 1_073_741_824;

function crossover(r: Resolved, hubs: LineItem[], a: DesignId, b: DesignId): Crossover {
  const base = r.flows.reduce((sum, f) => sum + volume(f), 0);
  if (base === 0) {
    return { below: a, from: b, interRegionGb: null, reason: 'no inter-region traffic given (--inter-region FILE)' };
  }
  /** a's total minus b's with every flow scaled to `gb` GB a month in all. */
  const diff = (gb: number) => {
    const costs = designs(
      r,
      hubs,
      r.flows.map((f) => ({ ...f, gb: (f.gb * gb) / base, returnGb: (f.returnGb * gb) / base })),
    );
    return roundCents(costs[a].monthlyUsd - costs[b].monthlyUsd);
  };
  const start = diff(0);
  const end = diff(MAX_INTER_REGION_GB);
  if (start === 0 && end === 0) {
    return { below: a, from: b, interRegionGb: null, reason: `${a} and ${b} cost the same at every volume` };
  }
  // `below`: the cheaper with no traffic (on a tie there, the dearer at the top of the search, so they cross at 0).
  const below = start < 0 || (start === 0 && end > 0) ? a : b;
  const from = below === a ? b : a;
  /** `below`'s total minus `from`'s: negative while `below` is cheaper. */
  const gap = (gb: number) => (below === a ? diff(gb) : -diff(gb));
  if (gap(MAX_INTER_REGION_GB) < 0) {
    return {
      below,
      from,
      interRegionGb: null,
      reason: `${below} stays cheaper than ${from} at every inter-region volume up to ${fmt(MAX_INTER_REGION_GB)} GB/month`,
    };
  }
  if (gap(0) >= 0) return { below, from, interRegionGb: 0, reason: null };
  // Invariant: gap(low) < 0 <= gap(high). Each design's total grows linearly in the volume (the endpoint tiers bend
  // it only past 1 PB), so this is the one crossing.
  let low = 0;
  let high = MAX_INTER_REGION_GB;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (gap(middle) < 0) low = middle;
    else high = middle;
  }
  return { below, from, interRegionGb: high, reason: null };
}

const money = (value: number) =>
  `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function recommend(result: Omit<RegionsCostResult, 'recommendation' | 'assumptions'>): string {
  const [first, second] = result.ranking as [DesignId, DesignId, DesignId];
  const cheapest = result.designs[first].monthlyUsd;
  const runnerUp = result.designs[second].monthlyUsd;
  const percent = runnerUp === 0 ? 0 : Math.round((result.savingsUsd / runnerUp) * 1000) / 10;
  const head =
    result.savingsUsd === 0
      ? `${first} and ${second} both cost ${money(cheapest)}/month; choose on operations`
      : `${first} is cheapest: ${money(cheapest)}/month, ${money(result.savingsUsd)}/month (${percent}%) less than ${second} (${money(runnerUp)})`;
  const crossings = result.crossovers
    .filter((c) => c.interRegionGb !== null && (c.below === first || c.from === first))
    .map((c) => `${c.from} costs at most ${c.below} from ${fmt(c.interRegionGb!)} GB/month of inter-region traffic`);
  const tail =
    crossings.length > 0
      ? ` Crossover (every flow scaled in proportion, now ${fmt(result.inputs.interRegionGb)} GB/month): ${crossings.join('; ')}.`
      : ` No crossover for ${first}: it stays cheapest at any inter-region volume (other inputs fixed).`;
  return `${head}.${tail}`;
}

function assumptions(r: Resolved): string[] {
  const hours = hoursOf(r);
  return [
    `A month is ${fmt(hours)} hours and every endpoint, attachment and NLB exists all month.`,
    "Each region's hub for its own spokes is priced as spokelink cost prices the centralized hub, with that region's prices and DNS mode; it is the same in every design.",
    "A flow is the GB a month the spokes of one region send to another (gb) and get back on the same path (returnGb); each direction's inter-region transfer is charged to its sender, at the sending region's rate.",
    "Every inter-region GB enters a TGW once from a VPC: requests at the sending spoke's attachment, responses at the hub VPC's (or, across a TGW peering, the destination's); data arriving from a peering attachment pays no data processing (Transit Gateway pricing).",
    "regional-hubs: a privatelink flow goes to a cross-region interface endpoint in the sending region's hub (no premium over a regional endpoint: its hours and data processing, plus inter-region transfer, PrivateLink pricing); a peering flow crosses the TGW peering to the other hub VPC and its endpoints. Both sides of each configured peering pay its attachment-hours.",
    "nlb-peering (the article): the provider runs an NLB in the sending region, targets in its own region over inter-region VPC peering (no hourly charge; the provider's NLB VPC sends, and pays, the transfer); the sending region's hub has an ordinary endpoint to it.",
    `per-region: the provider runs each service in every sending region (an NLB and --replica-usd ${money(r.serviceReplicaUsd)} per service and region a month for its compute and storage); nothing crosses regions.`,
    'NLB capacity is priced on bytes only: one NLCU-hour per GB processed (new and active connections can need more).',
    "Endpoint data of the inter-region flows is priced in the tiers the hub account reaches beyond its own spokes' N x G.",
    'Crossovers scale every flow in proportion, the other inputs fixed, and are searched up to 1 EB a month.',
    "Not modeled: cross-AZ transfer, DNS queries, the provider's own compute in its home region (the same in every design).",
  ];
}

/**
 * The monthly cost of the served regions and the traffic between them in the three designs, the cheapest and the
 * crossovers in inter-region volume. Throws {@link RegionsInputError} naming what is missing or wrong.
 */
export function regionsCostModel(input: RegionsInput): RegionsCostResult {
  const r = resolve(input);
  const hubs = hubLines(r);
  const costs = designs(r, hubs, r.flows);
  const ids = Object.keys(DESIGNS) as DesignId[];
  const ranking = [...ids].sort((a, b) => costs[a].monthlyUsd - costs[b].monthlyUsd);
  const pairs: [DesignId, DesignId][] = [
    ['regional-hubs', 'nlb-peering'],
    ['regional-hubs', 'per-region'],
    ['nlb-peering', 'per-region'],
  ];
  const partial = {
    inputs: {
      azs: r.azs,
      hubVpcAzs: r.hubVpcAzs,
      gbPerVpcMonth: r.gbPerVpcMonth,
      existingTgw: r.existingTgw,
      serviceReplicaUsd: r.serviceReplicaUsd,
      regions: r.regions.map((region) => ({
        region,
        ...r.spokes[region]!,
        dnsMode: regionalHubOf(r.config, region).dns.mode,
      })),
      flows: r.flows,
      interRegionGb: r.flows.reduce((sum, f) => sum + volume(f), 0),
    },
    prices: {
      asOf: r.prices.asOf,
      hoursPerMonth: hoursOf(r),
      regions: Object.fromEntries(r.regions.map((region) => [region, { asOf: r.prices.pricesOf(region).base.asOf }])),
    },
    designs: Object.fromEntries(
      ids.map((id) => [id, { title: DESIGNS[id], ...costs[id] }]),
    ) as RegionsCostResult['designs'],
    ranking,
    cheapest: ranking[0]!,
    savingsUsd: roundCents(costs[ranking[1]!].monthlyUsd - costs[ranking[0]!].monthlyUsd),
    crossovers: pairs.map(([a, b]) => crossover(r, hubs, a, b)),
  };
  return { ...partial, recommendation: recommend(partial), assumptions: assumptions(r) };
}

/** What each region's chargeback needs: its pools and the intervals of its own VPCs. */
export interface RegionalPools {
  region: string;
  pools: CostPool[];
}

/** Options of {@link regionalCostPools}. */
export interface RegionalPoolsOptions {
  month: string;
  config: HubConfig;
  prices: RegionPriceBook;
  hubAzs: number;
  hubPaysAttachments?: boolean;
  /** The intervals of each region's VPCs (`spokelink chargeback --regions` splits the registry by record region). */
  intervalsByRegion: Record<string, Parameters<typeof hubCostPools>[0]['intervals']>;
  flows: readonly FlowInput[];
  regionOfVpc?: (vpcId: string) => string | undefined;
}

/**
 * Chargeback per region: each region's hub pools (its catalog, its prices) for its own VPCs, plus that hub's side of
 * each TGW peering (shared by all its VPCs), the cross-region endpoints its flows use, and the inter-region data its
 * VPCs send (charged to the senders: the VPC, the segment's VPCs, or all the region's VPCs, by hours connected; the
 * responses, `returnGb`, are sent and paid by the other side).
 * TGW data processing is billed to each VPC's owner by AWS already and is not charged back, as in one region.
 */
export function regionalCostPools(options: RegionalPoolsOptions): RegionalPools[] {
  const { config, prices } = options;
  const served = requireSeveralRegions(config);
  const flows = options.flows.map((flow, index) => resolveFlow(flow, index, options, served));
  const range = monthRange(options.month);
  const peerings = peeringsOf(config);
  const catalogPairs = catalogPairsOf(config);
  const scopeOf = (f: Flow): PoolScope =>
    f.vpcId !== undefined
      ? { kind: 'vpc', vpcId: f.vpcId }
      : f.segment !== undefined
        ? { kind: 'segment', segment: f.segment }
        : { kind: 'all' };
  return served.map((region) => {
    const p = prices.pricesOf(region);
    const own = flows.filter((f) => f.from === region);
    const endpoint = p.base.prices.interfaceEndpointAzHour;
    const attachment = p.base.prices.tgwAttachmentHour;
    // The catalog's cross-region entries are endpoints of the hub's pools already: only the ones beyond them here.
    const pairs = servicesByPair(
      own.filter((f) => f.via === 'privatelink'),
      catalogPairs,
    );
    const crossRegionEndpoints = [...pairs.values()]
      .filter(({ services, inCatalog }) => services > inCatalog)
      .map(({ to, services, inCatalog }) => {
        const scopes = new Set(own.filter((f) => f.to === to).map((f) => JSON.stringify(scopeOf(f))));
        const scope: PoolScope = scopes.size === 1 ? (JSON.parse([...scopes][0]!) as PoolScope) : { kind: 'all' };
        return pool(
          'endpoint',
          `cross-region endpoints to ${to}`,
          (services - inCatalog) * options.hubAzs * range.hours,
          endpoint.unit,
          endpoint.usd,
          scope,
        );
      });
    return {
      region,
      pools: [
        ...hubCostPools({
          month: options.month,
          config: regionalConfig(config, region),
          prices: p.base,
          hubAzs: options.hubAzs,
          hubPaysAttachments: options.hubPaysAttachments ?? false,
          intervals: options.intervalsByRegion[region] ?? [],
        }),
        ...peerings
          .filter((pair) => pair.includes(region))
          .map(([a, b]) =>
            pool('tgw-peering-attachment', `peering ${a} <-> ${b}`, range.hours, attachment.unit, attachment.usd, {
              kind: 'all',
            }),
          ),
        ...crossRegionEndpoints,
        ...own.map((f) =>
          pool(
            'inter-region-data',
            `${region} -> ${f.to} via ${f.via}${f.vpcId ? ` (${f.vpcId})` : f.segment ? ` (segment ${f.segment})` : ''}`,
            f.gb,
            'GB',
            p.interRegionTransferGb.usd,
            scopeOf(f),
          ),
        ),
      ],
    };
  });
}
