import * as z from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { requireEnv } from '#shared/env';
import { accountOfExecutionInput } from '#shared/events';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { flushAll, type NotifyDeps, recordFailure } from './notify';

/** The Step Functions status-change event of an execution that ended unsuccessfully (EventBridge, `aws.states`). */
const StatusChange = z.object({
  source: z.literal('aws.states'),
  detail: z.object({
    name: z.string(),
    status: z.string(),
    input: z.string().nullish(),
    error: z.string().nullish(),
  }),
});

/**
 * Failure notifications (not a workflow step): a status-change event of a failed, timed-out or aborted execution is
 * counted for its account; the minute schedule (`{ "source": "schedule" }`) sends the counts whose window is over.
 */
export const handler = lambdaHandler(
  'notify-failures',
  async (event: unknown): Promise<{ sent: number; pending: number }> => {
    const config = configFromEnv();
    const deps: NotifyDeps = {
      config,
      registry: registryTable(config),
      sns: hubClients(config.hub.region).sns,
      topicArn: requireEnv('FAILURE_TOPIC_ARN'),
      now: () => Date.now(),
    };
    const change = StatusChange.safeParse(event);
    if (change.success) {
      const { name, status, input, error } = change.data.detail;
      await recordFailure(
        { accountId: accountOfExecutionInput(input) ?? 'hub', name, status, ...(error ? { error } : {}) },
        deps,
      );
    }
    return flushAll(deps);
  },
);
