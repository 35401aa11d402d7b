import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { requireEnv } from '#shared/env';
import { logger } from '#shared/logger';
import { type IntakeResult, intake } from './intake';

/** EventBridge target (not a workflow step): starts the onboarding or offboarding workflow for a VPC event. */
export const handler = async (event: unknown): Promise<IntakeResult> => {
  logger.resetKeys();
  const config = configFromEnv();
  const result = await intake(event, {
    config,
    sfn: hubClients(config.hub.region).sfn,
    stateMachineArn: (kind) =>
      requireEnv(kind === 'onboard' ? 'ONBOARD_STATE_MACHINE_ARN' : 'OFFBOARD_STATE_MACHINE_ARN'),
  });
  if ('ignored' in result) logger.info('event ignored', { reason: result.ignored });
  else if ('duplicate' in result) logger.info('execution already started for this event', { name: result.name });
  else logger.info('execution started', result.started);
  return result;
};
