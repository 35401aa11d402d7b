import { configFromEnv } from '#shared/config';
import { inputSchema } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { fenceOf, targetOf } from '#shared/workflow-state';
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
  const { action, executionArn, state } = request;
  const target = targetOf(state);
  if (target) logger.appendKeys({ vpcId: target.vpcId, accountId: target.accountId });
  const config = configFromEnv();
  const deps = {
    registry: await heldRegistry(registryTable(config), fenceOf(state), Date.now()),
    now: () => Date.now(),
  };
  if (action === 'connected') {
    if (!state.plan) throw new Error('RecordConsumer needs the plan ($.plan)');
    return recordConnected(state.plan, executionArn, deps);
  }
  if (action === 'offboarding' || action === 'disconnected') {
    if (!target) throw new Error(`${action} needs the VPC (the trigger event)`);
    return action === 'offboarding'
      ? recordOffboarding(target.vpcId, executionArn, deps)
      : archive(target.vpcId, executionArn, request.action === 'disconnected' ? request.removed : {}, deps);
  }
  const outcome = await recordFailure(state, executionArn, deps);
  logger.error('workflow failed', { outcome });
  return outcome;
});
