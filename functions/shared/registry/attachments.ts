import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ClaimContentionError, LeaseLostError } from '../errors';
import { sendIfCondition } from './conditional';
import type { RegistryTable } from './table';

/**
 * The hub TGW's attachment slots, `TGW#<transitGatewayId>` / `ATTACHMENTS`:
 * `{ members: { <vpcId>: { accountId, leaseToken } }, accounts: { <accountId>: <members of the account> } }`, one
 * member per VPC that holds (or is being given) an attachment to the TGW: AWS's "Attachments per transit gateway"
 * (5,000, not adjustable, https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html) counted the way
 * endpoint shards count their slots (shards.ts), so that two onboardings racing for the last attachment cannot both
 * pass, and each account's share of it (`budgets.attachmentsPerAccount`) with it, so that a tenant tagging many VPCs at
 * once cannot take more than its budget. Unlike a shard counter, one item serves every onboarding of the hub: a read
 * and a write conditioned on the version read would make every concurrent onboarding retry against the others, so a
 * slot is taken by ONE UpdateItem whose condition counts the members (`size(members) < :free`) and the account's
 * (`accounts.<id> < :budget`) as DynamoDB evaluates it, atomically; `accounts` is kept in the same write as `members`,
 * so the two never disagree. Members, not a bare count: taking a slot twice (a re-run, a re-plan) changes nothing,
 * releasing removes exactly the VPC's own. Fenced like the VPC's record: a slot a newer lease holder wrote is never
 * changed by an older one. A hub upgraded from a release without slots gets the members of its connected VPCs from
 * `spokelink migrate` (backfill.ts, addBackfilledMembers below), without a lease token.
 *
 * Size and throughput: about 60 bytes per member, so ~300 KB at 5,000 (DynamoDB's item limit is 400 KB, and a TGW
 * admits no more members). A write costs one write unit per KB of the item, a partition serves 1,000 write units per
 * second (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html), so a full
 * TGW's item takes about 3 slot writes per second: above the hub's onboarding rate (its mutating EC2 bucket admits
 * fewer than 2 VPCs per second, docs/performance.md "bulk5000"). A take reads first and writes only what changes.
 */

const attachmentsKey = (transitGatewayId: string) => ({ pk: `TGW#${transitGatewayId}`, sk: 'ATTACHMENTS' });

interface Member {
  accountId: string;
  leaseToken?: number;
}

export interface AttachmentSlots {
  transitGatewayId: string;
  members: Record<string, Member>;
  /** Members per account. */
  accounts: Record<string, number>;
}

/** Reads the TGW's attachment slots (strongly consistent); no member when the item does not exist yet. */
export async function readAttachmentSlots(table: RegistryTable, transitGatewayId: string): Promise<AttachmentSlots> {
  return slotsOf(transitGatewayId, await getSlotsItem(table, transitGatewayId));
}

/** The TGW's slots item as stored (strongly consistent), undefined before its first slot. */
async function getSlotsItem(
  table: RegistryTable,
  transitGatewayId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: attachmentsKey(transitGatewayId), ConsistentRead: true }),
  );
  return Item;
}

const slotsOf = (transitGatewayId: string, item: Record<string, unknown> | undefined): AttachmentSlots => ({
  transitGatewayId,
  members: (item?.members as Record<string, Member> | undefined) ?? {},
  accounts: (item?.accounts as Record<string, number> | undefined) ?? {},
});

/** What one VPC's slot decisions read of the slots item: the VPC's own member and how many each account holds. */
export interface VpcSlotView {
  transitGatewayId: string;
  /** The VPC's member, if it has one. */
  member: Member | undefined;
  /** Members per account. */
  accounts: Record<string, number>;
  /** Members in all (the sum of `accounts`: every write keeps both in the same update). */
  held: number;
  /** Whether the item exists (a TGW's first slot creates it). */
  exists: boolean;
}

/**
 * The slots item as one VPC's decisions need it (strongly consistent), without the other VPCs' members: a full TGW's
 * item is ~300 KB, its `accounts` map ~30 bytes an account. The count of members is the sum of `accounts`, which every
 * write keeps with `members` in the same update; an item without `accounts` (none is written so) is read whole.
 * DynamoDB charges the read by the item's whole size either way
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html); the function no longer
 * downloads and parses thousands of members per onboarding (two reads each: ValidateAndPlan and BeginOnboarding).
 */
export async function readSlotOfVpc(
  table: RegistryTable,
  transitGatewayId: string,
  vpcId: string,
): Promise<VpcSlotView> {
  const { Item } = await table.dynamo.send(
    new GetCommand({
      TableName: table.tableName,
      Key: attachmentsKey(transitGatewayId),
      ConsistentRead: true,
      ProjectionExpression: '#pk, #members.#vpc, #accounts',
      ExpressionAttributeNames: { '#pk': 'pk', '#members': 'members', '#vpc': vpcId, '#accounts': 'accounts' },
    }),
  );
  const counted = Item === undefined || Item.accounts !== undefined;
  const slots = counted ? slotsOf(transitGatewayId, Item) : await readAttachmentSlots(table, transitGatewayId);
  const held = counted
    ? Object.values(slots.accounts).reduce((sum, n) => sum + n, 0)
    : Object.keys(slots.members).length;
  return { transitGatewayId, member: slots.members[vpcId], accounts: slots.accounts, held, exists: Item !== undefined };
}

const MAX_ATTEMPTS = 8;

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

function newerLease(table: RegistryTable, vpcId: string, slots: VpcSlotView): LeaseLostError | undefined {
  const stamped = slots.member?.leaseToken;
  if (!table.fence || stamped === undefined || stamped <= table.fence.token) return undefined;
  return new LeaseLostError(
    `${vpcId}: its attachment slot on ${slots.transitGatewayId} was written under a newer lease (token ${stamped} > ` +
      `${table.fence.token}); nothing written`,
  );
}

export type NoRoom =
  /** No room: `held` members on the TGW. */
  | { full: number }
  /** The account's budget is used up: `held` members of the account. */
  | { overBudget: number };

export type AttachmentSlotOutcome = { taken: 'new' | 'held' } | NoRoom;

/**
 * Why a VPC of `accountId` that holds no slot would get none: the TGW's members have reached `free`, or the account's
 * its `budget` (the conditions takeAttachmentSlot writes under). Undefined when there is room.
 */
export function noRoomFor(
  slots: Pick<VpcSlotView, 'held' | 'accounts'>,
  args: { accountId: string; free: number; budget: number },
): NoRoom | undefined {
  const { held } = slots;
  if (held >= args.free) return { full: held };
  const ofAccount = slots.accounts[args.accountId] ?? 0;
  if (ofAccount >= args.budget) return { overBudget: ofAccount };
  return undefined;
}

/** The first slot of a TGW: its item is created empty (whoever creates it first; nothing when it exists). */
async function createSlotsItem(table: RegistryTable, transitGatewayId: string): Promise<void> {
  await sendIfCondition(
    table,
    new UpdateCommand({
      TableName: table.tableName,
      Key: attachmentsKey(transitGatewayId),
      UpdateExpression: 'SET #members = :none, #accounts = :none, #kind = :kind, #tgw = :tgw',
      ConditionExpression: 'attribute_not_exists(pk)',
      ExpressionAttributeNames: {
        '#members': 'members',
        '#accounts': 'accounts',
        '#kind': 'kind',
        '#tgw': 'transitGatewayId',
      },
      ExpressionAttributeValues: { ':none': {}, ':kind': 'attachments', ':tgw': transitGatewayId },
    }),
  );
}

/**
 * The one write that adds members to the (existing) slots item and counts each in its account's `accounts` in the
 * same write, only while none of their VPCs has a member (and, with `room`, for a single member, while the TGW has
 * fewer than `free` members and its account fewer than `budget`): false when the condition failed, nothing written.
 * Never removes or rewrites another member. Expression strings are limited to 4 KB
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-expression-parameters):
 * at most BACKFILL_BATCH members a write.
 */
function addMembers(
  table: RegistryTable,
  transitGatewayId: string,
  members: (Member & { vpcId: string })[],
  room?: { free: number; budget: number },
): Promise<boolean> {
  const accounts = [...new Set(members.map((m) => m.accountId))];
  const counts = accounts.map((a) => members.filter((m) => m.accountId === a).length);
  // Short placeholders: 50 members of 50 accounts write about 3.2 KB of update expression.
  const conditions = members.map((_, i) => `attribute_not_exists(#m.#v${i})`);
  if (room) conditions.push('size(#m) < :free AND (attribute_not_exists(#c.#a0) OR #c.#a0 < :budget)');
  return sendIfCondition(
    table,
    new UpdateCommand({
      TableName: table.tableName,
      Key: attachmentsKey(transitGatewayId),
      UpdateExpression: `SET ${[
        ...members.map((_, i) => `#m.#v${i} = :m${i}`),
        ...accounts.map((_, i) => `#c.#a${i} = if_not_exists(#c.#a${i}, :zero) + :n${i}`),
      ].join(', ')}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: {
        '#m': 'members',
        '#c': 'accounts',
        ...Object.fromEntries(members.map((m, i) => [`#v${i}`, m.vpcId])),
        ...Object.fromEntries(accounts.map((a, i) => [`#a${i}`, a])),
      },
      ExpressionAttributeValues: {
        ':zero': 0,
        ...Object.fromEntries(members.map(({ vpcId: _, ...member }, i) => [`:m${i}`, member])),
        ...Object.fromEntries(counts.map((n, i) => [`:n${i}`, n])),
        ...(room ? { ':free': room.free, ':budget': room.budget } : {}),
      },
    }),
  );
}

/**
 * Removes the VPC's member and uncounts it from its account in the same write, while `condition` (over `#members`,
 * `#vpc` and its own names and values) holds: false when it did not, nothing written.
 */
function removeMember(
  table: RegistryTable,
  args: { transitGatewayId: string; vpcId: string; accountId: string },
  condition: { expression?: string; names: Record<string, string>; values: Record<string, unknown> },
): Promise<boolean> {
  return sendIfCondition(
    table,
    new UpdateCommand({
      TableName: table.tableName,
      Key: attachmentsKey(args.transitGatewayId),
      UpdateExpression: 'REMOVE #members.#vpc SET #accounts.#account = if_not_exists(#accounts.#account, :one) - :one',
      ConditionExpression: ['attribute_exists(#members.#vpc)', condition.expression].filter(Boolean).join(' AND '),
      ExpressionAttributeNames: {
        '#members': 'members',
        '#vpc': args.vpcId,
        '#accounts': 'accounts',
        '#account': args.accountId,
        ...condition.names,
      },
      ExpressionAttributeValues: { ':one': 1, ...condition.values },
    }),
  );
}

/**
 * Takes (or keeps) the VPC's attachment slot: kept when the VPC is a member already; else written when fewer than
 * `free` VPCs are members (`free`: the quota minus the attachments the registry holds no slot for) and fewer than
 * `budget` of its account. With `attached` (the VPC holds its attachment already: a membership from before the slots
 * were counted) without either condition: AWS counts it already. `taken: 'new'` when the VPC was no member before
 * (what a caller that gives up afterwards gives back), `'held'` when it was; `full` or `overBudget` when there is no
 * room, nothing written. Idempotent, fenced.
 */
export async function takeAttachmentSlot(
  table: RegistryTable,
  args: {
    transitGatewayId: string;
    vpcId: string;
    accountId: string;
    free: number;
    budget: number;
    attached?: boolean;
  },
): Promise<AttachmentSlotOutcome> {
  const { transitGatewayId, vpcId, accountId, free, budget } = args;
  const Key = attachmentsKey(transitGatewayId);
  const fence = memberFence(table);
  const member: Member = { accountId, ...(table.fence ? { leaseToken: table.fence.token } : {}) };
  const names = { '#members': 'members', '#vpc': vpcId };
  const room = args.attached ? undefined : { free, budget };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    // Read first: the item is large (~60 bytes per member), and every write, a refused conditional one included,
    // costs its whole size in write units; the conditions below, not this read, keep the count right.
    const slots = await readSlotOfVpc(table, transitGatewayId, vpcId);
    if (!slots.exists) {
      await createSlotsItem(table, transitGatewayId);
      continue;
    }
    const lost = newerLease(table, vpcId, slots);
    if (lost) throw lost;
    const mine = slots.member;
    if (mine) {
      // Held already: rewritten only to stamp a newer lease token (fenced: never over a newer one's).
      if (mine.leaseToken === member.leaseToken) return { taken: 'held' };
      const kept = await sendIfCondition(
        table,
        new UpdateCommand({
          TableName: table.tableName,
          Key,
          UpdateExpression: 'SET #members.#vpc = :member',
          ConditionExpression: ['attribute_exists(#members.#vpc)', fence.expression].filter(Boolean).join(' AND '),
          ExpressionAttributeNames: { ...names, ...fence.names },
          ExpressionAttributeValues: { ':member': member, ...fence.values },
        }),
      );
      if (kept) return { taken: 'held' };
      continue;
    }
    const refused = room && noRoomFor(slots, { accountId, free, budget });
    if (refused) return refused;
    const added = await addMembers(table, transitGatewayId, [{ vpcId, ...member }], room);
    if (added) return { taken: 'new' };
  }
  throw new ClaimContentionError(`attachment slots of ${transitGatewayId} kept changing; retry`);
}

/** Gives the VPC's attachment slot back (nothing when it holds none). Idempotent, fenced. */
export async function releaseAttachmentSlot(
  table: RegistryTable,
  args: { transitGatewayId: string; vpcId: string; accountId: string },
): Promise<void> {
  const { transitGatewayId, vpcId, accountId } = args;
  const released = await removeMember(table, { transitGatewayId, vpcId, accountId }, memberFence(table));
  if (released) return;
  // Not a member (nothing to give back), or a newer lease holder's slot (never an older holder's to give back).
  const lost = newerLease(table, vpcId, await readSlotOfVpc(table, transitGatewayId, vpcId));
  if (lost) throw lost;
}

/** Members a backfill write adds at most (addMembers: its expressions stay under DynamoDB's 4 KB with 50). */
export const BACKFILL_BATCH = 50;

/**
 * `spokelink migrate`'s backfill (backfill.ts): gives VPCs whose records hold their attachment (memberships from before
 * the slots were counted) their members, `{ accountId }` without a lease token, those that have none: no room
 * condition (AWS counts the attachments already), never removing or rewriting another member (an onboarding's, a
 * re-plan's), in writes of up to BACKFILL_BATCH members (a write costs the whole item's size: filling an empty item to
 * 5,000 members one per write costs ~730,000 write units, 12 minutes of a partition's 1,000 a second; by 50, ~15,000). A member without a token is any lease holder's to stamp (takeAttachmentSlot) or give
 * back (releaseAttachmentSlot), as a lease without a token counts from 0. Returns the VPCs this call added; the others
 * had a member (an onboarding took it, or an earlier run added it): each is added once.
 */
export async function addBackfilledMembers(
  table: RegistryTable,
  transitGatewayId: string,
  vpcs: { vpcId: string; accountId: string }[],
): Promise<string[]> {
  const added: string[] = [];
  for (let start = 0; start < vpcs.length; start += BACKFILL_BATCH) {
    added.push(...(await addBatch(table, transitGatewayId, vpcs.slice(start, start + BACKFILL_BATCH))));
  }
  return added;
}

async function addBatch(
  table: RegistryTable,
  transitGatewayId: string,
  batch: { vpcId: string; accountId: string }[],
): Promise<string[]> {
  // A refused write means one of the batch's VPCs got a member meanwhile (its onboarding): the next read leaves it out,
  // so the batch shrinks with each refusal.
  for (let attempt = 0; attempt < MAX_ATTEMPTS + batch.length; attempt++) {
    const item = await getSlotsItem(table, transitGatewayId);
    if (!item) {
      await createSlotsItem(table, transitGatewayId);
      continue;
    }
    const { members } = slotsOf(transitGatewayId, item);
    const missing = batch.filter((vpc) => !members[vpc.vpcId]);
    if (missing.length === 0) return [];
    if (await addMembers(table, transitGatewayId, missing)) return missing.map((vpc) => vpc.vpcId);
  }
  throw new ClaimContentionError(`attachment slots of ${transitGatewayId} kept changing; retry`);
}

/**
 * Takes back a member addBackfilledMembers added when the VPC's record turned out to have lost its attachment
 * meanwhile (an offboarding that gave its slot back before the member was added): only while no lease holder has
 * stamped the member since (an onboarding of the VPC that took it is then its holder). True when removed.
 */
export function withdrawBackfilledSlot(
  table: RegistryTable,
  args: { transitGatewayId: string; vpcId: string; accountId: string },
): Promise<boolean> {
  return removeMember(table, args, {
    expression: 'attribute_not_exists(#members.#vpc.#token) AND #members.#vpc.#owner = :account',
    names: { '#token': 'leaseToken', '#owner': 'accountId' },
    values: { ':account': args.accountId },
  });
}
