import { PutCommand, paginateScan, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HubAttachmentLimits } from '../attachment-quota';
import { isAwsError, RegistrySchemaError } from '../errors';
import { backfillAttachmentSlots, type SlotBackfillReport } from './backfill';
import type { RegistryTable } from './table';

/**
 * Versions of the registry's records (`VPC#<vpcId>` / `CURRENT` and `HISTORY#...`): each carries `schemaVersion`.
 *
 * - 1: the records of the releases before versions (the last one: commit 93dae39), which carry no `schemaVersion`:
 *   no `endpointConnections`, no `quarantine`; their VPCs were routed back by TGW route propagation.
 * - 2 (current): `schemaVersion: 2`, `endpointConnections` and `quarantine` always present; the hub routes back with
 *   static routes for the claimed CIDRs only. A record migrated from 1 that holds an attachment is marked
 *   `upgradedFrom: 1` until an onboarding re-plans it (the reconcile starts one, `schema-upgrade`), which replaces the
 *   propagation by static routes; beginOnboarding drops the mark.
 *
 * The code reads a record of an older version as it is (absent lists read as empty); a record of a newer version
 * (written by a later spokelink) is refused (RegistrySchemaError), never half-understood. `spokelink migrate` brings
 * every record to the current version (migrateRegistry). The coordination items (leases, CIDR claims, the status
 * order, approvals, the intake queue) did not change shape between 1 and 2 and carry no version: they are transient
 * and read with defaults (a lease without a token counts from 0).
 */
export const REGISTRY_SCHEMA_VERSION = 2;

/** Key of the item that records the table's migrations (what `spokelink migrate` did last). */
export const SCHEMA_ITEM_KEY = { pk: 'SCHEMA', sk: 'REGISTRY' };

/** The schema version of a stored item (absent: 1, the releases before versions). */
export function schemaVersionOf(item: Record<string, unknown>): number {
  return typeof item.schemaVersion === 'number' ? item.schemaVersion : 1;
}

/** Throws RegistrySchemaError when `item` was written by a newer spokelink (its schema is above this code's). */
export function checkReadable(item: Record<string, unknown>, what: string): void {
  const version = schemaVersionOf(item);
  if (version > REGISTRY_SCHEMA_VERSION) {
    throw new RegistrySchemaError(
      `${what} has registry schema ${version}, newer than this spokelink's (${REGISTRY_SCHEMA_VERSION}): ` +
        'deploy the spokelink release that wrote it (or a later one); nothing was changed',
    );
  }
}

/** Whether an item is a consumer record (current or history), the items that carry a schema version. */
export function isRecordItem(item: Record<string, unknown>): boolean {
  return (
    String(item.pk ?? '').startsWith('VPC#') && (item.sk === 'CURRENT' || String(item.sk ?? '').startsWith('HISTORY#'))
  );
}

/** What one record's migration sets (attributes added; nothing is removed or rewritten). */
export interface RecordMigration {
  pk: string;
  sk: string;
  vpcId: string;
  from: number;
  to: number;
  /** The attributes the migration adds. */
  set: Record<string, unknown>;
}

/** The migration of one record item to the current version, or undefined when it is current already. */
export function recordMigration(item: Record<string, unknown>): RecordMigration | undefined {
  const from = schemaVersionOf(item);
  if (from >= REGISTRY_SCHEMA_VERSION) return undefined;
  const set: Record<string, unknown> = { schemaVersion: REGISTRY_SCHEMA_VERSION };
  // 1 -> 2: the lists added by version 2, and the re-plan of a VPC that may still be routed by propagation.
  if (item.endpointConnections === undefined) set.endpointConnections = [];
  if (item.quarantine === undefined) set.quarantine = [];
  if (item.sk === 'CURRENT' && typeof item.attachmentId === 'string' && item.status !== 'disconnected') {
    set.upgradedFrom = from;
  }
  return {
    pk: String(item.pk),
    sk: String(item.sk),
    vpcId: String(item.vpcId ?? String(item.pk).slice('VPC#'.length)),
    from,
    to: REGISTRY_SCHEMA_VERSION,
    set,
  };
}

export interface MigrationReport {
  /** The version every record has after the run (or would have, with `dryRun`). */
  target: number;
  dryRun: boolean;
  /** Record items by the version they had when read. */
  found: Record<string, number>;
  /** Records migrated by this run (with `dryRun`: that would be). */
  migrated: RecordMigration[];
  /** Records that were current already (an earlier or interrupted run migrated them, or new code wrote them). */
  alreadyCurrent: number;
  /** VPCs whose record is marked `upgradedFrom`: the reconcile re-plans them (`schema-upgrade`). */
  replans: string[];
  /** The hub TGWs' attachment slots backfilled for the VPCs that held an attachment but no slot (backfill.ts). */
  attachmentSlots: SlotBackfillReport;
}

/**
 * Brings every record of the registry to REGISTRY_SCHEMA_VERSION. Idempotent and resumable: each record is updated
 * on its own, conditioned on still having an older version (a record migrated meanwhile, by an interrupted run or by
 * the workflows of this release writing it, is left as it is), and it only adds attributes, so it runs beside live
 * workflows. Then backfills the attachment slots of `hubs` (hubAttachmentLimitsOf the configuration; backfill.ts),
 * as idempotent and as safe beside live workflows. Refuses (RegistrySchemaError, before writing anything) a registry
 * holding a record newer than this code. `dryRun`: reads and reports, writes nothing.
 */
export async function migrateRegistry(
  table: RegistryTable,
  options: { dryRun: boolean; now: number; hubs: HubAttachmentLimits[] },
): Promise<MigrationReport> {
  const items: Record<string, unknown>[] = [];
  for await (const page of paginateScan({ client: table.dynamo }, { TableName: table.tableName })) {
    items.push(...(page.Items ?? []).filter(isRecordItem));
  }
  for (const item of items) checkReadable(item, `${String(item.pk)} / ${String(item.sk)}`);

  const report: MigrationReport = {
    target: REGISTRY_SCHEMA_VERSION,
    dryRun: options.dryRun,
    found: {},
    migrated: [],
    alreadyCurrent: 0,
    replans: [],
    attachmentSlots: { transitGateways: [], skipped: [] },
  };
  for (const item of items) {
    const version = String(schemaVersionOf(item));
    report.found[version] = (report.found[version] ?? 0) + 1;
    const migration = recordMigration(item);
    if (!migration) {
      report.alreadyCurrent += 1;
      if (item.sk === 'CURRENT' && item.upgradedFrom !== undefined) report.replans.push(String(item.vpcId));
      continue;
    }
    if (!options.dryRun && !(await applyMigration(table, migration))) {
      report.alreadyCurrent += 1;
      continue;
    }
    report.migrated.push(migration);
    if (migration.set.upgradedFrom !== undefined) report.replans.push(migration.vpcId);
  }
  report.migrated.sort((a, b) => `${a.pk}${a.sk}`.localeCompare(`${b.pk}${b.sk}`));
  report.replans.sort();
  report.attachmentSlots = await backfillAttachmentSlots(table, items, options);
  if (!options.dryRun) {
    await table.dynamo.send(
      new PutCommand({
        TableName: table.tableName,
        Item: {
          ...SCHEMA_ITEM_KEY,
          kind: 'schema',
          schemaVersion: REGISTRY_SCHEMA_VERSION,
          migratedAt: new Date(options.now).toISOString(),
          migrated: report.migrated.length,
        },
      }),
    );
  }
  return report;
}

/** One record's update, if it still has an older version; false when it no longer does (nothing written). */
async function applyMigration(table: RegistryTable, migration: RecordMigration): Promise<boolean> {
  const { schemaVersion, ...added } = migration.set;
  const entries = Object.entries(added);
  try {
    await table.dynamo.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: migration.pk, sk: migration.sk },
        // if_not_exists: a list a workflow wrote between the scan and this update is kept.
        UpdateExpression: `SET #version = :version${entries.map((_, i) => `, #a${i} = if_not_exists(#a${i}, :v${i})`).join('')}`,
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#version) OR #version < :target)',
        ExpressionAttributeNames: {
          '#version': 'schemaVersion',
          ...Object.fromEntries(entries.map(([name], i) => [`#a${i}`, name])),
        },
        ExpressionAttributeValues: {
          ':target': REGISTRY_SCHEMA_VERSION,
          ':version': schemaVersion,
          ...Object.fromEntries(entries.map(([, value], i) => [`:v${i}`, value])),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'ConditionalCheckFailedException')) return false;
    throw error;
  }
}
