import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfigFile } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { MembershipInterval } from '#shared/registry/model';
import { allocate, hubCostPools, membershipFromRecords } from '../cost/chargeback';
import { defaultPriceTable, loadPriceTable } from '../cost/cost';
import { formatChargebackSummary } from '../cost/format';
import { parseRegistryRecords } from '../cost/inputs';
import { type CommandIo, readData, UsageError } from './cost';

/** What the integrator injects: the registry's membership history (current and history records, scanned). */
export interface ChargebackDeps {
  loadMembership?: () => Promise<MembershipInterval[]>;
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
  help: { type: 'boolean', short: 'h' },
} as const;

function parseFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

type Flags = ReturnType<typeof parseFlags>;

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
  const flags = parseFlags(argv);
  if (flags.help) {
    io.stdout(CHARGEBACK_USAGE);
    return 0;
  }
  if (flags.month === undefined) throw new UsageError('missing --month YYYY-MM');
  const month = flags.month;
  if (flags.csv === '-' && flags.json) throw new UsageError('--csv - and --json would both write to stdout');
  const azs = hubAzs(flags);
  const config = loadConfigFile(flags.config ?? 'config/example.hub.json');
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

/**
 * `spokelink chargeback`: splits the hub's modeled cost of a month across the consumer VPCs by hours connected.
 * Exit code 0 on success, 2 on bad flags, files or inputs, 1 on anything unexpected.
 */
export async function run(argv: string[], io: CommandIo, deps: ChargebackDeps = {}): Promise<number> {
  try {
    return await execute(argv, io, deps);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`spokelink chargeback: ${error.message}\n`);
      if (error instanceof UsageError) io.stderr(`run "spokelink chargeback --help" for the flags\n`);
      return 2;
    }
    io.stderr(`spokelink chargeback: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
