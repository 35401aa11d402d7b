import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { HubConfig } from '#shared/config';
import { isAwsError, RejectedError } from '#shared/errors';
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
  releaseShardSlot,
  takeShardSlot,
} from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import { shardUseOf } from '#shared/shards';
import type { Onboarding } from './contract';

export interface LeaseDeps {
  registry: RegistryTable;
  /** The quotas a shard's slots are counted against (`capacity.raisedQuotas`); needed for a plan with a shard. */
  capacity?: HubConfig['capacity'];
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
 * other VPCs (RejectedError `cidr-overlap`), takes the VPC's slot in its endpoint shard (RejectedError `capacity` when
 * another onboarding took the last one since validation; the claims are given back) and starts the registry record (status onboarding, this execution
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
  await moveShardSlot(registry, plan, previous, deps.capacity);
  await beginOnboarding(registry, plan, executionArn, deps.now());
  return { claimedBuckets: buckets };
}

/**
 * The VPC's slot in the shard of its plan (functions/shared/shards.ts), and none in the shard its previous membership
 * recorded when that is another (a segment change, or a shard the configuration no longer has). A `capacity` rejection
 * gives the CIDR claims just made back: nothing stays half-made.
 */
async function moveShardSlot(
  registry: RegistryTable,
  plan: Plan,
  previous: ConsumerRecord | undefined,
  capacity: HubConfig['capacity'] | undefined,
) {
  if (plan.shard !== undefined) {
    if (!capacity) throw new Error('BeginOnboarding: a plan with a shard needs the capacity configuration');
    try {
      await takeShardSlot(
        registry,
        { capacity },
        {
          segment: plan.segment,
          shard: plan.shard,
          vpcId: plan.vpcId,
          use: shardUseOf(plan),
        },
      );
    } catch (error) {
      if (error instanceof RejectedError) {
        const member = previous && previous.status !== 'disconnected';
        await claimCidrs(registry, {
          vpcId: plan.vpcId,
          accountId: plan.accountId,
          cidrs: member ? previous.cidrs : [],
          previousCidrs: plan.cidrs,
        });
      }
      throw error;
    }
  }
  const held = previous && previous.status !== 'disconnected' && previous.shard !== undefined ? previous : undefined;
  if (held && (held.segment !== plan.segment || held.shard !== plan.shard)) {
    await releaseShardSlot(registry, { segment: held.segment, shard: held.shard!, vpcId: plan.vpcId });
  }
}

/** ReleaseLease: gives the lease back if this execution holds it (never fails because it does not). */
export async function release(vpcId: string, executionArn: string, deps: LeaseDeps): Promise<{ released: boolean }> {
  return { released: await releaseLease(deps.registry, vpcId, executionArn) };
}
