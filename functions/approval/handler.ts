import * as z from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { requireEnv } from '#shared/env';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable, VpcRefSchema } from '#shared/registry';
import { formatIssues } from '#shared/zod-issues';
import { ApprovalInputError, requestApproval } from './approval';
import { withdraw } from './decide';
import { redactTokens } from './redact';

export const Input = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('request'),
    taskToken: z.string().min(1),
    plan: PlanSchema,
    executionArn: z.string().min(1),
    executionName: z.string().min(1),
    timeoutSeconds: z.number().int().min(1),
  }),
  /** WithdrawPendingApproval (offboarding, under the lease): the VPC no longer asks to connect. */
  z.object({ action: z.literal('withdraw'), vpc: VpcRefSchema }),
]);

/**
 * RequestApproval: `{ action: 'request', taskToken, plan, executionArn, executionName, timeoutSeconds }`, invoked by
 * `lambda:invoke.waitForTaskToken`; WithdrawPendingApproval: `{ action: 'withdraw', vpc }` (offboarding). The token is stored, never logged: a bad input is reported by field path only.
 */
export const handler = lambdaHandler('approval', async (input: unknown) => {
  // The input carries the task token: whatever is logged of it goes through redaction.
  logger.debug('RequestApproval input', { input: redactTokens(input) });
  const parsed = Input.safeParse(input);
  if (!parsed.success) {
    throw new ApprovalInputError(
      `RequestApproval: invalid input at ${formatIssues(parsed.error, { show: 'path', root: '' })}`,
    );
  }
  const request = parsed.data;
  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  if (request.action === 'withdraw') {
    const { vpc } = request;
    logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: 'withdraw' });
    const registry = await heldRegistry(registryTable(config), vpc.fence, Date.now());
    const result = await withdraw(vpc, { registry, sfn: hub.sfn, now: () => Date.now() });
    logger.info('pending approval withdrawn', { withdrawn: result.withdrawn });
    return result;
  }
  logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId });
  return requestApproval(request, {
    registry: registryTable(config),
    sns: hub.sns,
    sfn: hub.sfn,
    topicArn: requireEnv('APPROVAL_TOPIC_ARN'),
    now: () => Date.now(),
  });
});
