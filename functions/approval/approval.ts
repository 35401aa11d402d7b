import type { SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { escapeControl } from '#shared/display';
import { logger } from '#shared/logger';
import { type Plan, requestDigest } from '#shared/plan';
import type { RegistryTable } from '#shared/registry';
import { getApproval, type PendingApproval, putApproval } from '#shared/registry';
import { withdrawPending } from './decide';

/**
 * RequestApproval (`lambda:invoke.waitForTaskToken`): the onboarding of a VPC into a segment that `requiresApproval`
 * waits here. The task token is stored with the request in the registry (so `spokelink approve|deny VPC_ID` finds it)
 * and the approvers are told, on the approval topic, what was requested: account, VPC, segment, services, CIDRs, until
 * when, and how to answer. The execution resumes when SendTaskSuccess/SendTaskFailure is called with the token, or is
 * rejected when the Task's TimeoutSecondsPath (`approvals.timeoutSeconds`) runs out.
 */

export interface ApprovalDeps {
  registry: RegistryTable;
  sns: SNSClient;
  /** To withdraw the request this one replaces. */
  sfn: SFNClient;
  topicArn: string;
  now: () => number;
}

export interface ApprovalRequest {
  taskToken: string;
  plan: Plan;
  executionArn: string;
  executionName: string;
  timeoutSeconds: number;
}

/** The notification approvers receive (no token: the CLI looks it up by VPC id). */
export function approvalMessage(approval: PendingApproval, plan: Plan): string {
  return [
    `spokelink: ${plan.vpcId} (account ${plan.accountId}, ${plan.region}) asks to join segment ${plan.segment}, ` +
      'which requires approval.',
    '',
    `services: ${plan.services.join(', ') || 'none'}`,
    `CIDRs: ${plan.cidrs.join(', ')}`,
    `request: ${approval.requestDigest} (an approval is bound to this request: if the VPC asks for another segment, ` +
      'other services or has other CIDRs, it needs a new approval)',
    `execution: ${approval.executionName}`,
    `requested: ${approval.requestedAt}`,
    `decide before: ${new Date(approval.expiresAt * 1000).toISOString()} (then it is rejected: approval timed out)`,
    '',
    `approve: spokelink approve ${plan.vpcId} --request ${approval.requestDigest.slice(0, 12)} --reason "..."`,
    `deny:    spokelink deny ${plan.vpcId} --reason "..."`,
  ].join('\n');
}

/** Stores the request and notifies the approvers; the execution then waits for the token. */
export async function requestApproval(request: ApprovalRequest, deps: ApprovalDeps) {
  const { plan } = request;
  const now = deps.now();
  const approval: PendingApproval = {
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    region: plan.region,
    executionArn: request.executionArn,
    executionName: request.executionName,
    segment: plan.segment,
    services: plan.services,
    cidrs: plan.cidrs,
    requestDigest: requestDigest(plan),
    requestedAt: new Date(now).toISOString(),
    expiresAt: Math.floor(now / 1000) + request.timeoutSeconds,
    taskToken: request.taskToken,
  };
  // One pending request per VPC: a request the tenant replaced (other segment, services or CIDRs) is withdrawn, so
  // its execution ends now instead of waiting for its timeout, and no approver can act on what is no longer asked.
  const replaced = await getApproval(deps.registry, plan.vpcId);
  if (replaced && replaced.executionArn !== request.executionArn) {
    await withdrawPending(
      replaced,
      `${plan.vpcId} replaced this request by ${approval.requestDigest.slice(0, 12)} (execution ${request.executionName})`,
      deps,
    );
    logger.info('replaced pending approval withdrawn', { replacedExecution: replaced.executionName });
  }
  await putApproval(deps.registry, approval);
  const { MessageId } = await deps.sns.send(
    new PublishCommand({
      TopicArn: deps.topicArn,
      Subject: `spokelink: approve ${plan.vpcId} into ${plan.segment}?`.slice(0, 99),
      // The plan holds values an app team chose (segment, services): never raw control or bidi characters.
      Message: escapeControl(approvalMessage(approval, plan)),
      MessageAttributes: {
        vpcId: { DataType: 'String', StringValue: plan.vpcId },
        segment: { DataType: 'String', StringValue: plan.segment },
      },
    }),
  );
  logger.info('approval requested', {
    segment: plan.segment,
    execution: request.executionName,
    expiresAt: approval.expiresAt,
    messageId: MessageId,
  });
  return { requested: true, expiresAt: approval.expiresAt, messageId: MessageId };
}
