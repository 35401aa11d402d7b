import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { type HubAttachmentLimits, holdsAttachment } from '../attachment-quota';
import { QUOTAS } from '../quotas';
import {
  type AttachmentSlots,
  addBackfilledMembers,
  BACKFILL_BATCH,
  readAttachmentSlots,
  withdrawBackfilledSlot,
} from './attachments';
import { type ConsumerRecord, registryKeys } from './model';
import type { RegistryTable } from './table';

/**
 * The attachment slots of a hub upgraded from a release without them (`spokelink migrate`, schema.ts): every VPC whose
 * record holds its attachment to a hub TGW and has no member in that TGW's slots (attachments.ts) gets one, so that
 * the hub counts its TGW and each account's `budgets.attachmentsPerAccount` as AWS does.
 *
 * What counts is the registry's own record, written by the hub under the VPC's lease: `attachmentId` on a membership
 * that is not `disconnected` (holdsAttachment, the rule BeginOnboarding applies) and the TGW of the record's `region`
 * in the hub configuration. No tag and nothing in the tenant's account is read: a tenant can neither earn a member for
 * a VPC the hub never attached (a member lets a VPC past the capacity check) nor charge one to another account.
 *
 * Beside live workflows: an onboarding taking the same VPC's slot meanwhile and the backfill both write only while the
 * VPC has no member, so it is added once. An offboarding gives the slot back only after its record lost the attachment
 * (forgetAttachment, then archiveMembership or markFailed): a member added from a stale read after that release would
 * stay forever. DynamoDB could condition the add on the record in a transaction, but the local emulator has none
 * (index.ts), so the backfill writes, then reads the record again (strongly consistent): still holding its
 * attachment, the release comes after the add and removes it; no longer, the member is withdrawn (only while no lease
 * holder has stamped it since: an onboarding that took it owns it). Members are added by whole writes (of up to
 * BACKFILL_BATCH): an interrupted run leaves whole members, and a run again adds what is left.
 */

export interface AddedSlot {
  vpcId: string;
  accountId: string;
}

/** One hub TGW after the backfill (or, with `dryRun`, as it would be). */
export interface TransitGatewaySlots {
  region: string;
  transitGatewayId: string;
  /** Members this run added (with `dryRun`: would add), by VPC. */
  added: AddedSlot[];
  /** VPCs holding an attachment that had their member already. */
  held: number;
  /** Spoke VPCs holding a slot. */
  spokeVpcs: number;
  /** Attachments counted against AWS's quota: the spoke VPCs and the attachments the registry holds no slot for. */
  attachments: number;
  /** AWS's "Attachments per transit gateway". */
  quota: number;
  /** Over the quota: more than AWS admits (attachments spokelink does not know about, or a quota stated too low). */
  overQuota: boolean;
  /** Accounts holding more attachments than `budgets.attachmentsPerAccount`. */
  accountsOverBudget: { accountId: string; attachments: number; budget: number }[];
}

export interface SlotBackfillReport {
  transitGateways: TransitGatewaySlots[];
  /** VPCs holding an attachment per their record that got no member, and why. */
  skipped: { vpcId: string; reason: string }[];
}

/**
 * Backfills the hub TGWs' attachment slots from the current records among `items` (a scan of the registry) against
 * `hubs` (hubAttachmentLimitsOf the configuration). `dryRun`: reads and reports, writes nothing.
 */
export async function backfillAttachmentSlots(
  table: RegistryTable,
  items: Record<string, unknown>[],
  options: { hubs: HubAttachmentLimits[]; dryRun: boolean },
): Promise<SlotBackfillReport> {
  const hubOf = new Map(options.hubs.map((hub) => [hub.region, hub]));
  const skipped: SlotBackfillReport['skipped'] = [];
  const attached = new Map<string, ConsumerRecord[]>();
  for (const item of items) {
    if (item.sk !== 'CURRENT') continue;
    const record = item as unknown as ConsumerRecord;
    if (!holdsAttachment(record)) continue;
    const hub = hubOf.get(record.region);
    if (!hub) {
      skipped.push({ vpcId: record.vpcId, reason: `its region ${record.region} is not served by the configuration` });
      continue;
    }
    const ofHub = attached.get(hub.transitGatewayId) ?? [];
    ofHub.push(record);
    attached.set(hub.transitGatewayId, ofHub);
  }
  const transitGateways: TransitGatewaySlots[] = [];
  for (const hub of options.hubs) {
    const records = (attached.get(hub.transitGatewayId) ?? []).sort((a, b) => a.vpcId.localeCompare(b.vpcId));
    const before = await readAttachmentSlots(table, hub.transitGatewayId);
    if (records.length === 0 && Object.keys(before.members).length === 0) continue;
    const missing = records
      .filter((r) => !before.members[r.vpcId])
      .map(({ vpcId, accountId }) => ({ vpcId, accountId }));
    const written = options.dryRun ? { added: missing, meanwhile: 0 } : await addVerified(table, hub, missing, skipped);
    const held = records.length - missing.length + written.meanwhile;
    const { added } = written;
    const after = options.dryRun ? withAdded(before, added) : await readAttachmentSlots(table, hub.transitGatewayId);
    transitGateways.push(slotsReport(hub, after, added, held));
  }
  return { transitGateways, skipped: skipped.sort((a, b) => a.vpcId.localeCompare(b.vpcId)) };
}

/**
 * Adds the members of `missing` (addBackfilledMembers), then reads their records again: a record that lost its
 * attachment meanwhile (an offboarding released its slot from before the write) gets its member withdrawn and is
 * `skipped`. The members added, and how many VPCs had one meanwhile (an onboarding took it).
 */
async function addVerified(
  table: RegistryTable,
  hub: HubAttachmentLimits,
  missing: AddedSlot[],
  skipped: SlotBackfillReport['skipped'],
): Promise<{ added: AddedSlot[]; meanwhile: number }> {
  const written = new Set(await addBackfilledMembers(table, hub.transitGatewayId, missing));
  const added: AddedSlot[] = [];
  const mine = missing.filter((vpc) => written.has(vpc.vpcId));
  for (let start = 0; start < mine.length; start += BACKFILL_BATCH) {
    const batch = mine.slice(start, start + BACKFILL_BATCH);
    const now = await Promise.all(batch.map((vpc) => currentRecord(table, vpc.vpcId)));
    for (const [i, vpc] of batch.entries()) {
      if (holdsAttachment(now[i])) {
        added.push(vpc);
        continue;
      }
      await withdrawBackfilledSlot(table, { transitGatewayId: hub.transitGatewayId, ...vpc });
      skipped.push({ vpcId: vpc.vpcId, reason: 'its attachment was deleted (offboarded) while migrate ran' });
    }
  }
  return { added, meanwhile: missing.length - written.size };
}

/** The VPC's current record as stored now (strongly consistent). */
async function currentRecord(table: RegistryTable, vpcId: string): Promise<ConsumerRecord | undefined> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: registryKeys.current(vpcId), ConsistentRead: true }),
  );
  return Item as ConsumerRecord | undefined;
}

/** The slots as they would be with `added` (a dry run). */
function withAdded(slots: AttachmentSlots, added: AddedSlot[]): AttachmentSlots {
  const members = { ...slots.members };
  const accounts = { ...slots.accounts };
  for (const { vpcId, accountId } of added) {
    members[vpcId] = { accountId };
    accounts[accountId] = (accounts[accountId] ?? 0) + 1;
  }
  return { ...slots, members, accounts };
}

function slotsReport(
  hub: HubAttachmentLimits,
  slots: AttachmentSlots,
  added: AddedSlot[],
  held: number,
): TransitGatewaySlots {
  const spokeVpcs = Object.keys(slots.members).length;
  const attachments = spokeVpcs + hub.unregistered;
  const quota = QUOTAS.attachmentsPerTransitGateway.value;
  return {
    region: hub.region,
    transitGatewayId: hub.transitGatewayId,
    added,
    held,
    spokeVpcs,
    attachments,
    quota,
    overQuota: attachments > quota,
    accountsOverBudget: Object.entries(slots.accounts)
      .filter(([, n]) => n > hub.budget)
      .map(([accountId, n]) => ({ accountId, attachments: n, budget: hub.budget }))
      .sort((a, b) => a.accountId.localeCompare(b.accountId)),
  };
}
