import { spokeEc2 } from '#shared/aws';
import { configFromEnv, type HubConfig } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { IgnoredEventError } from '#shared/errors';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, type RegistryTable, registryTable } from '#shared/registry';
import { vpcRefOfEvent } from '#shared/vpc-ref';
import { type OffboardPlan, RollbackContract } from './contract';
import { planOffboarding } from './plan';
import { noteWhatExists, planRollback, summarizeRollback } from './rollback';

export const Input = inputSchema(RollbackContract);

/**
 * PlanOffboarding `{ event }` -> what the offboarding will remove; and for the onboarding's rollback (docs/workflow.md,
 * "Rollback"): NoteWhatExists `{ action: 'inventory', plan }`, PlanRollback `{ action: 'plan-rollback', plan, before }`
 * and SummarizeRollback (the same and the rollback's results). Mutates nothing: the removals are the routes, zones,
 * consumer and transit-gateway functions.
 */
export const handler = lambdaHandler('offboard', async (input: unknown): Promise<OutputOf<typeof RollbackContract>> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const registry = registryTable(config);
  if (request.action === 'inventory') {
    logger.appendKeys({ vpcId: request.plan.vpcId, accountId: request.plan.accountId, action: request.action });
    return noteWhatExists(request.plan, { registry });
  }
  if (!('plan' in request)) {
    const fence = request.lease && {
      vpcId: request.lease.vpcId,
      owner: request.lease.owner,
      token: request.lease.token,
    };
    return offboardingPlan(request.event, config, await heldRegistry(registry, fence, Date.now()));
  }
  const { plan } = request;
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId, action: request.action });
  if (request.action === 'summarize-rollback') {
    const outcome = await summarizeRollback(request, { registry });
    logger.info('rollback outcome', { outcome });
    return outcome;
  }
  const rollback = await planRollback(request, {
    spokeEc2: () => spokeEc2(config, plan.accountId, plan.region, { access: 'read' }),
    registry,
  });
  logger.info('rollback plan', { mode: rollback.mode, reason: rollback.reason, toUndo: rollback.toUndo });
  return rollback;
});

/** PlanOffboarding: `{ event }` (the trigger) -> what the offboarding will remove. */
async function offboardingPlan(event: unknown, config: HubConfig, registry: RegistryTable): Promise<OffboardPlan> {
  const parsed = vpcRefOfEvent(event);
  if (!parsed.ok) throw new IgnoredEventError(parsed.reason);
  const { vpcId, accountId, region } = parsed.vpc;
  logger.appendKeys({ vpcId, accountId, region });
  const plan = await planOffboarding(parsed.vpc, {
    spokeEc2: () => spokeEc2(config, accountId, region, { access: 'read' }),
    registry,
  });
  logger.info('offboarding plan', { plan });
  return registry.fence ? { ...plan, vpc: { ...plan.vpc, fence: registry.fence } } : plan;
}
