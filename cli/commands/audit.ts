import { loadConfigFile } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import type { ExecutionTimeline } from '../audit/history';
import { inWindow, parseTimeFlag, summarize, TimeFlagError, type TimeWindow, toCsv } from '../audit/list';
import { findVpcExecutions, listExecutions, loadTimelines, stateMachines } from '../audit/reader';
import { renderExecutionTable, renderVpcAudit, timelineJson } from '../audit/render';
import {
  type AuditSource,
  DEFAULT_CONFIG,
  DEFAULT_RUN_DIR,
  explainAwsError,
  openAuditSource,
  SourceAccessError,
  validateSelection,
} from '../audit/source';
import { helpPrinted, parseFlags, withExitCodes } from './command';
import type { CommandIo } from './cost';

export const AUDIT_USAGE = `usage: spokelink audit VPC_ID [options]
       spokelink audit --all [--since WHEN] [--until WHEN] [options]
  The audit trail is the Step Functions execution history. For a VPC: every execution about it (names
  <vpcId>-<action>-..., and the executions its registry records name), each as a timeline: who asked what and
  when, each state with its outcome, duration, retries and errors, the AWS resources it created or removed, and the
  result. With --all: one line per execution (VPC, account, action, result), for an auditor.

  VPC_ID            the VPC (vpc-...)
  --all             every execution instead of one VPC's
  --since WHEN      executions started at or after WHEN: 30m, 12h, 7d, 2w back from now, a date (2026-03-01, UTC)
                    or an ISO date-time with offset (2026-03-01T09:00:00Z)
  --until WHEN      executions started before WHEN (same forms)
  --json            JSON instead of text
  --csv             with --all: CSV (one row per execution) instead of the table
  --local           read the last "spokelink simulate" run (${DEFAULT_RUN_DIR}) instead of AWS
  --run-dir DIR     with --local: another saved run folder (simulate --save DIR)
  --region REGION   AWS: the region of the hub's Step Functions and registry (default: the hub region of --config)
  --profile NAME    AWS: a named profile of the standard credential chain (default: AWS_PROFILE, then the chain)
  --config FILE     hub configuration: state machine prefix, hub region, registry table (default ${DEFAULT_CONFIG})
  -h, --help        this help
  Without --local it reads AWS (standard credential chain): the source is never guessed, and every output names it.
  Exit codes: 0 done; 1 no execution found for the VPC (or an unexpected error); 2 bad flags, configuration or an
  unreadable source (no saved run, no credentials).
`;

/** Bad flags: exit 2. */
export class AuditUsageError extends ConfigurationError {}

/** What tests (or another integrator) inject. */
export interface AuditDeps {
  /** The Step Functions client and registry to read; default: chosen by --local/--region/--profile. */
  source?: AuditSource;
  /** Now, for --since/--until relative to it (epoch ms). */
  now?: () => number;
}

const OPTIONS = {
  all: { type: 'boolean' },
  since: { type: 'string' },
  until: { type: 'string' },
  json: { type: 'boolean' },
  csv: { type: 'boolean' },
  local: { type: 'boolean' },
  'run-dir': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  config: { type: 'string' },
} as const;

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

const parse = (argv: string[]) => parseFlags(argv, OPTIONS, { usageError: AuditUsageError, allowPositionals: true });

type Parsed = ReturnType<typeof parse>;

function timeWindow(flags: Parsed['values'], now: number): TimeWindow {
  try {
    const window: TimeWindow = {
      ...(flags.since !== undefined ? { since: parseTimeFlag(flags.since, now, '--since') } : {}),
      ...(flags.until !== undefined ? { until: parseTimeFlag(flags.until, now, '--until') } : {}),
    };
    if (window.since !== undefined && window.until !== undefined && window.since >= window.until) {
      throw new AuditUsageError(
        `--since (${new Date(window.since).toISOString()}) must be before --until (${new Date(window.until).toISOString()})`,
      );
    }
    return window;
  } catch (error) {
    if (error instanceof TimeFlagError) throw new AuditUsageError(error.message);
    throw error;
  }
}

function describeWindow(window: TimeWindow): string {
  const since = window.since !== undefined ? `since ${new Date(window.since).toISOString()}` : '';
  const until = window.until !== undefined ? `before ${new Date(window.until).toISOString()}` : '';
  return [since, until].filter(Boolean).join(' and ') || 'in the retained history (90 days after they end)';
}

/** Runs a Step Functions read, explaining credential and permission errors (AWS) as exit-2 errors. */
async function reading<T>(source: AuditSource, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    return explainAwsError(error, 'reading Step Functions', { region: source.region });
  }
}

/** Why nothing can be found: no state machine of the hub where we looked. */
function noMachines(source: AuditSource): string {
  return source.machinePrefix === undefined
    ? 'the saved run has no state machine'
    : `no state machine named ${source.machinePrefix}-* in ${source.region}: check --region, --profile and --config (prefix)`;
}

/** ARNs a VPC's registry items name: each record's `executions` and the lease holder. */
function registryArns(items: readonly Record<string, unknown>[]): string[] {
  const arns = new Set<string>();
  for (const item of items) {
    if (Array.isArray(item.executions)) for (const arn of item.executions) if (typeof arn === 'string') arns.add(arn);
    if (item.sk === 'LEASE' && typeof item.owner === 'string') arns.add(item.owner);
  }
  return [...arns];
}

async function auditVpc(
  vpcId: string,
  flags: Parsed['values'],
  source: AuditSource,
  window: TimeWindow,
  io: CommandIo,
) {
  let items: Record<string, unknown>[] | undefined;
  let registryNote: string | undefined;
  try {
    items = await source.registry.vpcItems(vpcId);
  } catch (error) {
    // The audit trail is Step Functions: a registry the caller may not read only loses the cross-reference.
    if (!(error instanceof SourceAccessError)) throw error;
    registryNote = error.message;
  }
  const { arns, missing, machines } = await reading(source, () =>
    findVpcExecutions(source.sfn, {
      vpcId,
      prefix: source.machinePrefix,
      registryArns: registryArns(items ?? []),
      window,
    }),
  );
  if (machines === 0) io.stderr(`spokelink audit: ${noMachines(source)}\n`);
  if (arns.length === 0) {
    io.stderr(
      `spokelink audit: no executions found for ${vpcId}` +
        `${window.since !== undefined || window.until !== undefined ? ` ${describeWindow(window)}` : ''} (source: ${source.label})` +
        `${missing.length ? `; the registry names ${missing.length} execution(s) Step Functions no longer has` : ''}\n`,
    );
    return 1;
  }
  const timelines = await reading(source, () => loadTimelines(source.sfn, arns, { includeExecutionData: true }));
  if (flags.json) {
    const out = {
      vpcId,
      source: source.label,
      registry: items ?? null,
      ...(registryNote ? { registryNote } : {}),
      missing,
      executions: timelines.map((t) => timelineJson(t)),
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    io.stdout(
      renderVpcAudit(vpcId, timelines, {
        source: source.label,
        ...(items ? { registry: items } : {}),
        ...(registryNote ? { registryNote } : {}),
        missing,
      }),
    );
  }
  return 0;
}

async function auditAll(flags: Parsed['values'], source: AuditSource, window: TimeWindow, io: CommandIo) {
  const arns = await reading(source, async () => {
    const out: { arn: string; startDate: Date }[] = [];
    const machines = await stateMachines(source.sfn, source.machinePrefix);
    if (machines.length === 0) io.stderr(`spokelink audit: ${noMachines(source)}\n`);
    for (const machine of machines) {
      for (const e of await listExecutions(source.sfn, machine.arn, window)) {
        if (e.executionArn && e.startDate && inWindow(e.startDate, window)) {
          out.push({ arn: e.executionArn, startDate: e.startDate });
        }
      }
    }
    return out.sort((a, b) => a.startDate.getTime() - b.startDate.getTime()).map((e) => e.arn);
  });
  // Without execution data: the table needs the trigger (DescribeExecution's input), states, errors and retries.
  const timelines: ExecutionTimeline[] = await reading(source, () =>
    loadTimelines(source.sfn, arns, { includeExecutionData: false }),
  );
  const rows = timelines.map(summarize);
  if (flags.json) {
    const out = {
      source: source.label,
      ...(window.since !== undefined ? { since: new Date(window.since).toISOString() } : {}),
      ...(window.until !== undefined ? { until: new Date(window.until).toISOString() } : {}),
      executions: rows,
    };
    io.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else if (flags.csv) {
    io.stdout(toCsv(rows));
  } else {
    io.stdout(renderExecutionTable(rows, { source: source.label, window: describeWindow(window) }));
  }
  return 0;
}

async function execute(argv: string[], io: CommandIo, deps: AuditDeps): Promise<number> {
  const { values: flags, positionals } = parse(argv);
  if (helpPrinted(flags, io, AUDIT_USAGE)) return 0;
  if (positionals.length > 1) throw new AuditUsageError(`one VPC at a time, not ${positionals.join(' ')}`);
  const vpcId = positionals[0];
  if (flags.all && vpcId !== undefined)
    throw new AuditUsageError(`--all lists every execution: drop ${vpcId}, or --all`);
  if (!flags.all && vpcId === undefined) throw new AuditUsageError('missing VPC_ID (or --all)');
  if (vpcId !== undefined && !VPC_ID.test(vpcId)) {
    throw new AuditUsageError(`${JSON.stringify(vpcId)} is not a VPC id (vpc- and 8 to 17 hex digits)`);
  }
  if (flags.csv && !flags.all) throw new AuditUsageError('--csv is for --all (one row per execution)');
  if (flags.csv && flags.json) throw new AuditUsageError('--csv and --json are two formats: pick one');
  const selection = {
    local: flags.local === true,
    runDir: flags['run-dir'] ?? DEFAULT_RUN_DIR,
    ...(flags.region !== undefined ? { region: flags.region } : {}),
    ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
  };
  validateSelection({ ...selection, runDirGiven: flags['run-dir'] !== undefined });
  if (selection.local && flags.config !== undefined) {
    throw new AuditUsageError('--local reads the saved run as it is: --config names an AWS deployment');
  }
  const window = timeWindow(flags, deps.now?.() ?? Date.now());
  const source = deps.source ?? openAuditSource(selection, () => loadConfigFile(flags.config ?? DEFAULT_CONFIG));
  return vpcId !== undefined ? auditVpc(vpcId, flags, source, window, io) : auditAll(flags, source, window, io);
}

/**
 * `spokelink audit`: the execution history of a VPC as a timeline, or every execution as a table. Exit code 0 on
 * success, 1 when the VPC has no execution (or on an unexpected error), 2 on bad flags or an unreadable source.
 */
export async function run(argv: string[], io: CommandIo, deps: AuditDeps = {}): Promise<number> {
  return withExitCodes(
    'audit',
    io,
    () => execute(argv, io, deps),
    (error) => error instanceof AuditUsageError || error.name === 'SourceUsageError',
  );
}
