import * as z from 'zod';
import { hubClients } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { IgnoredEventError } from '#shared/errors';
import { parseTrigger } from '#shared/events';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { type Lease, registryTable } from '#shared/registry';
import { acquire, begin, type LeaseDeps, type Onboarding, release } from './lease';

export const Input = z.discriminatedUnion('action', [
  /** The lease (onboarding and offboarding, first thing; onboarding again after an approval decision). */
  z.object({ action: z.literal('acquire'), event: z.unknown(), executionArn: z.string().min(1) }),
  /** Kept for executions started before `acquire` took the event: the same lease. */
  z.object({ action: z.literal('acquire-lease-only'), event: z.unknown(), executionArn: z.string().min(1) }),
  /** CIDR claims and the registry record, under the lease the plan was made under. */
  z.object({ action: z.literal('begin'), plan: PlanSchema, executionArn: z.string().min(1) }),
  z.object({
    action: z.literal('release'),
    /** The raw event (the VPC id comes from it, so release works on paths where no plan exists). */
    event: z.unknown(),
    executionArn: z.string().min(1),
  }),
]);

/**
 * AcquireLease / BeginOnboarding / ReleaseLease: `{ action: 'acquire', event, executionArn }` (the lease),
 * `{ action: 'begin', plan, executionArn }` (CIDR claims, registry record) or `{ action: 'release', event,
 * executionArn }`.
 */
export const handler = lambdaHandler(
  'lease',
  async (input: unknown): Promise<Lease | Onboarding | { released: boolean }> => {
    const request = Input.parse(input);
    const config = configFromEnv();
    const deps: LeaseDeps = {
      registry: registryTable(config),
      sfn: hubClients(config.hub.region).sfn,
      now: () => Date.now(),
    };
    if (request.action === 'begin') {
      logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId });
      return begin(request.plan, request.executionArn, deps);
    }
    const parsed = parseTrigger(request.event);
    if (request.action !== 'release') {
      if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
      logger.appendKeys({ vpcId: parsed.trigger.vpcId, accountId: parsed.trigger.accountId });
      return acquire(parsed.trigger.vpcId, request.executionArn, deps);
    }
    // An event that cannot be parsed never got as far as a lease.
    if (!parsed.ok) return { released: false };
    logger.appendKeys({ vpcId: parsed.trigger.vpcId, accountId: parsed.trigger.accountId });
    return release(parsed.trigger.vpcId, request.executionArn, deps);
  },
);
