import { spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { registryOfRequest, removalOf } from '#shared/step-request';
import { RoutesContract } from './contract';
import { removeSpokeRoutes } from './remove';
import { createSpokeRoutes } from './routes';

export const Input = inputSchema(RoutesContract);

/** CreateSpokeRoutes `{ plan }`, PruneSpokeRoutes `{ action: 'prune', plan }`, RemoveSpokeRoutes `{ action: 'remove', vpc }`. */
export const handler = lambdaHandler('routes', async (input: unknown): Promise<OutputOf<typeof RoutesContract>> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const registry = await registryOfRequest(registryTable(config), request);
  if (request.action === 'remove' || request.action === 'prune') {
    const { vpc, keep } = removalOf(request);
    return removeSpokeRoutes(vpc, keep, {
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
