import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import {
  ApprovalExpiredError,
  ApprovalRequestChangedError,
  DENIED_ERROR,
  isAwsError,
  NoPendingApprovalError,
  WITHDRAWN_ERROR,
} from '#shared/errors';
import type { PendingApproval, RegistryTable } from '#shared/registry';
import { deleteApproval, getApproval } from '#shared/registry';
import type { RemovalTarget } from '#shared/vpc-ref';

/**
 * The approver's side, behind the decision function URL (functions/approval/decision.ts, `AWS_IAM` auth): looks up
 * the VPC's pending approval in the registry and answers its execution with SendTaskSuccess or SendTaskFailure. The
 * answer names the request it decides (its digest: segment, services, CIDRs) and the approver's IAM ARN as AWS
 * authenticated it. A denial fails the task with `ApprovalDeniedError`. And the offboarding's side: a request whose
 * VPC no longer asks to connect is withdrawn (`ApprovalWithdrawnError`). The token never leaves this module: results
 * and errors name the VPC and the execution only.
 */

export interface Decision {
  vpcId: string;
  decision: 'approve' | 'deny';
  reason?: string;
  /** The approver's IAM ARN, as AWS authenticated the call (never a name the caller asserts). */
  by: string;
  /** The digest (or a prefix of at least 8 characters) of the request the approver saw: refused if another is pending. */
  request?: string;
}

export interface DecideDeps {
  registry: RegistryTable;
  sfn: SFNClient;
  now: () => number;
}

export interface DecisionResult {
  vpcId: string;
  decision: 'approve' | 'deny';
  executionArn: string;
  segment: string;
  services: string[];
  requestDigest: string;
  by: string;
}

const GONE = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'] as const;

/** Sends the decision to the execution waiting for the VPC's approval; removes the pending approval. */
export async function decide(decision: Decision, deps: DecideDeps): Promise<DecisionResult> {
  const pending = await getApproval(deps.registry, decision.vpcId);
  if (!pending) throw new NoPendingApprovalError(`${decision.vpcId} has no pending approval`);
  if (decision.request !== undefined && !pending.requestDigest?.startsWith(decision.request)) {
    throw new ApprovalRequestChangedError(
      `${decision.vpcId}: the pending request is ${pending.requestDigest?.slice(0, 12)} (segment ${pending.segment}, ` +
        `services ${pending.services.join(',') || 'none'}), not ${decision.request}: nothing decided`,
    );
  }
  const at = new Date(deps.now()).toISOString();
  const { by } = decision;
  try {
    if (decision.decision === 'approve') {
      await deps.sfn.send(
        new SendTaskSuccessCommand({
          taskToken: pending.taskToken,
          output: JSON.stringify({
            approved: true,
            by,
            at,
            requestDigest: pending.requestDigest,
            ...(decision.reason ? { reason: decision.reason } : {}),
          }),
        }),
      );
    } else {
      await deps.sfn.send(
        new SendTaskFailureCommand({
          taskToken: pending.taskToken,
          error: DENIED_ERROR,
          // The rejection detail on the VPC: it starts with its reason code, like every rejection.
          cause: `approval-denied: ${decision.reason ?? 'no reason given'} (by ${by}, ${at})`.slice(0, 32_768),
        }),
      );
    }
  } catch (error) {
    if (isAwsError(error, ...GONE)) {
      await deleteApproval(deps.registry, decision.vpcId, pending.taskToken);
      throw new ApprovalExpiredError(
        `${decision.vpcId}: execution ${pending.executionName} no longer waits for an approval (timed out or ended)`,
      );
    }
    throw error;
  }
  await deleteApproval(deps.registry, decision.vpcId, pending.taskToken);
  return {
    vpcId: decision.vpcId,
    decision: decision.decision,
    executionArn: pending.executionArn,
    segment: pending.segment,
    services: pending.services,
    requestDigest: pending.requestDigest,
    by,
  };
}

/**
 * WithdrawPendingApproval (offboarding, under the VPC's lease): the VPC no longer asks to connect, so its pending
 * request, if any, is withdrawn: the waiting execution's task fails with ApprovalWithdrawnError (it ends without
 * writing anything) and the item is deleted, so that no approver can act on it any more.
 */
export async function withdraw(
  vpc: RemovalTarget,
  deps: DecideDeps,
): Promise<{ withdrawn: boolean; executionArn?: string }> {
  const pending: PendingApproval | undefined = await getApproval(deps.registry, vpc.vpcId);
  if (!pending) return { withdrawn: false };
  await withdrawPending(pending, `${vpc.vpcId} no longer asks to connect`, deps);
  return { withdrawn: true, executionArn: pending.executionArn };
}

/**
 * Ends the wait of `pending`'s execution (its task fails with ApprovalWithdrawnError: it ends without writing
 * anything) and deletes the item, unless another request replaced it meanwhile (the delete is conditional on the
 * token). `why` goes into the execution's history.
 */
export async function withdrawPending(
  pending: PendingApproval,
  why: string,
  deps: Pick<DecideDeps, 'registry' | 'sfn'>,
): Promise<void> {
  try {
    await deps.sfn.send(
      new SendTaskFailureCommand({
        taskToken: pending.taskToken,
        error: WITHDRAWN_ERROR,
        cause: `approval-withdrawn: ${why}`,
      }),
    );
  } catch (error) {
    // The execution stopped waiting already (timed out, ended): there is nothing to withdraw but the item.
    if (!isAwsError(error, ...GONE)) throw error;
  }
  await deleteApproval(deps.registry, pending.vpcId, pending.taskToken);
}
