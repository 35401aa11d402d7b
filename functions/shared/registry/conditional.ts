import { DeleteCommand, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { isAwsError } from '../errors';

import type { RegistryTable } from './table';

export const CONDITION_FAILED = 'ConditionalCheckFailedException';

/**
 * Sends a conditional write of the registry: true when it was written, false when its condition did not hold
 * (ConditionalCheckFailedException). Other errors are thrown.
 */
export async function sendIfCondition(
  table: RegistryTable,
  command: PutCommand | UpdateCommand | DeleteCommand,
): Promise<boolean> {
  try {
    await table.dynamo.send(command as UpdateCommand);
    return true;
  } catch (error) {
    if (isAwsError(error, CONDITION_FAILED)) return false;
    throw error;
  }
}

/** An UpdateItem with a condition: true when it was written, false when the condition failed (other errors thrown). */
export function updateIf(table: RegistryTable, input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  return sendIfCondition(table, new UpdateCommand({ TableName: table.tableName, ...input }));
}

/**
 * Deletes the item at `key` only while its `attribute` still equals `value` (a conditional delete): true when it did,
 * false when the item changed hands or is gone. Other errors are thrown.
 */
export function deleteIfAttributeEquals(
  table: RegistryTable,
  key: Record<string, string>,
  attribute: string,
  value: string,
): Promise<boolean> {
  return sendIfCondition(
    table,
    new DeleteCommand({
      TableName: table.tableName,
      Key: key,
      ConditionExpression: '#attribute = :value',
      ExpressionAttributeNames: { '#attribute': attribute },
      ExpressionAttributeValues: { ':value': value },
    }),
  );
}

/**
 * Puts `item` (its key included) as version `read + 1`, conditioned on the version read (`read` 0: the item must not
 * exist yet): true when written, false when another writer moved the version since (re-read and decide again). The
 * optimistic write of the CIDR claim buckets (claims.ts) and the shard counters (shards.ts).
 */
export function putIfVersion(table: RegistryTable, item: Record<string, unknown>, read: number): Promise<boolean> {
  return sendIfCondition(
    table,
    new PutCommand({
      TableName: table.tableName,
      Item: { ...item, version: read + 1 },
      ConditionExpression: read === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
      ...(read === 0
        ? {}
        : { ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': read } }),
    }),
  );
}
