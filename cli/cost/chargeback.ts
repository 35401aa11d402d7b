import type { HubConfig } from '#shared/config';
import { csvCell } from '#shared/display';
import { ConfigurationError } from '#shared/errors';
import type { MembershipInterval } from '#shared/registry/model';
import { type PriceTable, tierSlices } from './cost';
import { hubServicesOf, type RegistryRecord } from './inputs';

/**
 * Chargeback of `spokelink chargeback --month YYYY-MM`: the hub's modeled cost of one calendar month (UTC) split
 * across the consumer VPCs pro rata by the hours each was connected. Money is handled in integer micro-dollars and
 * split by largest remainder, so the rows add up to the total exactly; a cost nobody consumed in the month is an
 * explicit `unallocated` row. Pure functions: no I/O, no clock.
 */

/** The month, the intervals or the options of a chargeback are invalid. */
export class ChargebackInputError extends ConfigurationError {}

const MS_PER_HOUR = 3_600_000;
const MICRO_PER_USD = 1_000_000;

/** Start (inclusive) and end (exclusive) of a `YYYY-MM` month in UTC epoch milliseconds. */
export interface MonthRange {
  month: string;
  startMs: number;
  endMs: number;
  hours: number;
}

/** Parses `YYYY-MM` into its UTC bounds. Throws {@link ChargebackInputError} otherwise. */
export function monthRange(month: string): MonthRange {
  const match = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!match)
    throw new ChargebackInputError(`month must be YYYY-MM (for example 2026-03), not ${JSON.stringify(month)}`);
  const year = Number(match[1]);
  const index = Number(match[2]) - 1;
  const startMs = Date.UTC(year, index, 1);
  const endMs = Date.UTC(year, index + 1, 1);
  return { month, startMs, endMs, hours: (endMs - startMs) / MS_PER_HOUR };
}

/** Who shares a cost: every consumer, the consumers of some services, or one VPC (its own attachment). */
export type PoolScope =
  | { kind: 'all' }
  | { kind: 'services'; services: string[] }
  | { kind: 'vpc'; vpcId: string }
  /** The VPCs of one segment (inter-region traffic given per segment, `spokelink chargeback --regions`). */
  | { kind: 'segment'; segment: string };

/** One modeled hub cost of the month, to be split among the consumers in its scope. */
export interface CostPool {
  category:
    | 'endpoint'
    | 'private-hosted-zone'
    | 'tgw-hub-attachment'
    | 'tgw-spoke-attachment'
    | 'route53-profile'
    // `--regions` (cli/cost/regions.ts): the hub's side of a TGW peering, and the inter-region data its VPCs send.
    | 'tgw-peering-attachment'
    | 'inter-region-data';
  /** What it is: the endpoint name, zone id or attachment owner. */
  item: string;
  quantity: number;
  unit: string;
  unitUsd: number;
  microUsd: number;
  scope: PoolScope;
}

/** Options of {@link hubCostPools}. */
export interface HubCostOptions {
  month: string;
  /** The hub configuration: its endpoint catalog and the catalog's private hosted zones. */
  config: Pick<HubConfig, 'endpoints'> & { dns?: Pick<HubConfig['dns'], 'mode'> };
  prices: PriceTable;
  /** AZs the hub's interface endpoints span. */
  hubAzs: number;
  /**
   * The hub pays the spoke VPCs' TGW attachment-hours (AWS bills them to each VPC owner): each VPC is charged its
   * own attachment's hours, partial hours rounded up as AWS bills them. @default false
   */
  hubPaysAttachments?: boolean;
  /** Needed when `hubPaysAttachments`: the spoke attachments' hours come from the membership. */
  intervals?: readonly MembershipInterval[];
}

const toMicro = (usd: number) => Math.round(Number((usd * MICRO_PER_USD).toFixed(3)));

/** A pool of `quantity` x `unitUsd`, in micro-dollars. */
export function pool(
  category: CostPool['category'],
  item: string,
  quantity: number,
  unit: string,
  unitUsd: number,
  scope: PoolScope,
): CostPool {
  return { category, item, quantity, unit, unitUsd, microUsd: toMicro(quantity * unitUsd), scope };
}

function zonePools(config: HubCostOptions['config'], prices: PriceTable): CostPool[] {
  const servicesByZone = new Map<string, string[]>();
  for (const [name, endpoint] of Object.entries(config.endpoints)) {
    for (const zoneId of endpoint.privateHostedZoneIds) {
      servicesByZone.set(zoneId, [...(servicesByZone.get(zoneId) ?? []), name]);
    }
  }
  // The account's first zones get the first tier's price, in catalog order: the zone-count tiers of the account.
  const price = prices.prices.privateHostedZoneMonth;
  const unitPrices = tierSlices(servicesByZone.size, price.tiers).flatMap((slice) =>
    Array.from({ length: slice.quantity }, () => slice.usd),
  );
  return [...servicesByZone].map(([zoneId, services], index) =>
    pool('private-hosted-zone', zoneId, 1, price.unit, unitPrices[index]!, { kind: 'services', services }),
  );
}

function spokeAttachmentPools(range: MonthRange, intervals: readonly MembershipInterval[], prices: PriceTable) {
  const hoursByVpc = new Map<string, number>();
  for (const interval of intervals) {
    const ms = clippedMs(interval, range);
    if (ms > 0) hoursByVpc.set(interval.vpcId, (hoursByVpc.get(interval.vpcId) ?? 0) + Math.ceil(ms / MS_PER_HOUR));
  }
  const price = prices.prices.tgwAttachmentHour;
  return [...hoursByVpc]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([vpcId, hours]) =>
      pool('tgw-spoke-attachment', `attachment of ${vpcId}`, hours, price.unit, price.usd, { kind: 'vpc', vpcId }),
    );
}

/**
 * The hub's modeled cost of a month: each catalog endpoint in `hubAzs` AZs for every hour of the month (shared by
 * the VPCs consuming it), the hub VPC's TGW attachment (shared by all), each private hosted zone of the catalog for
 * the month (shared by the consumers of its endpoints) and, when the hub pays them, the spoke attachments (each
 * VPC's own). Endpoint data processing is not modeled: the registry has no per-VPC traffic.
 */
export function hubCostPools(options: HubCostOptions): CostPool[] {
  const range = monthRange(options.month);
  if (!Number.isInteger(options.hubAzs) || options.hubAzs < 1) {
    throw new ChargebackInputError(`hubAzs must be a whole number >= 1, not ${options.hubAzs}`);
  }
  const { prices } = options;
  const endpoint = prices.prices.interfaceEndpointAzHour;
  const attachment = prices.prices.tgwAttachmentHour;
  const endpointHours = options.hubAzs * range.hours;
  return [
    ...Object.keys(options.config.endpoints).map((name) =>
      pool('endpoint', name, endpointHours, endpoint.unit, endpoint.usd, { kind: 'services', services: [name] }),
    ),
    pool('tgw-hub-attachment', 'hub VPC attachment', range.hours, attachment.unit, attachment.usd, { kind: 'all' }),
    ...zonePools(options.config, prices),
    ...(options.hubPaysAttachments ? spokeAttachmentPools(range, options.intervals ?? [], prices) : []),
    ...(options.config.dns?.mode === 'profile' ? profilePools(range, options.intervals ?? [], prices) : []),
  ];
}

/**
 * DNS mode `profile`: the hub, as the Profile's owner, pays its hourly price (covering the first associations) and
 * each association-hour beyond (https://aws.amazon.com/route53/pricing/); every consumer shares both, by its hours.
 * Association-hours are the members' connected hours (one association per connected VPC), partial hours rounded up;
 * the hourly inclusion is applied to the month's total (exact while the member count stays on one side of it).
 */
function profilePools(range: MonthRange, intervals: readonly MembershipInterval[], prices: PriceTable): CostPool[] {
  const price = prices.prices.route53ProfileHour;
  const associationHours = intervals.reduce((sum, i) => sum + Math.ceil(clippedMs(i, range) / MS_PER_HOUR), 0);
  const beyond = Math.max(0, associationHours - price.includedAssociations * range.hours);
  return [
    pool('route53-profile', 'hub Route 53 Profile', range.hours, 'hour', price.usd, { kind: 'all' }),
    ...(beyond > 0
      ? [
          pool('route53-profile', 'Profile associations beyond the included', beyond, price.unit, price.beyondUsd, {
            kind: 'all',
          }),
        ]
      : []),
  ];
}

function parseTime(value: string, field: string, vpcId: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new ChargebackInputError(`interval of ${vpcId}: ${field} is not a time: ${value}`);
  return ms;
}

/** Milliseconds of the interval inside the month (an open interval runs to the end of the month). */
function clippedMs(interval: MembershipInterval, range: MonthRange): number {
  const start = parseTime(interval.connectedAt, 'connectedAt', interval.vpcId);
  const end =
    interval.disconnectedAt === undefined
      ? Number.POSITIVE_INFINITY
      : parseTime(interval.disconnectedAt, 'disconnectedAt', interval.vpcId);
  if (end < start) {
    throw new ChargebackInputError(`interval of ${interval.vpcId}: disconnectedAt is before connectedAt`);
  }
  return Math.max(0, Math.min(end, range.endMs) - Math.max(start, range.startMs));
}

function inScope(scope: PoolScope, interval: MembershipInterval): boolean {
  if (scope.kind === 'all') return true;
  if (scope.kind === 'vpc') return interval.vpcId === scope.vpcId;
  if (scope.kind === 'segment') return interval.segment === scope.segment;
  return scope.services.some((service) => interval.services.includes(service));
}

/** One allocation: a share of one pool charged to one VPC (or `unallocated`). */
export interface ChargebackRow {
  month: string;
  /** The consumer VPC, or `unallocated` when no VPC consumed the cost in the month. */
  vpcId: string;
  accountId: string;
  segment: string;
  category: CostPool['category'];
  item: string;
  /** Hours the VPC was connected in the month within the pool's scope (the allocation weight). */
  connectedHours: number;
  microUsd: number;
  usd: number;
}

/** Totals of a chargeback: every figure is a sum of rows, in exact micro-dollars. */
export interface ChargebackSummary {
  month: string;
  hoursInMonth: number;
  totalUsd: number;
  allocatedUsd: number;
  unallocatedUsd: number;
  byAccount: { accountId: string; usd: number; microUsd: number }[];
  byVpc: { vpcId: string; accountId: string; segment: string; connectedHours: number; usd: number; microUsd: number }[];
  unallocated: { category: CostPool['category']; item: string; usd: number; microUsd: number }[];
  warnings: string[];
}

/** Result of {@link allocate}. */
export interface ChargebackReport {
  rows: ChargebackRow[];
  summary: ChargebackSummary;
  csv: string;
}

interface Consumer {
  vpcId: string;
  accountId: string;
  segment: string;
  ms: number;
}

function consumersOf(scope: PoolScope, intervals: readonly MembershipInterval[], range: MonthRange): Consumer[] {
  const byVpc = new Map<string, Consumer>();
  for (const interval of intervals) {
    if (!inScope(scope, interval)) continue;
    const ms = clippedMs(interval, range);
    if (ms === 0) continue;
    const consumer = byVpc.get(interval.vpcId);
    if (consumer) consumer.ms += ms;
    else byVpc.set(interval.vpcId, { ...interval, ms });
  }
  return [...byVpc.values()].sort((a, b) => a.vpcId.localeCompare(b.vpcId));
}

/**
 * Largest-remainder split of `total` micro-dollars by integer weights: each share is floor(total x w / W), and the
 * micro-dollars left are given one each to the largest remainders (ties to the earlier entry). Exact in BigInt.
 */
export function splitLargestRemainder(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + BigInt(w), 0n);
  if (sum === 0n) throw new ChargebackInputError('cannot split a cost among weights that sum to zero');
  const parts = weights.map((w, index) => {
    const product = BigInt(total) * BigInt(w);
    return { index, share: product / sum, remainder: product % sum };
  });
  let left = BigInt(total) - parts.reduce((s, p) => s + p.share, 0n);
  const order = [...parts].sort((a, b) =>
    a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1,
  );
  for (const part of order) {
    if (left === 0n) break;
    part.share += 1n;
    left -= 1n;
  }
  return parts.map((p) => Number(p.share));
}

function rowsOfPool(costPool: CostPool, intervals: readonly MembershipInterval[], range: MonthRange): ChargebackRow[] {
  const base = { month: range.month, category: costPool.category, item: costPool.item };
  const consumers = consumersOf(costPool.scope, intervals, range);
  if (consumers.length === 0) {
    const usd = costPool.microUsd / MICRO_PER_USD;
    return [
      {
        ...base,
        vpcId: 'unallocated',
        accountId: '',
        segment: '',
        connectedHours: 0,
        microUsd: costPool.microUsd,
        usd,
      },
    ];
  }
  const shares = splitLargestRemainder(
    costPool.microUsd,
    consumers.map((c) => c.ms),
  );
  return consumers.map((consumer, index) => ({
    ...base,
    vpcId: consumer.vpcId,
    accountId: consumer.accountId,
    segment: consumer.segment,
    connectedHours: consumer.ms / MS_PER_HOUR,
    microUsd: shares[index]!,
    usd: shares[index]! / MICRO_PER_USD,
  }));
}

function overlapWarnings(intervals: readonly MembershipInterval[], range: MonthRange): string[] {
  const byVpc = new Map<string, MembershipInterval[]>();
  for (const interval of intervals) byVpc.set(interval.vpcId, [...(byVpc.get(interval.vpcId) ?? []), interval]);
  const warnings: string[] = [];
  for (const [vpcId, list] of byVpc) {
    const spans = list
      .filter((i) => clippedMs(i, range) > 0)
      .map((i) => [Date.parse(i.connectedAt), i.disconnectedAt ? Date.parse(i.disconnectedAt) : Infinity] as const)
      .sort((a, b) => a[0] - b[0]);
    if (spans.some((span, i) => i > 0 && span[0] < spans[i - 1]![1])) {
      warnings.push(`${vpcId} has overlapping membership intervals: its hours are counted once per interval`);
    }
  }
  return warnings;
}

function sumBy<K>(rows: ChargebackRow[], key: (row: ChargebackRow) => K): Map<K, number> {
  const sums = new Map<K, number>();
  for (const row of rows) sums.set(key(row), (sums.get(key(row)) ?? 0) + row.microUsd);
  return sums;
}

function summarize(rows: ChargebackRow[], range: MonthRange, intervals: readonly MembershipInterval[]) {
  const micro = (m: number) => ({ microUsd: m, usd: m / MICRO_PER_USD });
  const allocatedRows = rows.filter((r) => r.vpcId !== 'unallocated');
  const total = rows.reduce((s, r) => s + r.microUsd, 0);
  const allocated = allocatedRows.reduce((s, r) => s + r.microUsd, 0);
  const consumers = consumersOf({ kind: 'all' }, intervals, range);
  const vpcMicro = sumBy(allocatedRows, (r) => r.vpcId);
  const summary: ChargebackSummary = {
    month: range.month,
    hoursInMonth: range.hours,
    totalUsd: total / MICRO_PER_USD,
    allocatedUsd: allocated / MICRO_PER_USD,
    unallocatedUsd: (total - allocated) / MICRO_PER_USD,
    byAccount: [...sumBy(allocatedRows, (r) => r.accountId)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([accountId, m]) => ({ accountId, ...micro(m) })),
    byVpc: consumers.map((c) => ({
      vpcId: c.vpcId,
      accountId: c.accountId,
      segment: c.segment,
      connectedHours: c.ms / MS_PER_HOUR,
      ...micro(vpcMicro.get(c.vpcId) ?? 0),
    })),
    unallocated: rows
      .filter((r) => r.vpcId === 'unallocated')
      .map((r) => ({ category: r.category, item: r.item, ...micro(r.microUsd) })),
    warnings: overlapWarnings(intervals, range),
  };
  return summary;
}

/** Exact decimal text of micro-dollars (`1234567` -> `1.234567`), without binary floating point. */
export function formatMicroUsd(microUsd: number): string {
  const sign = microUsd < 0 ? '-' : '';
  const digits = String(Math.abs(microUsd)).padStart(7, '0');
  return `${sign}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/**
 * CSV of the rows: one line per VPC and cost, amounts as exact decimal USD (6 places), hours to 4 places. Text cells
 * go through csvCell (segment and item names can come from tags: escaped, never a spreadsheet formula); the amounts
 * and hours are this module's own decimal text, written as they are.
 */
export function chargebackCsv(rows: readonly ChargebackRow[]): string {
  const header = 'month,account_id,vpc_id,segment,category,item,connected_hours,usd';
  const lines = rows.map((row) =>
    [
      ...[row.month, row.accountId, row.vpcId, row.segment, row.category, row.item].map(csvCell),
      row.connectedHours.toFixed(4),
      formatMicroUsd(row.microUsd),
    ].join(','),
  );
  return `${[header, ...lines].join('\n')}\n`;
}

/**
 * Splits every pool of the month across the consumer VPCs in its scope, pro rata by the milliseconds each was
 * connected within the month (intervals clipped to the month, UTC; a VPC connected twice sums its intervals).
 * A pool nobody in its scope consumed becomes an `unallocated` row. The rows add up to the pools' total exactly.
 */
export function allocate(month: string, pools: readonly CostPool[], intervals: readonly MembershipInterval[]) {
  const range = monthRange(month);
  const rows = pools.flatMap((costPool) => rowsOfPool(costPool, intervals, range));
  const report: ChargebackReport = { rows, summary: summarize(rows, range, intervals), csv: chargebackCsv(rows) };
  return report;
}

/**
 * Membership intervals from registry records (current and history): one per record that was ever connected
 * (`connectedAt` set). A `disconnected` record without `disconnectedAt` ends at its `updatedAt`. The same membership
 * seen twice (current record and its history copy) counts once, the copy with an end winning.
 */
export function membershipFromRecords(records: readonly RegistryRecord[]): MembershipInterval[] {
  const byKey = new Map<string, MembershipInterval>();
  for (const record of records) {
    if (record.connectedAt === undefined) continue;
    const disconnectedAt =
      record.disconnectedAt ?? (record.status === 'disconnected' ? record.updatedAt : undefined) ?? undefined;
    const interval: MembershipInterval = {
      vpcId: record.vpcId,
      accountId: record.accountId,
      segment: record.segment,
      // Hub pools only: an endpoint in the VPC is billed to the VPC's account by AWS already.
      services: hubServicesOf(record),
      connectedAt: record.connectedAt,
      ...(disconnectedAt === undefined ? {} : { disconnectedAt }),
    };
    const key = `${record.vpcId}#${record.connectedAt}`;
    const seen = byKey.get(key);
    if (seen === undefined || (seen.disconnectedAt === undefined && disconnectedAt !== undefined)) {
      byKey.set(key, interval);
    }
  }
  return [...byKey.values()];
}
