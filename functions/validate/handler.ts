import { z } from 'zod';
import { hubClients, spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { IgnoredEventError } from '#shared/errors';
import { parseTrigger } from '#shared/events';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import { registryTable } from '#shared/registry';
import { validateAndPlan } from './validate';

const Input = z.object({ event: z.unknown() });

/** ValidateAndPlan: `{ event }` (the raw EventBridge event) -> the Plan. Mutates nothing. */
export const handler = async (input: unknown): Promise<Plan> => {
  logger.resetKeys();
  const { event } = Input.parse(input);
  const parsed = parseTrigger(event);
  // The intake already filtered events; this is defence in depth for executions started by hand.
  if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
  const { vpcId, accountId, region } = parsed.trigger;
  logger.appendKeys({ vpcId, accountId, region });

  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  const plan = await validateAndPlan(
    { vpcId, accountId, region },
    {
      config,
      spoke: () => spokeClients(config, accountId, region),
      hub: { route53: hub.route53, organizations: hub.organizations },
      registry: registryTable(config),
    },
  );
  logger.info('plan', { plan });
  return plan;
};
