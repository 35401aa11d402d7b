import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema } from '#shared/contract';
import { requireEnv } from '#shared/env';
import { ApprovalInputError } from '#shared/errors';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { formatIssues } from '#shared/zod-issues';
import { requestApproval } from './approval';
import { ApprovalContract } from './contract';
import { withdraw } from './decide';
import { redactTokens } from './redact';

export const Input = inputSchema(ApprovalContract);

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
