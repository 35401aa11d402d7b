import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { type DecisionResponse, handleDecision } from './decision';

/**
 * The decision function URL (`AWS_IAM` auth): `spokelink approve|deny` POSTs `{ vpcId, decision, reason?, request? }`
 * signed with the approver's credentials; the approver's ARN comes from the request context. Nothing of the request
 * is logged but the outcome (the body is the approver's text; the token never passes here).
 */
export const handler = lambdaHandler('decision', async (event: unknown): Promise<DecisionResponse> => {
  const config = configFromEnv();
  const response = await handleDecision(event, {
    registry: registryTable(config),
    sfn: hubClients(config.hub.region).sfn,
    now: () => Date.now(),
  });
  logger.info('decision', { statusCode: response.statusCode });
  return response;
});
