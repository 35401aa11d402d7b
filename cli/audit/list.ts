import { csvCell } from '#shared/display';
import type { ExecutionTimeline } from './history';
import { triggerSummary } from './trigger';

/**
 * `spokelink audit --all`: one row per execution (VPC, account, action, result) for an auditor, and the time window
 * `--since` / `--until` select. Pure.
 */

/** One execution, as the `--all` table, CSV and JSON list it. */
export interface ExecutionSummary {
  startDate: string;
  stopDate?: string;
  durationMs?: number;
  vpcId?: string;
  /** The account that asked (the trigger event's account), else the plan's. */
  account?: string;
  action: string;
  status: string;
  result: string;
  reason?: string;
  retries: number;
  /** Who did what (tag change keys and values, CloudTrail principal). */
  trigger: string;
  principal?: string;
  name: string;
  executionArn: string;
}

/** The summary row of a timeline. */
export function summarize(timeline: ExecutionTimeline): ExecutionSummary {
  const planAccount = timeline.steps
    .map((s) =>
      s.result && typeof s.result === 'object' ? (s.result as { accountId?: unknown }).accountId : undefined,
    )
    .find((a): a is string => typeof a === 'string');
  const account = timeline.trigger.account ?? planAccount;
  return {
    startDate: timeline.startDate.toISOString(),
    ...(timeline.stopDate ? { stopDate: timeline.stopDate.toISOString() } : {}),
    ...(timeline.durationMs !== undefined ? { durationMs: timeline.durationMs } : {}),
    ...(timeline.vpcId ? { vpcId: timeline.vpcId } : {}),
    ...(account ? { account } : {}),
    action: timeline.action,
    status: timeline.status,
    result: timeline.outcome.result,
    ...(timeline.outcome.reason ? { reason: timeline.outcome.reason } : {}),
    retries: timeline.retries,
    trigger: triggerSummary(timeline.trigger),
    ...(timeline.trigger.principal ? { principal: timeline.trigger.principal } : {}),
    name: timeline.name,
    executionArn: timeline.executionArn,
  };
}

/** A bad `--since`/`--until` value. */
export class TimeFlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeFlagError';
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses a point in time for `--since`/`--until`: a duration back from `now` (`30m`, `12h`, `7d`, `2w`), a date
 * (`2026-03-01`, midnight UTC) or an ISO date-time with its offset (`2026-03-01T09:00:00Z`). Epoch ms.
 */
export function parseTimeFlag(value: string, now: number, flag: string): number {
  const relative = /^(\d+)([smhdw])$/.exec(value);
  if (relative) return now - Number(relative[1]) * UNIT_MS[relative[2]!]!;
  if (ISO_DATE.test(value) || ISO_TIME.test(value)) {
    const at = Date.parse(ISO_DATE.test(value) ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(at)) return at;
  }
  throw new TimeFlagError(
    `${flag} must be a duration back from now (30m, 12h, 7d, 2w), a date (2026-03-01, UTC) or an ISO date-time ` +
      `with its offset (2026-03-01T09:00:00Z), not ${JSON.stringify(value)}`,
  );
}

/** A time window: `since` inclusive, `until` exclusive (epoch ms; either open). */
export interface TimeWindow {
  since?: number;
  until?: number;
}

/** Whether an execution that started at `startDate` is in the window (started at or after since, before until). */
export function inWindow(startDate: Date, window: TimeWindow): boolean {
  const at = startDate.getTime();
  return (window.since === undefined || at >= window.since) && (window.until === undefined || at < window.until);
}

/** Counts of results (`4 connected, 1 rejected`), most frequent first. */
export function resultCounts(rows: readonly ExecutionSummary[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.result, (counts.get(row.result) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([result, n]) => `${n} ${result}`)
    .join(', ');
}

const CSV_COLUMNS: (keyof ExecutionSummary)[] = [
  'startDate',
  'stopDate',
  'durationMs',
  'vpcId',
  'account',
  'action',
  'status',
  'result',
  'reason',
  'retries',
  'trigger',
  'principal',
  'name',
  'executionArn',
];

/**
 * The rows as CSV (RFC 4180 quoting), with a header line. Cells starting with `= + - @` get a leading `'` so that a
 * spreadsheet shows them instead of evaluating them, and control or bidi characters are escaped (the trigger column
 * carries tag values app teams chose): see csvCell.
 */
export function toCsv(rows: readonly ExecutionSummary[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const row of rows) lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
  return `${lines.join('\n')}\n`;
}
