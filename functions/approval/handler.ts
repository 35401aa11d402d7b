import * as z from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { requireEnv } from '#shared/env';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { registryTable } from '#shared/registry';
import { ApprovalInputError, requestApproval } from './approval';
import { redactTokens } from './redact';

const Input = z.object({
  action: z.literal('request'),
  taskToken: z.string().min(1),
  plan: PlanSchema,
  executionArn: z.string().min(1),
  executionName: z.string().min(1),
  timeoutSeconds: z.number().int().min(1),
});

/**
 * RequestApproval: `{ action: 'request', taskToken, plan, executionArn, executionName, timeoutSeconds }`, invoked by
 * `lambda:invoke.waitForTaskToken`. The token is stored, never logged: a bad input is reported by field path only.
 */
export const handler = async (input: unknown) => {
  logger.resetKeys();
  // The input carries the task token: whatever is logged of it goes through redaction.
  logger.debug('RequestApproval input', { input: redactTokens(input) });
  const parsed = Input.safeParse(input);
  if (!parsed.success) {
    throw new ApprovalInputError(
      `RequestApproval: invalid input at ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  const request = parsed.data;
  logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId });
  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  return requestApproval(request, {
    registry: registryTable(config),
    sns: hub.sns,
    topicArn: requireEnv('APPROVAL_TOPIC_ARN'),
    now: () => Date.now(),
  });
};
