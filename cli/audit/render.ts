import { clip, duration, table } from '../render/format';
import type { AuditStep, ExecutionTimeline } from './history';
import { type ExecutionSummary, resultCounts } from './list';
import { REGISTRY_KINDS, type ResourceChange } from './resources';
import { describeChanges } from './trigger';

/**
 * Text and JSON renderings of the audit: the timeline of a VPC's executions and the `--all` table. Pure.
 */

/** What the header says about where the data came from and what the registry holds. */
export interface AuditContext {
  /** `last simulate run .spokelink/last-run (saved ...)` or `AWS Step Functions in us-east-1 (...)`. */
  source: string;
  /** The VPC's registry items (current and history records), when read. */
  registry?: Record<string, unknown>[];
  /** Why the registry was not read (permissions, no table): shown, not fatal. */
  registryNote?: string;
  /** Executions the registry names that Step Functions no longer has (histories are kept 90 days). */
  missing?: string[];
}

/** Untrusted text (tag values, error messages) without control characters: nothing reaches the terminal raw. */
export function clean(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to remove them.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

const KIND_LABEL: Record<string, string> = {
  'tgw-attachment': 'TGW attachment',
  'tgw-association': 'TGW route table association',
  'tgw-propagation': 'TGW route table propagation',
  'tgw-route': 'TGW static route',
  'tgw-route-table': 'TGW route table',
  'ram-share-principal': 'RAM share principal',
  'ram-invitation': 'RAM share invitation',
  route: 'route',
  'phz-association': 'private hosted zone association',
  'sg-ingress-rule': 'security group ingress rule',
  'endpoint-service-permission': 'endpoint service allowed principal',
  'endpoint-connection': 'endpoint connection',
  'status-tags': 'VPC status tags',
  'registry-record': 'registry record',
  lease: 'registry lease',
  'cidr-claim': 'registry CIDR claim',
  other: 'other',
};

const CHANGE_MARK: Record<ResourceChange['change'], string> = {
  created: '+',
  removed: '-',
  modified: '~',
  reused: '=',
  unchanged: '=',
};

const OUTCOME_MARK: Record<AuditStep['outcome'], string> = {
  succeeded: '✓',
  failed: '✗',
  caught: '↪',
  running: '…',
  aborted: '∅',
};

/** `+ TGW attachment tgw-attach-0a1... (pendingAcceptance; subnets ...)`. */
export function changeLine(change: ResourceChange): string {
  const label = KIND_LABEL[change.kind] ?? change.kind;
  const suffix = change.change === 'unchanged' ? ' (already in place)' : change.change === 'reused' ? ' (reused)' : '';
  return `${CHANGE_MARK[change.change]} ${label} ${clean(change.id)}${change.detail ? ` (${clean(change.detail)})` : ''}${suffix}`;
}

function iso(date: Date | undefined): string {
  return date ? date.toISOString() : '-';
}

function clock(date: Date, withDate: boolean): string {
  const text = date.toISOString();
  return withDate ? `${text.slice(5, 10)} ${text.slice(11, 23)}` : text.slice(11, 23);
}

/** Consecutive failures of the same error and message, counted: `3 × InvalidTransitGatewayID.NotFound: ...`. */
function failureLines(step: AuditStep): string[] {
  const lines: string[] = [];
  let i = 0;
  while (i < step.failures.length) {
    const first = step.failures[i]!;
    let n = 1;
    while (
      i + n < step.failures.length &&
      step.failures[i + n]!.error === first.error &&
      step.failures[i + n]!.message === first.message &&
      step.failures[i + n]!.retried === first.retried
    ) {
      n += 1;
    }
    const message = first.message ? `: ${clip(clean(first.message), 160)}` : '';
    if (first.retried) lines.push(`↻ retried ${n} × ${first.error}${message}`);
    i += n;
  }
  if (step.error && (step.outcome === 'failed' || step.outcome === 'caught')) {
    const where = step.outcome === 'caught' && step.next ? ` (caught: next ${step.next})` : '';
    const message = step.error.message ? `: ${clip(clean(step.error.message), 200)}` : '';
    lines.push(`✗ ${step.error.error}${message}${where}`);
  }
  return lines;
}

function stepLines(timeline: ExecutionTimeline, withDate: boolean): string[] {
  const out: string[] = [];
  const rows: { time: string; took: string; text: string; details: string[]; indent: string }[] = [];
  const lastBranch = new Map<number, number | undefined>();
  for (const step of timeline.steps) {
    const indent = '  '.repeat(step.depth);
    if (step.parentId !== undefined && step.branch !== undefined && lastBranch.get(step.parentId) !== step.branch) {
      const parent = timeline.steps.find((s) => s.id === step.parentId);
      const label = parent?.type === 'Map' ? `iteration ${step.branch}` : `branch ${step.branch}`;
      rows.push({ time: '', took: '', text: `${indent}${label}`, details: [], indent });
      lastBranch.set(step.parentId, step.branch);
    }
    const what: string[] = [];
    if (step.type !== 'Task') what.push(step.type);
    if (step.resource) what.push(step.resource);
    if (step.type === 'Parallel') {
      const branches = new Set(timeline.steps.filter((s) => s.parentId === step.id).map((s) => s.branch)).size;
      what.push(`${branches} branch${branches === 1 ? '' : 'es'}`);
    }
    if (step.attempts > 1) what.push(`${step.attempts} attempts`);
    if (step.type === 'Choice' && step.next) what.push(`→ ${step.next}`);
    const details = [
      ...(step.summary ? [`plan: ${clean(step.summary)}`] : []),
      ...failureLines(step),
      ...step.changes.map(changeLine),
    ];
    rows.push({
      time: clock(step.enteredAt, withDate),
      took: step.durationMs === undefined ? '…' : duration(step.durationMs),
      text: `${indent}${OUTCOME_MARK[step.outcome]} ${step.name}${what.length ? `  (${what.join(', ')})` : ''}`,
      details,
      indent,
    });
  }
  const timeWidth = Math.max(4, ...rows.map((r) => r.time.length));
  const tookWidth = Math.max(4, ...rows.map((r) => r.took.length));
  out.push(`  ${'time'.padEnd(timeWidth)}  ${'took'.padStart(tookWidth)}  step`);
  for (const row of rows) {
    out.push(`  ${row.time.padEnd(timeWidth)}  ${row.took.padStart(tookWidth)}  ${row.text}`.trimEnd());
    const pad = `  ${' '.repeat(timeWidth)}  ${' '.repeat(tookWidth)}  ${row.indent}    `;
    for (const detail of row.details) out.push(`${pad}${detail}`);
  }
  return out;
}

function triggerLines(timeline: ExecutionTimeline): string[] {
  const t = timeline.trigger;
  const when = t.time ? ` at ${t.time}` : '';
  const tags = (prefixOnly: boolean) =>
    Object.entries(t.tags ?? {})
      .filter(([k]) => !prefixOnly || k.startsWith('spokelink:'))
      .map(([k, v]) => `${clean(k)}=${clean(v)}`)
      .join(', ');
  switch (t.kind) {
    case 'tag-change':
      return [
        `${t.detailType}${when}, event ${t.eventId ?? '?'}`,
        `account ${t.account ?? '?'} (${t.region ?? '?'}) changed ${describeChanges(t).map(clean).join(', ') || '(no key)'}`,
        `tags after the change: ${tags(false) || '(none)'}`,
        'who: the tag change event names no principal; CloudTrail has the CreateTags/DeleteTags call (docs/audit.md)',
      ];
    case 'cloudtrail':
      return [
        `${t.eventName ?? 'API call'} (CloudTrail)${when}, event ${t.eventId ?? '?'}`,
        `by ${clean(t.principal ?? '?')}${t.principalType ? ` (${t.principalType})` : ''} in account ${t.account ?? '?'}` +
          `${t.sourceIp ? ` from ${clean(t.sourceIp)}` : ''}${t.userAgent ? ` with ${clip(clean(t.userAgent), 60)}` : ''}`,
        ...(t.tags ? [`tags: ${tags(false) || '(none)'}`] : []),
      ];
    case 'event':
      return [`${t.detailType ?? 'event'} from ${t.source ?? '?'}${when}, account ${t.account ?? '?'}`];
    case 'schedule':
      return ['EventBridge Scheduler (reconciliation)'];
    case 'input':
      return [`started with input {${(t.inputKeys ?? []).join(', ')}} (not an EventBridge event)`];
    default:
      return ['input not available'];
  }
}

function resultLine(timeline: ExecutionTimeline): string {
  const { outcome } = timeline;
  const where = outcome.terminalState ? ` in state ${outcome.terminalState}` : '';
  return `${outcome.result} (${timeline.status}${where})`;
}

/** The timeline of one execution, as text. */
export function renderTimeline(timeline: ExecutionTimeline): string {
  const withDate =
    timeline.steps.some(
      (s) => s.enteredAt.toISOString().slice(0, 10) !== timeline.startDate.toISOString().slice(0, 10),
    ) ||
    (timeline.stopDate !== undefined &&
      timeline.stopDate.toISOString().slice(0, 10) !== timeline.startDate.toISOString().slice(0, 10));
  const trigger = triggerLines(timeline);
  const retries = Object.entries(timeline.retriesByError)
    .sort((a, b) => b[1] - a[1])
    .map(([error, n]) => `${error} ×${n}`)
    .join(', ');
  const aws = timeline.changes.filter((c) => !REGISTRY_KINDS.has(c.kind) && c.change !== 'unchanged');
  const count = (change: ResourceChange['change']) => aws.filter((c) => c.change === change).length;
  const lines = [
    `■ ${timeline.name}`,
    `  action    ${timeline.action} (state machine ${timeline.stateMachine})`,
    `  result    ${resultLine(timeline)}`,
    ...(timeline.outcome.reason ? [`  reason    ${clip(clean(timeline.outcome.reason), 300)}`] : []),
    `  started   ${iso(timeline.startDate)}`,
    `  ended     ${timeline.stopDate ? `${iso(timeline.stopDate)}, after ${duration(timeline.durationMs ?? 0)}` : 'still running'}`,
    `  trigger   ${trigger[0]}`,
    ...trigger.slice(1).map((line) => `            ${line}`),
    `  work      ${timeline.stateTransitions} state transitions, ${timeline.lambdaInvocations} Lambda invocations, ` +
      `${timeline.retries} retr${timeline.retries === 1 ? 'y' : 'ies'}${retries ? ` (${retries})` : ''}`,
    `  changed   ${count('created')} AWS resources created, ${count('modified')} modified, ${count('removed')} removed` +
      (timeline.withoutData ? ' (history read without execution data: results unknown)' : ''),
    '',
    ...stepLines(timeline, withDate),
    '',
    `  ■ ${timeline.status}${timeline.stopDate ? ` at ${iso(timeline.stopDate)}` : ''}: ${timeline.outcome.result}` +
      (timeline.status !== 'SUCCEEDED' && timeline.status !== 'RUNNING' ? leftBehind(aws) : ''),
  ];
  return lines.join('\n');
}

/**
 * What an execution that did not succeed created and did not remove again (its rollback), as a closing remark. TGW
 * route table associations, propagations and static routes go with their attachment (static routes are deleted
 * just before it).
 */
function leftBehind(changes: ResourceChange[]): string {
  const created = changes.filter((c) => c.change === 'created');
  if (created.length === 0) return '';
  const removed = changes.filter((c) => c.change === 'removed');
  const attachmentRemoved = removed.some((c) => c.kind === 'tgw-attachment');
  const left = created.filter((c) => {
    if (attachmentRemoved && ['tgw-association', 'tgw-propagation', 'tgw-route'].includes(c.kind)) return false;
    const match = removed.findIndex((r) => r.kind === c.kind && r.id === c.id);
    if (match < 0) return true;
    removed.splice(match, 1);
    return false;
  });
  if (left.length === 0) return ` (it removed the ${created.length} AWS resources it created)`;
  if (left.length === created.length) return ` (the ${created.length} AWS resources it created were not removed by it)`;
  const kinds = [...new Set(left.map((c) => c.kind))].join(', ');
  return ` (${left.length} of the ${created.length} AWS resources it created remain: ${kinds})`;
}

function registryLines(items: Record<string, unknown>[]): string[] {
  const current = items.find((i) => i.sk === 'CURRENT');
  const history = items.filter((i) => String(i.sk ?? '').startsWith('HISTORY#'));
  // A released lease keeps its item (and token) without an owner: only a held one is shown.
  const lease = items.find((i) => i.sk === 'LEASE' && typeof i.owner === 'string');
  const lines: string[] = [];
  if (current) {
    const s = (k: string) => (typeof current[k] === 'string' ? (current[k] as string) : undefined);
    const services = Array.isArray(current.services) ? current.services.join(',') : '';
    lines.push(
      `registry  ${s('status') ?? '?'}${s('connectedAt') ? ` since ${s('connectedAt')}` : ''}; account ${s('accountId') ?? '?'}; ` +
        `segment ${s('segment') ?? '?'}; services ${services || '(none)'}${s('attachmentId') ? `; attachment ${s('attachmentId')}` : ''}`,
    );
  } else {
    lines.push('registry  no current record');
  }
  for (const h of history) {
    lines.push(`          earlier membership ${String(h.connectedAt ?? '?')} .. ${String(h.disconnectedAt ?? '?')}`);
  }
  if (lease)
    lines.push(`          lease held by ${String(lease.owner ?? '?')} until ${String(lease.expiresAt ?? '?')}`);
  return lines;
}

/** The audit of one VPC: header, registry, then every execution's timeline (oldest first). */
export function renderVpcAudit(vpcId: string, timelines: readonly ExecutionTimeline[], context: AuditContext): string {
  const lines = [`spokelink audit ${vpcId}`, `source    ${context.source}`];
  if (context.registry) lines.push(...registryLines(context.registry));
  if (context.registryNote) lines.push(`registry  not read: ${context.registryNote}`);
  for (const arn of context.missing ?? []) {
    lines.push(`missing   ${arn}: named by the registry, no longer in Step Functions (histories are kept 90 days)`);
  }
  lines.push(`${timelines.length} execution${timelines.length === 1 ? '' : 's'}, oldest first`, '');
  for (const timeline of timelines) lines.push(renderTimeline(timeline), '');
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The `--all` table. */
export function renderExecutionTable(
  rows: readonly ExecutionSummary[],
  header: { source: string; window: string },
): string {
  const body = table(
    ['started (UTC)', 'vpc', 'account', 'action', 'status', 'result', 'took', 'retries', 'reason'],
    rows.map((r) => [
      r.startDate.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'),
      r.vpcId ?? '-',
      r.account ?? '-',
      r.action,
      r.status,
      r.result,
      r.durationMs === undefined ? '…' : duration(r.durationMs),
      String(r.retries),
      r.reason ? clip(clean(r.reason), 90) : '',
    ]),
  );
  const total = `${rows.length} execution${rows.length === 1 ? '' : 's'} ${header.window}${rows.length ? ` (${resultCounts(rows)})` : ''}`;
  return [`source    ${header.source}`, '', ...(rows.length ? [body, ''] : []), total, ''].join('\n');
}

/** JSON of a timeline: dates as ISO strings, step results left out unless asked (they repeat the whole plan). */
export function timelineJson(timeline: ExecutionTimeline, includeResults = false): unknown {
  return JSON.parse(
    JSON.stringify({
      ...timeline,
      steps: timeline.steps.map((s) => (includeResults ? s : { ...s, result: undefined })),
    }),
  );
}
