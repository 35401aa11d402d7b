import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { updateIf } from './conditional';
import type { RegistryTable } from './table';

// ---- status order --------------------------------------------------------------------------------------------------

const statusKey = (vpcId: string) => ({ pk: `VPC#${vpcId}`, sk: 'STATUS' });

/**
 * Reserves the VPC's status tags for an execution, by its start time (`VPC#<vpcId>` / `STATUS`: the last writer's
 * ARN and start time): true when no execution that started later has written the status, false otherwise (the newer
 * execution's status stands). Executions that started at the same moment are ordered by the lease (the status step of
 * a lease holder writes last).
 */
export async function reserveStatusWrite(
  table: RegistryTable,
  vpcId: string,
  execution: { arn: string; startedAt: string; status: string },
  now: number,
): Promise<{ reserved: true } | { reserved: false; newer: string }> {
  const reserved = await updateIf(table, {
    Key: statusKey(vpcId),
    UpdateExpression: 'SET #kind = :kind, #arn = :arn, #startedAt = :startedAt, #status = :status, #at = :at',
    ConditionExpression: 'attribute_not_exists(#startedAt) OR #startedAt <= :startedAt',
    ExpressionAttributeNames: {
      '#kind': 'kind',
      '#arn': 'executionArn',
      '#startedAt': 'startedAt',
      '#status': 'status',
      '#at': 'writtenAt',
    },
    ExpressionAttributeValues: {
      ':kind': 'status',
      ':arn': execution.arn,
      ':startedAt': execution.startedAt,
      ':status': execution.status,
      ':at': new Date(now).toISOString(),
    },
  });
  if (reserved) return { reserved: true };
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: statusKey(vpcId), ConsistentRead: true }),
  );
  return { reserved: false, newer: String(Item?.executionArn ?? 'a newer execution') };
}
