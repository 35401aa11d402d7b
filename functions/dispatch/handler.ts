import * as z from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { workflowArnFromEnv } from '#shared/env';
import { accountOfExecutionInput } from '#shared/events';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { type DispatchResult, dispatch } from './dispatch';

/**
 * A Step Functions status change (EventBridge, `aws.states`): an execution ended, its account has a free slot. The
 * event's `detail.input` is the execution's input, the raw tag event whose `account` is the VPC's account.
 */
const StatusChange = z.object({
  source: z.literal('aws.states'),
  detail: z.object({ executionArn: z.string(), status: z.string(), input: z.string().nullish() }),
});

/**
 * The dispatcher of the intake queue (not a workflow step): on an execution's end, the queue of its account; on the
 * minute schedule (`{ "source": "schedule" }`) or any other input, the queue of every account.
 */
export const handler = lambdaHandler('dispatch', async (event: unknown): Promise<DispatchResult> => {
  const config = configFromEnv();
  const change = StatusChange.safeParse(event);
  const accountId = change.success ? accountOfExecutionInput(change.data.detail.input) : undefined;
  const ended = change.success ? change.data.detail.executionArn : undefined;
  return dispatch(accountId === undefined ? {} : { accountId, ended }, {
    config,
    registry: registryTable(config),
    sfn: hubClients(config.hub.region).sfn,
    stateMachineArn: (kind) => workflowArnFromEnv(kind),
    now: () => Date.now(),
  });
});
