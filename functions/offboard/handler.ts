import * as z from 'zod';
import { spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { IgnoredEventError } from '#shared/errors';
import { parseTrigger } from '#shared/events';
import { logger } from '#shared/logger';
import { registryTable } from '#shared/registry';
import { type OffboardPlan, planOffboarding } from './plan';

const Input = z.object({ event: z.unknown() });

/** PlanOffboarding: `{ event }` (the trigger) -> what the offboarding will remove. Mutates nothing. */
export const handler = async (input: unknown): Promise<OffboardPlan> => {
  logger.resetKeys();
  const { event } = Input.parse(input);
  const parsed = parseTrigger(event);
  if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
  const { vpcId, accountId, region } = parsed.trigger;
  logger.appendKeys({ vpcId, accountId, region });
  const config = configFromEnv();
  const plan = await planOffboarding(
    { vpcId, accountId, region },
    {
      spokeEc2: async () => (await spokeClients(config, accountId, region)).ec2,
      registry: registryTable(config),
    },
  );
  logger.info('offboarding plan', { plan });
  return plan;
};
