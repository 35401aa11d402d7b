import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import {
  acquireLease,
  beginOnboarding,
  claimCidrs,
  getRecord,
  type Lease,
  type RegistryTable,
  releaseLease,
} from '#shared/registry';

/**
 * How long a lease lasts without its holder releasing it. Only a backstop: a lease whose holder no longer runs
 * (stopped, timed out) is taken over at once (DescribeExecution). Longer than any onboarding: the wait for the VPC
 * lease (~25 min), the attachment (~10 min) and the retries.
 */
export const LEASE_TTL_SECONDS = 2 * 60 * 60;

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

export interface AcquiredLease extends Lease {
  /** CIDR claim buckets (/16) the VPC holds. */
  claimedBuckets: string[];
}

/**
 * AcquireLease: takes the VPC's lease (VpcBusyError while another live execution holds it), claims the VPC's CIDRs
 * race-free against other VPCs (RejectedError `cidr-overlap`), and starts the registry record (status onboarding,
 * this execution appended). Every part is idempotent for the same execution.
 */
export async function acquire(plan: Plan, executionArn: string, deps: LeaseDeps): Promise<AcquiredLease> {
  const lease = await acquireLease(deps.registry, {
    vpcId: plan.vpcId,
    owner: executionArn,
    now: deps.now(),
    ttlSeconds: LEASE_TTL_SECONDS,
    isOwnerLive: (owner) => isExecutionRunning(deps.sfn, owner),
  });
  const previous = await getRecord(deps.registry, plan.vpcId);
  const { buckets } = await claimCidrs(deps.registry, {
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    cidrs: plan.cidrs,
    previousCidrs: previous && previous.status !== 'disconnected' ? previous.cidrs : [],
  });
  await beginOnboarding(deps.registry, plan, executionArn, deps.now());
  return { ...lease, claimedBuckets: buckets };
}

/** The lease alone (VpcBusyError while another live execution holds it): for workflows without a plan. */
export async function acquireOnly(vpcId: string, executionArn: string, deps: LeaseDeps): Promise<Lease> {
  return acquireLease(deps.registry, {
    vpcId,
    owner: executionArn,
    now: deps.now(),
    ttlSeconds: LEASE_TTL_SECONDS,
    isOwnerLive: (owner) => isExecutionRunning(deps.sfn, owner),
  });
}

/** ReleaseLease: gives the lease back if this execution holds it (never fails because it does not). */
export async function release(vpcId: string, executionArn: string, deps: LeaseDeps): Promise<{ released: boolean }> {
  return { released: await releaseLease(deps.registry, vpcId, executionArn) };
}
