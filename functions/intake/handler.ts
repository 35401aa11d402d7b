import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { workflowArnFromEnv } from '#shared/env';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { type IntakeResult, intake } from './intake';

/** EventBridge target (not a workflow step): queues and starts the onboarding or offboarding workflow of a VPC event. */
export const handler = lambdaHandler('intake', async (event: unknown): Promise<IntakeResult> => {
  const config = configFromEnv();
  const result = await intake(event, {
    config,
    registry: registryTable(config),
    sfn: hubClients(config.hub.region).sfn,
    stateMachineArn: (kind) => workflowArnFromEnv(kind),
    now: () => Date.now(),
  });
  if ('ignored' in result) logger.info('event ignored', { reason: result.ignored });
  else if ('duplicate' in result) logger.info('execution already started for this event', { name: result.name });
  else if ('queued' in result) logger.info('request queued', result.queued);
  else logger.info('execution started', result.started);
  return result;
});
