import * as z from 'zod';
import { type Contract, makingActions } from '#shared/contract';
import {
  EndpointConnectionRecordSchema,
  EndpointServicePrincipalRecordSchema,
  SecurityGroupRuleRecordSchema,
} from '#shared/registry/model';

/** RegisterConsumer's result. */
export const ConsumerResultSchema = z.object({
  rulesCreated: z.number().int(),
  rulesExisting: z.number().int(),
  /** Matching rules that carry another description: they grant the access but are not spokelink's to remove. */
  rulesNotOurs: z.number().int(),
  /** Endpoint services (ids) the account's principal was added to by this call. */
  principalsAdded: z.array(z.string()),
  connectionsAccepted: z.array(z.string()),
  /** Pending connections of the account that were not accepted: their endpoint is not in this VPC. */
  connectionsLeftPending: z.array(EndpointConnectionRecordSchema.extend({ reason: z.string() })),
});
export type ConsumerResult = z.infer<typeof ConsumerResultSchema>;

/** RemoveEndpointAccess' and PruneEndpointAccess' result. */
export const ConsumerRemovalResultSchema = z.object({
  rulesRevoked: z.array(SecurityGroupRuleRecordSchema),
  rulesVanished: z.array(SecurityGroupRuleRecordSchema),
  /** Rules whose description changed: not spokelink's any more (drift to report). */
  rulesNotOurs: z.array(SecurityGroupRuleRecordSchema.extend({ foundDescription: z.string() })),
  principalsRemoved: z.array(EndpointServicePrincipalRecordSchema),
  /**
   * Recorded principals the service does not allow: written ahead of an add whose call never took effect, or removed
   * by someone else. Nothing to remove; forgotten.
   */
  principalsAbsent: z.array(EndpointServicePrincipalRecordSchema),
  /** Principals kept because other VPCs of the account still use them. */
  principalsKept: z.array(EndpointServicePrincipalRecordSchema.extend({ usedBy: z.array(z.string()) })),
  /** Accepted connections of the VPC now rejected: their endpoints can no longer reach the service. */
  connectionsRejected: z.array(EndpointConnectionRecordSchema),
  /** Recorded connections already rejected, deleted, or gone with their endpoint: nothing to reject; forgotten. */
  connectionsGone: z.array(EndpointConnectionRecordSchema),
});
export type ConsumerRemovalResult = z.infer<typeof ConsumerRemovalResultSchema>;

/** The consumer function's steps: the `*EndpointAccess` states (docs/workflow.md). */
export const ConsumerContract = {
  /**
   * RegisterConsumer (`register`, the onboarding ASL's original input), PruneEndpointAccess (the rules the plan no
   * longer wants), RemoveEndpointAccess (every recorded rule and, if no other VPC of the account needs it, the
   * principal).
   */
  ...makingActions('register', ConsumerResultSchema, ConsumerRemovalResultSchema),
} as const satisfies Contract;
