import { randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { IntakeLockContentionError, isAwsError } from './errors';
import type { WorkflowKind } from './events';
import { deleteIfAttributeEquals, type RegistryTable, sendIfCondition, updateIf } from './registry';

/**
 * The intake queue, durable in the registry table: no request is lost between the tag event and its execution, and
 * none has to start at once (per-account limits, debouncing; functions/dispatch/dispatch.ts decides when).
 *
 * - `INTAKE#QUEUE` / `<accountId>#<vpcId>`: the VPC's waiting request, one per VPC. A later event of the VPC replaces
 *   the earlier one's event (the workflows read the VPC's current tags anyway: the latest event decides onboard or
 *   offboard) but keeps its `dueAt` and `firstQueuedAt`, so a VPC whose tags keep changing is still served in time,
 *   once, with its latest tags. `merged` counts the events it stands for.
 * - `INTAKE#RUNNING` / `<accountId>#<vpcId>`: the execution last started for the VPC from the queue, until the
 *   dispatcher sees it has ended. The live ones of an account are its running count.
 *
 * - `INTAKE#HUB` / `SLOTS`: the hub's slots (`intake.maxConcurrentExecutions`), a semaphore in one item: `running`
 *   counts the holders, `holders` maps each holding VPC to the name of its execution. A slot is taken and given back
 *   in one conditional update each, so the count is exact however many dispatch passes race (the DynamoDB semaphore
 *   of AWS's "Controlling concurrency in distributed systems using AWS Step Functions"), and a holder that no running
 *   item names (a pass that stopped between the two writes) is given back by the minute's pass.
 *
 * One partition each, so that one Query lists the queue (and its depth) or one account's part of it.
 */

export const QUEUE_PK = 'INTAKE#QUEUE';
export const RUNNING_PK = 'INTAKE#RUNNING';

const itemKey = (pk: string, vpc: { accountId: string; vpcId: string }) => ({
  pk,
  sk: `${vpc.accountId}#${vpc.vpcId}`,
});

export interface QueuedRequest {
  accountId: string;
  vpcId: string;
  workflow: WorkflowKind;
  /** The EventBridge event id: the execution's name is made of it. */
  eventId: string;
  /** The raw event (JSON), the workflow's input. */
  event: string;
  /** The event's `time` (ISO 8601): an older event never replaces a newer one (deliveries come out of order). */
  eventTime: string;
  /** Epoch ms from which the request may start (the end of its debounce window). */
  dueAt: number;
  /** Epoch ms of the first event the request stands for. */
  firstQueuedAt: number;
  /** Events the request stands for (1 + the changes debounced into it). */
  merged: number;
}

export interface RunningExecution {
  accountId: string;
  vpcId: string;
  workflow: WorkflowKind;
  name: string;
  executionArn: string;
  startedAt: number;
}

/**
 * Queues the request of an event, or folds it into the VPC's waiting one (see the module comment). Returns the
 * request as it now waits, or undefined when the VPC's waiting request comes from a newer event (this one is older:
 * a late or repeated delivery), which then stays as it is.
 */
export async function enqueue(
  table: RegistryTable,
  request: Pick<QueuedRequest, 'accountId' | 'vpcId' | 'workflow' | 'eventId' | 'event' | 'eventTime'>,
  now: number,
  debounceMs: number,
): Promise<QueuedRequest | undefined> {
  try {
    const { Attributes } = await table.dynamo.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: itemKey(QUEUE_PK, request),
        UpdateExpression:
          'SET #kind = :kind, accountId = :account, vpcId = :vpc, workflow = :workflow, eventId = :eventId, ' +
          '#event = :event, eventTime = :time, dueAt = if_not_exists(dueAt, :due), ' +
          'firstQueuedAt = if_not_exists(firstQueuedAt, :now) ADD merged :one',
        ConditionExpression: 'attribute_not_exists(eventTime) OR eventTime <= :time',
        ExpressionAttributeNames: { '#kind': 'kind', '#event': 'event' },
        ExpressionAttributeValues: {
          ':kind': 'intake-queued',
          ':account': request.accountId,
          ':vpc': request.vpcId,
          ':workflow': request.workflow,
          ':eventId': request.eventId,
          ':event': request.event,
          ':time': request.eventTime,
          ':due': now + debounceMs,
          ':now': now,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toQueued(Attributes ?? {});
  } catch (error) {
    if (!isAwsError(error, 'ConditionalCheckFailedException')) throw error;
    return undefined;
  }
}

/** The account, VPC and workflow an intake item is about. */
function subjectOf(item: Record<string, unknown>) {
  return {
    accountId: String(item.accountId),
    vpcId: String(item.vpcId),
    workflow: item.workflow === 'offboard' ? ('offboard' as const) : ('onboard' as const),
  };
}

function toQueued(item: Record<string, unknown>): QueuedRequest {
  return {
    ...subjectOf(item),
    eventId: String(item.eventId),
    event: String(item.event),
    eventTime: String(item.eventTime ?? ''),
    dueAt: Number(item.dueAt),
    firstQueuedAt: Number(item.firstQueuedAt),
    merged: Number(item.merged ?? 1),
  };
}

function toRunning(item: Record<string, unknown>): RunningExecution {
  return {
    ...subjectOf(item),
    name: String(item.name),
    executionArn: String(item.executionArn),
    startedAt: Number(item.startedAt),
  };
}

async function queryAll(table: RegistryTable, pk: string, accountId?: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: table.dynamo },
    {
      TableName: table.tableName,
      KeyConditionExpression: accountId === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :account)',
      ExpressionAttributeValues: { ':pk': pk, ...(accountId === undefined ? {} : { ':account': `${accountId}#` }) },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) out.push(...(page.Items ?? []));
  return out;
}

/** The waiting requests (of one account, or all), oldest first. */
export async function queuedRequests(table: RegistryTable, accountId?: string): Promise<QueuedRequest[]> {
  const items = (await queryAll(table, QUEUE_PK, accountId)).map(toQueued);
  return items.sort((a, b) => a.firstQueuedAt - b.firstQueuedAt || a.vpcId.localeCompare(b.vpcId));
}

/** The executions started from the queue that the dispatcher has not yet seen end (of one account, or all). */
export async function runningExecutions(table: RegistryTable, accountId?: string): Promise<RunningExecution[]> {
  return (await queryAll(table, RUNNING_PK, accountId)).map(toRunning);
}

/**
 * The accounts with requests waiting whose account id comes after `accountId`, then those before it (a round in
 * account order that starts after it), at most `limit`: whom a slot of a full hub freed by `accountId`'s execution is
 * offered to before `accountId` itself. Reads the queue in key order, a page at a time.
 */
export async function accountsWaitingAfter(table: RegistryTable, accountId: string, limit: number): Promise<string[]> {
  const found: string[] = [];
  const scan = async (condition: string, values: Record<string, string>) => {
    const pages = paginateQuery(
      { client: table.dynamo },
      {
        TableName: table.tableName,
        KeyConditionExpression: `pk = :pk AND ${condition}`,
        ExpressionAttributeValues: { ':pk': QUEUE_PK, ...values },
        ProjectionExpression: 'accountId',
        ConsistentRead: true,
        // Small pages: the round stops at the first accounts it finds, in a queue of thousands.
        Limit: 25,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const account = String(item.accountId);
        if (account !== accountId && !found.includes(account)) found.push(account);
        if (found.length >= limit) return;
      }
    }
  };
  // `~` sorts after every character of a VPC id: `<account>#~` is past every key of the account.
  await scan('sk > :after', { ':after': `${accountId}#~` });
  if (found.length < limit) await scan('sk < :before', { ':before': `${accountId}#` });
  return found;
}

export const SLOTS_KEY = { pk: 'INTAKE#HUB', sk: 'SLOTS' } as const;

/** The hub's slots as the item holds them (none taken yet: an empty item). */
export async function hubSlots(table: RegistryTable): Promise<{ running: number; holders: Record<string, string> }> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: SLOTS_KEY, ConsistentRead: true }),
  );
  return { running: Number(Item?.running ?? 0), holders: (Item?.holders as Record<string, string>) ?? {} };
}

/**
 * How many hub slots are taken, without their holders (one per running execution, ~70 bytes each): what a dispatch
 * pass reads after every execution's end.
 */
export async function hubSlotsRunning(table: RegistryTable): Promise<number> {
  const { Item } = await table.dynamo.send(
    new GetCommand({
      TableName: table.tableName,
      Key: SLOTS_KEY,
      ConsistentRead: true,
      ProjectionExpression: 'running',
    }),
  );
  return Number(Item?.running ?? 0);
}

/**
 * Takes a slot of the hub for the execution `name` of `vpcId`, unless `limit` are held. A VPC holds at most one slot:
 * the VPC's earlier execution still holding it (it waits for an approval, so the VPC's next request may start) hands
 * it to `name`. True when `name` holds a slot.
 */
export async function takeHubSlot(table: RegistryTable, vpcId: string, name: string, limit: number): Promise<boolean> {
  const names = { '#holders': 'holders', '#vpc': vpcId };
  const takeOrInherit = async () =>
    (await updateIf(table, {
      Key: SLOTS_KEY,
      UpdateExpression: 'SET #holders.#vpc = :name ADD running :one',
      ConditionExpression:
        'attribute_not_exists(#holders.#vpc) AND (attribute_not_exists(running) OR running < :limit)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':name': name, ':one': 1, ':limit': limit },
    })) ||
    updateIf(table, {
      Key: SLOTS_KEY,
      UpdateExpression: 'SET #holders.#vpc = :name',
      ConditionExpression: 'attribute_exists(#holders.#vpc)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':name': name },
    });
  try {
    return await takeOrInherit();
  } catch (error) {
    // The first slot ever: the item (or its map) does not exist, and a path into it cannot be written. Make it, once.
    if (!isAwsError(error, 'ValidationException')) throw error;
  }
  await table.dynamo.send(
    new UpdateCommand({
      TableName: table.tableName,
      Key: SLOTS_KEY,
      UpdateExpression:
        'SET #kind = :kind, #holders = if_not_exists(#holders, :empty), running = if_not_exists(running, :zero)',
      ExpressionAttributeNames: { '#kind': 'kind', '#holders': 'holders' },
      ExpressionAttributeValues: { ':kind': 'intake-slots', ':empty': {}, ':zero': 0 },
    }),
  );
  return takeOrInherit();
}

/** Gives back the slot `vpcId`'s execution `name` holds (nothing if it holds none: given back already, or handed on). */
export async function giveBackHubSlot(table: RegistryTable, vpcId: string, name: string): Promise<boolean> {
  try {
    return await updateIf(table, {
      Key: SLOTS_KEY,
      UpdateExpression: 'REMOVE #holders.#vpc ADD running :minusOne',
      ConditionExpression: '#holders.#vpc = :name',
      ExpressionAttributeNames: { '#holders': 'holders', '#vpc': vpcId },
      ExpressionAttributeValues: { ':name': name, ':minusOne': -1 },
    });
  } catch (error) {
    // No slot was ever taken (no item, or no map): nothing to give back.
    if (isAwsError(error, 'ValidationException')) return false;
    throw error;
  }
}

/** Records a started execution as the VPC's running one. */
export async function putRunning(table: RegistryTable, running: RunningExecution): Promise<void> {
  await table.dynamo.send(
    new PutCommand({
      TableName: table.tableName,
      Item: { ...itemKey(RUNNING_PK, running), kind: 'intake-running', ...running },
    }),
  );
}

/** Forgets a VPC's running execution once it has ended (only that one: a newer start keeps its item). */
export async function forgetRunning(table: RegistryTable, running: RunningExecution): Promise<void> {
  await deleteIfAttributeEquals(table, itemKey(RUNNING_PK, running), 'executionArn', running.executionArn);
}

/**
 * Removes a started request from the queue, unless a newer event replaced it meanwhile (then that one waits on).
 * Returns whether it was removed.
 */
export async function dequeue(table: RegistryTable, request: QueuedRequest): Promise<boolean> {
  return deleteIfAttributeEquals(table, itemKey(QUEUE_PK, request), 'eventId', request.eventId);
}

export const LOCK_PK = 'INTAKE#LOCK';

/** How long a dispatch pass may hold its account's lock before another may take it over (a crashed pass). */
export const LOCK_TTL_MS = 60_000;

/**
 * Runs `work` holding the account's dispatch lock (`INTAKE#LOCK` / `<accountId>`), so that two passes never both
 * count the account's running executions and both start one: the per-account limit holds exactly. A pass that finds
 * the lock held does not wait: it marks the lock `dirty` (there may be new requests) and returns undefined; the
 * holder releases only a clean lock, and passes again over a dirty one. So every request queued before a pass ends
 * is seen by a pass. A lock older than LOCK_TTL_MS (its holder crashed) is taken over.
 */
export async function withAccountLock<T>(
  table: RegistryTable,
  accountId: string,
  now: () => number,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const key = { pk: LOCK_PK, sk: accountId };
  // Not Math.random: the local runs seed it for the retry jitter, which the lock must not shift.
  const owner = randomUUID();
  const { tableName: TableName } = table;
  for (let attempt = 0; ; attempt += 1) {
    const taken = await sendIfCondition(
      table,
      new PutCommand({
        TableName,
        Item: { ...key, kind: 'intake-lock', owner, expiresAt: now() + LOCK_TTL_MS, dirty: false },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': now() },
      }),
    );
    if (taken) break;
    const marked = await sendIfCondition(
      table,
      new UpdateCommand({
        TableName,
        Key: key,
        UpdateExpression: 'SET dirty = :true',
        ConditionExpression: 'attribute_exists(pk) AND expiresAt >= :now',
        ExpressionAttributeValues: { ':true': true, ':now': now() },
      }),
    );
    if (marked) return undefined;
    // Released (or expired) meanwhile: take it.
    if (attempt >= 5)
      throw new IntakeLockContentionError(`the intake lock of account ${accountId} kept changing hands`);
  }
  for (;;) {
    const result = await work();
    const released = await sendIfCondition(
      table,
      new DeleteCommand({
        TableName,
        Key: key,
        ConditionExpression: '#owner = :me AND dirty = :false',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':me': owner, ':false': false },
      }),
    );
    if (released) return result;
    // Marked dirty while we worked: clean it and pass again.
    const cleaned = await sendIfCondition(
      table,
      new UpdateCommand({
        TableName,
        Key: key,
        UpdateExpression: 'SET dirty = :false, expiresAt = :expires',
        ConditionExpression: '#owner = :me',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':me': owner, ':false': false, ':expires': now() + LOCK_TTL_MS },
      }),
    );
    // Taken over (we were too slow): the new holder passes.
    if (!cleaned) return result;
  }
}
