import { z } from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { registryTable } from '#shared/registry';
import { type ConsumerResult, registerConsumer } from './consumer';

const Input = z.object({ plan: PlanSchema });

/** RegisterConsumer: `{ plan }` -> what was registered (hub account only). */
export const handler = async (input: unknown): Promise<ConsumerResult> => {
  logger.resetKeys();
  const { plan } = Input.parse(input);
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
  const config = configFromEnv();
  return registerConsumer(plan, {
    hubEc2: hubClients(config.hub.region).ec2,
    registry: registryTable(config),
    now: () => Date.now(),
  });
};
