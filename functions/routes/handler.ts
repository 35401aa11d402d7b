import * as z from 'zod';
import { spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable, VpcRefSchema, vpcOfPlan } from '#shared/registry';
import { type RouteRemovalResult, removeSpokeRoutes } from './remove';
import { createSpokeRoutes, type RoutesResult } from './routes';

export const Input = z.union([
  /** CreateSpokeRoutes (no action: the onboarding ASL's original input). */
  z.object({ action: z.literal('create').optional(), plan: PlanSchema }),
  /** PruneSpokeRoutes: after a change, the recorded routes the plan no longer wants. */
  z.object({ action: z.literal('prune'), plan: PlanSchema }),
  /** RemoveSpokeRoutes: offboarding, every recorded route. */
  z.object({ action: z.literal('remove'), vpc: VpcRefSchema }),
]);

/** CreateSpokeRoutes `{ plan }`, PruneSpokeRoutes `{ action: 'prune', plan }`, RemoveSpokeRoutes `{ action: 'remove', vpc }`. */
export const handler = lambdaHandler('routes', async (input: unknown): Promise<RoutesResult | RouteRemovalResult> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const fence = 'vpc' in request ? request.vpc.fence : request.plan.fence;
  const registry = await heldRegistry(registryTable(config), fence, Date.now());
  if (request.action === 'remove' || request.action === 'prune') {
    const vpc = request.action === 'remove' ? request.vpc : vpcOfPlan(request.plan);
    logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: request.action });
    return removeSpokeRoutes(vpc, request.action === 'prune' ? request.plan : undefined, {
      spokeEc2: async () => spokeEc2(config, vpc.accountId, vpc.region, { access: 'write', vpcId: vpc.vpcId }),
      transitGatewayId: config.hub.transitGatewayId,
      registry,
      now: () => Date.now(),
    });
  }
  const { plan } = request;
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
  return createSpokeRoutes(plan, {
    spokeEc2: async () => spokeEc2(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
    registry,
    now: () => Date.now(),
  });
});
