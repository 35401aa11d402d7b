import * as z from 'zod';
import { type Contract, madeResult, makingActions, onPlan } from '#shared/contract';
import { ProfileAssociationRecordSchema, SpokeEndpointRecordSchema, ZoneRecordSchema } from '#shared/registry/model';

/** AssociateZones' result for the zones. */
export const ZonesResultSchema = z.object({
  /** Associations this call made. */
  associated: z.array(ZoneRecordSchema),
  /** Associations that were already there (kept, never counted as made by this call). */
  alreadyAssociated: z.array(ZoneRecordSchema),
  /**
   * Route 53 change ids of the associations this call made (`/change/C...`): DNS is in effect for the VPC once each is
   * INSYNC (GetChange, by the spoke that made it); WaitForConnectivity waits for that.
   */
  changeIds: z.array(z.string()),
});
export type ZonesResult = z.infer<typeof ZonesResultSchema>;

/** AssociateZones in profile mode: the association id, whether it was made now. */
export const ProfileResultSchema = z.object({
  profileAssociationId: z.string(),
  profileAssociated: z.boolean(),
  /** An account outside the organization: the Profile share's invitation, accepted now (false: before). */
  profileInvitationAccepted: z.boolean().optional(),
});
export type ProfileResult = z.infer<typeof ProfileResultSchema>;

export const ZoneRemovalResultSchema = z.object({
  disassociated: z.array(ZoneRecordSchema),
  /** The association was already gone (or the zone was deleted). */
  vanished: z.array(ZoneRecordSchema),
  /** Not removed, still recorded, with the reason (the zone's last VPC). */
  retained: z.array(ZoneRecordSchema.extend({ reason: z.string() })),
  /** Authorizations a failed onboarding had left, now deleted (zone ids). */
  authorizationsDeleted: z.array(z.string()),
});
export type ZoneRemovalResult = z.infer<typeof ZoneRemovalResultSchema>;

export const ProfileRemovalResultSchema = z.object({
  profilesDisassociated: z.array(ProfileAssociationRecordSchema),
  /** Already gone (or the VPC was deleted). */
  profilesVanished: z.array(ProfileAssociationRecordSchema),
});
export type ProfileRemovalResult = z.infer<typeof ProfileRemovalResultSchema>;

/** CreateSpokeEndpoints' result: the local services' endpoints made now and those already there (recorded, live). */
export const SpokeEndpointResultSchema = madeResult(SpokeEndpointRecordSchema);
export type SpokeEndpointResult = z.infer<typeof SpokeEndpointResultSchema>;

export const SpokeEndpointRemovalResultSchema = z.object({
  deleted: z.array(SpokeEndpointRecordSchema),
  /** The recorded endpoint was already gone (or the VPC with it). */
  vanished: z.array(SpokeEndpointRecordSchema),
  /**
   * Security groups still held by an endpoint being deleted: left recorded, and the call fails with
   * SpokeEndpointDeletingError so that the step is retried until they are deleted.
   */
  groupsPending: z.array(z.string()),
  /** The spoke role did not answer: nothing deleted, everything stays recorded (and is reported). */
  unreachable: z.array(SpokeEndpointRecordSchema).optional(),
});
export type SpokeEndpointRemovalResult = z.infer<typeof SpokeEndpointRemovalResultSchema>;

/**
 * What PruneZoneAssociations and RemoveZoneAssociations return: the zones' and the Profile's removals, and the VPC's
 * own endpoints for local services it no longer has (removed first).
 */
export const DnsRemovalResultSchema = ZoneRemovalResultSchema.extend(ProfileRemovalResultSchema.shape).extend({
  spokeEndpoints: SpokeEndpointRemovalResultSchema,
  /** Prune after a move to the spoke: the endpoints whose private DNS was turned on once the hub's zone was gone. */
  privateDnsEnabled: z.array(z.string()).optional(),
});

/** The zones function's steps (docs/workflow.md). */
export const ZonesContract = {
  /**
   * AssociateZones (`associate`, the onboarding ASL's original input; in DNS mode `profile` with the Profile's),
   * PruneZoneAssociations (the zones the plan no longer wants), RemoveZoneAssociations (every recorded zone).
   */
  ...makingActions(
    'associate',
    ZonesResultSchema.extend(ProfileResultSchema.partial().shape).extend({
      /** A move back to the hub: the VPC's endpoints whose private DNS was turned off before the zones were associated. */
      privateDnsReleased: z.array(z.string()).optional(),
    }),
    DnsRemovalResultSchema,
  ),
  /** CreateSpokeEndpoints: the interface endpoints of the plan's local services, in the spoke VPC. */
  endpoints: {
    input: onPlan('endpoints'),
    output: SpokeEndpointResultSchema,
  },
} as const satisfies Contract;
