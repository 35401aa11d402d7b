import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { hubClients } from './aws';
import { cidrsOverlap, claimBucketOf } from './cidr';
import type { HubConfig } from './config';
import { requireEnv } from './env';
import { isAwsError, RejectedError, VpcBusyError } from './errors';
import { logger } from './logger';
import { type LeaseFence, LeaseFenceSchema, type Plan } from './plan';
import { type ConsumerRecord, registryKeys } from './registry-model';
import { checkReadable, REGISTRY_SCHEMA_VERSION } from './registry-schema';
import { ClaimContentionError, LeaseLostError, RegistryRecordMissingError } from './workflow-errors';

/**
 * The consumer registry table (DynamoDB, `pk`/`sk`), shared by every step. Besides the consumer records of
 * registry-model.ts it holds two kinds of coordination items:
 *
 * - the per-VPC lease, `VPC#<vpcId>` / `LEASE`: `{ owner: <execution ARN>, expiresAt: <epoch s>, token }`. Written with
 *   a condition (free, expired, or already ours), so two executions for one VPC never work at the same time; renewed
 *   by every step of its holder; its token fences every write of the VPC's record (see heldRegistry);
 * - CIDR claims, `CIDR#<a.b>` / `CLAIMS`: `{ version, claims: { <vpcId>: { cidrs, accountId } } }`, one item per /16
 *   (see claimBucketOf). Every VPC that is not disconnected has its CIDRs claimed here. A claim is a read, an overlap
 *   check against the other VPCs of the bucket, and a write conditioned on the version read: two VPCs with
 *   overlapping CIDRs necessarily share a bucket, so the second writer's condition fails, it re-reads, sees the
 *   first VPC's claim and is rejected. No transaction is needed (the local DynamoDB emulator has none).
 *
 * All writes use ExpressionAttributeNames because `status`, `owner`, `region`, `version` ... are reserved words.
 */

export interface RegistryTable {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /** The lease the writer holds (heldRegistry): writes of the VPC's record through this table are fenced by it. */
  fence?: LeaseFence;
}

/** The registry of this Lambda: the hub's DynamoDB client and the table named by `REGISTRY_TABLE_NAME`. */
export function registryTable(config: HubConfig, env: NodeJS.ProcessEnv = process.env): RegistryTable {
  return { dynamo: hubClients(config.hub.region).dynamo, tableName: requireEnv('REGISTRY_TABLE_NAME', env) };
}

const leaseKey = (vpcId: string) => ({ pk: `VPC#${vpcId}`, sk: 'LEASE' });
const claimKey = (bucket: string) => ({ pk: `CIDR#${bucket}`, sk: 'CLAIMS' });

const CONDITION_FAILED = 'ConditionalCheckFailedException';

// ---- lease ---------------------------------------------------------------------------------------------------------

/**
 * How long a lease lasts after its holder last renewed it. Every Lambda step of the holder renews it when it starts
 * (heldRegistry), so it only lapses when the holder stops running steps: a stopped execution, or a gap between two of
 * its steps longer than this. The longest such gap a live holder has is a Retry back-off (at most 300 s in the ASL)
 * plus a step's own run (Lambda timeouts are at most 900 s): 20 min is more. A wait for a person (RequestApproval)
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

/** An UpdateItem with a condition: true when it was written, false when the condition failed (other errors thrown). */
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

function updateIf(table: RegistryTable, input: Omit<UpdateCommandInput, 'TableName'>): Promise<boolean> {
  return sendIfCondition(table, new UpdateCommand({ TableName: table.tableName, ...input }));
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
const FENCE_ATTRIBUTE = 'leaseToken';

/** The condition (and its names and values) a fenced write of a record adds: no newer lease has written it. */
function fenceCondition(fence: LeaseFence | undefined) {
  if (!fence) return undefined;
  return {
    expression: '(attribute_not_exists(#fence) OR #fence <= :fence)',
    names: { '#fence': FENCE_ATTRIBUTE },
    values: { ':fence': fence.token },
  };
}

/** After a fenced write was refused: LeaseLostError when a newer lease wrote the record, else undefined. */
async function lostLease(table: RegistryTable, vpcId: string): Promise<LeaseLostError | undefined> {
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

// ---- CIDR claims ---------------------------------------------------------------------------------------------------

export interface ClaimEntry {
  cidrs: string[];
  accountId: string;
  /** The lease token of the execution that wrote the entry (fenced writes): no older holder may change it. */
  leaseToken?: number;
}

export interface ClaimBucket {
  bucket: string;
  /** 0 when the item does not exist yet. */
  version: number;
  claims: Record<string, ClaimEntry>;
}

export interface Overlap {
  cidr: string;
  otherVpcId: string;
  otherAccountId: string;
  otherCidr: string;
}

/** Reads one claim bucket (strongly consistent). */
export async function readClaimBucket(table: RegistryTable, bucket: string): Promise<ClaimBucket> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: claimKey(bucket), ConsistentRead: true }),
  );
  return {
    bucket,
    version: Item ? Number(Item.version) : 0,
    claims: (Item?.claims as Record<string, ClaimEntry> | undefined) ?? {},
  };
}

/** The distinct claim buckets of `cidrs`, sorted. */
export function bucketsOf(cidrs: readonly string[]): string[] {
  return [...new Set(cidrs.map(claimBucketOf))].sort();
}

/** Overlaps between `cidrs` of `vpcId` and the claims of OTHER VPCs in `buckets`. */
export function findOverlaps(vpcId: string, cidrs: readonly string[], buckets: readonly ClaimBucket[]): Overlap[] {
  const out: Overlap[] = [];
  for (const bucket of buckets) {
    for (const [otherVpcId, entry] of Object.entries(bucket.claims)) {
      if (otherVpcId === vpcId) continue;
      for (const cidr of cidrs) {
        for (const otherCidr of entry.cidrs) {
          if (cidrsOverlap(cidr, otherCidr)) out.push({ cidr, otherVpcId, otherAccountId: entry.accountId, otherCidr });
        }
      }
    }
  }
  return out;
}

/** Reads the claims of every bucket `cidrs` fall in and returns the overlaps with other VPCs (no write). */
export async function overlapsInRegistry(table: RegistryTable, vpcId: string, cidrs: readonly string[]) {
  const buckets = await Promise.all(bucketsOf(cidrs).map((b) => readClaimBucket(table, b)));
  return findOverlaps(vpcId, cidrs, buckets);
}

/** The rejection for an overlap with another VPC of the registry. */
export function overlapRejection(vpcId: string, overlap: Overlap): RejectedError {
  return new RejectedError(
    `cidr-overlap: ${vpcId} CIDR ${overlap.cidr} overlaps ${overlap.otherCidr} of ${overlap.otherVpcId} ` +
      `(account ${overlap.otherAccountId}), already in the registry`,
    'cidr-overlap',
  );
}

const sameEntry = (a: ClaimEntry | undefined, b: ClaimEntry | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Writes `claims[vpcId] = entry` (or removes it) conditioned on the version read; false when the version moved. */
function writeClaim(
  table: RegistryTable,
  bucket: ClaimBucket,
  vpcId: string,
  entry: ClaimEntry | undefined,
): Promise<boolean> {
  const claims = { ...bucket.claims };
  if (entry) claims[vpcId] = entry;
  else delete claims[vpcId];
  return sendIfCondition(
    table,
    new PutCommand({
      TableName: table.tableName,
      Item: {
        ...claimKey(bucket.bucket),
        kind: 'claims',
        bucket: bucket.bucket,
        version: bucket.version + 1,
        claims,
      },
      ConditionExpression: bucket.version === 0 ? 'attribute_not_exists(pk)' : '#version = :version',
      ...(bucket.version === 0
        ? {}
        : {
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': bucket.version },
          }),
    }),
  );
}

const MAX_CLAIM_ATTEMPTS = 8;

/**
 * Claims `cidrs` for `vpcId` in the registry, race-free against other VPCs claiming at the same moment (see the
 * module comment), and drops the VPC's claims in buckets of `previousCidrs` it no longer uses. Idempotent: claims
 * that already hold the same value are not rewritten. Throws RejectedError(`cidr-overlap`) after undoing the claims
 * this call wrote, or ClaimContentionError when a bucket keeps changing under it.
 */
export async function claimCidrs(
  table: RegistryTable,
  args: { vpcId: string; accountId: string; cidrs: string[]; previousCidrs?: string[] },
): Promise<{ buckets: string[] }> {
  const { vpcId } = args;
  const mine = bucketsOf(args.cidrs);
  const dropped = bucketsOf(args.previousCidrs ?? []).filter((b) => !mine.includes(b));
  const written: { bucket: string; previous: ClaimEntry | undefined }[] = [];

  for (const name of [...mine, ...dropped].sort()) {
    const entry: ClaimEntry | undefined = mine.includes(name)
      ? {
          cidrs: args.cidrs.filter((c) => claimBucketOf(c) === name).sort(),
          accountId: args.accountId,
          ...(table.fence ? { leaseToken: table.fence.token } : {}),
        }
      : undefined;
    let done = false;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS && !done; attempt++) {
      const bucket = await readClaimBucket(table, name);
      // Fenced like the VPC's record: an entry a newer lease holder wrote is never changed by an older one (the write
      // below is conditioned on the bucket version read here, so the check and the write see the same entry).
      const stamped = bucket.claims[vpcId]?.leaseToken;
      if (table.fence && stamped !== undefined && stamped > table.fence.token) {
        await undoClaims(table, vpcId, written);
        throw new LeaseLostError(
          `${vpcId}: its CIDR claims in ${name} were written under a newer lease (token ${stamped} > ` +
            `${table.fence.token}); nothing written`,
        );
      }
      if (entry) {
        const overlaps = findOverlaps(vpcId, entry.cidrs, [bucket]);
        if (overlaps.length > 0) {
          await undoClaims(table, vpcId, written);
          throw overlapRejection(vpcId, overlaps[0]!);
        }
      }
      const previous = bucket.claims[vpcId];
      if (sameEntry(previous, entry)) {
        done = true;
      } else if (await writeClaim(table, bucket, vpcId, entry)) {
        written.push({ bucket: name, previous });
        done = true;
      }
    }
    if (!done) {
      await undoClaims(table, vpcId, written);
      throw new ClaimContentionError(`CIDR claim bucket ${name} kept changing; retry`);
    }
  }
  return { buckets: mine };
}

/** Restores the claims this execution wrote (best effort: a leftover claim only makes later checks stricter). */
async function undoClaims(
  table: RegistryTable,
  vpcId: string,
  written: { bucket: string; previous: ClaimEntry | undefined }[],
): Promise<void> {
  for (const { bucket: name, previous } of written) {
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      try {
        if (await writeClaim(table, await readClaimBucket(table, name), vpcId, previous)) break;
      } catch (error) {
        logger.error('could not undo a CIDR claim', { vpcId, bucket: name, error });
        break;
      }
    }
  }
}

// ---- consumer record -----------------------------------------------------------------------------------------------

/** Most recent execution ARNs kept on a record (DynamoDB items are limited to 400 KB). */
export const MAX_EXECUTIONS = 100;

function appendExecution(executions: readonly string[], arn: string): string[] {
  const list = executions.includes(arn) ? [...executions] : [...executions, arn];
  return list.slice(-MAX_EXECUTIONS);
}

/** The VPC's current consumer record, if any (strongly consistent read). */
export async function getRecord(table: RegistryTable, vpcId: string): Promise<ConsumerRecord | undefined> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: registryKeys.current(vpcId), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  checkReadable(Item, `the registry record of ${vpcId}`);
  const { pk: _pk, sk: _sk, kind: _kind, [FENCE_ATTRIBUTE]: _fence, ...record } = Item;
  return record as ConsumerRecord;
}

async function putRecord(table: RegistryTable, record: ConsumerRecord): Promise<void> {
  const fence = fenceCondition(table.fence);
  try {
    await table.dynamo.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...registryKeys.current(record.vpcId),
          kind: 'current',
          ...record,
          schemaVersion: REGISTRY_SCHEMA_VERSION,
          ...(table.fence ? { [FENCE_ATTRIBUTE]: table.fence.token } : {}),
        },
        ...(fence
          ? {
              ConditionExpression: `attribute_not_exists(pk) OR ${fence.expression}`,
              ExpressionAttributeNames: fence.names,
              ExpressionAttributeValues: fence.values,
            }
          : {}),
      }),
    );
  } catch (error) {
    if (isAwsError(error, CONDITION_FAILED)) throw (await lostLease(table, record.vpcId)) ?? error;
    throw error;
  }
}

/**
 * Starts (or resumes) the VPC's membership for an onboarding execution: status `onboarding`, the plan's segment,
 * services and CIDRs, the execution appended. What earlier executions created is kept (it still exists); a record of
 * a disconnected VPC starts a new membership.
 */
export async function beginOnboarding(
  table: RegistryTable,
  plan: Plan,
  executionArn: string,
  now: number,
): Promise<ConsumerRecord> {
  const at = new Date(now).toISOString();
  const existing = await getRecord(table, plan.vpcId);
  const fresh = !existing || existing.status === 'disconnected';
  // This onboarding re-plans the VPC in the current design: a migrated record's mark has done its work.
  const { upgradedFrom: _upgraded, ...kept } = existing ?? ({} as ConsumerRecord);
  const record: ConsumerRecord = fresh
    ? {
        vpcId: plan.vpcId,
        accountId: plan.accountId,
        region: plan.region,
        segment: plan.segment,
        services: plan.services,
        cidrs: plan.cidrs,
        quarantine: plan.quarantine ?? [],
        attachmentSubnetIds: [],
        routes: [],
        zones: [],
        securityGroupRules: [],
        endpointServicePrincipals: [],
        endpointConnections: [],
        status: 'onboarding',
        createdAt: at,
        updatedAt: at,
        executions: [executionArn],
      }
    : {
        ...kept,
        segment: plan.segment,
        services: plan.services,
        cidrs: plan.cidrs,
        quarantine: plan.quarantine ?? [],
        status: 'onboarding',
        updatedAt: at,
        executions: appendExecution(existing.executions ?? [], executionArn),
      };
  await putRecord(table, record);
  return record;
}

export type MergeableField =
  | 'routes'
  | 'zones'
  | 'profileAssociations'
  | 'securityGroupRules'
  | 'endpointServicePrincipals'
  | 'endpointConnections';

type ItemOf<K extends MergeableField> = NonNullable<ConsumerRecord[K]>[number];

const identity: { [K in MergeableField]: (item: ItemOf<K>) => string } = {
  routes: (r) => `${r.routeTableId}|${r.destinationCidr}`,
  zones: (z) => z.zoneId,
  profileAssociations: (p) => p.profileId,
  securityGroupRules: (r) => `${r.groupId}|${r.cidr}|${r.port}`,
  endpointServicePrincipals: (p) => `${p.serviceId}|${p.principal}`,
  endpointConnections: (c) => `${c.serviceId}|${c.vpcEndpointId}`,
};

async function updateRecord(
  table: RegistryTable,
  vpcId: string,
  values: Record<string, unknown>,
  options: { ifExists?: boolean } = {},
): Promise<boolean> {
  const fence = fenceCondition(table.fence);
  const names: Record<string, string> = { ...fence?.names };
  const exprValues: Record<string, unknown> = { ...fence?.values };
  const sets = Object.entries(values).map(([key, value], i) => {
    names[`#a${i}`] = key;
    exprValues[`:v${i}`] = value;
    return `#a${i} = :v${i}`;
  });
  if (fence) sets.push('#fence = :fence');
  try {
    await table.dynamo.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: registryKeys.current(vpcId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: fence ? `attribute_exists(pk) AND ${fence.expression}` : 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: exprValues,
      }),
    );
    return true;
  } catch (error) {
    if (!isAwsError(error, CONDITION_FAILED)) throw error;
    const lost = await lostLease(table, vpcId);
    if (lost) throw lost;
    if (options.ifExists) return false;
    throw new RegistryRecordMissingError(`no registry record for ${vpcId}: AcquireLease creates it`);
  }
}

/**
 * Write-through from a step: adds what the step created (or found already in place) to the record, replacing items
 * with the same identity (a rule's id learned on a retry). Each step writes its own attribute, so the parallel
 * branches never overwrite each other; the lease keeps other executions out.
 */
export async function mergeIntoRecord<K extends MergeableField>(
  table: RegistryTable,
  vpcId: string,
  field: K,
  items: ItemOf<K>[],
  now: number,
): Promise<void> {
  if (items.length === 0) return;
  const record = await getRecord(table, vpcId);
  if (!record) throw new RegistryRecordMissingError(`no registry record for ${vpcId}: AcquireLease creates it`);
  const merged = applyItemChanges(field, (record[field] ?? []) as unknown[], { put: items as unknown[] });
  await updateRecord(table, vpcId, { [field]: merged, updatedAt: new Date(now).toISOString() });
}

/** A field's items after `change`, by item identity: intents kept if present, puts replace, drops remove. */
function applyItemChanges(
  field: MergeableField,
  current: unknown[],
  change: { intend?: unknown[]; put?: unknown[]; drop?: unknown[] },
): unknown[] {
  const key = identity[field] as (item: unknown) => string;
  const items = new Map<string, unknown>(current.map((item) => [key(item), item]));
  for (const item of change.intend ?? []) if (!items.has(key(item))) items.set(key(item), item);
  for (const item of change.put ?? []) items.set(key(item), item);
  for (const item of change.drop ?? []) items.delete(key(item));
  return [...items.values()];
}

/** JSON with object keys sorted: DynamoDB does not keep the key order of a map. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

/** Changes to the item lists of a record, per field (see changeRecordItems). */
export type RecordItemChanges = {
  [K in MergeableField]?: {
    /** Write-ahead: added unless the record holds an item with the same identity (kept as is, its id included). */
    intend?: ItemOf<K>[];
    /** Added, replacing an item with the same identity (what mergeIntoRecord does). */
    put?: ItemOf<K>[];
    /** Removed by identity. */
    drop?: ItemOf<K>[];
  };
};

/**
 * Applies item changes to several fields of the record in one read and (when something changes) one write, and
 * returns the record as it was before. `intend` is the write-ahead of a step: what it is about to create is recorded
 * BEFORE the AWS call, so that a lost response (or a Lambda that dies after the call took effect) cannot leave a
 * resource the record does not name; removal then treats a recorded item that does not exist as already gone.
 */
export async function changeRecordItems(
  table: RegistryTable,
  vpcId: string,
  changes: RecordItemChanges,
  now: number,
): Promise<ConsumerRecord> {
  const record = await getRecord(table, vpcId);
  if (!record) throw new RegistryRecordMissingError(`no registry record for ${vpcId}: AcquireLease creates it`);
  const values: Record<string, unknown> = {};
  for (const field of Object.keys(changes) as MergeableField[]) {
    const change = changes[field] as { intend?: unknown[]; put?: unknown[]; drop?: unknown[] } | undefined;
    if (!change) continue;
    const current = (record[field] ?? []) as unknown[];
    const next = applyItemChanges(field, current, change);
    if (canonical(next) !== canonical(current)) values[field] = next;
  }
  if (Object.keys(values).length > 0) {
    await updateRecord(table, vpcId, { ...values, updatedAt: new Date(now).toISOString() });
  }
  return record;
}

/** Write-through from CreateAttachment: the attachment and the subnets it actually uses. */
export async function recordAttachment(
  table: RegistryTable,
  vpcId: string,
  attachmentId: string,
  subnetIds: string[],
  now: number,
): Promise<void> {
  await updateRecord(table, vpcId, {
    attachmentId,
    attachmentSubnetIds: [...subnetIds].sort(),
    updatedAt: new Date(now).toISOString(),
  });
}

/** RecordConsumer: the VPC is connected; `connectedAt` is set once per membership. */
export async function markConnected(
  table: RegistryTable,
  vpcId: string,
  executionArn: string,
  now: number,
): Promise<ConsumerRecord> {
  const record = await getRecord(table, vpcId);
  if (!record) throw new RegistryRecordMissingError(`no registry record for ${vpcId}: AcquireLease creates it`);
  const at = new Date(now).toISOString();
  const updated: ConsumerRecord = {
    ...record,
    status: 'connected',
    connectedAt: record.connectedAt ?? at,
    updatedAt: at,
    executions: appendExecution(record.executions ?? [], executionArn),
  };
  await updateRecord(table, vpcId, {
    status: updated.status,
    connectedAt: updated.connectedAt,
    updatedAt: updated.updatedAt,
    executions: updated.executions,
  });
  return updated;
}

/**
 * RecordFailure: status `failed`, keeping what exists. Only an execution that began onboarding on the record (it is in
 * `executions`) marks it: a failure before AcquireLease created nothing and must not touch another membership's
 * record. False when nothing was written.
 */
export async function markFailed(
  table: RegistryTable,
  vpcId: string,
  executionArn: string,
  now: number,
): Promise<boolean> {
  const record = await getRecord(table, vpcId);
  if (!record || !(record.executions ?? []).includes(executionArn)) return false;
  // A membership that never connected and whose rollback removed everything holds nothing: its CIDR claims go too,
  // so that a VPC that really owns the range is not rejected for a claim behind which nothing exists. Asking again
  // claims them again (AcquireLease).
  const release = !record.connectedAt && !holdsSomething(record) && (record.cidrs ?? []).length > 0;
  if (release) {
    await claimCidrs(table, { vpcId, accountId: record.accountId, cidrs: [], previousCidrs: record.cidrs });
  }
  return updateRecord(
    table,
    vpcId,
    {
      status: 'failed',
      ...(release ? { cidrs: [] } : {}),
      updatedAt: new Date(now).toISOString(),
      executions: appendExecution(record.executions ?? [], executionArn),
    },
    { ifExists: true },
  );
}

// ---- lifecycle: offboarding, changes, history ----------------------------------------------------------------------

/**
 * The VPC a removal step works on (offboarding, or pruning after a change). `exists` is false once the VPC is deleted:
 * what lived inside it (routes, its side of zone associations) went with it, the hub side is still cleaned up.
 * `spokeReachable` is false when the spoke role cannot be assumed (the account left, or the spoke stack is gone):
 * spoke-side items are then reported as retained instead of removed.
 */
export const VpcRefSchema = z.object({
  vpcId: z.string().min(1),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  exists: z.boolean().default(true),
  spokeReachable: z.boolean().default(true),
  /** The lease the execution holds: the step renews it and its registry writes are fenced by it. */
  fence: LeaseFenceSchema.optional(),
});
export type VpcRef = z.infer<typeof VpcRefSchema>;

/** The VPC of a plan (it exists and its spoke role answered: the plan was just made through it). */
export function vpcOfPlan(plan: Plan): VpcRef {
  return {
    vpcId: plan.vpcId,
    accountId: plan.accountId,
    region: plan.region,
    exists: true,
    spokeReachable: true,
    ...(plan.fence ? { fence: plan.fence } : {}),
  };
}

/** Identity of a record item (what `mergeIntoRecord` and `forgetInRecord` compare). */
export function recordItemKey<K extends MergeableField>(field: K, item: ItemOf<K>): string {
  return (identity[field] as (item: ItemOf<K>) => string)(item);
}

/**
 * Write-through of a removal step: drops items from the record (they were removed, vanished with the VPC, or are no
 * longer spokelink's). A missing record is nothing to forget.
 */
export async function forgetInRecord<K extends MergeableField>(
  table: RegistryTable,
  vpcId: string,
  field: K,
  items: ItemOf<K>[],
  now: number,
): Promise<void> {
  if (items.length === 0) return;
  const record = await getRecord(table, vpcId);
  if (!record) return;
  const gone = new Set(items.map((item) => recordItemKey(field, item)));
  const kept = ((record[field] ?? []) as ItemOf<K>[]).filter((item) => !gone.has(recordItemKey(field, item)));
  await updateRecord(table, vpcId, { [field]: kept, updatedAt: new Date(now).toISOString() }, { ifExists: true });
}

/** Write-through of DeleteAttachment: the record no longer names an attachment. */
export async function forgetAttachment(table: RegistryTable, vpcId: string, now: number): Promise<void> {
  const fence = fenceCondition(table.fence);
  try {
    await table.dynamo.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: registryKeys.current(vpcId),
        UpdateExpression: `REMOVE #attachment SET #updated = :now, #subnets = :none${fence ? ', #fence = :fence' : ''}`,
        ConditionExpression: fence ? `attribute_exists(pk) AND ${fence.expression}` : 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#attachment': 'attachmentId',
          '#updated': 'updatedAt',
          '#subnets': 'attachmentSubnetIds',
          ...fence?.names,
        },
        ExpressionAttributeValues: { ':now': new Date(now).toISOString(), ':none': [], ...fence?.values },
      }),
    );
  } catch (error) {
    if (!isAwsError(error, CONDITION_FAILED)) throw error;
    const lost = await lostLease(table, vpcId);
    if (lost) throw lost;
  }
}

/** Offboarding begins: record status `offboarding`, the execution appended. Undefined when there is no record. */
export async function markOffboarding(
  table: RegistryTable,
  vpcId: string,
  executionArn: string,
  now: number,
): Promise<ConsumerRecord | undefined> {
  const record = await getRecord(table, vpcId);
  if (!record) return undefined;
  const at = new Date(now).toISOString();
  const executions = appendExecution(record.executions ?? [], executionArn);
  await updateRecord(table, vpcId, { status: 'offboarding', updatedAt: at, executions }, { ifExists: true });
  return { ...record, status: 'offboarding', updatedAt: at, executions };
}

/**
 * Offboarding ends: the VPC's CIDR claims are released, the membership is kept as a history record
 * (`HISTORY#<connectedAt>`, with `disconnectedAt`, for chargeback) and the current record becomes `disconnected`.
 * What the removal steps could not remove stays listed on it (a zone whose last VPC it is, say). A membership that
 * never connected (a failed onboarding) has no history record: it was never billed.
 */
export async function archiveMembership(
  table: RegistryTable,
  vpcId: string,
  executionArn: string,
  now: number,
): Promise<{ record: ConsumerRecord; history: boolean } | undefined> {
  const record = await getRecord(table, vpcId);
  if (!record) return undefined;
  const at = new Date(now).toISOString();
  const executions = appendExecution(record.executions ?? [], executionArn);
  const ended: ConsumerRecord = {
    ...record,
    status: 'disconnected',
    disconnectedAt: record.status === 'disconnected' ? (record.disconnectedAt ?? at) : at,
    updatedAt: at,
    executions,
  };
  // The record first: its write is fenced (a holder that lost the lease stops here, before the shared claims).
  await updateRecord(
    table,
    vpcId,
    { status: 'disconnected', disconnectedAt: ended.disconnectedAt, updatedAt: at, executions },
    { ifExists: true },
  );
  if (record.connectedAt) {
    await table.dynamo.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...registryKeys.history(vpcId, record.connectedAt),
          kind: 'history',
          ...ended,
          schemaVersion: REGISTRY_SCHEMA_VERSION,
        },
      }),
    );
  }
  await claimCidrs(table, { vpcId, accountId: record.accountId, cidrs: [], previousCidrs: record.cidrs ?? [] });
  return { record: ended, history: record.connectedAt !== undefined };
}

/** Name of the registry's account index (`accountId` / `sk`, every attribute projected). */
export const ACCOUNT_INDEX = 'byAccount';

/**
 * The current records of an account's VPCs (GSI `byAccount`). GSI reads are eventually consistent: callers that
 * decide from them (is another VPC of the account still connected?) check again after acting.
 */
export async function currentRecordsOfAccount(table: RegistryTable, accountId: string): Promise<ConsumerRecord[]> {
  const out: ConsumerRecord[] = [];
  const pages = paginateQuery(
    { client: table.dynamo },
    {
      TableName: table.tableName,
      IndexName: ACCOUNT_INDEX,
      KeyConditionExpression: '#account = :account AND #sk = :current',
      ExpressionAttributeNames: { '#account': 'accountId', '#sk': 'sk' },
      ExpressionAttributeValues: { ':account': accountId, ':current': 'CURRENT' },
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const { pk: _pk, sk: _sk, kind: _kind, ...record } = item;
      out.push(record as ConsumerRecord);
    }
  }
  return out;
}

/**
 * Whether a record's VPC still uses the account-wide grants (TGW share, endpoint service principal): it is onboarding
 * or connected, or it failed with something still in place. A failed onboarding whose rollback undid everything holds
 * nothing; counting it would make two VPCs of an account that fail together each keep the grant for the other, and
 * leave it behind with no record naming it.
 */
export function usesAccountGrants(record: ConsumerRecord): boolean {
  if (record.status === 'onboarding' || record.status === 'connected') return true;
  if (record.status !== 'failed') return false;
  return holdsSomething(record);
}

/** The record lists something spokelink made that exists: an attachment, a route, zone, rule or principal. */
export function holdsSomething(record: ConsumerRecord): boolean {
  const held =
    (record.routes ?? []).length +
    (record.zones ?? []).length +
    (record.profileAssociations ?? []).length +
    (record.securityGroupRules ?? []).length +
    (record.endpointServicePrincipals ?? []).length +
    (record.endpointConnections ?? []).length;
  return record.attachmentId !== undefined || held > 0;
}

/** Other VPCs of the account that still use its account-wide grants (see {@link usesAccountGrants}). */
export async function otherVpcsUsingAccountGrants(
  table: RegistryTable,
  accountId: string,
  vpcId: string,
): Promise<string[]> {
  const records = await currentRecordsOfAccount(table, accountId);
  return records.filter((r) => r.vpcId !== vpcId && usesAccountGrants(r)).map((r) => r.vpcId);
}

/**
 * Other VPCs of the account that use an endpoint service: they hold the account grants (see {@link usesAccountGrants})
 * and recorded its principal or asked for it by its catalog name (`name`; a VPC that is onboarding records its
 * services before its principals). The account's principal on the service stays while there is one.
 */
export async function otherVpcsUsingEndpointService(
  table: RegistryTable,
  accountId: string,
  vpcId: string,
  service: { serviceId: string; name: string | undefined },
): Promise<string[]> {
  const records = await currentRecordsOfAccount(table, accountId);
  return records
    .filter(
      (r) =>
        r.vpcId !== vpcId &&
        usesAccountGrants(r) &&
        ((service.name !== undefined && (r.services ?? []).includes(service.name)) ||
          (r.endpointServicePrincipals ?? []).some((p) => p.serviceId === service.serviceId)),
    )
    .map((r) => r.vpcId);
}

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
