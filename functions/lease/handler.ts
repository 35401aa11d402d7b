import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { IgnoredEventError } from '#shared/errors';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { registryTable } from '#shared/registry';
import { vpcRefOfEvent } from '#shared/vpc-ref';
import { LeaseContract } from './contract';
import { acquire, begin, type LeaseDeps, release } from './lease';

export const Input = inputSchema(LeaseContract);

/**
 * AcquireLease / BeginOnboarding / ReleaseLease: `{ action: 'acquire', event, executionArn }` (the lease),
 * `{ action: 'begin', plan, executionArn }` (CIDR claims, registry record) or `{ action: 'release', event,
 * executionArn }`.
 */
export const handler = lambdaHandler('lease', async (input: unknown): Promise<OutputOf<typeof LeaseContract>> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const deps: LeaseDeps = {
    registry: registryTable(config),
    config,
    sfn: hubClients(config.hub.region).sfn,
    now: () => Date.now(),
  };
  if (request.action === 'begin') {
    logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId });
    return begin(request.plan, request.executionArn, deps);
  }
  const parsed = vpcRefOfEvent(request.event);
  if (request.action !== 'release') {
    if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
    logger.appendKeys({ vpcId: parsed.vpc.vpcId, accountId: parsed.vpc.accountId });
    return acquire(parsed.vpc.vpcId, request.executionArn, deps);
  }
  // An event that cannot be parsed never got as far as a lease.
  if (!parsed.ok) return { released: false };
  logger.appendKeys({ vpcId: parsed.vpc.vpcId, accountId: parsed.vpc.accountId });
  return release(parsed.vpc.vpcId, request.executionArn, deps);
});
