import * as z from 'zod';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable } from '#shared/registry';
import { fenceOf, targetOf, WorkflowStateSchema } from '#shared/workflow-state';
import { archive, type RemovalReport, recordOffboarding } from './offboarding';
import { recordConnected, recordFailure } from './record';

export const Input = z.object({
  action: z.enum(['connected', 'failure', 'offboarding', 'disconnected']),
  executionArn: z.string().min(1),
  /** The whole execution state (`"state.$": "$"`). */
  state: WorkflowStateSchema,
  /** ArchiveMembership: the removal steps' results (`$.removed`), for the summary. */
  removed: z.record(z.string(), z.unknown()).optional(),
});

/**
 * RecordConsumer (`connected`), RecordFailure (`failure`, also for offboarding), RecordOffboarding (`offboarding`)
 * and ArchiveMembership (`disconnected`).
 */
export const handler = lambdaHandler('records', async (input: unknown) => {
  const { action, executionArn, state, removed } = Input.parse(input);
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
      : archive(target.vpcId, executionArn, (removed ?? {}) as RemovalReport, deps);
  }
  const outcome = await recordFailure(state, executionArn, deps);
  logger.error('workflow failed', { outcome });
  return outcome;
});
