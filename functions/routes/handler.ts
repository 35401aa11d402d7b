import { z } from 'zod';
import { spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { registryTable } from '#shared/registry';
import { createSpokeRoutes, type RoutesResult } from './routes';

const Input = z.object({ plan: PlanSchema });

/** CreateSpokeRoutes: `{ plan }` -> the routes created and found. */
export const handler = async (input: unknown): Promise<RoutesResult> => {
  logger.resetKeys();
  const { plan } = Input.parse(input);
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
  const config = configFromEnv();
  return createSpokeRoutes(plan, {
    spokeEc2: async () => (await spokeClients(config, plan.accountId, plan.region)).ec2,
    registry: registryTable(config),
    now: () => Date.now(),
  });
};
