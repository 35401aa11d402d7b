/**
 * The registry: the hub's DynamoDB table (`pk`/`sk`) shared by every step, and all access to it, one file per store:
 * consumer records (records.ts, their shape in model.ts, the schema version in schema.ts), leases (lease.ts), the
 * status order (status.ts), CIDR claims (claims.ts) and pending approvals (approvals.ts); the conditional write they
 * share in conditional.ts. Besides the consumer records the table holds these coordination items:
 *
 * - the per-VPC lease, `VPC#<vpcId>` / `LEASE`: `{ owner: <execution ARN>, expiresAt: <epoch s>, token }`. Written with
 *   a condition (free, expired, or already ours), so two executions for one VPC never work at the same time; renewed
 *   by every step of its holder; its token fences every write of the VPC's record (see heldRegistry);
 * - CIDR claims, `CIDR#<a.b>` / `CLAIMS`: `{ version, claims: { <vpcId>: { cidrs, accountId } } }`, one item per /16
 *   (see claimBucketOf). Every VPC that is not disconnected has its CIDRs claimed here. A claim is a read, an overlap
 *   check against the other VPCs of the bucket, and a write conditioned on the version read: two VPCs with
 *   overlapping CIDRs necessarily share a bucket, so the second writer's condition fails, it re-reads, sees the
 *   first VPC's claim and is rejected. No transaction is needed (the local DynamoDB emulator has none);
 * - endpoint shard slots, `SHARD#<segment>#<shard>` / `MEMBERS` (shards.ts), and the hub TGW's attachment slots,
 *   `TGW#<transitGatewayId>` / `ATTACHMENTS` (attachments.ts): what counts a quota race-free; `spokelink migrate`
 *   backfills the attachment slots of VPCs connected before they existed (backfill.ts).
 *
 * All writes use ExpressionAttributeNames because `status`, `owner`, `region`, `version` ... are reserved words.
 */

export * from './approvals';
export * from './attachments';
export * from './claims';
export { deleteIfAttributeEquals, sendIfCondition, updateIf } from './conditional';
export * from './lease';
export * from './records';
export * from './shards';
export * from './status';
export * from './table';
