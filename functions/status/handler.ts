import * as z from 'zod';
import { spokeClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { getApproval, registryTable } from '#shared/registry';
import { targetOf, WorkflowStateSchema } from '#shared/workflow-state';

import { type StatusResult, setStatus } from './status';

const Input = z.object({
  status: z.enum(['onboarding', 'pending-approval', 'connected', 'rejected', 'failed', 'offboarding', 'disconnected']),
  executionName: z.string().min(1),
  executionArn: z.string().min(1),
  /** The whole execution state (`"state.$": "$"`). */
  state: WorkflowStateSchema,
  /** A detail the workflow computed (offboarding plan, drift found by reconcile); `failed` always names the step. */
  detail: z.string().optional(),
});

/** SetStatus* states: writes the status tags on the VPC. */
export const handler = async (input: unknown): Promise<StatusResult> => {
  logger.resetKeys();
  const { status, executionName, executionArn, state, detail } = Input.parse(input);
  const target = targetOf(state);
  if (target) logger.appendKeys({ vpcId: target.vpcId, accountId: target.accountId });
  const config = configFromEnv();
  const registry = registryTable(config);
  return setStatus(
    status,
    target,
    state,
    { name: executionName, arn: executionArn },
    {
      spokeEc2: async (t) => (await spokeClients(config, t.accountId, t.region)).ec2,
      registry,
      now: () => Date.now(),
      pendingApproval: async (vpcId) => {
        const pending = await getApproval(registry, vpcId);
        return pending && { executionArn: pending.executionArn, expiresAt: pending.expiresAt };
      },
    },
    { detail },
  );
};
