import type { EC2Client } from '@aws-sdk/client-ec2';
import { isAwsError, RollbackResultError, SpokeAccessError } from '#shared/errors';
import { type CaughtError, causeMessage } from '#shared/failure';
import type { Plan } from '#shared/plan';
import { getRecord, type RegistryTable, recordItemKey } from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import type { RemovalTarget } from '#shared/vpc-ref';
import { formatIssues } from '#shared/zod-issues';
import {
  type Inventory,
  type ItemCounts,
  type Remaining,
  RollbackBranchSchema,
  type RollbackMode,
  type RollbackOutcome,
  type RollbackPlan,
  type RollbackState,
} from './contract';
import { describeVpc } from './plan';

/**
 * The onboarding's rollback (docs/workflow.md, "Rollback"): when a branch of ConnectSpokeVpc fails for good (a hard
 * quota, a conflict, a VPC deleted), what the execution made for the VPC is undone by the offboarding's own removal
 * steps, driven by the registry record, so that a failed onboarding leaves nothing half-made. Three steps of the
 * onboarding ASL use this module (all read-only; the removals are the routes, zones, consumer and transit-gateway
 * functions):
 * - NoteWhatExists (a member only): what the record lists before the execution changes anything;
 * - PlanRollback: what to undo. A membership that never connected: everything the record lists, the account grants
 *   included (`membership`). A connected member (a change or a repair that failed): only what the execution added
 *   to the record since NoteWhatExists (`additions`): the connection that worked before stays;
 * - SummarizeRollback: what was rolled back and, read from the record again, exactly what remains.
 */

export interface RollbackDeps {
  /** EC2 client of the spoke role (throws SpokeAccessError when the role cannot be assumed). */
  spokeEc2: () => Promise<EC2Client>;
  registry: RegistryTable;
}

/** The summary leaves the failure itself at least 256 - 2 - 120 characters of the status detail. */
export const SUMMARY_MAX = 120;

// ---- NoteWhatExists -------------------------------------------------------------------------------------------------

function inventoryOf(record: ConsumerRecord | undefined): Inventory {
  return {
    ...(record?.status ? { status: record.status } : {}),
    ...(record?.connectedAt ? { connectedAt: record.connectedAt } : {}),
    ...(record?.attachmentId ? { attachmentId: record.attachmentId } : {}),
    routes: record?.routes ?? [],
    zones: record?.zones ?? [],
    profileAssociations: record?.profileAssociations ?? [],
    securityGroupRules: record?.securityGroupRules ?? [],
    endpointServicePrincipals: record?.endpointServicePrincipals ?? [],
  };
}

/** NoteWhatExists: the record's items now, before the execution changes anything (under the lease). */
export async function noteWhatExists(plan: Plan, deps: Pick<RollbackDeps, 'registry'>): Promise<Inventory> {
  return inventoryOf(await getRecord(deps.registry, plan.vpcId));
}

// ---- PlanRollback ---------------------------------------------------------------------------------------------------

/** Items of `now` whose identity is not among `before`'s. */
function added<
  K extends 'routes' | 'zones' | 'profileAssociations' | 'securityGroupRules' | 'endpointServicePrincipals',
>(
  field: K,
  now: NonNullable<ConsumerRecord[K]>,
  before: ConsumerRecord[K] | undefined,
): NonNullable<ConsumerRecord[K]> {
  const known = new Set((before ?? []).map((item) => recordItemKey(field, item)));
  return now.filter((item) => !known.has(recordItemKey(field, item))) as NonNullable<ConsumerRecord[K]>;
}

/**
 * The mode for a record: a membership that never connected is undone whole; a connected one only by what the
 * execution added (known from NoteWhatExists; without it, e.g. another execution connected the VPC between this one's
 * validation and its lease, nothing is undone: what this execution added cannot be told apart).
 */
export function rollbackMode(
  record: ConsumerRecord | undefined,
  before: Inventory | undefined,
): { mode: RollbackMode; reason: string } {
  if (!record) return { mode: 'none', reason: 'nothing was recorded' };
  if (!record.connectedAt) {
    return { mode: 'membership', reason: 'never connected: everything recorded for the VPC is undone' };
  }
  if (!before?.connectedAt) {
    // Another execution connected the VPC between this one's validation and its lease.
    return { mode: 'none', reason: 'connected meanwhile by another execution; what this one added is unknown' };
  }
  return { mode: 'additions', reason: 'a connected member: only what this execution added is undone' };
}

/** What the mode undoes of the record (membership: all of it; additions: what is not in `before`). */
export function itemsToUndo(record: ConsumerRecord | undefined, mode: RollbackMode, before?: Inventory): Remaining {
  if (!record || mode === 'none')
    return { routes: [], zones: [], profileAssociations: [], securityGroupRules: [], endpointServicePrincipals: [] };
  if (mode === 'membership') {
    return {
      ...(record.attachmentId ? { attachmentId: record.attachmentId } : {}),
      routes: record.routes ?? [],
      zones: record.zones ?? [],
      profileAssociations: record.profileAssociations ?? [],
      securityGroupRules: record.securityGroupRules ?? [],
      endpointServicePrincipals: record.endpointServicePrincipals ?? [],
    };
  }
  // A connected member keeps its attachment (the one it works through) and the account's endpoint service principals
  // (account-wide; only offboarding removes them): what a change or a repair adds are routes, zones and rules.
  return {
    routes: added('routes', record.routes ?? [], before?.routes),
    zones: added('zones', record.zones ?? [], before?.zones),
    profileAssociations: added('profileAssociations', record.profileAssociations ?? [], before?.profileAssociations),
    securityGroupRules: added('securityGroupRules', record.securityGroupRules ?? [], before?.securityGroupRules),
    endpointServicePrincipals: [],
  };
}

function counts(items: Remaining): ItemCounts {
  return {
    attachment: items.attachmentId ? 1 : 0,
    routes: items.routes.length,
    zones: items.zones.length,
    profiles: items.profileAssociations.length,
    rules: items.securityGroupRules.length,
    principals: items.endpointServicePrincipals.length,
  };
}

const isEmpty = (c: ItemCounts) => c.attachment + c.routes + c.zones + c.profiles + c.rules + c.principals === 0;

/**
 * The plan whose wanted items are exactly those of `before`: given to the prune actions (routes, zones, consumer),
 * which remove what the record lists and the plan does not want. Routes are wanted as route tables x destinations,
 * so a route added in a table and to a destination that both had routes before is kept (and reported as remaining).
 */
export function keepPlan(plan: Plan, before: Inventory): Plan {
  const unique = (values: string[]) => [...new Set(values)].sort();
  return {
    ...plan,
    routeTableIds: unique(before.routes.map((r) => r.routeTableId)),
    destinations: unique(before.routes.map((r) => r.destinationCidr)),
    zones: before.zones.map(({ endpoint, zoneId, zoneName }) => ({ endpoint, zoneId, zoneName })),
    // The Profile association is kept only if it existed before: one this execution made is pruned.
    profile: before.profileAssociations.some((p) => p.profileId === plan.profile?.profileId) ? plan.profile : undefined,
    securityGroupRules: before.securityGroupRules.map(({ endpoint, groupId, cidr, port, description }) => ({
      endpoint,
      groupId,
      cidr,
      port,
      description,
    })),
  };
}

async function vpcRefOf(plan: Plan, deps: RollbackDeps): Promise<RemovalTarget> {
  const ref = {
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    region: plan.region,
    ...(plan.fence ? { fence: plan.fence } : {}),
  };
  try {
    const vpc = await describeVpc(await deps.spokeEc2(), plan.vpcId);
    return { ...ref, exists: vpc !== undefined, spokeReachable: true };
  } catch (error) {
    if (!(error instanceof SpokeAccessError) && !isAwsError(error, 'AuthFailure', 'UnauthorizedOperation')) throw error;
    // The hub side is undone all the same; the spoke routes cannot be looked at and stay recorded.
    return { ...ref, exists: true, spokeReachable: false };
  }
}

/** PlanRollback: what the rollback undoes, and how (see the module comment). Read-only. */
export async function planRollback(
  { plan, before }: Pick<RollbackState, 'plan' | 'before'>,
  deps: RollbackDeps,
): Promise<RollbackPlan> {
  const record = await getRecord(deps.registry, plan.vpcId);
  const chosen = rollbackMode(record, before);
  const toUndo = counts(itemsToUndo(record, chosen.mode, before));
  const vpc = await vpcRefOf(plan, deps);
  if (chosen.mode === 'additions' && isEmpty(toUndo)) {
    return { mode: 'none', reason: 'this execution added nothing', vpc, toUndo };
  }
  return {
    ...chosen,
    vpc,
    toUndo,
    ...(chosen.mode === 'additions' && before ? { keep: keepPlan(plan, before) } : {}),
  };
}

// ---- SummarizeRollback ----------------------------------------------------------------------------------------------

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function describeCounts(c: ItemCounts & { share?: boolean }): string[] {
  return [
    ...(c.attachment > 0 ? ['attachment'] : []),
    ...(c.routes > 0 ? [plural(c.routes, 'route')] : []),
    ...(c.zones > 0 ? [plural(c.zones, 'zone assoc')] : []),
    ...(c.profiles > 0 ? [plural(c.profiles, 'Profile assoc')] : []),
    ...(c.rules > 0 ? [plural(c.rules, 'SG rule')] : []),
    ...(c.principals > 0 ? [c.principals === 1 ? 'principal' : plural(c.principals, 'principal')] : []),
    ...(c.share ? ['TGW share'] : []),
  ];
}

/** What remains, named item by item when that is short enough, else counted (the record names every item). */
export function describeRemaining(remaining: Remaining, max = 70): string {
  const named = [
    ...(remaining.attachmentId ? [remaining.attachmentId] : []),
    ...remaining.routes.map((r) => `route ${r.routeTableId} ${r.destinationCidr}`),
    ...remaining.zones.map((z) => `zone ${z.zoneName}`),
    ...remaining.profileAssociations.map((p) => `Profile assoc ${p.associationId}`),
    ...remaining.securityGroupRules.map((r) => `rule ${r.ruleId ?? `${r.groupId} ${r.cidr}:${r.port}`}`),
    ...remaining.endpointServicePrincipals.map((p) => `principal on ${p.serviceId}`),
  ].join(', ');
  if (named.length <= max) return named;
  const c = counts(remaining);
  return [...(remaining.attachmentId ? [remaining.attachmentId] : []), ...describeCounts({ ...c, attachment: 0 })].join(
    ', ',
  );
}

/**
 * The rollback in one line, at most `max` characters: `rolled back: attachment, 2 routes, ...`; when something could
 * not be undone, `rollback incomplete (<Step>: <Error>)` and `left: <what remains>` first (the end is what a cut
 * loses).
 */
export function rollbackSummary(
  outcome: Pick<RollbackOutcome, 'mode' | 'rolledBack' | 'remaining' | 'failures'>,
  reason?: string,
  max = SUMMARY_MAX,
): string {
  const done = describeCounts(outcome.rolledBack);
  const left = describeRemaining(outcome.remaining);
  const parts: string[] = [];
  if (outcome.failures.length > 0) {
    const first = outcome.failures[0]!;
    const more = outcome.failures.length > 1 ? ` +${outcome.failures.length - 1}` : '';
    parts.push(`rollback incomplete (${first.step}: ${first.error}${more})`);
  } else if (outcome.mode === 'none') {
    parts.push(`nothing rolled back: ${reason ?? 'nothing to undo'}`);
  }
  if (left !== '') parts.push(`left: ${left}`);
  if (done.length > 0) parts.push(`rolled back: ${done.join(', ')}`);
  if (parts.length === 0) parts.push('nothing to roll back');
  const line = parts.join('; ');
  return line.length <= max ? line : `${line.slice(0, max - 3)}...`;
}

/** SummarizeRollback: what was rolled back, and (from the record, read again) exactly what remains. Read-only. */
export async function summarizeRollback(
  state: RollbackState,
  deps: Pick<RollbackDeps, 'registry'>,
): Promise<RollbackOutcome> {
  const { plan, before } = state;
  const record = await getRecord(deps.registry, plan.vpcId);
  // The mode is PlanRollback's; if PlanRollback itself failed, the one it would have chosen (it depends only on the
  // record's connectedAt, which the rollback does not change, and on `before`): then nothing was undone.
  const mode = state.rollbackPlan?.mode ?? rollbackMode(record, before).mode;
  const remaining = itemsToUndo(record, mode, before);

  const rolledBack = {
    attachment: 0,
    routes: 0,
    zones: 0,
    profiles: 0,
    rules: 0,
    principals: 0,
    share: false,
    authorizations: 0,
  };
  const failures: RollbackOutcome['failures'] = [];
  const addFailures = (map: Record<string, CaughtError>) => {
    for (const [step, caught] of Object.entries(map)) {
      failures.push({ step, error: caught.Error, message: causeMessage(caught.Cause) });
    }
  };
  addFailures(state.rollbackFailure ?? {});
  for (const entry of state.rollback ?? []) {
    const branch = RollbackBranchSchema.safeParse(entry);
    if (!branch.success) {
      throw new RollbackResultError(
        `a rollback branch's result is not what the summary reads: ${formatIssues(branch.error)}`,
      );
    }
    const { undone, failed } = branch.data;
    addFailures(failed);
    const n = (...lists: (unknown[] | undefined)[]) => lists.reduce<number>((sum, l) => sum + (l?.length ?? 0), 0);
    rolledBack.routes += n(undone.routes?.removed, undone.routes?.vanished);
    rolledBack.attachment += n(undone.attachment?.deleted, undone.attachment?.alreadyGone) > 0 ? 1 : 0;
    rolledBack.share ||= undone.share?.unshared === true;
    rolledBack.zones += n(undone.zones?.disassociated, undone.zones?.vanished);
    rolledBack.authorizations += n(undone.zones?.authorizationsDeleted);
    rolledBack.profiles += n(undone.zones?.profilesDisassociated, undone.zones?.profilesVanished);
    rolledBack.rules += n(undone.access?.rulesRevoked, undone.access?.rulesVanished);
    rolledBack.principals += n(undone.access?.principalsRemoved, undone.access?.principalsAbsent);
  }
  const outcome = { mode, rolledBack, remaining, failures };
  const complete = failures.length === 0 && isEmpty(counts(remaining));
  return { ...outcome, complete, summary: rollbackSummary(outcome, state.rollbackPlan?.reason) };
}
