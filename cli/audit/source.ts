import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type HubConfig, loadConfigFile, regionalConfig, registryTableName, servedRegions } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { MembershipInterval } from '#shared/registry/model';
import type { LoadedRecords } from '../commands/cost';

/**
 * Where `spokelink audit`, `cost --from-registry` and `chargeback` read from. One rule for the three commands:
 *
 * - `--local` reads the last `spokelink simulate` run (`.spokelink/last-run/`, or `--run-dir DIR`): its executions
 *   through a real SFNClient answered locally (`openLastRun`), its registry from `registry.json`;
 * - otherwise AWS: the hub's Step Functions and registry table (`registryTableName(config)`) in `--region` (default:
 *   the configuration's hub region, where both live); a configuration serving several regions without `--region`:
 *   every served region's registry table, each with a client of its region (the audit's executions stay the hub
 *   region's), with the standard credential chain, or `--profile NAME` (the
 *   SDK clients' own `profile` option: the same chain, that profile of ~/.aws/config and ~/.aws/credentials).
 *
 * Never implicit: an audit of a real account must not silently show a simulation because a `.spokelink/` folder
 * exists, and every output names its source.
 */

/** Default folder of the last simulate run (relative to the working directory). */
export const DEFAULT_RUN_DIR = '.spokelink/last-run';

/** Default hub configuration of the CLI commands. */
export const DEFAULT_CONFIG = 'config/example.hub.json';

/** The source flags, as given. */
export interface SourceSelection {
  local: boolean;
  runDir: string;
  region?: string;
  profile?: string;
}

/** Source flags that do not go together, or lack a value: exit 2. */
export class SourceUsageError extends ConfigurationError {}

/** The source cannot be read (no saved run, no credentials, no table): exit 2, with what to do. */
export class SourceAccessError extends ConfigurationError {}

/** Help lines for the source flags (appended to `cost --help` and `chargeback --help`). */
export const SOURCE_HELP = `
registry source (read by --from-registry / chargeback; see docs/audit.md):
  --local             the last "spokelink simulate" run (.spokelink/last-run/registry.json)
  --run-dir DIR       with --local: another saved run folder (simulate --save DIR)
  --region REGION     AWS: the registry table's region (default: every served region of --config)
  --profile NAME      AWS: a named profile of the standard credential chain (default: AWS_PROFILE or the chain)
  without --local the registry table in AWS is scanned (standard credential chain)
`;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const PROFILE = /^[\w+=,.@:/-]{1,128}$/;

/** Checks a selection: `--local` reads no AWS account; `--run-dir` only with `--local`; values well formed. */
export function validateSelection(selection: SourceSelection & { runDirGiven?: boolean }): void {
  if (selection.local && (selection.region !== undefined || selection.profile !== undefined)) {
    throw new SourceUsageError('--local reads the last simulate run: --region and --profile select an AWS account');
  }
  if (!selection.local && selection.runDirGiven) throw new SourceUsageError('--run-dir needs --local');
  if (selection.region !== undefined && !REGION.test(selection.region)) {
    throw new SourceUsageError(
      `--region must be an AWS region such as us-east-1, not ${JSON.stringify(selection.region)}`,
    );
  }
  if (selection.profile !== undefined && !PROFILE.test(selection.profile)) {
    throw new SourceUsageError(`--profile must be a profile name, not ${JSON.stringify(selection.profile)}`);
  }
}

const VALUE_FLAGS = ['--run-dir', '--region', '--profile'] as const;

/**
 * Splits the source flags (`--local`, `--run-dir DIR`, `--region R`, `--profile P`, also as `--flag=value`) off a
 * command line; the rest goes to the command.
 */
export function splitSourceFlags(argv: readonly string[]): {
  selection: SourceSelection;
  given: string[];
  rest: string[];
} {
  const rest: string[] = [];
  const given: string[] = [];
  const values: Record<string, string> = {};
  let local = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--local') {
      local = true;
      given.push(arg);
      continue;
    }
    const flag = VALUE_FLAGS.find((f) => arg === f || arg.startsWith(`${f}=`));
    if (!flag) {
      rest.push(arg);
      continue;
    }
    let value: string | undefined;
    if (arg.includes('=')) value = arg.slice(flag.length + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new SourceUsageError(`${flag} needs a value`);
      i += 1;
    }
    if (value === '') throw new SourceUsageError(`${flag} needs a value`);
    values[flag] = value;
    given.push(flag);
  }
  const selection: SourceSelection = {
    local,
    runDir: values['--run-dir'] ?? DEFAULT_RUN_DIR,
    ...(values['--region'] !== undefined ? { region: values['--region'] } : {}),
    ...(values['--profile'] !== undefined ? { profile: values['--profile'] } : {}),
  };
  validateSelection({ ...selection, runDirGiven: values['--run-dir'] !== undefined });
  return { selection, given, rest };
}

/** The value of `--name VALUE` or `--name=VALUE` in a command line (read, not removed). */
export function peekFlag(argv: readonly string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === name) return argv[i + 1];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

// ---- AWS errors, explained ------------------------------------------------------------------------------------

/** Errors of a request that never reached AWS (DNS, connection). */
const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Turns the errors a user fixes with flags, credentials or the network into a SourceAccessError naming what to do; anything else
 * is rethrown as is.
 */
export function explainAwsError(error: unknown, what: string, hint: { region: string; table?: string }): never {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    throw new SourceAccessError(
      `${what}: no AWS credentials (${message.replace(/\.$/, '')}; the standard chain looks at the environment, ` +
        '--profile/AWS_PROFILE, SSO, container and instance roles). To read the last simulate run instead, add --local',
    );
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    throw new SourceAccessError(`${what}: cannot reach AWS in ${hint.region} (${code}: ${message})`);
  }
  if (name === 'ResourceNotFoundException' && hint.table) {
    throw new SourceAccessError(
      `${what}: table ${hint.table} not found in ${hint.region}: check --config (prefix, registry.tableName), ` +
        '--region and --profile',
    );
  }
  if (
    [
      'AccessDeniedException',
      'AccessDenied',
      'UnrecognizedClientException',
      'ExpiredTokenException',
      'InvalidSignatureException',
      'InvalidClientTokenId',
    ].includes(name)
  ) {
    const where = what.includes(hint.region) ? what : `${what} in ${hint.region}`;
    throw new SourceAccessError(`${where}: ${name}: ${message}`);
  }
  throw error;
}

// ---- the registry ---------------------------------------------------------------------------------------------

/** The consumer registry, as the three commands read it. */
export interface RegistryReader {
  /** `registry table spokelink-registry in us-east-1` or `registry of the last simulate run (...)`. */
  describe: string;
  /** Every item of one VPC (`pk = VPC#<vpcId>`: current record, history records, lease). */
  vpcItems(vpcId: string): Promise<Record<string, unknown>[]>;
  /** Consumer records: current ones, and history ones when asked (leases and CIDR claims left out). */
  consumerRecords(withHistory: boolean): Promise<Record<string, unknown>[]>;
  /** The served regions whose registries this reader holds; undefined: not known. */
  regions?: readonly string[];
}

function isConsumerItem(item: Record<string, unknown>, withHistory: boolean): boolean {
  const sk = String(item.sk ?? '');
  return sk === 'CURRENT' || (withHistory && sk.startsWith('HISTORY#'));
}

/** A registry held in memory (a saved run's `registry.json`, a test's scan). */
export function itemsRegistry(
  items: readonly Record<string, unknown>[],
  describe: string,
  regions?: readonly string[],
): RegistryReader {
  return {
    describe,
    ...(regions ? { regions } : {}),
    vpcItems: async (vpcId) => items.filter((item) => item.pk === `VPC#${vpcId}`),
    consumerRecords: async (withHistory) => items.filter((item) => isConsumerItem(item, withHistory)),
  };
}

/** The items of a saved simulate run's registry (`<dir>/registry.json`), and that file's path. */
export function savedRegistryItems(dir: string): { path: string; items: Record<string, unknown>[] } {
  const path = join(dir, 'registry.json');
  if (!existsSync(path)) {
    throw new SourceAccessError(`no saved registry at ${path}: run "spokelink simulate" (or "npm run demo") first`);
  }
  const items = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(items)) throw new SourceAccessError(`${path}: not a registry (a JSON array of items)`);
  return { path, items: items as Record<string, unknown>[] };
}

/** The registry of a saved simulate run (`<dir>/registry.json`). */
export function savedRunRegistry(dir: string): RegistryReader {
  const { path, items } = savedRegistryItems(dir);
  const { savedRunRegions } = require('#local/last-run') as typeof import('#local/last-run');
  let regions: string[] | undefined;
  try {
    regions = savedRunRegions(dir);
  } catch (error) {
    throw new SourceAccessError((error as Error).message);
  }
  // A run of one region (older saved runs too, whose records may not name it) holds that region's VPCs only.
  const only = regions?.length === 1 ? regions[0] : undefined;
  const placed = items.map((item) =>
    only !== undefined && item.region === undefined && isConsumerItem(item, true) ? { ...item, region: only } : item,
  );
  return itemsRegistry(placed, `registry of the last simulate run (${path})`, regions);
}

/** Options of the AWS registry reader. */
export interface DynamoRegistryOptions {
  tableName: string;
  region: string;
  profile?: string;
  /** Another endpoint (tests: dynalite); default: the SDK's (`AWS_ENDPOINT_URL_DYNAMODB` is honoured too). */
  endpoint?: string;
}

/**
 * The settings of an operator's SDK client in `region`: the named profile, or the default credential chain. Step
 * Functions' and DynamoDB's read APIs have small token buckets: adaptive retries pace a long listing (`--all`, a scan).
 */
export function operatorClientSettings(region: string, profile?: string) {
  return { region, maxAttempts: 8, retryMode: 'adaptive', ...(profile ? { profile } : {}) } as const;
}

/** The registry table in AWS, through `@aws-sdk/lib-dynamodb` (Query for one VPC, paginated Scan for all). */
export function dynamoRegistry(options: DynamoRegistryOptions): RegistryReader {
  // Loaded when used: `spokelink audit --local` does not pay for the DynamoDB client.
  const { DynamoDBClient } = require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
  const lib = require('@aws-sdk/lib-dynamodb') as typeof import('@aws-sdk/lib-dynamodb');
  const client = lib.DynamoDBDocumentClient.from(
    new DynamoDBClient({
      ...operatorClientSettings(options.region, options.profile),
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    }),
  );
  const describe = `registry table ${options.tableName} in ${options.region}`;
  const hint = { region: options.region, table: options.tableName };
  const all = async (pages: AsyncIterable<{ Items?: Record<string, unknown>[] }>) => {
    const items: Record<string, unknown>[] = [];
    try {
      for await (const page of pages) items.push(...(page.Items ?? []));
    } catch (error) {
      explainAwsError(error, `reading the ${describe}`, hint);
    }
    return items;
  };
  return {
    describe,
    regions: [options.region],
    vpcItems: (vpcId) =>
      all(
        lib.paginateQuery(
          { client },
          {
            TableName: options.tableName,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': 'pk' },
            ExpressionAttributeValues: { ':pk': `VPC#${vpcId}` },
          },
        ),
      ),
    consumerRecords: (withHistory) =>
      all(
        lib.paginateScan(
          { client },
          {
            TableName: options.tableName,
            // Only consumer records: leases and CIDR claims share the table.
            FilterExpression: withHistory ? '#sk = :current OR begins_with(#sk, :history)' : '#sk = :current',
            ExpressionAttributeNames: { '#sk': 'sk' },
            ExpressionAttributeValues: withHistory
              ? { ':current': 'CURRENT', ':history': 'HISTORY#' }
              : { ':current': 'CURRENT' },
          },
        ),
      ).then((items) => items.filter((item) => isConsumerItem(item, withHistory))),
  };
}

/** Several regions' registries read as one (each region's table holds its own region's VPCs). */
export function mergedRegistry(readers: readonly RegistryReader[]): RegistryReader {
  const each = async <T>(read: (reader: RegistryReader) => Promise<T[]>) =>
    (await Promise.all(readers.map(read))).flat();
  return {
    describe: readers.map((reader) => reader.describe).join(', '),
    regions: readers.flatMap((reader) => reader.regions ?? []),
    vpcItems: (vpcId) => each((reader) => reader.vpcItems(vpcId)),
    consumerRecords: (withHistory) => each((reader) => reader.consumerRecords(withHistory)),
  };
}

/**
 * The registry a selection names: the saved run's, or the AWS registry table of `--region`, or, without `--region`,
 * of every served region (each region's table, named by its regional configuration, with a client of that region).
 */
export function registryFor(selection: SourceSelection, config: HubConfig): RegistryReader {
  if (selection.local) return savedRunRegistry(selection.runDir);
  const served = servedRegions(config);
  const regions = selection.region !== undefined ? [selection.region] : served;
  const readers = regions.map((region) =>
    dynamoRegistry({
      tableName: registryTableName(served.includes(region) ? regionalConfig(config, region) : config),
      region,
      ...(selection.profile ? { profile: selection.profile } : {}),
    }),
  );
  return readers.length === 1 ? readers[0]! : mergedRegistry(readers);
}

// ---- cost and chargeback --------------------------------------------------------------------------------------

/** Dependencies of `spokelink cost` (cli/commands/cost.ts `CostDeps`). */
export interface CostSourceDeps {
  loadRecords: () => Promise<LoadedRecords>;
}

/** Dependencies of `spokelink chargeback` (cli/commands/chargeback.ts `ChargebackDeps`). */
export interface ChargebackSourceDeps {
  loadMembership: () => Promise<MembershipInterval[]>;
  /** Current and history records with the regions read (`chargeback --regions`). */
  loadRecords: () => Promise<LoadedRecords>;
}

function configOf(argv: readonly string[]): HubConfig {
  return loadConfigFile(peekFlag(argv, '--config') ?? DEFAULT_CONFIG);
}

/** A registry's consumer records, parsed as the cost model reads them, with the regions the registry holds. */
async function recordsOf(registry: RegistryReader, withHistory: boolean): Promise<LoadedRecords> {
  const { parseRegistryRecords } = require('../cost/inputs') as typeof import('../cost/inputs');
  const records = parseRegistryRecords(await registry.consumerRecords(withHistory), registry.describe);
  return { records, ...(registry.regions ? { regions: registry.regions } : {}) };
}

/**
 * `spokelink cost`: takes the source flags off the command line and gives the registry loader `--from-registry`
 * uses (current records, parsed as the cost model reads them).
 */
export function costDeps(
  argv: readonly string[],
  open: (selection: SourceSelection, config: HubConfig) => RegistryReader = registryFor,
): { argv: string[]; deps: CostSourceDeps } {
  const { selection, given, rest } = splitSourceFlags(argv);
  if (given.length > 0 && !rest.includes('--from-registry') && !rest.includes('--help') && !rest.includes('-h')) {
    throw new SourceUsageError(
      `${given.join(', ')} choose the registry that --from-registry reads: add --from-registry`,
    );
  }
  if (given.length > 0 && peekFlag(rest, '--registry-file') !== undefined) {
    throw new SourceUsageError(`--registry-file and ${given.join(', ')} name two registries: pick one`);
  }
  return {
    argv: rest,
    deps: {
      loadRecords: () => recordsOf(open(selection, configOf(rest)), false),
    },
  };
}

/** `spokelink chargeback`: the membership history (current and history records) of the selected registry. */
export function chargebackDeps(
  argv: readonly string[],
  open: (selection: SourceSelection, config: HubConfig) => RegistryReader = registryFor,
): { argv: string[]; deps: ChargebackSourceDeps } {
  const { selection, given, rest } = splitSourceFlags(argv);
  if (given.length > 0 && peekFlag(rest, '--registry-file') !== undefined) {
    throw new SourceUsageError(`--registry-file and ${given.join(', ')} name two registries: pick one`);
  }
  const loadRecords = () => recordsOf(open(selection, configOf(rest)), true);
  return {
    argv: rest,
    deps: {
      loadMembership: async () => {
        const { membershipFromRecords } = require('../cost/chargeback') as typeof import('../cost/chargeback');
        return membershipFromRecords((await loadRecords()).records);
      },
      loadRecords: () => loadRecords(),
    },
  };
}

// ---- audit ----------------------------------------------------------------------------------------------------

/** What `spokelink audit` reads. */
export interface AuditSource {
  kind: 'local' | 'aws';
  /** Shown at the top of every output. */
  label: string;
  sfn: SFNClient;
  registry: RegistryReader;
  /** State machines `<prefix>-*` (AWS); undefined: every state machine of the saved run. */
  machinePrefix: string | undefined;
  region: string;
}

/** Opens the selected source for the audit. */
export function openAuditSource(selection: SourceSelection, config: () => HubConfig): AuditSource {
  if (selection.local) {
    const { openLastRun } = require('#local/last-run') as typeof import('#local/last-run');
    let last: ReturnType<typeof openLastRun>;
    try {
      last = openLastRun(selection.runDir);
    } catch (error) {
      throw new SourceAccessError((error as Error).message);
    }
    return {
      kind: 'local',
      label: `last simulate run ${selection.runDir} (saved ${last.run.savedAt}; hub ${last.run.accountId}, ${last.run.region})`,
      sfn: last.client,
      registry: itemsRegistry(last.registry, `registry of the last simulate run (${selection.runDir})`),
      machinePrefix: undefined,
      region: last.run.region,
    };
  }
  const hub = config();
  const region = selection.region ?? hub.hub.region;
  const { SFNClient: Client } = require('@aws-sdk/client-sfn') as typeof import('@aws-sdk/client-sfn');
  const sfn = new Client(operatorClientSettings(region, selection.profile));
  return {
    kind: 'aws',
    label:
      `AWS Step Functions in ${region} (${selection.profile ? `profile ${selection.profile}` : 'default credential chain'}), ` +
      `state machines ${hub.prefix}-*`,
    sfn,
    registry: registryFor(selection, hub),
    machinePrefix: hub.prefix,
    region,
  };
}
