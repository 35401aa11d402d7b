import { spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { removalTargetOfPlan } from '#shared/vpc-ref';
import { RoutesContract } from './contract';
import { removeSpokeRoutes } from './remove';
import { createSpokeRoutes } from './routes';

export const Input = inputSchema(RoutesContract);

/** CreateSpokeRoutes `{ plan }`, PruneSpokeRoutes `{ action: 'prune', plan }`, RemoveSpokeRoutes `{ action: 'remove', vpc }`. */
export const handler = lambdaHandler('routes', async (input: unknown): Promise<OutputOf<typeof RoutesContract>> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const fence = 'vpc' in request ? request.vpc.fence : request.plan.fence;
  const registry = await heldRegistry(registryTable(config), fence, Date.now());
  if (request.action === 'remove' || request.action === 'prune') {
    const vpc = request.action === 'remove' ? request.vpc : removalTargetOfPlan(request.plan);
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
