import * as z from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { IgnoredEventError } from '#shared/errors';
import { parseTrigger } from '#shared/events';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { type Lease, registryTable } from '#shared/registry';
import { type AcquiredLease, acquire, acquireOnly, type LeaseDeps, release } from './lease';

const Input = z.discriminatedUnion('action', [
  z.object({ action: z.literal('acquire'), plan: PlanSchema, executionArn: z.string().min(1) }),
  /** Lease only (no CIDR claims, no record): for workflows without a plan, such as offboarding. */
  z.object({ action: z.literal('acquire-lease-only'), event: z.unknown(), executionArn: z.string().min(1) }),
  z.object({
    action: z.literal('release'),
    /** The raw event (the VPC id comes from it, so release works on paths where no plan exists). */
    event: z.unknown(),
    executionArn: z.string().min(1),
  }),
]);

/**
 * AcquireLease / ReleaseLease: `{ action: 'acquire', plan, executionArn }` (lease, CIDR claims, registry record),
 * `{ action: 'acquire-lease-only', event, executionArn }` (the lease alone, for the offboarding workflow) or
 * `{ action: 'release', event, executionArn }`.
 */
export const handler = async (input: unknown): Promise<AcquiredLease | Lease | { released: boolean }> => {
  logger.resetKeys();
  const request = Input.parse(input);
  const config = configFromEnv();
  const deps: LeaseDeps = {
    registry: registryTable(config),
    sfn: hubClients(config.hub.region).sfn,
    now: () => Date.now(),
  };
  if (request.action === 'acquire') {
    logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId });
    return acquire(request.plan, request.executionArn, deps);
  }
  const parsed = parseTrigger(request.event);
  if (request.action === 'acquire-lease-only') {
    if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
    logger.appendKeys({ vpcId: parsed.trigger.vpcId, accountId: parsed.trigger.accountId });
    return acquireOnly(parsed.trigger.vpcId, request.executionArn, deps);
  }
  // An event that cannot be parsed never got as far as a lease.
  if (!parsed.ok) return { released: false };
  logger.appendKeys({ vpcId: parsed.trigger.vpcId, accountId: parsed.trigger.accountId });
  return release(parsed.trigger.vpcId, request.executionArn, deps);
};
