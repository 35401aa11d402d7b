import * as z from 'zod';
import { ConfigurationError } from '#shared/errors';
import { formatIssues, invalidFile } from '#shared/zod-issues';
import usEast1 from '../../pricing/us-east-1.json';

/**
 * The cost model of `spokelink cost`: the monthly cost of decentralized interface endpoints (in every spoke VPC)
 * against the centralized hub (endpoints once in the shared-services VPC, reached through the Transit Gateway, names
 * resolved by private hosted zones), the break-even points and a recommendation. Pure functions: no I/O, no clock.
 * docs/cost.md explains the model and its assumptions line by line.
 */

/** A price table (or an override file) is invalid; the message names every bad field by its path. */
export class PriceTableError extends ConfigurationError {}

/** The inputs of the cost model are out of range (a negative VPC count, a fractional AZ count, ...). */
export class CostInputError extends ConfigurationError {}

const usd = z.number().finite().min(0, 'must be a price >= 0');

const TierSchema = z.strictObject({
  /** Cumulative upper bound of the tier in the price's unit; `null` for the last, open-ended tier. */
  upTo: z.number().positive('must be > 0').nullable(),
  usd,
});

const tiers = z
  .array(TierSchema)
  .min(1, 'needs at least one tier')
  .superRefine((list, ctx) => {
    list.forEach((tier, index) => {
      const last = index === list.length - 1;
      if (last && tier.upTo !== null) {
        ctx.addIssue({ code: 'custom', path: [index, 'upTo'], message: 'the last tier must be open-ended (null)' });
      }
      if (!last && tier.upTo === null) {
        ctx.addIssue({ code: 'custom', path: [index, 'upTo'], message: 'only the last tier may be open-ended' });
      }
      const previous = list[index - 1]?.upTo;
      if (tier.upTo !== null && previous !== undefined && previous !== null && tier.upTo <= previous) {
        ctx.addIssue({ code: 'custom', path: [index, 'upTo'], message: `must be greater than ${previous}` });
      }
    });
  });

const meta = {
  unit: z.string().min(1),
  /** The AWS pricing page the figure comes from. */
  source: z.url('must be the URL of the AWS pricing page'),
  note: z.string().optional(),
};

/** A flat price with its unit and source page (also the shape of the inter-region figures, cli/cost/regions.ts). */
export const FlatPriceSchema = z.strictObject({ usd, ...meta });
/** Route 53 Profiles: a flat hourly price covering the first associations, then a price per association-hour. */
const ProfilePriceSchema = z.strictObject({
  usd,
  includedAssociations: z.number().int().min(0),
  beyondUsd: usd,
  ...meta,
});
const TieredPriceSchema = z.strictObject({ tiers, ...meta });

/** Schema of `pricing/<region>.json`: a dated price table with the source of every figure. */
export const PriceTableSchema = z.strictObject({
  asOf: z.iso.date('must be a date YYYY-MM-DD'),
  region: z.string().min(1),
  currency: z.literal('USD'),
  hoursPerMonth: z.number().positive('must be > 0'),
  note: z.string(),
  prices: z.strictObject({
    interfaceEndpointAzHour: FlatPriceSchema,
    endpointDataProcessingGb: TieredPriceSchema,
    tgwAttachmentHour: FlatPriceSchema,
    tgwDataProcessingGb: FlatPriceSchema,
    privateHostedZoneMonth: TieredPriceSchema,
    route53ProfileHour: ProfilePriceSchema,
  }),
});

export type PriceTable = z.infer<typeof PriceTableSchema>;
export type PriceTier = z.infer<typeof TierSchema>;

/** A price override: its parsed content and where it came from (named in errors). */
export interface PriceOverride {
  source: string;
  raw: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge: objects merge key by key, anything else (numbers, strings, tier arrays) replaces. */
export function mergeDeep(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    merged[key] = key in base ? mergeDeep(base[key], value) : value;
  }
  return merged;
}

/**
 * Validates a price table, after merging the overrides over it in order (a partial file such as
 * `{"prices":{"tgwDataProcessingGb":{"usd":0.015}}}` changes one figure). Throws {@link PriceTableError} naming
 * every bad field (`prices.tgwDataProcessingGb.usd: must be a price >= 0`).
 */
export function loadPriceTable(base: unknown, overrides: PriceOverride[] = [], baseSource = 'price table'): PriceTable {
  for (const override of overrides) {
    if (!isPlainObject(override.raw)) {
      throw new PriceTableError(`price override ${override.source} must be a JSON object`);
    }
  }
  const merged = overrides.reduce<unknown>((table, override) => mergeDeep(table, override.raw), base);
  const result = PriceTableSchema.safeParse(merged);
  if (!result.success) {
    const sources = [baseSource, ...overrides.map((o) => o.source)].join(' + ');
    throw new PriceTableError(invalidFile(`prices from ${sources} are invalid`, result.error));
  }
  return result.data;
}

/** The committed us-east-1 price table (`pricing/us-east-1.json`), validated. */
export function defaultPriceTable(): PriceTable {
  return loadPriceTable(usEast1, [], 'pricing/us-east-1.json');
}

/** The part of a quantity that falls in each tier (tiers with nothing in them are left out, except a zero total). */
export interface TierSlice {
  from: number;
  to: number | null;
  quantity: number;
  usd: number;
}

/** Splits `quantity` across cumulative tiers: the first `upTo` units at the first price, and so on. */
export function tierSlices(quantity: number, tierList: readonly PriceTier[]): TierSlice[] {
  const slices: TierSlice[] = [];
  let from = 0;
  for (const tier of tierList) {
    const to = tier.upTo;
    const inTier = Math.max(0, Math.min(quantity, to ?? Number.POSITIVE_INFINITY) - from);
    if (inTier > 0) slices.push({ from, to, quantity: inTier, usd: tier.usd });
    if (to === null || quantity <= to) break;
    from = to;
  }
  return slices;
}

/** Cost of `quantity` units priced by cumulative tiers (unrounded USD). */
export function tieredCost(quantity: number, tierList: readonly PriceTier[]): number {
  return tierSlices(quantity, tierList).reduce((sum, slice) => sum + slice.quantity * slice.usd, 0);
}

/** Rounds to whole cents (the figures are money; binary floating point noise is removed first). */
export function roundCents(value: number): number {
  return Math.round(Number((value * 100).toFixed(6))) / 100;
}

/** What a line item pays for (stable, for scripts; the label is for people). */
export type LineItemKind =
  | 'endpoint-hours'
  | 'endpoint-data'
  | 'tgw-attachment'
  | 'tgw-data'
  | 'private-hosted-zone'
  | 'route53-profile'
  // `spokelink cost --regions` (cli/cost/regions.ts):
  | 'regional-hub'
  | 'tgw-peering'
  | 'inter-region-data'
  | 'nlb'
  | 'service-replica';

/** How the centralized hub's names resolve in the spoke VPCs (the configuration's `dns.mode`). */
export type DnsMode = 'zones' | 'profile';

/** One line of a cost: `usd` = `quantity` x `unitUsd`, rounded to cents. */
export interface LineItem {
  kind: LineItemKind;
  label: string;
  quantity: number;
  unit: string;
  unitUsd: number;
  usd: number;
}

/** One architecture's monthly cost: the sum of its line items (in cents, so the items add up to the total). */
export interface ArchitectureCost {
  monthlyUsd: number;
  lineItems: LineItem[];
}

/** Inputs of {@link costModel}. */
export interface CostInput {
  /** Spoke VPCs (N). */
  vpcs: number;
  /** Distinct endpoint services in the catalog (S): the hub runs one interface endpoint for each. */
  services: number;
  /** Availability zones every endpoint spans (A). */
  azs: number;
  /** GB per VPC per month through the interface endpoints, both directions (G). */
  gbPerVpcMonth: number;
  prices: PriceTable;
  /** AZs of the hub's endpoints. @default azs */
  hubVpcAzs?: number;
  /** The spoke VPCs are attached to a TGW anyway (other traffic): their attachments are a sunk cost. @default false */
  existingTgw?: boolean;
  /**
   * Endpoint services each spoke VPC would need in decentralized (average, when VPCs use a subset of the catalog).
   * @default services
   */
  servicesPerVpc?: number;
  /** DNS mode of the centralized hub: direct zone associations, or one Route 53 Profile. @default 'zones' */
  dnsMode?: DnsMode;
}

/** Result of {@link costModel}; the `--json` output of `spokelink cost` is this object. */
export interface CostResult {
  inputs: Required<Omit<CostInput, 'prices'>>;
  prices: { region: string; asOf: string; currency: string; hoursPerMonth: number };
  decentralized: ArchitectureCost;
  centralized: ArchitectureCost;
  cheaper: 'centralized' | 'decentralized' | 'equal';
  /** Decentralized minus centralized (positive: centralizing saves this much per month). */
  savingsUsd: number;
  /** Smallest N at which centralized costs at most decentralized, or null (see `breakEvenVpcsReason`). */
  breakEvenVpcs: number | null;
  breakEvenVpcsReason: string | null;
  /** Largest whole GB/VPC/month at which centralized still costs at most decentralized, or null. */
  breakEvenGb: number | null;
  breakEvenGbReason: string | null;
  recommendation: string;
  /** The centralized hub's monthly cost in each DNS mode at this N, and which to pick. */
  dnsModes: { zonesUsd: number; profileUsd: number; recommendation: string };
  assumptions: string[];
}

/** TGW hard limit of 5,000 attachments, one of which is the hub VPC's: the most spokes one hub can serve. */
export const MAX_SPOKE_VPCS = 4_999;

/** Upper end of the break-even search in G (GB per VPC per month): 1 EB, far beyond any real VPC. */
const MAX_GB_SEARCH = 1_073_741_824;

type Resolved = CostResult['inputs'] & { prices: PriceTable };

const count = (name: string, min: number) =>
  z
    .number({ error: `${name} must be a number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`);

const InputSchema = z.object({
  vpcs: count('vpcs', 1).max(MAX_SPOKE_VPCS, `vpcs must be at most ${MAX_SPOKE_VPCS} (TGW attachment limit)`),
  services: count('services', 1),
  azs: count('azs', 1),
  gbPerVpcMonth: z.number().finite().min(0, 'gbPerVpcMonth must be >= 0'),
  hubVpcAzs: count('hubVpcAzs', 1).optional(),
  existingTgw: z.boolean().optional(),
  servicesPerVpc: z.number().finite().min(0, 'servicesPerVpc must be >= 0').optional(),
  dnsMode: z.enum(['zones', 'profile'], { error: 'dnsMode must be zones or profile' }).optional(),
});

function resolve(input: CostInput): Resolved {
  const { prices, ...rest } = input;
  const result = InputSchema.safeParse(rest);
  if (!result.success) {
    throw new CostInputError(formatIssues(result.error, { show: 'message' }));
  }
  const valid = result.data;
  return {
    vpcs: valid.vpcs,
    services: valid.services,
    azs: valid.azs,
    gbPerVpcMonth: valid.gbPerVpcMonth,
    hubVpcAzs: valid.hubVpcAzs ?? valid.azs,
    existingTgw: valid.existingTgw ?? false,
    servicesPerVpc: valid.servicesPerVpc ?? valid.services,
    dnsMode: valid.dnsMode ?? 'zones',
    prices,
  };
}

/** One line item: `usd` is quantity x unitUsd rounded to cents. */
export function line(kind: LineItemKind, label: string, quantity: number, unit: string, unitUsd: number): LineItem {
  return { kind, label, quantity, unit, unitUsd, usd: roundCents(quantity * unitUsd) };
}

/** An architecture's cost: the sum of its items' cents, so the items always add up to the total. */
export function total(lineItems: LineItem[]): ArchitectureCost {
  const cents = lineItems.reduce((sum, item) => sum + Math.round(item.usd * 100), 0);
  return { monthlyUsd: cents / 100, lineItems };
}

// One formatter for every label: toLocaleString builds a new one per call, too slow for the break-even search.
const numberFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
/** A quantity for a label: grouped, at most 4 decimals. */
export const fmt = (value: number) => numberFormat.format(value);

/** AWS bills data in binary units: 1 PB = 1,048,576 GB. */
const GB_PER_PB = 1_048_576;

function amount(value: number, unit: string): string {
  if (unit === 'GB' && value >= GB_PER_PB && value % GB_PER_PB === 0) return `${fmt(value / GB_PER_PB)} PB`;
  return `${fmt(value)} ${unit}`;
}

function tierLabel(slice: TierSlice, unit: string): string {
  if (slice.to === null) return slice.from === 0 ? 'all' : `over ${amount(slice.from, unit)}`;
  return slice.from === 0 ? `first ${amount(slice.to, unit)}` : `next ${amount(slice.to - slice.from, unit)}`;
}

/**
 * Line items of tiered data processing: one per tier reached. `accounts` accounts process `gbPerAccount` each (the
 * tiers apply per account), so each tier's quantity is `accounts` x the part of `gbPerAccount` in that tier.
 */
function dataProcessingLines(prefix: string, accounts: number, gbPerAccount: number, prices: PriceTable): LineItem[] {
  const tierList = prices.prices.endpointDataProcessingGb.tiers;
  const slices = tierSlices(gbPerAccount, tierList);
  if (slices.length === 0) return [line('endpoint-data', `${prefix} (no traffic)`, 0, 'GB', tierList[0]!.usd)];
  const tiered = tierList.length > 1;
  return slices.map((slice) =>
    line(
      'endpoint-data',
      tiered ? `${prefix} [${tierLabel(slice, 'GB')}]` : prefix,
      accounts * slice.quantity,
      'GB',
      slice.usd,
    ),
  );
}

function decentralizedCost(input: Resolved): ArchitectureCost {
  const { vpcs, servicesPerVpc, azs, gbPerVpcMonth, prices } = input;
  const hours = prices.hoursPerMonth;
  const endpointHours = vpcs * servicesPerVpc * azs * hours;
  return total([
    line(
      'endpoint-hours',
      `Endpoint-hours, every spoke VPC: ${fmt(vpcs)} VPCs x ${fmt(servicesPerVpc)} services x ${azs} AZs x ${fmt(hours)} h`,
      endpointHours,
      prices.prices.interfaceEndpointAzHour.unit,
      prices.prices.interfaceEndpointAzHour.usd,
    ),
    ...dataProcessingLines(
      `Endpoint data, each VPC tiered alone: ${fmt(vpcs)} VPCs x ${fmt(gbPerVpcMonth)} GB`,
      vpcs,
      gbPerVpcMonth,
      prices,
    ),
  ]);
}

function phzLines(zones: number, prices: PriceTable): LineItem[] {
  const price = prices.prices.privateHostedZoneMonth;
  const slices = tierSlices(zones, price.tiers);
  const tiered = price.tiers.length > 1;
  return slices.map((slice) =>
    line(
      'private-hosted-zone',
      tiered
        ? `Private hosted zones, one per service [${tierLabel(slice, 'zones')}]`
        : 'Private hosted zones, one per service',
      slice.quantity,
      price.unit,
      slice.usd,
    ),
  );
}

/**
 * Route 53 Profiles (DNS mode `profile`), paid by the Profile's owner, the hub: a flat hourly price per account and
 * region covering the first associations, then a price per association-hour (https://aws.amazon.com/route53/pricing/).
 * One Profile-VPC association per spoke VPC.
 */
export function profileLines(vpcs: number, prices: PriceTable): LineItem[] {
  const price = prices.prices.route53ProfileHour;
  const hours = prices.hoursPerMonth;
  const beyond = Math.max(0, vpcs - price.includedAssociations);
  return [
    line(
      'route53-profile',
      `Route 53 Profile, up to ${fmt(price.includedAssociations)} VPC associations: 1 x ${fmt(hours)} h`,
      hours,
      'hour',
      price.usd,
    ),
    ...(beyond > 0
      ? [
          line(
            'route53-profile',
            `Route 53 Profile associations beyond ${fmt(price.includedAssociations)}: ${fmt(beyond)} x ${fmt(hours)} h`,
            beyond * hours,
            price.unit,
            price.beyondUsd,
          ),
        ]
      : []),
  ];
}

function attachmentLines(input: Resolved): LineItem[] {
  const { vpcs, existingTgw, prices } = input;
  const hours = prices.hoursPerMonth;
  const price = prices.prices.tgwAttachmentHour;
  const hub = line(
    'tgw-attachment',
    `TGW attachment-hours, hub VPC: 1 x ${fmt(hours)} h`,
    hours,
    price.unit,
    price.usd,
  );
  if (existingTgw) return [hub];
  const spokes = line(
    'tgw-attachment',
    `TGW attachment-hours, spoke VPCs: ${fmt(vpcs)} x ${fmt(hours)} h`,
    vpcs * hours,
    price.unit,
    price.usd,
  );
  return [spokes, hub];
}

function centralizedCost(input: Resolved): ArchitectureCost {
  const { vpcs, services, hubVpcAzs, gbPerVpcMonth, prices } = input;
  const hours = prices.hoursPerMonth;
  const totalGb = vpcs * gbPerVpcMonth;
  return total([
    line(
      'endpoint-hours',
      `Endpoint-hours, hub VPC only: ${fmt(services)} services x ${hubVpcAzs} AZs x ${fmt(hours)} h`,
      services * hubVpcAzs * hours,
      prices.prices.interfaceEndpointAzHour.unit,
      prices.prices.interfaceEndpointAzHour.usd,
    ),
    ...attachmentLines(input),
    line(
      'tgw-data',
      `TGW data processing: ${fmt(vpcs)} VPCs x ${fmt(gbPerVpcMonth)} GB`,
      totalGb,
      'GB',
      prices.prices.tgwDataProcessingGb.usd,
    ),
    ...dataProcessingLines(`Endpoint data, hub account tiered on the total: ${fmt(totalGb)} GB`, 1, totalGb, prices),
    ...phzLines(services, prices),
    ...(input.dnsMode === 'profile' ? profileLines(vpcs, prices) : []),
  ]);
}

/** Default Route 53 quota of VPC associations per private hosted zone (zones mode's ceiling without a quota raise). */
const VPCS_PER_ZONE = 300;

/** The centralized cost in each DNS mode at N, and which to pick (docs/cost.md, "DNS modes"). */
function dnsModes(input: Resolved): CostResult['dnsModes'] {
  const zonesUsd = centralizedCost({ ...input, dnsMode: 'zones' }).monthlyUsd;
  const profileUsd = centralizedCost({ ...input, dnsMode: 'profile' }).monthlyUsd;
  const extra = roundCents(profileUsd - zonesUsd);
  const recommendation =
    input.vpcs > VPCS_PER_ZONE
      ? `profile: ${fmt(input.vpcs)} VPCs exceed Route 53's default of ${VPCS_PER_ZONE} VPCs per private hosted zone ` +
        `(AWS recommends Profiles beyond it), for ${money(extra)}/month more than zones mode would cost with raised quotas`
      : `zones: ${fmt(input.vpcs)} VPCs fit Route 53's default of ${VPCS_PER_ZONE} VPCs per zone, and profile mode ` +
        `would add ${money(extra)}/month (the Profile's hourly price); pick profile for a faster migration day ` +
        '(one association per VPC instead of one per zone, no per-zone serialization)';
  return { zonesUsd, profileUsd, recommendation };
}

/** Decentralized minus centralized monthly cost (cents-exact), for a variant of the inputs. */
function advantage(input: Resolved): number {
  return roundCents(decentralizedCost(input).monthlyUsd - centralizedCost(input).monthlyUsd);
}

function breakEvenVpcs(input: Resolved): { value: number | null; reason: string | null } {
  for (let n = 1; n <= MAX_SPOKE_VPCS; n += 1) {
    if (advantage({ ...input, vpcs: n }) >= 0) return { value: n, reason: null };
  }
  return {
    value: null,
    reason:
      `centralized costs more than decentralized at every N up to ${fmt(MAX_SPOKE_VPCS)} VPCs ` +
      `(one TGW's attachment limit) at ${fmt(input.gbPerVpcMonth)} GB/VPC/month: each VPC's TGW attachment and ` +
      'TGW data processing cost more than the endpoints it no longer needs',
  };
}

function breakEvenGb(input: Resolved): { value: number | null; reason: string | null } {
  const at = (gb: number) => advantage({ ...input, gbPerVpcMonth: gb });
  if (at(0) < 0) {
    return {
      value: null,
      reason: `centralized costs more than decentralized at ${fmt(input.vpcs)} VPCs even with no traffic`,
    };
  }
  if (at(MAX_GB_SEARCH) >= 0) {
    return {
      value: null,
      reason: `centralized stays cheaper at every volume up to ${fmt(MAX_GB_SEARCH)} GB/VPC/month`,
    };
  }
  // Invariant: at(low) >= 0 > at(high). The advantage falls as G grows whenever TGW processing costs more per GB
  // than the spread of the endpoint tiers (true of the AWS prices), so this is the one crossing.
  let low = 0;
  let high = MAX_GB_SEARCH;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (at(middle) >= 0) low = middle;
    else high = middle;
  }
  return { value: low, reason: null };
}

const moneyFormat = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const money = (value: number) => `$${moneyFormat.format(value)}`;

function sumWhere(cost: ArchitectureCost, ...kinds: LineItemKind[]): number {
  return roundCents(cost.lineItems.filter((item) => kinds.includes(item.kind)).reduce((s, item) => s + item.usd, 0));
}

function why(decentralized: ArchitectureCost, centralized: ArchitectureCost): string {
  const endpointsSaved = roundCents(
    sumWhere(decentralized, 'endpoint-hours') - sumWhere(centralized, 'endpoint-hours'),
  );
  const transit = sumWhere(centralized, 'tgw-attachment', 'tgw-data', 'private-hosted-zone', 'route53-profile');
  const dataDelta = roundCents(sumWhere(centralized, 'endpoint-data') - sumWhere(decentralized, 'endpoint-data'));
  const tiers =
    dataDelta === 0
      ? ''
      : ` (endpoint data processing ${dataDelta < 0 ? 'falls' : 'rises'} by ${money(Math.abs(dataDelta))} on the hub's volume tiers)`;
  return (
    `centralizing removes ${money(endpointsSaved)} of endpoint-hours and adds ${money(transit)} ` +
    `of TGW attachments, TGW data processing and private hosted zones${tiers}`
  );
}

function recommend(
  input: Resolved,
  decentralized: ArchitectureCost,
  centralized: ArchitectureCost,
  vpcsBreakEven: { value: number | null },
  gbBreakEven: { value: number | null },
): string {
  const savings = roundCents(decentralized.monthlyUsd - centralized.monthlyUsd);
  const reason = why(decentralized, centralized);
  const range: string[] = [];
  if (vpcsBreakEven.value !== null) {
    range.push(`centralized wins from ${fmt(vpcsBreakEven.value)} VPCs at ${fmt(input.gbPerVpcMonth)} GB/VPC/month`);
  }
  if (gbBreakEven.value !== null) {
    range.push(`up to ${fmt(gbBreakEven.value)} GB/VPC/month at ${fmt(input.vpcs)} VPCs`);
  }
  const bounds = range.length > 0 ? ` Break-even: ${range.join(', ')}.` : '';
  if (savings > 0) {
    const percent = Math.round((savings / decentralized.monthlyUsd) * 100);
    return `Centralize: ${money(centralized.monthlyUsd)}/month against ${money(decentralized.monthlyUsd)} decentralized, saving ${money(savings)}/month (${percent}%), because ${reason}.${bounds}`;
  }
  if (savings < 0) {
    return `Stay decentralized: ${money(decentralized.monthlyUsd)}/month against ${money(centralized.monthlyUsd)} centralized, ${money(-savings)}/month less, because ${reason}.${bounds}`;
  }
  return `Either: both cost ${money(centralized.monthlyUsd)}/month; choose on security and operations, because ${reason}.${bounds}`;
}

function assumptions(input: Resolved): string[] {
  const hours = input.prices.hoursPerMonth;
  return [
    `A month is ${fmt(hours)} hours and every endpoint, attachment and zone exists all month.`,
    `Decentralized: each spoke VPC runs its own interface endpoint for each of its ${fmt(input.servicesPerVpc)} services in each of its ${input.azs} AZs, and resolves names with the endpoints' own private DNS (no hosted zones, no TGW).`,
    'Decentralized: each spoke VPC is in its own account, so the endpoint data-processing tiers (per account, per region, per month) apply to each VPC alone.',
    `Centralized: the hub VPC runs one endpoint per service (${fmt(input.services)}) in ${input.hubVpcAzs} AZs; the hub account processes all the GB, tiered on the total.`,
    'Centralized: every GB through the endpoints enters the TGW once (requests at the spoke attachment, responses at the hub attachment) and pays TGW data processing.',
    'Centralized: one private hosted zone per service in the hub account, priced by the zone-count tiers as if the account had no other zones.',
    input.existingTgw
      ? 'The spoke VPCs are attached to a TGW anyway (--tgw-exists): their attachments are a sunk cost and left out; the hub VPC attachment is still counted.'
      : 'Every spoke VPC and the hub VPC need a TGW attachment for this (billed to each VPC owner, counted here as the cost of the architecture whoever pays); pass --tgw-exists if the spokes are attached anyway.',
    'Not modeled: cross-AZ and inter-region data transfer, DNS queries, Route 53 Resolver endpoints, gateway endpoints (S3, DynamoDB: free).',
    `Break-even in N is searched up to ${fmt(MAX_SPOKE_VPCS)} spoke VPCs (5,000 attachments per TGW, one for the hub).`,
  ];
}

/**
 * Monthly cost of decentralized interface endpoints against the centralized hub for N VPCs, S services, A AZs and
 * G GB/VPC/month, with the break-even points in N (at this G) and in G (at this N) and a recommendation.
 * Throws {@link CostInputError} on out-of-range inputs.
 */
export function costModel(input: CostInput): CostResult {
  const resolved = resolve(input);
  const decentralized = decentralizedCost(resolved);
  const centralized = centralizedCost(resolved);
  const savingsUsd = roundCents(decentralized.monthlyUsd - centralized.monthlyUsd);
  const vpcsBreakEven = breakEvenVpcs(resolved);
  const gbBreakEven = breakEvenGb(resolved);
  const { prices, ...inputs } = resolved;
  return {
    inputs,
    prices: {
      region: prices.region,
      asOf: prices.asOf,
      currency: prices.currency,
      hoursPerMonth: prices.hoursPerMonth,
    },
    decentralized,
    centralized,
    cheaper: savingsUsd > 0 ? 'centralized' : savingsUsd < 0 ? 'decentralized' : 'equal',
    savingsUsd,
    breakEvenVpcs: vpcsBreakEven.value,
    breakEvenVpcsReason: vpcsBreakEven.reason,
    breakEvenGb: gbBreakEven.value,
    breakEvenGbReason: gbBreakEven.reason,
    recommendation: recommend(resolved, decentralized, centralized, vpcsBreakEven, gbBreakEven),
    dnsModes: dnsModes(resolved),
    assumptions: assumptions(resolved),
  };
}

/** The centralized hub's cost only (no decentralized side, no break-even search): one regional hub of `--regions`. */
export function centralizedCostOf(input: CostInput): ArchitectureCost {
  // A served region may have no spoke VPC yet: its hub's fixed cost (endpoints, hub attachment, zones) still counts,
  // so N = 0 is valid here, and only here (the break-even of one region needs N >= 1).
  if (input.vpcs !== 0) return centralizedCost(resolve(input));
  return centralizedCost({ ...resolve({ ...input, vpcs: 1 }), vpcs: 0 });
}

/** Both monthly totals only (no break-even search): what the chart plots point by point. */
export function costTotals(input: CostInput): { decentralizedUsd: number; centralizedUsd: number } {
  const resolved = resolve(input);
  return {
    decentralizedUsd: decentralizedCost(resolved).monthlyUsd,
    centralizedUsd: centralizedCost(resolved).monthlyUsd,
  };
}
