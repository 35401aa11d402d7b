import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { type HubConfig, loadConfigFile, regionalConfig, servedRegions } from '#shared/config';
import { escapeControl } from '#shared/display';
import { type ChartAxis, costChartSpec, renderSvg } from '../cost/chart';
import { costModel, defaultPriceTable, loadPriceTable, type PriceOverride } from '../cost/cost';
import { formatCostReport, formatPlacement, formatRegionsReport } from '../cost/format';
import {
  costFromRecords,
  type DerivedInputs,
  parseRegistryRecords,
  parseScenario,
  type RegistryRecord,
  recordsFromWorld,
  type Scenario,
} from '../cost/inputs';
import { BYTE_SOURCE, parseAttachmentGb, placementRecommendations } from '../cost/placement';
import {
  type FlowInput,
  loadRegionPriceBook,
  parseInterRegionFile,
  type RegionSpokes,
  regionsCostModel,
  requireSeveralRegions,
  unreadRegionNote,
} from '../cost/regions';
import { type FlagsOf, helpPrinted, parseFlags, UsageError, withExitCodes } from './command';

/** Where a command writes; the CLI passes process.stdout/stderr writers, tests capture the text. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** What the integrator injects (the registry scan); files are read from disk otherwise. */
export interface CostDeps {
  /**
   * Records of the consumer registry (a DynamoDB scan of current records), used by `--from-registry`; with the served
   * regions whose registries were read (`--regions` notes the others).
   */
  loadRecords?: () => Promise<RegistryRecord[] | LoadedRecords>;
}

/** Registry records and the served regions whose registries they come from (undefined: not known). */
export interface LoadedRecords {
  records: RegistryRecord[];
  regions?: readonly string[];
}

export const COST_USAGE = `usage: spokelink cost --vpcs N --services S --azs A --gb G [options]
  --vpcs N            spoke VPCs (1-4999)
  --services S        endpoint services in the catalog
  --azs A             availability zones each endpoint spans
  --gb G              GB per VPC per month through the endpoints
  --hub-azs A         AZs of the hub's endpoints (default: --azs)
  --tgw-exists        spoke VPCs are attached to a TGW anyway: their attachments are a sunk cost
  --dns-mode MODE     the hub's DNS mode, zones (default) or profile (a Route 53 Profile, priced per association)
  --scenario FILE     YAML or JSON with vpcs, services, azs, gb, hubAzs, tgwExists, prices (flags win)
  --prices FILE       JSON price overrides merged over pricing/us-east-1.json
  --from-registry     N and S from the consumer registry (--registry-file FILE: a JSON array of records)
  --from-world FILE   N and S from a simulate world file
  --config FILE       hub configuration for --from-registry/--from-world (default config/example.hub.json)
  --attachment-gb FILE  with --from-registry/--from-world: JSON {vpcId: GB a month through its TGW attachment}
                      (default --gb for every VPC), split pro rata over its hub services for the placement advice
  --plot FILE.svg     write a chart of both costs
  --axis vpcs|gb      the chart's x axis (default vpcs)
  --json              print JSON instead of the table

Several regions (a configuration serving two or more, docs/cost.md "Several regions"):
  --regions           price every served region's hub and the traffic between regions in three designs
  --vpcs-in R=N       spoke VPCs in region R (once per served region; or --from-registry/--from-world)
  --inter-region FILE JSON or YAML {flows: [{from, to, gb, segment|vpcId, via, services}]}: GB a month sent
                      between regions
  --replica-usd USD   a full deployment per region: the provider's monthly cost of one service in one more region
  --region-prices FILE  JSON overrides merged over pricing/regions.json (another region, another figure)
`;

const OPTIONS = {
  vpcs: { type: 'string' },
  services: { type: 'string' },
  azs: { type: 'string' },
  gb: { type: 'string' },
  'hub-azs': { type: 'string' },
  'tgw-exists': { type: 'boolean' },
  'dns-mode': { type: 'string' },
  scenario: { type: 'string' },
  prices: { type: 'string' },
  'from-registry': { type: 'boolean' },
  'registry-file': { type: 'string' },
  'from-world': { type: 'string' },
  'attachment-gb': { type: 'string' },
  config: { type: 'string' },
  plot: { type: 'string' },
  axis: { type: 'string' },
  json: { type: 'boolean' },
  regions: { type: 'boolean' },
  'vpcs-in': { type: 'string', multiple: true },
  'inter-region': { type: 'string' },
  'replica-usd': { type: 'string' },
  'region-prices': { type: 'string' },
} as const;

type Flags = FlagsOf<typeof OPTIONS>;

/** `--dns-mode zones|profile` (the hub's `dns.mode`), or undefined. */
function dnsModeFlag(flags: Flags): 'zones' | 'profile' | undefined {
  const value = flags['dns-mode'];
  if (value === undefined) return undefined;
  if (value !== 'zones' && value !== 'profile') {
    throw new UsageError(`--dns-mode must be zones or profile, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads a file or fails with a usage error naming the flag. */
export function readText(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${flag} ${path}: cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** Parses a JSON (or, for .yaml/.yml, YAML) file given by a flag. */
export function readData(path: string, flag: string): unknown {
  const text = readText(path, flag);
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `${flag} ${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
}

function integerFlag(flags: Flags, name: 'vpcs' | 'services' | 'azs' | 'hub-azs'): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw new UsageError(`--${name} must be a whole number >= 1, not ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function gbFlag(flags: Flags): number | undefined {
  const raw = flags.gb;
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--gb must be a number of GB >= 0, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

function axisFlag(flags: Flags): ChartAxis {
  if (flags.axis === undefined) return 'vpcs';
  if (flags.axis !== 'vpcs' && flags.axis !== 'gb') {
    throw new UsageError(`--axis must be vpcs or gb, not ${JSON.stringify(flags.axis)}`);
  }
  if (flags.plot === undefined) throw new UsageError('--axis needs --plot FILE.svg');
  return flags.axis;
}

interface Derived {
  inputs: DerivedInputs & { source: string };
  records: RegistryRecord[];
  config: HubConfig;
}

interface Sourced {
  records: RegistryRecord[];
  config: HubConfig;
  source: string;
  /** The served regions whose registries the records come from; undefined: every region's (a file, a world). */
  regions?: readonly string[];
}

/** The registry records of `--from-registry` or `--from-world`, or undefined when N and S are typed. */
async function sourceRecords(flags: Flags, deps: CostDeps): Promise<Sourced | undefined> {
  const fromRegistry = flags['from-registry'] === true;
  const world = flags['from-world'];
  if (!fromRegistry && world === undefined) {
    if (flags['registry-file'] !== undefined) throw new UsageError('--registry-file needs --from-registry');
    if (flags['attachment-gb'] !== undefined)
      throw new UsageError('--attachment-gb needs --from-registry or --from-world');
    return undefined;
  }
  if (fromRegistry && world !== undefined) throw new UsageError('--from-registry and --from-world are exclusive');
  for (const name of ['vpcs', 'services'] as const) {
    if (flags[name] !== undefined)
      throw new UsageError(`--${name} conflicts with ${fromRegistry ? '--from-registry' : '--from-world'}`);
  }
  const config: HubConfig = loadConfigFile(configPath(flags));
  if (world !== undefined) {
    return {
      records: recordsFromWorld(readData(world, '--from-world'), config, world),
      config,
      source: `world ${world}`,
    };
  }
  if (flags['registry-file'] !== undefined) {
    const file = flags['registry-file'];
    return {
      records: parseRegistryRecords(readData(file, '--registry-file'), file),
      config,
      source: `registry file ${file}`,
    };
  }
  if (deps.loadRecords) {
    const loaded = await deps.loadRecords();
    const { records, regions } = Array.isArray(loaded) ? { records: loaded, regions: undefined } : loaded;
    return { records, config, source: 'the consumer registry', ...(regions ? { regions } : {}) };
  }
  throw new UsageError(
    '--from-registry needs --registry-file FILE (or --local for the last simulate run, or AWS credentials for the registry table)',
  );
}

const configPath = (flags: Flags) => flags.config ?? 'config/example.hub.json';

async function derive(flags: Flags, deps: CostDeps): Promise<Derived | undefined> {
  const found = await sourceRecords(flags, deps);
  if (found === undefined) return undefined;
  const { records, config, source } = found;
  const derived = costFromRecords(records, config);
  if (derived.vpcs === 0) throw new UsageError(`${source} has no connected VPC: nothing to price`);
  if (derived.services === 0) throw new UsageError(`${source}: the connected VPCs use no catalog service`);
  return { inputs: { ...derived, source }, records, config };
}

function priceOverrides(flags: Flags, scenario: Scenario | undefined): PriceOverride[] {
  const overrides: PriceOverride[] = [];
  if (scenario?.prices) overrides.push({ source: `${flags.scenario} prices`, raw: scenario.prices });
  if (flags.prices !== undefined) overrides.push({ source: flags.prices, raw: readData(flags.prices, '--prices') });
  return overrides;
}

function prices(flags: Flags, scenario: Scenario | undefined) {
  const overrides = priceOverrides(flags, scenario);
  return overrides.length === 0
    ? defaultPriceTable()
    : loadPriceTable(defaultPriceTable(), overrides, 'pricing/us-east-1.json');
}

function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`missing ${flag} (or set it in --scenario FILE)`);
  return value;
}

async function execute(argv: string[], io: CommandIo, deps: CostDeps): Promise<number> {
  const flags = parseFlags(argv, OPTIONS).values;
  if (helpPrinted(flags, io, COST_USAGE)) return 0;
  const scenario =
    flags.scenario === undefined ? undefined : parseScenario(readData(flags.scenario, '--scenario'), flags.scenario);
  if (flags.regions) return executeRegions(flags, scenario, io, deps);
  for (const name of ['vpcs-in', 'inter-region', 'replica-usd', 'region-prices'] as const) {
    if (flags[name] !== undefined) throw new UsageError(`--${name} needs --regions`);
  }
  const axis = axisFlag(flags);
  const found = await derive(flags, deps);
  const derived = found?.inputs;
  const input = {
    vpcs: derived?.vpcs ?? required(integerFlag(flags, 'vpcs') ?? scenario?.vpcs, '--vpcs'),
    services: derived?.services ?? required(integerFlag(flags, 'services') ?? scenario?.services, '--services'),
    azs: required(integerFlag(flags, 'azs') ?? scenario?.azs, '--azs'),
    gbPerVpcMonth: required(gbFlag(flags) ?? scenario?.gb, '--gb'),
    hubVpcAzs: integerFlag(flags, 'hub-azs') ?? scenario?.hubAzs,
    existingTgw: flags['tgw-exists'] === true || scenario?.tgwExists === true,
    ...(dnsModeFlag(flags) ? { dnsMode: dnsModeFlag(flags) } : {}),
    ...(derived ? { servicesPerVpc: derived.servicesPerVpc } : {}),
    prices: prices(flags, scenario),
  };
  const result = costModel(input);
  // Per VPC and service, from the registry or world (docs/cost.md, "Placement per VPC and service").
  const placement = found
    ? {
        byteSource: BYTE_SOURCE,
        recommendations: placementRecommendations({
          records: found.records,
          config: found.config,
          prices: input.prices,
          attachmentGb:
            flags['attachment-gb'] === undefined
              ? {}
              : parseAttachmentGb(readData(flags['attachment-gb'], '--attachment-gb'), flags['attachment-gb']),
          defaultGb: input.gbPerVpcMonth,
          defaultAzs: input.azs,
        }),
      }
    : undefined;
  if (flags.json) {
    io.stdout(`${JSON.stringify(derived ? { ...result, derivedFrom: derived, placement } : result, null, 2)}\n`);
  } else {
    io.stdout(formatCostReport(result, derived));
    if (placement) io.stdout(formatPlacement(placement.recommendations));
  }
  if (flags.plot !== undefined) {
    const svg = await renderSvg(costChartSpec(input, result, axis));
    writeFileSync(flags.plot, svg);
    io.stderr(`chart written to ${flags.plot}\n`);
  }
  return 0;
}

/** `--vpcs-in R=N`, once per served region: each region's N. */
function vpcsInFlags(flags: Flags, config: HubConfig): Record<string, number> {
  const served = servedRegions(config);
  const vpcs: Record<string, number> = {};
  for (const raw of flags['vpcs-in'] ?? []) {
    const match = /^([a-z0-9-]+)=(\d+)$/.exec(raw);
    if (!match) {
      throw new UsageError(`--vpcs-in must be REGION=N with N a whole number >= 0, not ${JSON.stringify(raw)}`);
    }
    const [, region, n] = match as unknown as [string, string, string];
    if (!served.includes(region)) {
      throw new UsageError(
        `--vpcs-in ${raw}: ${region} is not a region of ${configPath(flags)} (it serves ${served.join(', ')})`,
      );
    }
    if (region in vpcs) throw new UsageError(`--vpcs-in names ${region} twice`);
    vpcs[region] = Number(n);
  }
  const missing = served.filter((region) => !(region in vpcs));
  if (missing.length > 0) {
    throw new UsageError(
      `--regions needs the spoke VPCs of every served region: add ${missing.map((r) => `--vpcs-in ${r}=N`).join(' ')} ` +
        '(or --from-registry / --from-world)',
    );
  }
  return vpcs;
}

function replicaFlag(flags: Flags): number | undefined {
  const raw = flags['replica-usd'];
  if (raw === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--replica-usd must be USD >= 0, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Each served region's N and S: from the records (by their region) or from `--vpcs-in` and the regional catalogs. */
function regionSpokes(
  flags: Flags,
  config: HubConfig,
  found: Sourced | undefined,
  note: (text: string) => void,
): Record<string, RegionSpokes> {
  const served = servedRegions(config);
  if (found === undefined) {
    const vpcs = vpcsInFlags(flags, config);
    return Object.fromEntries(
      served.map((region) => [
        region,
        { vpcs: vpcs[region]!, services: Object.keys(regionalConfig(config, region).endpoints).length },
      ]),
    );
  }
  if (flags['vpcs-in'] !== undefined) throw new UsageError(`--vpcs-in conflicts with ${found.source}`);
  for (const record of found.records) {
    if (record.status !== 'connected') continue;
    if (record.region === undefined) {
      throw new UsageError(
        `${found.source}: ${escapeControl(record.vpcId)} has no region: --regions prices each VPC in its region`,
      );
    }
    if (!served.includes(record.region)) {
      throw new UsageError(
        `${found.source}: ${escapeControl(record.vpcId)} is in ${escapeControl(record.region)}, not a region of ${configPath(flags)} (it serves ${served.join(', ')})`,
      );
    }
  }
  return Object.fromEntries(
    served.map((region) => {
      const catalog = regionalConfig(config, region);
      const derived = costFromRecords(
        found.records.filter((record) => record.region === region),
        catalog,
      );
      // A region with no connected VPC yet still runs its hub: priced with its whole catalog.
      const unread = unreadRegionNote(found.source, region, found.regions, "priced at its hub's fixed cost");
      if (unread) note(unread);
      if (derived.vpcs === 0) {
        if (!unread) note(`note: ${found.source} has no connected VPC in ${region}: priced at its hub's fixed cost\n`);
        return [region, { vpcs: 0, services: Object.keys(catalog.endpoints).length }];
      }
      return [region, { vpcs: derived.vpcs, services: derived.services, servicesPerVpc: derived.servicesPerVpc }];
    }),
  );
}

async function executeRegions(
  flags: Flags,
  scenario: Scenario | undefined,
  io: CommandIo,
  deps: CostDeps,
): Promise<number> {
  for (const name of ['vpcs', 'services', 'dns-mode', 'plot', 'axis', 'attachment-gb'] as const) {
    if (flags[name] !== undefined) {
      const why =
        name === 'vpcs'
          ? 'give each region its N with --vpcs-in REGION=N'
          : name === 'services'
            ? "each region's S is its catalog"
            : name === 'dns-mode'
              ? "each region's DNS mode is its configuration's"
              : 'not available with --regions';
      throw new UsageError(`--${name} conflicts with --regions: ${why}`);
    }
  }
  const found = await sourceRecords(flags, deps);
  const config = found?.config ?? loadConfigFile(configPath(flags));
  requireSeveralRegions(config, configPath(flags));
  const file = flags['inter-region'];
  const flows: FlowInput[] = file === undefined ? [] : parseInterRegionFile(readData(file, '--inter-region'), file);
  const regionOf = new Map((found?.records ?? []).map((record) => [record.vpcId, record.region]));
  const regionPrices = flags['region-prices'];
  const result = regionsCostModel({
    config,
    regions: regionSpokes(flags, config, found, io.stderr),
    azs: required(integerFlag(flags, 'azs') ?? scenario?.azs, '--azs'),
    hubVpcAzs: integerFlag(flags, 'hub-azs') ?? scenario?.hubAzs,
    gbPerVpcMonth: required(gbFlag(flags) ?? scenario?.gb, '--gb'),
    existingTgw: flags['tgw-exists'] === true || scenario?.tgwExists === true,
    flows,
    prices: loadRegionPriceBook(
      regionPrices === undefined ? [] : [{ source: regionPrices, raw: readData(regionPrices, '--region-prices') }],
      priceOverrides(flags, scenario),
    ),
    serviceReplicaUsd: replicaFlag(flags),
    regionOfVpc: (vpcId) => regionOf.get(vpcId),
  });
  if (flags.json) {
    io.stdout(`${JSON.stringify(found ? { ...result, derivedFrom: found.source } : result, null, 2)}\n`);
  } else {
    io.stdout(formatRegionsReport(result, found?.source));
  }
  return 0;
}

/**
 * `spokelink cost`: the monthly cost of decentralized against centralized interface endpoints. Exit code 0 on
 * success, 2 on bad flags, files or inputs (the message says which), 1 on anything unexpected.
 */
export async function run(argv: string[], io: CommandIo, deps: CostDeps = {}): Promise<number> {
  return withExitCodes('cost', io, () => execute(argv, io, deps));
}
