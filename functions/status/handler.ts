import * as z from 'zod';
import { spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { CaughtErrorSchema } from '#shared/failure';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { getApproval, registryTable } from '#shared/registry';
import { fenceOf, targetOf, WorkflowStateSchema } from '#shared/workflow-state';
import { type RollbackReport, type StatusResult, setStatus } from './status';

/** The execution state, with what the onboarding's rollback left in it (SummarizeRollback, its caught errors). */
const StateSchema = WorkflowStateSchema.extend({
  rollbackOutcome: z.object({ summary: z.string() }).optional().catch(undefined),
  rollbackFailure: z.record(z.string(), CaughtErrorSchema).optional().catch(undefined),
});

export const Input = z.object({
  status: z.enum([
    'onboarding',
    'pending-approval',
    'pending',
    'connected',
    'quarantined',
    'rejected',
    'failed',
    'offboarding',
    'disconnected',
  ]),
  executionName: z.string().min(1),
  executionArn: z.string().min(1),
  /** `$$.Execution.StartTime`: an execution never overwrites the status of one that started later. */
  executionStartTime: z.string().min(1).optional(),
  /** The whole execution state (`"state.$": "$"`). */
  state: StateSchema,
  /** A detail the workflow computed (offboarding plan, drift found by reconcile); `failed` always names the step. */
  detail: z.string().optional(),
});

/** The rollback's summary, or, when SummarizeRollback failed, which step failed. */
function rollbackOf(state: z.infer<typeof StateSchema>): RollbackReport | undefined {
  if (state.rollbackOutcome) return { summary: state.rollbackOutcome.summary };
  const failed = Object.entries(state.rollbackFailure ?? {}).at(-1);
  return failed ? { unsummarized: { step: failed[0], error: failed[1].Error } } : undefined;
}

/** SetStatus* states: writes the status tags on the VPC. */
export const handler = lambdaHandler('status', async (input: unknown): Promise<StatusResult> => {
  const { status, executionName, executionArn, executionStartTime, state, detail } = Input.parse(input);
  const target = targetOf(state);
  if (target) logger.appendKeys({ vpcId: target.vpcId, accountId: target.accountId });
  const config = configFromEnv();
  const registry = registryTable(config);
  return setStatus(
    status,
    target,
    state,
    {
      name: executionName,
      arn: executionArn,
      ...(executionStartTime ? { startedAt: executionStartTime } : {}),
      ...(fenceOf(state) ? { fence: fenceOf(state) } : {}),
    },
    {
      spokeEc2: (t) => spokeEc2(config, t.accountId, t.region, { access: 'write', vpcId: t.vpcId }),
      registry,
      now: () => Date.now(),
      pendingApproval: async (vpcId) => {
        const pending = await getApproval(registry, vpcId);
        return pending && { executionArn: pending.executionArn, expiresAt: pending.expiresAt };
      },
    },
    { detail, rollback: rollbackOf(state) },
  );
});
