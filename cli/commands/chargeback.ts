import { writeFileSync } from 'node:fs';
import { type HubConfig, loadConfigFile } from '#shared/config';
import { csvCell, escapeControl } from '#shared/display';
import type { MembershipInterval } from '#shared/registry/model';
import { allocate, chargebackCsv, formatMicroUsd, hubCostPools, membershipFromRecords } from '../cost/chargeback';
import { defaultPriceTable, loadPriceTable } from '../cost/cost';
import { formatChargebackSummary, formatUsd } from '../cost/format';
import { parseRegistryRecords } from '../cost/inputs';
import {
  loadRegionPriceBook,
  parseInterRegionFile,
  regionalCostPools,
  requireSeveralRegions,
  unreadRegionNote,
} from '../cost/regions';
import { type FlagsOf, helpPrinted, parseFlags, UsageError, withExitCodes } from './command';
import { type CommandIo, type LoadedRecords, readData } from './cost';

/** What the integrator injects: the registry's membership history (current and history records, scanned). */
export interface ChargebackDeps {
  loadMembership?: () => Promise<MembershipInterval[]>;
  /** The same records with their regions and the served regions whose registries were read (`--regions`). */
  loadRecords?: () => Promise<LoadedRecords>;
}

export const CHARGEBACK_USAGE = `usage: spokelink chargeback --month YYYY-MM [options]
  --month YYYY-MM           the calendar month (UTC) to charge back
  --registry-file FILE      registry records (JSON array, current and history) instead of the registry scan
  --config FILE             hub configuration: the endpoint catalog and its zones (default config/example.hub.json)
  --hub-azs A               AZs of the hub's interface endpoints (default 3)
  --hub-pays-attachments    the hub pays the spoke VPCs' TGW attachment-hours (charged to each VPC)
  --prices FILE             JSON price overrides merged over pricing/us-east-1.json
  --csv FILE                write the allocation as CSV (- for stdout)
  --json                    print rows and summary as JSON instead of the table

Several regions (docs/cost.md "Chargeback per region"):
  --regions                 one chargeback per served region: its hub's pools (its catalog, its prices) to its own
                            VPCs (by the records' region), its side of each TGW peering, and the inter-region data
                            its VPCs send (needs --registry-file)
  --inter-region FILE       GB a month sent between regions ({flows: [...]}, as spokelink cost --regions)
  --region-prices FILE      JSON overrides merged over pricing/regions.json
`;

const OPTIONS = {
  month: { type: 'string' },
  'registry-file': { type: 'string' },
  config: { type: 'string' },
  'hub-azs': { type: 'string' },
  'hub-pays-attachments': { type: 'boolean' },
  prices: { type: 'string' },
  csv: { type: 'string' },
  json: { type: 'boolean' },
  regions: { type: 'boolean' },
  'inter-region': { type: 'string' },
  'region-prices': { type: 'string' },
} as const;

type Flags = FlagsOf<typeof OPTIONS>;

async function membership(flags: Flags, deps: ChargebackDeps): Promise<MembershipInterval[]> {
  const file = flags['registry-file'];
  if (file !== undefined) return membershipFromRecords(parseRegistryRecords(readData(file, '--registry-file'), file));
  if (deps.loadMembership) return deps.loadMembership();
  throw new UsageError(
    'needs --registry-file FILE (or --local for the last simulate run, or AWS credentials for the registry table)',
  );
}

function hubAzs(flags: Flags): number {
  const raw = flags['hub-azs'] ?? '3';
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new UsageError(`--hub-azs must be a whole number >= 1, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

async function execute(argv: string[], io: CommandIo, deps: ChargebackDeps): Promise<number> {
  const flags = parseFlags(argv, OPTIONS).values;
  if (helpPrinted(flags, io, CHARGEBACK_USAGE)) return 0;
  if (flags.month === undefined) throw new UsageError('missing --month YYYY-MM');
  const month = flags.month;
  if (flags.csv === '-' && flags.json) throw new UsageError('--csv - and --json would both write to stdout');
  const azs = hubAzs(flags);
  const config = loadConfigFile(flags.config ?? 'config/example.hub.json');
  if (flags.regions) return executeRegions(flags, io, deps, config, month, azs);
  for (const name of ['inter-region', 'region-prices'] as const) {
    if (flags[name] !== undefined) throw new UsageError(`--${name} needs --regions`);
  }
  const prices =
    flags.prices === undefined
      ? defaultPriceTable()
      : loadPriceTable(defaultPriceTable(), [{ source: flags.prices, raw: readData(flags.prices, '--prices') }]);
  const intervals = await membership(flags, deps);
  const pools = hubCostPools({
    month,
    config,
    prices,
    hubAzs: azs,
    hubPaysAttachments: flags['hub-pays-attachments'] === true,
    intervals,
  });
  const report = allocate(month, pools, intervals);
  if (flags.csv === '-') io.stdout(report.csv);
  else if (flags.csv !== undefined) {
    writeFileSync(flags.csv, report.csv);
    io.stderr(`CSV written to ${flags.csv}\n`);
  }
  if (flags.json) io.stdout(`${JSON.stringify({ summary: report.summary, pools, rows: report.rows }, null, 2)}\n`);
  else if (flags.csv !== '-') io.stdout(formatChargebackSummary(report));
  return 0;
}

/** The records `--regions` charges (with their regions): `--registry-file`, or the registry of --local or AWS. */
async function regionRecords(flags: Flags, deps: ChargebackDeps): Promise<LoadedRecords & { source: string }> {
  const file = flags['registry-file'];
  if (file !== undefined)
    return { records: parseRegistryRecords(readData(file, '--registry-file'), file), source: file };
  if (deps.loadRecords) return { ...(await deps.loadRecords()), source: 'the consumer registry' };
  throw new UsageError(
    '--regions needs --registry-file FILE (or --local for the last simulate run, or AWS credentials for the registry tables)',
  );
}

/** `--regions`: one chargeback per served region, from registry records that carry their region. */
async function executeRegions(
  flags: Flags,
  io: CommandIo,
  deps: ChargebackDeps,
  config: HubConfig,
  month: string,
  azs: number,
): Promise<number> {
  const served = requireSeveralRegions(config, flags.config ?? 'config/example.hub.json');
  const { records, regions, source } = await regionRecords(flags, deps);
  for (const region of served) {
    const note = unreadRegionNote(source, region, regions, 'its hub is charged to none of its VPCs');
    if (note) io.stderr(note);
  }
  const unplaced = records.find((record) => record.region === undefined);
  if (unplaced)
    throw new UsageError(
      `${source}: ${escapeControl(unplaced.vpcId)} has no region: --regions charges each VPC in its region`,
    );
  const stray = records.find((record) => !served.includes(record.region!));
  if (stray) {
    throw new UsageError(
      `${source}: ${escapeControl(stray.vpcId)} is in ${escapeControl(stray.region!)}, not a region of the configuration (it serves ${served.join(', ')})`,
    );
  }
  const regionOf = new Map(records.map((record) => [record.vpcId, record.region!]));
  const intervals = membershipFromRecords(records);
  const intervalsOf = (region: string) => intervals.filter((i) => regionOf.get(i.vpcId) === region);
  const interRegion = flags['inter-region'];
  const regionPrices = flags['region-prices'];
  const regional = regionalCostPools({
    month,
    config,
    prices: loadRegionPriceBook(
      regionPrices === undefined ? [] : [{ source: regionPrices, raw: readData(regionPrices, '--region-prices') }],
      flags.prices === undefined ? [] : [{ source: flags.prices, raw: readData(flags.prices, '--prices') }],
    ),
    hubAzs: azs,
    hubPaysAttachments: flags['hub-pays-attachments'] === true,
    intervalsByRegion: Object.fromEntries([...new Set(regionOf.values())].map((r) => [r, intervalsOf(r)])),
    flows: interRegion === undefined ? [] : parseInterRegionFile(readData(interRegion, '--inter-region'), interRegion),
    regionOfVpc: (vpcId) => regionOf.get(vpcId),
  });
  const reports = regional.map(({ region, pools }) => ({
    region,
    pools,
    report: allocate(month, pools, intervalsOf(region)),
  }));
  const totalMicro = reports.reduce((sum, r) => sum + r.report.rows.reduce((s, row) => s + row.microUsd, 0), 0);
  // One CSV: the region first on every line, the rest as one region's CSV.
  const csv = [
    `region,${chargebackCsv([]).trimEnd()}`,
    ...reports.flatMap(({ region, report }) =>
      chargebackCsv(report.rows)
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((row) => `${csvCell(region)},${row}`),
    ),
  ].join('\n');
  if (flags.csv === '-') io.stdout(`${csv}\n`);
  else if (flags.csv !== undefined) {
    writeFileSync(flags.csv, `${csv}\n`);
    io.stderr(`CSV written to ${flags.csv}\n`);
  }
  if (flags.json) {
    const regions = reports.map(({ region, pools, report }) => ({
      region,
      summary: report.summary,
      pools,
      rows: report.rows,
    }));
    io.stdout(`${JSON.stringify({ month, totalUsd: Number(formatMicroUsd(totalMicro)), regions }, null, 2)}\n`);
  } else if (flags.csv !== '-') {
    io.stdout(
      [
        `Chargeback ${month} per region: ${reports.length} regions, hub cost ${formatUsd(totalMicro / 1_000_000)} in all`,
        ...reports.flatMap(({ region, report }) => ['', `== ${region} ==`, formatChargebackSummary(report)]),
      ].join('\n'),
    );
  }
  return 0;
}

/**
 * `spokelink chargeback`: splits the hub's modeled cost of a month across the consumer VPCs by hours connected.
 * Exit code 0 on success, 2 on bad flags, files or inputs, 1 on anything unexpected.
 */
export async function run(argv: string[], io: CommandIo, deps: ChargebackDeps = {}): Promise<number> {
  return withExitCodes('chargeback', io, () => execute(argv, io, deps));
}
