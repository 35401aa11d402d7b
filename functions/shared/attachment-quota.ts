import { type HubConfig, regionalConfig, servedRegions } from './config';
import { RejectedError } from './errors';
import { QUOTAS } from './quotas';
import type { NoRoom } from './registry/attachments';
import type { ConsumerRecord } from './registry/model';

/**
 * The hub TGW's "Attachments per transit gateway" quota (quotas.ts: 5,000, not adjustable) as spokelink keeps it: the
 * registry holds one attachment slot per spoke VPC (registry/attachments.ts); the attachments it holds no slot for are
 * the configured peers' peering attachments (one per peer of the hub's region, `hub.peers`) and
 * `capacity.otherAttachments` (the hub VPC's own, VPN, Connect). ValidateAndPlan refuses a VPC that would need one
 * attachment too many (`capacity`), or one more than its account's budget (`budgets.attachmentsPerAccount`:
 * `budget-exceeded`), BeginOnboarding takes its slot race-free (both conditions), offboarding gives it back; preflight
 * and the headroom metrics count the same way (headroom.ts).
 */

export type AttachmentConfig = Pick<HubConfig, 'capacity' | 'hub' | 'budgets'>;

/** Peering attachments of the hub TGW: one per configured peer region of the hub's region. */
export const peeringAttachmentsOf = (config: Pick<HubConfig, 'hub'>) => Object.keys(config.hub.peers).length;

/** Attachments of the hub TGW the registry holds no slot for: the peerings and `capacity.otherAttachments`. */
export const unregisteredAttachmentsOf = (config: AttachmentConfig) =>
  config.capacity.otherAttachments + peeringAttachmentsOf(config);

/** How many spoke VPCs the registry may give an attachment slot: the quota minus the unregistered attachments. */
export const spokeAttachmentRoom = (config: AttachmentConfig) =>
  QUOTAS.attachmentsPerTransitGateway.value - unregisteredAttachmentsOf(config);

/**
 * Whether the VPC's membership holds its attachment already (a re-plan of a member): its slot never counts twice, and
 * a membership from before the slots were counted takes its slot without the capacity condition (AWS counts it).
 */
export const holdsAttachment = (record: ConsumerRecord | undefined): boolean =>
  record !== undefined && record.status !== 'disconnected' && record.attachmentId !== undefined;

/** The conditions of an attachment slot (registry/attachments.ts): the TGW's room for spoke VPCs, the account budget. */
export const attachmentLimits = (config: AttachmentConfig) => ({
  free: spokeAttachmentRoom(config),
  budget: config.budgets.attachmentsPerAccount,
});

/** A served region's hub TGW and what its attachment slots are counted against (spokelink migrate's backfill). */
export interface HubAttachmentLimits {
  region: string;
  transitGatewayId: string;
  /** Spoke VPCs the TGW has room for (spokeAttachmentRoom). */
  free: number;
  /** `budgets.attachmentsPerAccount`. */
  budget: number;
  /** Its attachments the registry holds no slot for (unregisteredAttachmentsOf). */
  unregistered: number;
}

/** Every served region's hub TGW with its limits, as each region's hub reads the configuration (regionalConfig). */
export function hubAttachmentLimitsOf(config: HubConfig): HubAttachmentLimits[] {
  return servedRegions(config).map((region) => {
    const view = regionalConfig(config, region);
    return {
      region,
      transitGatewayId: view.hub.transitGatewayId,
      ...attachmentLimits(view),
      unregistered: unregisteredAttachmentsOf(view),
    };
  });
}

/**
 * The rejection of a VPC for which the attachment slots have no room (registry/attachments.ts `NoRoom`): `capacity`
 * naming the quota when the TGW is full, `budget-exceeded` when its account's budget is used up.
 */
export function attachmentRefusal(
  config: AttachmentConfig,
  vpc: { vpcId: string; accountId: string },
  noRoom: NoRoom,
): RejectedError {
  const n = (x: number) => x.toLocaleString('en-US');
  if ('overBudget' in noRoom) {
    const held = noRoom.overBudget;
    return new RejectedError(
      `budget-exceeded: budgets.attachmentsPerAccount: account ${vpc.accountId} would hold ${held + 1} attachments ` +
        `on Transit Gateway ${config.hub.transitGatewayId}, over its budget of ${config.budgets.attachmentsPerAccount} ` +
        `(${held} used by its other VPCs)`,
      'budget-exceeded',
    );
  }
  const quota = QUOTAS.attachmentsPerTransitGateway;
  return new RejectedError(
    `capacity: ${quota.name} (${n(quota.value)}, not adjustable) reached on ${config.hub.transitGatewayId}: ` +
      `${n(noRoom.full)} spoke VPCs, ${n(config.capacity.otherAttachments)} other and ${peeringAttachmentsOf(config)} ` +
      `peering attachments; no attachment left for ${vpc.vpcId}`,
    'capacity',
  );
}
