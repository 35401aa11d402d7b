import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { deleteIfAttributeEquals } from './conditional';
import type { RegistryTable } from './table';

// ---- pending approvals ---------------------------------------------------------------------------------------------

/**
 * The pending approval of a VPC, in the registry table: `APPROVAL#<vpcId>` / `PENDING`. It holds the task token of the
 * onboarding execution that waits (`.waitForTaskToken`), so that `spokelink approve|deny VPC_ID` can answer it by VPC
 * id. One per VPC: a newer request replaces an older one (whose execution then times out). `ttl` lets DynamoDB drop
 * items nobody answered. The token is a credential to resume the workflow: it is never logged or printed.
 */

export interface PendingApproval {
  vpcId: string;
  accountId: string;
  region: string;
  executionArn: string;
  executionName: string;
  segment: string;
  services: string[];
  cidrs: string[];
  /** requestDigest(segment, services, CIDRs): an approval of this item is bound to it. */
  requestDigest: string;
  /** ISO time of the request. */
  requestedAt: string;
  /** Epoch seconds after which the execution no longer waits (it is rejected: approval timed out). */
  expiresAt: number;
  taskToken: string;
}

/** Kept a day past the deadline, then DynamoDB TTL removes it. */
const TTL_SLACK_SECONDS = 86_400;

// Not under `VPC#<vpcId>`: readers of a VPC's items (audit, exports) never come across the token by accident.
export const approvalKey = (vpcId: string) => ({ pk: `APPROVAL#${vpcId}`, sk: 'PENDING' });

/** Stores (or replaces) the VPC's pending approval. */
export async function putApproval(table: RegistryTable, approval: PendingApproval): Promise<void> {
  await table.dynamo.send(
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...approvalKey(approval.vpcId),
        kind: 'approval',
        ...approval,
        ttl: approval.expiresAt + TTL_SLACK_SECONDS,
      },
    }),
  );
}

/** The VPC's pending approval, if any (strongly consistent). */
export async function getApproval(table: RegistryTable, vpcId: string): Promise<PendingApproval | undefined> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: approvalKey(vpcId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, kind: _kind, ttl: _ttl, ...approval } = Item;
  return approval as PendingApproval;
}

/** Removes the pending approval if it still holds `taskToken` (a newer request is left in place). */
export function deleteApproval(table: RegistryTable, vpcId: string, taskToken: string): Promise<boolean> {
  return deleteIfAttributeEquals(table, approvalKey(vpcId), 'taskToken', taskToken);
}
