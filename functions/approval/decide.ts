import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isAwsError, SpokelinkError } from '#shared/errors';
import type { RegistryTable } from '#shared/registry';
import { deleteApproval, getApproval } from '#shared/registry';

/**
 * The approver's side (`spokelink approve|deny VPC_ID`, and `approve`/`deny` steps of simulate scenarios): looks up
 * the VPC's pending approval in the registry and answers its execution with SendTaskSuccess or SendTaskFailure.
 * A denial fails the task with `ApprovalDeniedError` (the workflow rejects: status `rejected`, nothing changed). The
 * token never leaves this function: results and errors name the VPC and the execution only.
 */

/** The VPC has no pending approval (never asked, already answered, or its request timed out and was answered). */
export class NoPendingApprovalError extends SpokelinkError {}

/** The pending approval's execution no longer waits (it timed out or ended): nothing was decided. */
export class ApprovalExpiredError extends SpokelinkError {}

/** The error name a denial fails the waiting task with (the onboarding ASL catches it). */
export const DENIED_ERROR = 'ApprovalDeniedError';

export interface Decision {
  vpcId: string;
  decision: 'approve' | 'deny';
  reason?: string;
  /** Who decides (recorded in the execution's history and the rejection detail). */
  by?: string;
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
}

/** Sends the decision to the execution waiting for the VPC's approval; removes the pending approval. */
export async function decide(decision: Decision, deps: DecideDeps): Promise<DecisionResult> {
  const pending = await getApproval(deps.registry, decision.vpcId);
  if (!pending) throw new NoPendingApprovalError(`${decision.vpcId} has no pending approval`);
  const at = new Date(deps.now()).toISOString();
  const by = decision.by ?? 'an approver';
  try {
    if (decision.decision === 'approve') {
      await deps.sfn.send(
        new SendTaskSuccessCommand({
          taskToken: pending.taskToken,
          output: JSON.stringify({ approved: true, by, at, ...(decision.reason ? { reason: decision.reason } : {}) }),
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
    if (isAwsError(error, 'TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken')) {
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
  };
}
