import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseLostError } from '#shared/errors';
import { isAwsError, VpcBusyError } from '../errors';
import { logger } from '../logger';
import type { LeaseFence } from '../plan';
import { CONDITION_FAILED, updateIf } from './conditional';
import { registryKeys } from './model';
import type { RegistryTable } from './table';

/** The key of the VPC's lease item. */
export const leaseKey = (vpcId: string) => ({ pk: `VPC#${vpcId}`, sk: 'LEASE' });

// ---- lease ---------------------------------------------------------------------------------------------------------

/**
 * How long a lease lasts after its holder last renewed it. Every Lambda step of the holder renews it when it starts
 * (heldRegistry; the attachment wait's polls when it is due, see waitForAttachment), so it only lapses when the holder
 * stops running steps: a stopped execution, or a gap between two of its steps longer than this. The longest such gap
 * a live holder has is a Retry back-off (at most 300 s in the ASL) plus a step's own run (Lambda timeouts are at most
 * 900 s): 20 min is more. A wait for a person (RequestApproval)
 * holds no lease. A lease whose holder no longer runs is taken over at once (DescribeExecution).
 */
export const LEASE_TTL_SECONDS = 20 * 60;

export interface Lease {
  vpcId: string;
  /** Execution ARN of the holder. */
  owner: string;
  acquiredAt: string;
  /** Epoch seconds after which the lease may be taken over without asking whether the holder still runs. */
  expiresAt: number;
  /** The fencing token: grows by one with every acquisition of this VPC's lease (kept when the lease is released). */
  token: number;
}

export interface AcquireLeaseOptions {
  vpcId: string;
  owner: string;
  now: number;
  ttlSeconds: number;
  /** Whether the execution holding an unexpired lease still runs (a stopped execution never releases). */
  isOwnerLive: (owner: string) => Promise<boolean>;
}

function leaseOf(vpcId: string, item: Record<string, unknown> | undefined): Lease | undefined {
  if (!item || typeof item.owner !== 'string') return undefined;
  return {
    vpcId,
    owner: item.owner,
    acquiredAt: String(item.acquiredAt),
    expiresAt: Number(item.expiresAt),
    token: Number(item.token ?? 0),
  };
}

/** The current lease of a VPC, if any (strongly consistent read). A released lease has no owner: none. */
export async function getLease(table: RegistryTable, vpcId: string): Promise<Lease | undefined> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: leaseKey(vpcId), ConsistentRead: true }),
  );
  return leaseOf(vpcId, Item);
}

/**
 * Takes the VPC's lease for `owner`. Idempotent for the holder (a retried AcquireLease renews it and keeps its token).
 * Throws VpcBusyError while another live execution holds it; a lease that expired, or whose holder no longer runs, is
 * taken over. Each acquisition by a new holder adds one to the lease's token and stamps it on the VPC's record, so
 * that from then on no write of an earlier holder lands (fenceRecord).
 */
export async function acquireLease(table: RegistryTable, options: AcquireLeaseOptions): Promise<Lease> {
  const { vpcId, owner, now } = options;
  const nowSeconds = Math.floor(now / 1000);
  const expiresAt = nowSeconds + options.ttlSeconds;
  const update = async (condition: string, values: Record<string, unknown>, takes: boolean) => {
    const { Attributes } = await table.dynamo.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: leaseKey(vpcId),
        UpdateExpression: takes
          ? 'SET #kind = :kind, #owner = :me, #acquiredAt = :at, #expiresAt = :expires ADD #token :one'
          : 'SET #expiresAt = :expires',
        ConditionExpression: condition,
        ExpressionAttributeNames: {
          '#owner': 'owner',
          '#expiresAt': 'expiresAt',
          ...(takes ? { '#kind': 'kind', '#acquiredAt': 'acquiredAt', '#token': 'token' } : {}),
        },
        ExpressionAttributeValues: {
          ...values,
          ':expires': expiresAt,
          ...(takes ? { ':kind': 'lease', ':me': owner, ':at': new Date(now).toISOString(), ':one': 1 } : {}),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const lease = leaseOf(vpcId, Attributes)!;
    if (takes) await fenceRecord(table, vpcId, lease.token);
    return lease;
  };
  const attempt = async (condition: string, values: Record<string, unknown>, takes: boolean) => {
    try {
      return await update(condition, values, takes);
    } catch (error) {
      if (!isAwsError(error, CONDITION_FAILED)) throw error;
      return undefined;
    }
  };

  for (let i = 0; i < 3; i++) {
    const mine = await attempt('#owner = :me', { ':me': owner }, false);
    if (mine) return mine;
    const free = await attempt('attribute_not_exists(#owner) OR #expiresAt < :now', { ':now': nowSeconds }, true);
    if (free) return free;
    const current = await getLease(table, vpcId);
    if (!current || current.owner === owner) continue;
    if (current.expiresAt >= nowSeconds && (await options.isOwnerLive(current.owner))) {
      throw new VpcBusyError(`${vpcId} is being changed by ${current.owner} (lease since ${current.acquiredAt})`);
    }
    logger.warn('taking over the lease of an execution that no longer runs', { vpcId, previousOwner: current.owner });
    const taken = await attempt(
      '#owner = :stale AND #token = :staleToken',
      {
        ':stale': current.owner,
        ':staleToken': current.token,
      },
      true,
    );
    if (taken) return taken;
  }
  throw new VpcBusyError(`${vpcId}: the lease changed hands while acquiring it`);
}

/**
 * Renews the lease `fence` names (its holder is still working): LeaseLostError when the lease is no longer that
 * holder's with that token (it expired and was taken over). Every step of a lease holder calls it first
 * (heldRegistry), so a live holder's lease never lapses and a holder that lost it does nothing more.
 */
export async function renewLease(table: RegistryTable, fence: LeaseFence, now: number): Promise<void> {
  const renewed = await updateIf(table, {
    Key: leaseKey(fence.vpcId),
    UpdateExpression: 'SET #expiresAt = :expires',
    ConditionExpression: '#owner = :me AND #token = :token',
    ExpressionAttributeNames: { '#owner': 'owner', '#token': 'token', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: {
      ':me': fence.owner,
      ':token': fence.token,
      ':expires': Math.floor(now / 1000) + LEASE_TTL_SECONDS,
    },
  });
  if (!renewed) {
    throw new LeaseLostError(
      `${fence.vpcId}: this execution no longer holds the lease (token ${fence.token}); another execution took it over`,
    );
  }
}

/** Releases the lease if `owner` holds it; true when it did. Never fails because someone else holds it. */
export function releaseLease(table: RegistryTable, vpcId: string, owner: string): Promise<boolean> {
  // The item stays (without owner) so that the token keeps growing across acquisitions.
  return updateIf(table, {
    Key: leaseKey(vpcId),
    UpdateExpression: 'REMOVE #owner SET #expiresAt = :zero',
    ConditionExpression: '#owner = :me',
    ExpressionAttributeNames: { '#owner': 'owner', '#expiresAt': 'expiresAt' },
    ExpressionAttributeValues: { ':me': owner, ':zero': 0 },
  });
}

/**
 * The registry of a step working under `fence` (the lease its execution holds): the lease is renewed first
 * (LeaseLostError when it was taken over) and every write to the VPC's record through the returned table is fenced by
 * the token. Without a fence (a plan made without a lease, a reconcile's status report), the table as it is.
 */
export async function heldRegistry(
  table: RegistryTable,
  fence: LeaseFence | undefined,
  now: number,
): Promise<RegistryTable> {
  if (!fence) return table;
  await renewLease(table, fence, now);
  return { ...table, fence };
}

/**
 * Stamps a new lease token on the VPC's record (if it has one): from then on the record refuses the writes of every
 * holder with a smaller token. A record already stamped with a larger token is left alone.
 */
async function fenceRecord(table: RegistryTable, vpcId: string, token: number): Promise<void> {
  await updateIf(table, {
    Key: registryKeys.current(vpcId),
    UpdateExpression: 'SET #fence = :token',
    ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#fence) OR #fence < :token)',
    ExpressionAttributeNames: { '#fence': FENCE_ATTRIBUTE },
    ExpressionAttributeValues: { ':token': token },
  });
}

/** The attribute of a record holding the token of the last lease that wrote it. */
export const FENCE_ATTRIBUTE = 'leaseToken';

/** The condition (and its names and values) a fenced write of a record adds: no newer lease has written it. */
export function fenceCondition(fence: LeaseFence | undefined) {
  if (!fence) return undefined;
  return {
    expression: '(attribute_not_exists(#fence) OR #fence <= :fence)',
    names: { '#fence': FENCE_ATTRIBUTE },
    values: { ':fence': fence.token },
  };
}

/** After a fenced write was refused: LeaseLostError when a newer lease wrote the record, else undefined. */
export async function lostLease(table: RegistryTable, vpcId: string): Promise<LeaseLostError | undefined> {
  if (!table.fence) return undefined;
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: registryKeys.current(vpcId), ConsistentRead: true }),
  );
  const stamped = Item?.[FENCE_ATTRIBUTE];
  if (typeof stamped === 'number' && stamped > table.fence.token) {
    return new LeaseLostError(
      `${vpcId}: the record was written under a newer lease (token ${stamped} > ${table.fence.token}); nothing written`,
    );
  }
  return undefined;
}
