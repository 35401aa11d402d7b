import { configFromEnv } from '#shared/config';
import { inputSchema } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { vpcRefOf } from '#shared/vpc-ref';
import { targetOf } from '#shared/workflow-state';
import { RecordsContract } from './contract';
import { archive, recordOffboarding } from './offboarding';
import { recordConnected, recordFailure } from './record';

export const Input = inputSchema(RecordsContract);

/**
 * RecordConsumer (`connected`), RecordFailure (`failure`, also for offboarding), RecordOffboarding (`offboarding`)
 * and ArchiveMembership (`disconnected`).
 */
export const handler = lambdaHandler('records', async (input: unknown) => {
  const request = Input.parse(input);
  const { executionArn, lease } = request;
  const target = request.action === 'connected' ? vpcRefOf(request.plan) : targetOf(request.event);
  if (target) logger.appendKeys({ vpcId: target.vpcId, accountId: target.accountId });
  const config = configFromEnv();
  const deps = {
    registry: await heldRegistry(registryTable(config), lease, Date.now()),
    hub: { transitGatewayId: config.hub.transitGatewayId },
    now: () => Date.now(),
  };
  if (request.action === 'connected') return recordConnected(request.plan, executionArn, deps);
  if (request.action === 'failure') {
    const outcome = await recordFailure(request, target, executionArn, deps);
    logger.error('workflow failed', { outcome });
    return outcome;
  }
  if (!target) throw new Error(`${request.action} needs the VPC (the trigger event)`);
  return request.action === 'offboarding'
    ? recordOffboarding(target.vpcId, executionArn, deps)
    : archive(target.vpcId, executionArn, request.removed, deps);
});
