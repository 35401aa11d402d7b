import { z } from 'zod';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { registryTable } from '#shared/registry';
import { targetOf, WorkflowStateSchema } from '#shared/workflow-state';
import { recordConnected, recordFailure } from './registry';

const Input = z.object({
  action: z.enum(['connected', 'failure']),
  executionArn: z.string().min(1),
  /** The whole execution state (`"state.$": "$"`). */
  state: WorkflowStateSchema,
});

/** RecordConsumer (`action: 'connected'`) and RecordFailure (`action: 'failure'`). */
export const handler = async (input: unknown) => {
  logger.resetKeys();
  const { action, executionArn, state } = Input.parse(input);
  const target = targetOf(state);
  if (target) logger.appendKeys({ vpcId: target.vpcId, accountId: target.accountId });
  const config = configFromEnv();
  const deps = { registry: registryTable(config), now: () => Date.now() };
  if (action === 'connected') {
    if (!state.plan) throw new Error('RecordConsumer needs the plan ($.plan)');
    return recordConnected(state.plan, executionArn, deps);
  }
  const outcome = await recordFailure(state, executionArn, deps);
  logger.error('onboarding failed', { outcome });
  return outcome;
};
