import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import {
  acquireLease,
  beginOnboarding,
  claimCidrs,
  getRecord,
  heldRegistry,
  LEASE_TTL_SECONDS,
  type Lease,
  type RegistryTable,
  releaseLease,
} from '#shared/registry';
import type { Onboarding } from './contract';

export interface LeaseDeps {
  registry: RegistryTable;
  sfn: SFNClient;
  now: () => number;
}

/**
 * Whether an execution still runs. Unknown answers count as running: taking over a live execution's lease would let
 * two executions interleave, while waiting only delays.
 */
export async function isExecutionRunning(sfn: SFNClient, executionArn: string): Promise<boolean> {
  try {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return status === 'RUNNING' || status === 'PENDING_REDRIVE';
  } catch (error) {
    if (isAwsError(error, 'ExecutionDoesNotExist')) return false;
    logger.warn('cannot tell whether the lease holder still runs; assuming it does', { executionArn, error });
    return true;
  }
}

/**
 * AcquireLease (onboarding, offboarding, and again after an approval decision): takes the VPC's lease (VpcBusyError
 * while another live execution holds it). Idempotent for the same execution. Everything that decides what to do
 * (ValidateAndPlan, PlanOffboarding) runs after it, on state read under the lease.
 */
export async function acquire(vpcId: string, executionArn: string, deps: LeaseDeps): Promise<Lease> {
  return acquireLease(deps.registry, {
    vpcId,
    owner: executionArn,
    now: deps.now(),
    ttlSeconds: LEASE_TTL_SECONDS,
    isOwnerLive: (owner) => isExecutionRunning(deps.sfn, owner),
  });
}

/**
 * BeginOnboarding, under the lease the plan was made under (`plan.fence`): claims the VPC's CIDRs race-free against
 * other VPCs (RejectedError `cidr-overlap`) and starts the registry record (status onboarding, this execution
 * appended), fenced by the lease token. Idempotent for the same execution.
 */
export async function begin(plan: Plan, executionArn: string, deps: LeaseDeps): Promise<Onboarding> {
  const registry = await heldRegistry(deps.registry, plan.fence, deps.now());
  const previous = await getRecord(registry, plan.vpcId);
  const { buckets } = await claimCidrs(registry, {
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    cidrs: plan.cidrs,
    previousCidrs: previous && previous.status !== 'disconnected' ? previous.cidrs : [],
  });
  await beginOnboarding(registry, plan, executionArn, deps.now());
  return { claimedBuckets: buckets };
}

/** ReleaseLease: gives the lease back if this execution holds it (never fails because it does not). */
export async function release(vpcId: string, executionArn: string, deps: LeaseDeps): Promise<{ released: boolean }> {
  return { released: await releaseLease(deps.registry, vpcId, executionArn) };
}
