import * as z from 'zod';
import { type Contract, onPlan, onRemovalTarget } from '#shared/contract';

/** ShareTransitGateway's result. */
export const ShareResultSchema = z.object({
  shareArn: z.string().optional(),
  principalAdded: z.boolean(),
  invitationAccepted: z.boolean(),
  /** The account sees the TGW through the organization share: nothing was done for it. */
  viaOrganization: z.literal(true).optional(),
  /** Why nothing was shared (the VPC is in the hub account). */
  skipped: z.string().optional(),
});
export type ShareResult = z.infer<typeof ShareResultSchema>;

/** CreateAttachment's result: the attachment, made now or found (`reused`). */
export const AttachmentResultSchema = z.object({
  attachmentId: z.string(),
  state: z.string(),
  reused: z.boolean(),
  subnetIds: z.array(z.string()),
});
export type AttachmentResult = z.infer<typeof AttachmentResultSchema>;

/** AcceptAttachment's result (`accepted`: by this call). */
export const AcceptResultSchema = z.object({ attachmentId: z.string(), state: z.string(), accepted: z.boolean() });

/** WaitForAttachment's result. */
export const WaitResultSchema = z.object({ attachmentId: z.string(), state: z.literal('available') });

/** AssociateAndPropagate's result. */
export const AssociationResultSchema = z.object({
  attachmentId: z.string(),
  associationRouteTableId: z.string(),
  /** The segment's tables that hold a static route for each routed CIDR. */
  routeTableIds: z.array(z.string()),
  /** The claimed CIDRs of the plan: the only ones the hub routes to the VPC. */
  routedCidrs: z.array(z.string()),
  /**
   * What changed on the hub's TGW route tables, one line each: `associated with <table>`, `disassociated from
   * <table>`, `route <cidr> in <table>`, `route <cidr> removed from <table>`, `propagation to <table> enabled|disabled`.
   */
  changes: z.array(z.string()),
  /**
   * Every routed CIDR's static route in every segment table was `active` as this step saw it (CreateTransitGatewayRoute's
   * answer, or the search that found it): WaitForConnectivity then does not search the routes again.
   */
  routesActive: z.boolean(),
});
export type AssociationResult = z.infer<typeof AssociationResultSchema>;

/** WaitForConnectivity's result. */
export const ConnectivityResultSchema = z.object({
  /** What was checked, for the audit. */
  confirmed: z.array(z.string()),
});
export type ConnectivityResult = z.infer<typeof ConnectivityResultSchema>;

/** DeleteAttachment's result. */
export const AttachmentRemovalResultSchema = z.object({
  deleted: z.array(z.string()),
  /** Static routes to the VPC's attachments deleted from the hub tables (`<table> <cidr>`). */
  routesRemoved: z.array(z.string()),
  /** Attachments already deleting or deleted. */
  alreadyGone: z.array(z.string()),
});
export type AttachmentRemovalResult = z.infer<typeof AttachmentRemovalResultSchema>;

/** UnshareTransitGateway's result. */
export const UnshareResultSchema = z.object({
  unshared: z.boolean(),
  /** Why the account stays a principal of the share. */
  kept: z.string().optional(),
});
export type UnshareResult = z.infer<typeof UnshareResultSchema>;

/** AssociateZones' result as WaitForConnectivity reads it (`$.branches[1]`): the Route 53 changes it made. */
export const DnsChangesSchema = z
  .object({
    changeIds: z.array(z.string().min(1)).default([]),
    /** DNS mode `profile`: the VPC's association with the hub's Profile, which must be COMPLETE. */
    profileAssociationId: z.string().min(1).optional(),
  })
  .default({ changeIds: [] });

const onAttachment = <A extends string>(action: A) => onPlan(action).extend({ attachmentId: z.string().min(1) });

/** The transit-gateway function's steps (docs/workflow.md). */
export const TransitGatewayContract = {
  share: { input: onPlan('share'), output: ShareResultSchema },
  create: { input: onPlan('create'), output: AttachmentResultSchema },
  accept: { input: onAttachment('accept'), output: AcceptResultSchema },
  wait: { input: onAttachment('wait'), output: WaitResultSchema },
  /** `attachmentReused`: CreateAttachment's `reused` (false: made by this execution, nothing to read first). */
  associate: {
    input: onAttachment('associate').extend({ attachmentReused: z.boolean().optional() }),
    output: AssociationResultSchema,
  },
  /** WaitForConnectivity, with AssociateZones' changes and AssociateAndPropagate's `routesActive`. */
  confirm: {
    input: onAttachment('confirm').extend({ zones: DnsChangesSchema, routesActive: z.boolean().optional() }),
    output: ConnectivityResultSchema,
  },
  /** Offboarding: DeleteAttachment and UnshareTransitGateway (no plan: the VPC and its registry record). */
  remove: {
    input: onRemovalTarget('remove'),
    output: AttachmentRemovalResultSchema,
  },
  unshare: {
    input: onRemovalTarget('unshare'),
    output: UnshareResultSchema,
  },
} as const satisfies Contract;
