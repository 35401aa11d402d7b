import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ClaimContentionError, isAwsError, LeaseLostError } from '../errors';
import { CONDITION_FAILED, sendIfCondition } from './conditional';
import type { RegistryTable } from './table';

/**
 * The hub TGW's attachment slots, `TGW#<transitGatewayId>` / `ATTACHMENTS`:
 * `{ members: { <vpcId>: { accountId, leaseToken } } }`, one member per VPC that holds (or is being given) an
 * attachment to the TGW: AWS's "Attachments per transit gateway" (5,000, not adjustable,
 * https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html) counted the way endpoint shards count their
 * slots (shards.ts), so that two onboardings racing for the last attachment cannot both pass. Unlike a shard counter,
 * one item serves every onboarding of the hub: a read and a write conditioned on the version read would make every
 * concurrent onboarding retry against the others, so a slot is taken by ONE UpdateItem whose condition counts the
 * members (`size(members) < :free`) as DynamoDB evaluates it, atomically. Members, not a bare count: taking a slot
 * twice (a re-run, a re-plan) changes nothing, releasing removes exactly the VPC's own. Fenced like the VPC's record: a
 * slot a newer lease holder wrote is never changed by an older one.
 */

const attachmentsKey = (transitGatewayId: string) => ({ pk: `TGW#${transitGatewayId}`, sk: 'ATTACHMENTS' });

interface Member {
  accountId: string;
  leaseToken?: number;
}

export interface AttachmentSlots {
  transitGatewayId: string;
  members: Record<string, Member>;
}

/** Reads the TGW's attachment slots (strongly consistent); no member when the item does not exist yet. */
export async function readAttachmentSlots(table: RegistryTable, transitGatewayId: string): Promise<AttachmentSlots> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: attachmentsKey(transitGatewayId), ConsistentRead: true }),
  );
  return { transitGatewayId, members: (Item?.members as Record<string, Member> | undefined) ?? {} };
}

const MAX_ATTEMPTS = 4;

/** The condition and its names/values that no newer lease holder wrote the VPC's member (true without a fence). */
function memberFence(table: RegistryTable): {
  expression: string | undefined;
  names: Record<string, string>;
  values: Record<string, number>;
} {
  if (!table.fence) return { expression: undefined, names: {}, values: {} };
  return {
    expression: '(attribute_not_exists(#members.#vpc.#token) OR #members.#vpc.#token <= :token)',
    names: { '#token': 'leaseToken' },
    values: { ':token': table.fence.token },
  };
}

function newerLease(table: RegistryTable, vpcId: string, slots: AttachmentSlots): LeaseLostError | undefined {
  const stamped = slots.members[vpcId]?.leaseToken;
  if (!table.fence || stamped === undefined || stamped <= table.fence.token) return undefined;
  return new LeaseLostError(
    `${vpcId}: its attachment slot on ${slots.transitGatewayId} was written under a newer lease (token ${stamped} > ` +
      `${table.fence.token}); nothing written`,
  );
}

/**
 * Takes (or keeps) the VPC's attachment slot: written when the VPC is a member already, or when fewer than `free`
 * VPCs are (`free`: the quota minus the attachments the registry holds no slot for); with `attached` (the VPC holds
 * its attachment already: a membership from before the slots were counted) without the capacity condition, as AWS
 * counts it already. `taken: 'new'` when the VPC was no member before (what a caller that gives up afterwards gives
 * back), `'held'` when it was; `{ full: <members> }` when there is no room, nothing written. Idempotent, fenced.
 */
export async function takeAttachmentSlot(
  table: RegistryTable,
  args: { transitGatewayId: string; vpcId: string; accountId: string; free: number; attached?: boolean },
): Promise<{ taken: 'new' | 'held' } | { full: number }> {
  const { transitGatewayId, vpcId, accountId, free } = args;
  const Key = attachmentsKey(transitGatewayId);
  const fence = memberFence(table);
  const room = args.attached ? undefined : '(attribute_exists(#members.#vpc) OR size(#members) < :free)';
  const member: Member = { accountId, ...(table.fence ? { leaseToken: table.fence.token } : {}) };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      const { Attributes } = await table.dynamo.send(
        new UpdateCommand({
          TableName: table.tableName,
          Key,
          UpdateExpression: 'SET #members.#vpc = :member',
          ConditionExpression: ['attribute_exists(pk)', fence.expression, room].filter(Boolean).join(' AND '),
          ExpressionAttributeNames: { '#members': 'members', '#vpc': vpcId, ...fence.names },
          ExpressionAttributeValues: { ':member': member, ...fence.values, ...(room ? { ':free': free } : {}) },
          // The member as it was: absent for a new one.
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      return { taken: (Attributes?.members as Record<string, Member> | undefined)?.[vpcId] ? 'held' : 'new' };
    } catch (error) {
      if (!isAwsError(error, CONDITION_FAILED)) throw error;
    }
    const { Item } = await table.dynamo.send(new GetCommand({ TableName: table.tableName, Key, ConsistentRead: true }));
    if (!Item) {
      // The first slot of the TGW: the item is created empty (whoever creates it first), then the slot is taken.
      await sendIfCondition(
        table,
        new UpdateCommand({
          TableName: table.tableName,
          Key,
          UpdateExpression: 'SET #members = :none, #kind = :kind, #tgw = :tgw',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeNames: { '#members': 'members', '#kind': 'kind', '#tgw': 'transitGatewayId' },
          ExpressionAttributeValues: { ':none': {}, ':kind': 'attachments', ':tgw': transitGatewayId },
        }),
      );
      continue;
    }
    const slots: AttachmentSlots = { transitGatewayId, members: (Item.members as Record<string, Member>) ?? {} };
    const lost = newerLease(table, vpcId, slots);
    if (lost) throw lost;
    const held = Object.keys(slots.members).length;
    if (!slots.members[vpcId] && room && held >= free) return { full: held };
  }
  throw new ClaimContentionError(`attachment slots of ${transitGatewayId} kept changing; retry`);
}

/** Gives the VPC's attachment slot back (nothing when it holds none). Idempotent, fenced. */
export async function releaseAttachmentSlot(
  table: RegistryTable,
  args: { transitGatewayId: string; vpcId: string },
): Promise<void> {
  const { transitGatewayId, vpcId } = args;
  const Key = attachmentsKey(transitGatewayId);
  const fence = memberFence(table);
  try {
    await table.dynamo.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key,
        UpdateExpression: 'REMOVE #members.#vpc',
        ConditionExpression: ['attribute_exists(#members.#vpc)', fence.expression].filter(Boolean).join(' AND '),
        ExpressionAttributeNames: { '#members': 'members', '#vpc': vpcId, ...fence.names },
        ...(fence.expression ? { ExpressionAttributeValues: fence.values } : {}),
      }),
    );
  } catch (error) {
    if (!isAwsError(error, CONDITION_FAILED)) throw error;
    // Not a member (nothing to give back), or a newer lease holder's slot (never an older holder's to give back).
    const lost = newerLease(table, vpcId, await readAttachmentSlots(table, transitGatewayId));
    if (lost) throw lost;
  }
}
