import type * as z from 'zod';
import { spokeEc2 } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema, parseStepInput } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { getApproval, registryTable } from '#shared/registry';
import { targetOf } from '#shared/workflow-state';
import { StatusContract, type StatusReads, type StatusResult } from './contract';
import { type RollbackReport, setStatus } from './status';

export const Input = inputSchema(StatusContract);

/** The SetStatus* input, parsed by its contract (StepInputError when it is not in that shape). */
export function statusInput(input: unknown): z.infer<typeof StatusContract.set.input> {
  return parseStepInput(Input, 'SetStatus', input);
}

/** The rollback's summary, or, when SummarizeRollback failed, which step failed. */
export function rollbackOf(reads: StatusReads): RollbackReport | undefined {
  if (reads.rollbackOutcome) return { summary: reads.rollbackOutcome.summary };
  const failed = Object.entries(reads.rollbackFailure ?? {}).at(-1);
  return failed ? { unsummarized: { step: failed[0], error: failed[1].Error } } : undefined;
}

/** SetStatus* states: writes the status tags on the VPC. */
export const handler = lambdaHandler('status', async (input: unknown): Promise<StatusResult> => {
  const { status, executionName, executionArn, executionStartTime, event, lease, detail, ...reads } =
    statusInput(input);
  const target = targetOf(event);
  if (target) logger.appendKeys({ vpcId: target.vpcId, accountId: target.accountId });
  const config = configFromEnv();
  const registry = registryTable(config);
  return setStatus(
    status,
    target,
    reads,
    {
      name: executionName,
      arn: executionArn,
      ...(executionStartTime ? { startedAt: executionStartTime } : {}),
      ...(lease ? { fence: lease } : {}),
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
    { detail, rollback: rollbackOf(reads) },
  );
});
