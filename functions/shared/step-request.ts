import { logger } from './logger';
import type { LeaseFence, Plan } from './plan';
import { heldRegistry, type RegistryTable } from './registry';
import { type RemovalTarget, removalTargetOfPlan } from './vpc-ref';

/**
 * The registry a step's request works on: held under the lease its `vpc` (a removal) or its `plan` carries
 * (heldRegistry renews it and fences every write).
 */
export function registryOfRequest(
  table: RegistryTable,
  request: { vpc: { fence?: LeaseFence } } | { plan: { fence?: LeaseFence } },
): Promise<RegistryTable> {
  return heldRegistry(table, 'vpc' in request ? request.vpc.fence : request.plan.fence, Date.now());
}

/**
 * A `prune` or `remove` request: the VPC to remove from (a prune's, from its plan) and the plan whose items stay
 * (a prune's; a remove keeps nothing). The log lines that follow name the VPC and the action.
 */
export function removalOf(request: { action: 'prune'; plan: Plan } | { action: 'remove'; vpc: RemovalTarget }): {
  vpc: RemovalTarget;
  keep: Plan | undefined;
} {
  const vpc = request.action === 'remove' ? request.vpc : removalTargetOfPlan(request.plan);
  logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: request.action });
  return { vpc, keep: request.action === 'prune' ? request.plan : undefined };
}
