import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type AttachmentConfig, attachmentLimits, attachmentRefusal, holdsAttachment } from '#shared/attachment-quota';
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
  releaseAttachmentSlot,
  releaseLease,
  releaseShardSlot,
  takeAttachmentSlot,
  takeShardSlot,
} from '#shared/registry';
import type { ConsumerRecord } from '#shared/registry/model';
import { shardUseOf } from '#shared/shards';
import type { Onboarding } from './contract';

export interface LeaseDeps {
  registry: RegistryTable;
  /**
   * The hub (its TGW's peers) and `capacity` (other attachments, raised quotas): what the attachment and shard slots
   * are counted against; needed to begin an onboarding.
   */
  config?: AttachmentConfig;
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
 * other VPCs (RejectedError `cidr-overlap`), takes the VPC's attachment slot on the hub TGW and its slot in its endpoint
 * shard (RejectedError `capacity` when another onboarding took the last one since validation; the claims and a slot
 * just taken are given back) and starts the registry record (status onboarding, this execution appended), fenced by
 * the lease token. Idempotent for the same execution.
 */
export async function begin(plan: Plan, executionArn: string, deps: LeaseDeps): Promise<Onboarding> {
  if (!deps.config) throw new Error('BeginOnboarding needs the hub and capacity configuration');
  const registry = await heldRegistry(deps.registry, plan.fence, deps.now());
  const previous = await getRecord(registry, plan.vpcId);
  const member = previous !== undefined && previous.status !== 'disconnected';
  const { buckets } = await claimCidrs(registry, {
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    cidrs: plan.cidrs,
    previousCidrs: member ? previous.cidrs : [],
  });
  let slot: 'new' | 'held' | undefined;
  try {
    slot = await takeAttachmentSlotOf(registry, plan, previous, deps.config);
    await moveShardSlot(registry, plan, previous, deps.config.capacity);
  } catch (error) {
    // Nothing stays half-made: what this call took is given back.
    if (error instanceof RejectedError) {
      if (slot === 'new') {
        await releaseAttachmentSlot(registry, {
          transitGatewayId: plan.transitGatewayId,
          vpcId: plan.vpcId,
          accountId: plan.accountId,
        });
      }
      await claimCidrs(registry, {
        vpcId: plan.vpcId,
        accountId: plan.accountId,
        cidrs: member ? previous.cidrs : [],
        previousCidrs: plan.cidrs,
      });
    }
    throw error;
  }
  await beginOnboarding(registry, plan, executionArn, deps.now());
  return { claimedBuckets: buckets };
}

/**
 * The VPC's attachment slot on the hub TGW (#shared/attachment-quota): RejectedError `capacity` naming the quota when
 * another onboarding took the last one since validation, `budget-exceeded` when other VPCs of its account took the
 * last of its budget. A membership that holds its attachment already takes its
 * slot without the capacity condition (it never counts twice, and AWS counts it already).
 */
async function takeAttachmentSlotOf(
  registry: RegistryTable,
  plan: Plan,
  previous: ConsumerRecord | undefined,
  config: AttachmentConfig,
): Promise<'new' | 'held'> {
  const slot = await takeAttachmentSlot(registry, {
    transitGatewayId: plan.transitGatewayId,
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    ...attachmentLimits(config),
    attached: holdsAttachment(previous),
  });
  if (!('taken' in slot)) throw attachmentRefusal(config, plan, slot);
  return slot.taken;
}

/**
 * The VPC's slot in the shard of its plan (functions/shared/shards.ts), and none in the shard its previous membership
 * recorded when that is another (a segment change, or a shard the configuration no longer has).
 */
async function moveShardSlot(
  registry: RegistryTable,
  plan: Plan,
  previous: ConsumerRecord | undefined,
  capacity: HubConfig['capacity'],
) {
  if (plan.shard !== undefined) {
    await takeShardSlot(
      registry,
      { capacity },
      { segment: plan.segment, shard: plan.shard, vpcId: plan.vpcId, use: shardUseOf(plan) },
    );
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
