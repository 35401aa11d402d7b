import * as z from 'zod';
import { hubClients, spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { IgnoredEventError } from '#shared/errors';
import { parseTrigger } from '#shared/events';
import { logger } from '#shared/logger';
import { getRecord, registryTable } from '#shared/registry';
import { approvalFor, assessChange, type PlannedRequest } from './change';
import { validateAndPlan } from './validate';

const Input = z.object({ event: z.unknown() });

/**
 * ValidateAndPlan and RevalidateAfterApproval: `{ event }` (the raw EventBridge event) -> the Plan, with what it
 * changes compared with the registry record and whether it needs an approval (./change.ts). Mutates nothing.
 */
export const handler = async (input: unknown): Promise<PlannedRequest> => {
  logger.resetKeys();
  const { event } = Input.parse(input);
  const parsed = parseTrigger(event);
  // The intake already filtered events; this is defence in depth for executions started by hand.
  if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
  const { vpcId, accountId, region } = parsed.trigger;
  logger.appendKeys({ vpcId, accountId, region });

  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  const registry = registryTable(config);
  const plan = await validateAndPlan(
    { vpcId, accountId, region },
    {
      config,
      spoke: () => spokeClients(config, accountId, region),
      hub: { route53: hub.route53, organizations: hub.organizations },
      registry,
    },
  );
  const change = assessChange(plan, await getRecord(registry, vpcId));
  const planned: PlannedRequest = { ...plan, change, approval: approvalFor(config, plan, change) };
  logger.info('plan', { plan: planned });
  return planned;
};
