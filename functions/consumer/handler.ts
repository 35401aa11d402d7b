import * as z from 'zod';
import { hubEc2, spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable, VpcRefSchema, vpcOfPlan } from '#shared/registry';
import { type ConsumerResult, registerConsumer } from './consumer';
import { type ConsumerRemovalResult, removeEndpointAccess } from './remove';

export const Input = z.union([
  /** RegisterConsumer (no action: the onboarding ASL's original input). */
  z.object({ action: z.literal('register').optional(), plan: PlanSchema }),
  /** PruneEndpointAccess: after a change, the recorded rules the plan no longer wants. */
  z.object({ action: z.literal('prune'), plan: PlanSchema }),
  /** RemoveEndpointAccess: offboarding, every recorded rule and (if no other VPC of the account needs it) principal. */
  z.object({ action: z.literal('remove'), vpc: VpcRefSchema }),
]);

/**
 * RegisterConsumer `{ plan }` -> what was registered; PruneEndpointAccess `{ action: 'prune', plan }` and
 * RemoveEndpointAccess `{ action: 'remove', vpc }` -> what was removed (hub account only).
 */
export const handler = lambdaHandler(
  'consumer',
  async (input: unknown): Promise<ConsumerResult | ConsumerRemovalResult> => {
    const request = Input.parse(input);
    const config = configFromEnv();
    const fence = 'vpc' in request ? request.vpc.fence : request.plan.fence;
    const registry = await heldRegistry(registryTable(config), fence, Date.now());
    const deps = { hubEc2: hubEc2(config.hub.region), registry, now: () => Date.now() };
    if (request.action === 'remove' || request.action === 'prune') {
      const vpc = request.action === 'remove' ? request.vpc : vpcOfPlan(request.plan);
      logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: request.action });
      const names = new Map(Object.entries(config.endpointServices).map(([name, s]) => [s.serviceId, name]));
      return removeEndpointAccess(vpc, request.action === 'prune' ? request.plan : undefined, {
        ...deps,
        serviceNameOf: (serviceId) => names.get(serviceId),
      });
    }
    const { plan } = request;
    logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
    return registerConsumer(plan, {
      ...deps,
      spokeEc2: () => spokeEc2(config, plan.accountId, plan.region, { access: 'read' }),
    });
  },
);
