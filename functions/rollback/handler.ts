import * as z from 'zod';
import { spokeEc2 } from '#shared/aws';
import { configFromEnv, type HubConfig } from '#shared/config';
import { IgnoredEventError } from '#shared/errors';
import { parseTrigger } from '#shared/events';
import { logger } from '#shared/logger';
import { LeaseFenceSchema, PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, type RegistryTable, registryTable } from '#shared/registry';
import { type OffboardPlan, planOffboarding } from './plan';
import {
  type Inventory,
  noteWhatExists,
  planRollback,
  type RollbackOutcome,
  type RollbackPlan,
  RollbackStateSchema,
  summarizeRollback,
} from './rollback';

export const Input = z.union([
  /** PlanOffboarding (no action: the offboarding ASL's original input). */
  z.object({
    action: z.literal('plan-offboarding').optional(),
    event: z.unknown(),
    /** The lease the offboarding holds: the removal steps renew it and fence their registry writes with it. */
    lease: LeaseFenceSchema.optional(),
  }),
  /** NoteWhatExists (onboarding of a member): what the record lists before anything changes. */
  z.object({ action: z.literal('inventory'), plan: PlanSchema }),
  /** PlanRollback and SummarizeRollback (onboarding failure path): the whole execution state (`"state.$": "$"`). */
  z.object({ action: z.enum(['plan-rollback', 'summarize-rollback']), state: RollbackStateSchema }),
]);

/**
 * PlanOffboarding `{ event }` -> what the offboarding will remove; and for the onboarding's rollback (docs/workflow.md,
 * "Rollback"): NoteWhatExists `{ action: 'inventory', plan }`, PlanRollback `{ action: 'plan-rollback', state }` and
 * SummarizeRollback `{ action: 'summarize-rollback', state }`. Mutates nothing: the removals are the routes, zones,
 * consumer and transit-gateway functions.
 */
export const handler = lambdaHandler(
  'rollback',
  async (input: unknown): Promise<OffboardPlan | Inventory | RollbackPlan | RollbackOutcome> => {
    const request = Input.parse(input);
    const config = configFromEnv();
    const registry = registryTable(config);
    if (request.action === 'inventory') {
      logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId, action: request.action });
      return noteWhatExists(request.plan, { registry });
    }
    if (!('state' in request)) {
      const fence = request.lease && {
        vpcId: request.lease.vpcId,
        owner: request.lease.owner,
        token: request.lease.token,
      };
      return offboardingPlan(request.event, config, await heldRegistry(registry, fence, Date.now()));
    }
    const { plan } = request.state;
    logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId, action: request.action });
    if (request.action === 'summarize-rollback') {
      const outcome = await summarizeRollback(request.state, { registry });
      logger.info('rollback outcome', { outcome });
      return outcome;
    }
    const rollback = await planRollback(request.state, {
      spokeEc2: () => spokeEc2(config, plan.accountId, plan.region, { access: 'read' }),
      registry,
    });
    logger.info('rollback plan', { mode: rollback.mode, reason: rollback.reason, toUndo: rollback.toUndo });
    return rollback;
  },
);

/** PlanOffboarding: `{ event }` (the trigger) -> what the offboarding will remove. */
async function offboardingPlan(event: unknown, config: HubConfig, registry: RegistryTable): Promise<OffboardPlan> {
  const parsed = parseTrigger(event);
  if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
  const { vpcId, accountId, region } = parsed.trigger;
  logger.appendKeys({ vpcId, accountId, region });
  const plan = await planOffboarding(
    { vpcId, accountId, region },
    {
      spokeEc2: () => spokeEc2(config, accountId, region, { access: 'read' }),
      registry,
    },
  );
  logger.info('offboarding plan', { plan });
  return registry.fence ? { ...plan, vpc: { ...plan.vpc, fence: registry.fence } } : plan;
}
