import { hubEc2, spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { registryOfRequest, removalOf } from '#shared/step-request';
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
  const registry = await registryOfRequest(registryTable(config), request);
  const deps = { hubEc2: hubEc2(config.hub.region), registry, now: () => Date.now() };
  if (request.action === 'remove' || request.action === 'prune') {
    const { vpc, keep } = removalOf(request);
    const names = new Map(Object.entries(config.endpointServices).map(([name, s]) => [s.serviceId, name]));
    return removeEndpointAccess(vpc, keep, {
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
