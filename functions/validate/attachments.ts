import { type AttachmentConfig, attachmentLimits, attachmentRefusal, holdsAttachment } from '#shared/attachment-quota';
import { getRecord, noRoomFor, type RegistryTable, readSlotOfVpc } from '#shared/registry';

/**
 * Refuses (`capacity`, naming "Attachments per transit gateway") a VPC that would need an attachment the hub TGW no
 * longer has room for, or (`budget-exceeded: budgets.attachmentsPerAccount`) one more than its account's budget, from
 * the registry's attachment slots read under the VPC's lease (#shared/attachment-quota): nothing is written,
 * BeginOnboarding takes the slot race-free. A VPC that holds a slot, or whose membership holds its
 * attachment already (a re-plan), never counts twice. A TGW filled by attachments spokelink does not know about is
 * still AWS's last word: CreateAttachment then fails with the quota error (QuotaExceededError, `failed`).
 */
export async function checkAttachmentSlot(
  config: AttachmentConfig,
  registry: RegistryTable,
  { vpcId, accountId }: { vpcId: string; accountId: string },
): Promise<void> {
  const [record, slots] = await Promise.all([
    getRecord(registry, vpcId),
    readSlotOfVpc(registry, config.hub.transitGatewayId, vpcId),
  ]);
  if (slots.member || holdsAttachment(record)) return;
  const noRoom = noRoomFor(slots, { accountId, ...attachmentLimits(config) });
  if (noRoom) throw attachmentRefusal(config, { vpcId, accountId }, noRoom);
}
