import { CreateTagsCommand, DeleteTagsCommand, DescribeVpcsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { isAwsError, LeaseLostError, SpokeAccessError, TagLimitExceededError } from '#shared/errors';
import { causeMessage, describeFailure } from '#shared/failure';
import { logger } from '#shared/logger';
import type { LeaseFence, Plan } from '#shared/plan';
import { getLease, type RegistryTable, renewLease, reserveStatusWrite } from '#shared/registry';
import type { Status } from '#shared/tags';
import { MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_RESOURCE, PAUSED_DETAIL, StatusTag, statusDetail } from '#shared/tags';
import type { VpcRef } from '#shared/vpc-ref';
import type { StatusReads, StatusResult } from './contract';

/** Statuses the workflows write (onboarding, approvals, offboarding; see docs/lifecycle.md): the tag contract's. */
export type OnboardingStatus = Status;

/** Another execution of the VPC waits for an approval (its item in the registry), and until when (epoch s). */
export type PendingApprovalLookup = (vpcId: string) => Promise<{ executionArn: string; expiresAt: number } | undefined>;

export interface StatusDeps {
  /** EC2 client of the spoke role in the VPC's account and region (may throw SpokeAccessError). */
  spokeEc2: (target: VpcRef) => Promise<EC2Client>;
  registry: RegistryTable;
  now: () => number;
  /** The VPC's pending approval, if any: a rejection by another execution must not hide it. */
  pendingApproval?: PendingApprovalLookup;
}

/** The execution writing the status: its name and ARN, when it started (ISO, `$$.Execution.StartTime`), its lease. */
export interface StatusWriter {
  name: string;
  arn: string;
  startedAt?: string;
  fence?: LeaseFence;
}

/**
 * At the tag limit: writes the status tags that fit, in order (status, detail, execution), and removes the stale
 * detail and execution tags it cannot rewrite rather than leave them describing another status (their slots then go
 * to the tags before them). Returns the keys written and the `TagLimitExceeded` description.
 */
async function writeWhatFits(
  ec2: EC2Client,
  vpcId: string,
  tags: { Key: string; Value: string }[],
): Promise<{ tagLimit: string; tagsWritten: string[] }> {
  const { Vpcs } = await ec2.send(new DescribeVpcsCommand({ VpcIds: [vpcId] }));
  const present = new Set((Vpcs?.[0]?.Tags ?? []).map((t) => t.Key ?? ''));
  const others = [...present].filter((key) => !tags.some((t) => t.Key === key)).length;
  const fits = tags.slice(0, Math.max(0, MAX_TAGS_PER_RESOURCE - others));
  const missing = tags.slice(fits.length).map((t) => t.Key);
  const stale = missing.filter((key) => present.has(key));
  if (stale.length > 0) {
    await ec2.send(new DeleteTagsCommand({ Resources: [vpcId], Tags: stale.map((Key) => ({ Key })) }));
  }
  if (fits.length > 0) await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: fits }));
  const written = fits.map((t) => t.Key);
  const tagLimit =
    `TagLimitExceeded: ${vpcId} has ${others} tags besides spokelink's status tags (AWS allows ` +
    `${MAX_TAGS_PER_RESOURCE}): ${written.length > 0 ? `wrote ${written.join(', ')}` : 'wrote no status tag'}; ` +
    `not written: ${missing.join(', ')}` +
    (stale.length > 0 ? `; removed the stale ${stale.join(', ')}` : '');
  return { tagLimit, tagsWritten: written };
}

function onboardingDetail(plan: Plan): string {
  const subnets = plan.attachmentSubnets.map((s) => `${s.subnetId} (${s.availabilityZone})`).join(', ');
  const how = plan.subnetSelection === 'tagged' ? 'tagged spokelink:attach' : 'one per AZ, lowest CIDR';
  return (
    `onboarding to segment ${plan.segment}; services ${plan.services.join(',') || 'none'}; ` +
    `attachment subnets ${subnets} (${how})`
  );
}

/**
 * The `quarantined` detail: each range that does not validate and what it overlaps (first), then what stays connected.
 * The range and the VPC it overlaps come first so that they survive the 256-character limit.
 */
export function quarantineDetail(plan: Plan): string {
  const ranges = (plan.quarantine ?? [])
    .map((q) => (q.reason ? `${q.cidr} ${q.reason}` : `${q.cidr} overlaps ${q.overlaps}`))
    .join('; ');
  const kept = plan.cidrs.length > 0 ? `still connected for ${plan.cidrs.join(', ')}` : 'no CIDR connected';
  return `quarantined: ${ranges}: not routed, not admitted (remove the range to end it); ${kept}`;
}

/** `connected`, unless the plan quarantined some of the VPC's CIDRs: then `quarantined`. */
export function connectedStatusOf(plan: Plan | undefined): 'connected' | 'quarantined' {
  return (plan?.quarantine?.length ?? 0) > 0 ? 'quarantined' : 'connected';
}

/**
 * What the onboarding's rollback did (SummarizeRollback's `summary`, docs/workflow.md "Rollback"), or why it is not
 * known (SummarizeRollback itself failed).
 */
export interface RollbackReport {
  summary?: string;
  /** A rollback step whose failure left no summary. */
  unsummarized?: { step: string; error: string };
}

/** The rollback part of a `failed` detail: never more than this, so that the failure keeps at least 134 of the 256. */
const ROLLBACK_PART_MAX = 120;

function rollbackText(rollback: RollbackReport | undefined): string | undefined {
  if (rollback?.summary) return rollback.summary;
  if (rollback?.unsummarized) {
    const { step, error } = rollback.unsummarized;
    return `rollback outcome unknown (${step}: ${error}): the registry record lists what exists`;
  }
  return undefined;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 3)}...`);

/** `LimitsExceeded: Limits Exceeded: ...` -> `LimitsExceeded: ...` (AWS messages often spell the code out first). */
function withoutSpelledOutCodes(text: string): string {
  const norm = (part: string) => part.replace(/\s+/g, '').toLowerCase();
  const parts = text.split(': ');
  return parts.filter((part, i) => i === 0 || norm(part) !== norm(parts[i - 1]!)).join(': ');
}

/**
 * The `failed` detail: the failure (`<Step>: <Error>: <message>`) and, after an onboarding's rollback, what was rolled
 * back or what remains, within the tag's 256 characters. The rollback part is kept whole; the failure is shortened
 * as far as needed: an AWS message's spelled-out repeat of its code goes, then the VPC's own id (the tag is on that
 * VPC) becomes "the VPC" in spokelink's own words (never inside the quoted AWS message), then the end is cut.
 */
export function failedDetail(failure: string, rollback: RollbackReport | undefined, vpcId?: string): string {
  const tail = rollbackText(rollback);
  if (tail === undefined) return statusDetail(failure);
  const suffix = `; ${clip(oneLine(tail), ROLLBACK_PART_MAX)}`;
  const budget = MAX_TAG_VALUE_LENGTH - suffix.length;
  let text = oneLine(failure);
  if (text.length > budget) text = withoutSpelledOutCodes(text);
  if (text.length > budget && vpcId) text = ownTextWithout(text, vpcId);
  return `${clip(text, budget)}${suffix}`;
}

/** An AWS error code as spokelink quotes it before AWS's own message (`InvalidVpcID.NotFound`, `LimitsExceeded`). */
const AWS_ERROR_CODE = /^[A-Z][A-Za-z0-9]+(\.[A-Za-z0-9]+)*$/;

/**
 * `<Step>: <Error>: <our text>: <AwsCode>: <AWS message>` with the VPC's id in our text replaced by "the VPC"; the
 * quoted AWS code and message after it are kept as AWS wrote them ("VPC vpc-1 has reached ..." keeps its id).
 */
function ownTextWithout(text: string, vpcId: string): string {
  const parts = text.split(': ');
  const quoted = parts.findIndex((part, i) => i >= 2 && AWS_ERROR_CODE.test(part));
  const end = quoted === -1 ? parts.length : quoted;
  return parts.map((part, i) => (i < end ? part.split(vpcId).join('the VPC') : part)).join(': ');
}

/**
 * The detail for a status, from what it reads of the execution state (`override`: a detail the workflow computed;
 * `vpcId`: the VPC the tag goes on, which a shortened failure calls "the VPC").
 */
export function detailFor(
  status: OnboardingStatus,
  state: StatusReads,
  override?: string,
  rollback?: RollbackReport,
  vpcId?: string,
): string {
  if (override !== undefined && status !== 'failed') return statusDetail(override);
  switch (status) {
    case 'pending-approval':
      return statusDetail(
        state.plan
          ? `pending-approval: segment ${state.plan.segment} requires approval (services ` +
              `${state.plan.services.join(',') || 'none'}); spokelink approve|deny ${state.plan.vpcId}`
          : 'pending-approval',
      );
    case 'pending':
      return statusDetail(PAUSED_DETAIL);
    case 'offboarding':
      return statusDetail('offboarding: removing what spokelink created');
    case 'disconnected':
      return statusDetail(state.record?.summary ?? 'disconnected');
    case 'onboarding':
      return statusDetail(state.plan ? onboardingDetail(state.plan) : 'onboarding');
    case 'connected':
      return statusDetail(state.record?.summary ?? 'connected');
    case 'quarantined':
      return statusDetail(state.plan ? quarantineDetail(state.plan) : 'quarantined');
    case 'rejected':
      return statusDetail(causeMessage(state.error?.Cause) || state.error?.Error || 'rejected');
    case 'failed':
      return failedDetail(describeFailure(state).detail, rollback, vpcId);
  }
}

/**
 * Writes `spokelink:status`, `spokelink:detail` and `spokelink:execution` on the VPC through the spoke role.
 *
 * An execution never overwrites the status of one that started after it (reserveStatusWrite, by
 * `$$.Execution.StartTime`), and an execution that lost its lease writes nothing (the new holder does). Besides, only
 * the lease holder writes a rejection or failure, so that two executions for one VPC never leave the older outcome last: a
 * `rejected` or `failed` written outside the lease (a rejection before AcquireLease) is skipped while another
 * execution holds it; that execution will write the final status. A VPC that is gone, or a spoke role that cannot be
 * assumed, leaves nothing to write on: reported as `written: false`, never thrown (the workflow still ends cleanly).
 * These tag writes come back as tag-change events; the intake ignores status-only changes.
 */
export async function setStatus(
  status: OnboardingStatus,
  target: VpcRef | undefined,
  state: StatusReads,
  execution: StatusWriter,
  deps: StatusDeps,
  override?: { detail?: string; rollback?: RollbackReport },
): Promise<StatusResult> {
  // SetStatusConnected of a member with quarantined CIDRs: the VPC is connected for its valid CIDRs only.
  if (status === 'connected') status = connectedStatusOf(state.plan);
  const detail = detailFor(status, state, override?.detail, override?.rollback, target?.vpcId);
  const failure = status === 'failed' ? describeFailure(state) : undefined;
  // The Fail state's cause (no 256-character limit) carries the whole rollback summary after the failure.
  const rolledBack = status === 'failed' ? rollbackText(override?.rollback) : undefined;
  const result: StatusResult = {
    written: false,
    status,
    detail,
    ...(failure ? { error: failure.error, cause: rolledBack ? `${failure.cause}; ${rolledBack}` : failure.cause } : {}),
  };
  // No trustworthy VPC to write on (an event that names none): nothing to do, but the outcome is still described.
  if (!target) return { ...result, skipped: 'the execution names no VPC' };

  if (status === 'rejected' || status === 'failed') {
    const lease = await getLease(deps.registry, target.vpcId);
    if (lease && lease.owner !== execution.arn && lease.expiresAt >= Math.floor(deps.now() / 1000)) {
      logger.info('another execution holds the VPC: it writes the status', { holder: lease.owner, status });
      return { ...result, skipped: `another execution (${lease.owner}) holds the VPC` };
    }
    const waiting = await deps.pendingApproval?.(target.vpcId);
    if (waiting && waiting.executionArn !== execution.arn && waiting.expiresAt >= Math.floor(deps.now() / 1000)) {
      logger.info('another execution waits for an approval: it writes the status', { status });
      return { ...result, skipped: `another execution (${waiting.executionArn}) waits for an approval` };
    }
  }

  if (execution.fence) {
    try {
      await renewLease(deps.registry, execution.fence, deps.now());
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      logger.warn('this execution lost the lease: the new holder writes the status', { status });
      return { ...result, skipped: error.message };
    }
  }
  if (execution.startedAt) {
    const order = await reserveStatusWrite(
      deps.registry,
      target.vpcId,
      { arn: execution.arn, startedAt: execution.startedAt, status },
      deps.now(),
    );
    if (!order.reserved) {
      logger.info('a newer execution wrote the status: it stands', { status, newer: order.newer });
      return { ...result, skipped: `a newer execution (${order.newer}) wrote the status` };
    }
  }

  const tags = [
    { Key: StatusTag.status, Value: status },
    { Key: StatusTag.detail, Value: detail },
    { Key: StatusTag.execution, Value: execution.name },
  ];
  try {
    const ec2 = await deps.spokeEc2(target);
    try {
      await ec2.send(new CreateTagsCommand({ Resources: [target.vpcId], Tags: tags }));
    } catch (error) {
      if (!isAwsError(error, 'TagLimitExceeded')) throw error;
      const partial = await writeWhatFits(ec2, target.vpcId, tags);
      logger.warn('the VPC is at the tag limit: wrote what fits', { tagLimit: partial.tagLimit });
      if (partial.tagsWritten.length === 0 && status === 'onboarding')
        throw new TagLimitExceededError(partial.tagLimit);
      return { ...result, ...partial, written: partial.tagsWritten.length > 0 };
    }
    return { ...result, written: true };
  } catch (error) {
    if (error instanceof SpokeAccessError) {
      logger.warn('cannot write the status: the spoke role cannot be assumed', { error: error.message });
      return { ...result, skipped: error.message };
    }
    if (isAwsError(error, 'InvalidVpcID.NotFound')) {
      logger.warn('cannot write the status: the VPC is gone');
      return { ...result, skipped: `${target.vpcId} no longer exists` };
    }
    throw error;
  }
}
