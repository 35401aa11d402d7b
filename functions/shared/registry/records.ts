import { GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RegistryRecordMissingError } from '#shared/errors';
import { isAwsError } from '../errors';
import type { Plan } from '../plan';
import { releaseAttachmentSlot } from './attachments';
import { claimCidrs } from './claims';
import { CONDITION_FAILED } from './conditional';
import { FENCE_ATTRIBUTE, fenceCondition, lostLease } from './lease';
import { type ConsumerRecord, registryKeys } from './model';
import { checkReadable, REGISTRY_SCHEMA_VERSION } from './schema';
import { releaseShardSlot } from './shards';
import { REGISTRY_TABLE_SHAPE, type RegistryTable } from './table';

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

/** A step wrote to (or read for writing) a record that AcquireLease has not made. */
const recordMissing = (vpcId: string) =>
  new RegistryRecordMissingError(`no registry record for ${vpcId}: AcquireLease creates it`);

/** The VPC's current record, which AcquireLease made (RegistryRecordMissingError without one). */
async function existingRecord(table: RegistryTable, vpcId: string): Promise<ConsumerRecord> {
  const record = await getRecord(table, vpcId);
  if (!record) throw recordMissing(vpcId);
  return record;
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
  // The VPC's own Profile is as this plan found it (absent: none, or the hub is in zones mode).
  const {
    upgradedFrom: _upgraded,
    existingProfileId: _own,
    localServices: _local,
    selfServed: _selfServed,
    shard: _shard,
    ...kept
  } = existing ?? ({} as ConsumerRecord);
  // The plan's shard (BeginOnboarding took its slot); absent for a segment without shards.
  const shard = plan.shard !== undefined ? { shard: plan.shard } : {};
  const ownProfile = plan.existingProfile ? { existingProfileId: plan.existingProfile.profileId } : {};
  // Listed only when there are some, in a fresh record and a re-planned one alike (a re-run writes what a first run does).
  const local = {
    ...(plan.localServices?.length ? { localServices: plan.localServices } : {}),
    ...(plan.selfServed?.length ? { selfServed: plan.selfServed.map((s) => s.endpoint) } : {}),
  };
  // What the plan decides, in a fresh record and a re-planned one alike.
  const planned = {
    segment: plan.segment,
    ...shard,
    services: plan.services,
    ...local,
    cidrs: plan.cidrs,
    quarantine: plan.quarantine ?? [],
    ...ownProfile,
  };
  const record: ConsumerRecord = fresh
    ? {
        vpcId: plan.vpcId,
        accountId: plan.accountId,
        region: plan.region,
        ...planned,
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
        ...planned,
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
  | 'endpointConnections'
  | 'spokeEndpoints';

type ItemOf<K extends MergeableField> = NonNullable<ConsumerRecord[K]>[number];

const identity: { [K in MergeableField]: (item: ItemOf<K>) => string } = {
  routes: (r) => `${r.routeTableId}|${r.destinationCidr}`,
  zones: (z) => z.zoneId,
  profileAssociations: (p) => p.profileId,
  securityGroupRules: (r) => `${r.groupId}|${r.cidr}|${r.port}`,
  endpointServicePrincipals: (p) => `${p.serviceId}|${p.principal}`,
  endpointConnections: (c) => `${c.serviceId}|${c.vpcEndpointId}`,
  spokeEndpoints: (e) => e.endpoint,
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
    throw recordMissing(vpcId);
  }
}

/** A step's write-through of one field's items (`mergeIntoRecord`, `forgetInRecord`). */
type FieldItemsWrite = <K extends MergeableField>(
  table: RegistryTable,
  vpcId: string,
  field: K,
  items: ItemOf<K>[],
  now: number,
) => Promise<void>;

/**
 * Write-through from a step: adds what the step created (or found already in place) to the record, replacing items
 * with the same identity (a rule's id learned on a retry). Each step writes its own attribute, so the parallel
 * branches never overwrite each other; the lease keeps other executions out.
 */
export const mergeIntoRecord: FieldItemsWrite = (table, vpcId, field, items, now) =>
  rewriteFieldItems(table, vpcId, field, { put: items }, now, { missing: 'throw' });

/**
 * Applies `change` to one field's items (`applyItemChanges`) and writes the field back (always: the write is fenced by
 * the lease). A missing record throws RegistryRecordMissingError (`missing: 'throw'`, a step that adds) or is nothing
 * to change (`'skip'`, a removal).
 */
async function rewriteFieldItems<K extends MergeableField>(
  table: RegistryTable,
  vpcId: string,
  field: K,
  change: { put?: ItemOf<K>[]; drop?: ItemOf<K>[] },
  now: number,
  options: { missing: 'throw' | 'skip' },
): Promise<void> {
  if ((change.put?.length ?? 0) + (change.drop?.length ?? 0) === 0) return;
  const record = await getRecord(table, vpcId);
  if (!record) {
    if (options.missing === 'skip') return;
    throw recordMissing(vpcId);
  }
  const items = applyItemChanges(field, (record[field] ?? []) as unknown[], change);
  await updateRecord(
    table,
    vpcId,
    { [field]: items, updatedAt: new Date(now).toISOString() },
    options.missing === 'skip' ? { ifExists: true } : {},
  );
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
  const record = await existingRecord(table, vpcId);
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
  const record = await existingRecord(table, vpcId);
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
  hub: HubTransitGateway,
): Promise<boolean> {
  const record = await getRecord(table, vpcId);
  if (!record || !(record.executions ?? []).includes(executionArn)) return false;
  // A membership that never connected and whose rollback removed everything holds nothing: its CIDR claims go too,
  // so that a VPC that really owns the range is not rejected for a claim behind which nothing exists. Asking again
  // claims them again (AcquireLease).
  const release = !record.connectedAt && !holdsSomething(record) && (record.cidrs ?? []).length > 0;
  if (release) {
    await claimCidrs(table, { vpcId, accountId: record.accountId, cidrs: [], previousCidrs: record.cidrs });
    await releaseSlotsOf(table, record, hub);
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

/** Identity of a record item (what `mergeIntoRecord` and `forgetInRecord` compare). */
export function recordItemKey<K extends MergeableField>(field: K, item: ItemOf<K>): string {
  return (identity[field] as (item: ItemOf<K>) => string)(item);
}

/**
 * Write-through of a removal step: drops items from the record (they were removed, vanished with the VPC, or are no
 * longer spokelink's). A missing record is nothing to forget.
 */
export const forgetInRecord: FieldItemsWrite = (table, vpcId, field, items, now) =>
  rewriteFieldItems(table, vpcId, field, { drop: items }, now, { missing: 'skip' });

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
  hub: HubTransitGateway,
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
  await releaseSlotsOf(table, record, hub);
  return { record: ended, history: record.connectedAt !== undefined };
}

/** The hub TGW whose attachment slots (./attachments.ts) a membership that ends gives back. */
export interface HubTransitGateway {
  transitGatewayId: string;
}

/**
 * Gives back the record's attachment slot on the hub TGW (./attachments.ts) and its slot in its endpoint shard
 * (./shards.ts, the recorded shard's), those it holds.
 */
async function releaseSlotsOf(table: RegistryTable, record: ConsumerRecord, hub: HubTransitGateway): Promise<void> {
  await releaseAttachmentSlot(table, {
    transitGatewayId: hub.transitGatewayId,
    vpcId: record.vpcId,
    accountId: record.accountId,
  });
  if (record.shard === undefined) return;
  await releaseShardSlot(table, { segment: record.segment, shard: record.shard, vpcId: record.vpcId });
}

/** Name of the registry's account index (`accountId` / `sk`, every attribute projected). */
export const ACCOUNT_INDEX = REGISTRY_TABLE_SHAPE.accountIndex.name;

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
