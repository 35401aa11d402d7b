import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type HistoryEvent,
  paginateGetExecutionHistory,
  paginateListExecutions,
  paginateListStateMachines,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { type ExecutionData, type ExecutionTimeline, parseExecution } from './history';
import { inWindow, type TimeWindow } from './list';

/**
 * Reads executions through the Step Functions API, the same calls against AWS and against the last simulate run
 * (`openLastRun` answers a real SFNClient locally): ListStateMachines, ListExecutions (newest first, all pages),
 * DescribeExecution and GetExecutionHistory (all pages, `includeExecutionData` as asked).
 */

/** State machines whose name starts with `<prefix>-` (all of them when `prefix` is undefined). */
export async function stateMachines(
  client: SFNClient,
  prefix: string | undefined,
): Promise<{ name: string; arn: string }[]> {
  const out: { name: string; arn: string }[] = [];
  for await (const page of paginateListStateMachines({ client, pageSize: 1000 }, {})) {
    for (const m of page.stateMachines ?? []) {
      if (m.name && m.stateMachineArn && (prefix === undefined || m.name.startsWith(`${prefix}-`))) {
        out.push({ name: m.name, arn: m.stateMachineArn });
      }
    }
  }
  return out;
}

/**
 * Executions of a state machine started in the window, newest first. ListExecutions lists newest first
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html), so paging stops at the
 * first execution older than `since`.
 */
export async function listExecutions(
  client: SFNClient,
  stateMachineArn: string,
  window: TimeWindow = {},
  pageSize = 1000,
): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  for await (const page of paginateListExecutions({ client, pageSize }, { stateMachineArn })) {
    for (const e of page.executions ?? []) {
      if (!e.startDate) continue;
      if (window.since !== undefined && e.startDate.getTime() < window.since) return out;
      if (inWindow(e.startDate, window)) out.push(e);
    }
  }
  return out;
}

/** DescribeExecution, as the audit reads it. */
export async function describeExecution(client: SFNClient, executionArn: string): Promise<ExecutionData> {
  const d = await client.send(new DescribeExecutionCommand({ executionArn }));
  return {
    executionArn: d.executionArn ?? executionArn,
    stateMachineArn: d.stateMachineArn ?? '',
    name: d.name ?? executionArn.split(':').pop() ?? executionArn,
    status: d.status ?? 'UNKNOWN',
    startDate: d.startDate ?? new Date(0),
    ...(d.stopDate ? { stopDate: d.stopDate } : {}),
    ...(d.input !== undefined ? { input: d.input } : {}),
    ...(d.output !== undefined ? { output: d.output } : {}),
    ...(d.error !== undefined ? { error: d.error } : {}),
    ...(d.cause !== undefined ? { cause: d.cause } : {}),
  };
}

/** The whole history, oldest first (every page; at most 25,000 events per execution). */
export async function executionHistory(
  client: SFNClient,
  executionArn: string,
  includeExecutionData: boolean,
  pageSize = 1000,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory({ client, pageSize }, { executionArn, includeExecutionData })) {
    events.push(...(page.events ?? []));
  }
  return events;
}

/** Maps with at most `limit` calls in flight (Step Functions' API buckets are small). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Describes and reads the history of each execution, and builds its timeline. */
export async function loadTimelines(
  client: SFNClient,
  executionArns: readonly string[],
  options: { includeExecutionData: boolean; concurrency?: number },
): Promise<ExecutionTimeline[]> {
  return mapLimit(executionArns, options.concurrency ?? 4, async (arn) => {
    const [execution, events] = await Promise.all([
      describeExecution(client, arn),
      executionHistory(client, arn, options.includeExecutionData),
    ]);
    return parseExecution(execution, events);
  });
}

/** The error name of an SDK exception (`ExecutionDoesNotExist`). */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/**
 * Every execution of a VPC: those of the state machines `<prefix>-*` whose names start with `<vpcId>-`, plus the
 * execution ARNs the registry names (`executions` of its records, the lease's owner) that the listing did not find
 * (a state machine of another prefix, an execution started by hand). ARNs of another region are left out.
 * Returns the ARNs found (oldest first), the registry's ARNs Step Functions no longer has, and how many state
 * machines were searched.
 */
export async function findVpcExecutions(
  client: SFNClient,
  options: { vpcId: string; prefix: string | undefined; registryArns: readonly string[]; window?: TimeWindow },
): Promise<{ arns: string[]; missing: string[]; machines: number }> {
  const found = new Map<string, Date>();
  const machines = await stateMachines(client, options.prefix);
  for (const machine of machines) {
    for (const e of await listExecutions(client, machine.arn, options.window)) {
      if (e.executionArn && e.name?.startsWith(`${options.vpcId}-`)) found.set(e.executionArn, e.startDate!);
    }
  }
  const region = await client.config.region();
  const missing: string[] = [];
  for (const arn of options.registryArns) {
    if (found.has(arn) || arn.split(':')[3] !== region) continue;
    try {
      const d = await describeExecution(client, arn);
      if (inWindow(d.startDate, options.window ?? {})) found.set(arn, d.startDate);
    } catch (error) {
      if (errorName(error) !== 'ExecutionDoesNotExist') throw error;
      missing.push(arn);
    }
  }
  const arns = [...found.entries()].sort((a, b) => a[1].getTime() - b[1].getTime()).map(([arn]) => arn);
  return { arns, missing, machines: machines.length };
}
