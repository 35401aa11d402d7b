import { PublishCommand } from '@aws-sdk/client-sns';
import { hubClients, spokeEc2, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema } from '#shared/contract';
import { requireEnv } from '#shared/env';
import { logger } from '#shared/logger';
import { lambdaHandler, metrics, publishHeadroom } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { ReconcileContract } from './contract';
import { type ReconcileResult, reconcile } from './reconcile';

const Input = inputSchema(ReconcileContract);

/** FindWork: `{ source, maxConcurrency? }` -> the executions to start and the drift to report. */
export const handler = lambdaHandler('reconcile', async (input: unknown): Promise<ReconcileResult> => {
  const request = Input.parse(input ?? {});
  logger.appendKeys({ source: request.source ?? 'manual' });
  const config = configFromEnv();
  const hub = hubClients(config.hub.region);
  const result = await reconcile(request, {
    config,
    organizations: hub.organizations,
    hubEc2: hub.ec2,
    spokeEc2: (accountId, region) => spokeEc2(config, accountId, region, { access: 'read' }),
    spokeProfiles: (accountId, region) => spokeRoute53Profiles(config, accountId, region, { access: 'read' }),
    registry: registryTable(config),
    now: () => Date.now(),
    notify: async (subject, message) => {
      await hub.sns.send(
        new PublishCommand({ TopicArn: requireEnv('FAILURE_TOPIC_ARN'), Subject: subject, Message: message }),
      );
    },
  });
  publishHeadroom(metrics, result.headroom);
  return result;
});
