import { hubEc2, spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { removalTargetOfPlan } from '#shared/vpc-ref';
import { registerConsumer } from './consumer';
import { ConsumerContract } from './contract';
import { removeEndpointAccess } from './remove';

export const Input = inputSchema(ConsumerContract);

/**
 * RegisterConsumer `{ plan }` -> what was registered; PruneEndpointAccess `{ action: 'prune', plan }` and
 * RemoveEndpointAccess `{ action: 'remove', vpc }` -> what was removed (hub account only).
 */
export const handler = lambdaHandler('consumer', async (input: unknown): Promise<OutputOf<typeof ConsumerContract>> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const fence = 'vpc' in request ? request.vpc.fence : request.plan.fence;
  const registry = await heldRegistry(registryTable(config), fence, Date.now());
  const deps = { hubEc2: hubEc2(config.hub.region), registry, now: () => Date.now() };
  if (request.action === 'remove' || request.action === 'prune') {
    const vpc = request.action === 'remove' ? request.vpc : removalTargetOfPlan(request.plan);
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
});
