import { z } from 'zod';
import { hubClients, spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { registryTable } from '#shared/registry';
import { associateZones, type ZonesResult } from './zones';

const Input = z.object({ plan: PlanSchema });

/** AssociateZones: `{ plan }` -> the zones associated now and those already associated. */
export const handler = async (input: unknown): Promise<ZonesResult> => {
  logger.resetKeys();
  const { plan } = Input.parse(input);
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
  const config = configFromEnv();
  return associateZones(plan, {
    hubRoute53: hubClients(config.hub.region).route53,
    spokeRoute53: async () => (await spokeClients(config, plan.accountId, plan.region)).route53,
    hubAccountId: config.hub.accountId,
    registry: registryTable(config),
    now: () => Date.now(),
  });
};
