import * as z from 'zod';
import { type Contract, onPlan } from '#shared/contract';
import { FailureMapSchema } from '#shared/failure';
import { LeaseFenceSchema, PlanSchema } from '#shared/plan';
import {
  EndpointServicePrincipalRecordSchema,
  ProfileAssociationRecordSchema,
  RouteRecordSchema,
  SecurityGroupRuleRecordSchema,
  ZoneRecordSchema,
} from '#shared/registry/model';
import { RemovalTargetSchema } from '#shared/vpc-ref';
import { untilSet } from '#shared/workflow-state';
import { RemovalReportSchema } from '../records/contract';

/** PlanOffboarding's result: what the offboarding will remove. */
export const OffboardPlanSchema = z.object({
  vpc: RemovalTargetSchema,
  /** A record that is not `disconnected`: there is something to remove. */
  hasRecord: z.boolean(),
  /** The record's status when offboarding began. */
  recordStatus: z.string().optional(),
  /** The VPC carries a spokelink status tag (worth updating even when nothing was recorded). */
  hasStatusTag: z.boolean(),
  /** What offboarding will go through, for the status detail. */
  detail: z.string(),
});
export type OffboardPlan = z.infer<typeof OffboardPlanSchema>;

const recordItems = {
  routes: z.array(RouteRecordSchema),
  zones: z.array(ZoneRecordSchema),
  /** DNS mode `profile`: the VPC's association with the hub's Route 53 Profile (undone like a zone association). */
  profileAssociations: z.array(ProfileAssociationRecordSchema),
  securityGroupRules: z.array(SecurityGroupRuleRecordSchema),
  endpointServicePrincipals: z.array(EndpointServicePrincipalRecordSchema),
};

/** NoteWhatExists' result: what the record listed when the execution began to change things. */
export const InventorySchema = z.object({
  status: z.enum(['onboarding', 'connected', 'failed', 'offboarding', 'disconnected']).optional(),
  /** Set once the membership was connected: then only what the execution adds is undone on failure. */
  connectedAt: z.string().optional(),
  attachmentId: z.string().optional(),
  routes: recordItems.routes.default([]),
  zones: recordItems.zones.default([]),
  profileAssociations: recordItems.profileAssociations.default([]),
  securityGroupRules: recordItems.securityGroupRules.default([]),
  endpointServicePrincipals: recordItems.endpointServicePrincipals.default([]),
});
export type Inventory = z.infer<typeof InventorySchema>;

export const RollbackModeSchema = z.enum(['membership', 'additions', 'none']);
export type RollbackMode = z.infer<typeof RollbackModeSchema>;

export const ItemCountsSchema = z.object({
  attachment: z.number().int(),
  routes: z.number().int(),
  zones: z.number().int(),
  profiles: z.number().int(),
  rules: z.number().int(),
  principals: z.number().int(),
});
export type ItemCounts = z.infer<typeof ItemCountsSchema>;

/** PlanRollback's result: the ASL chooses the removal steps by `mode`. */
export const RollbackPlanSchema = z.object({
  mode: RollbackModeSchema,
  /** Why this mode, in words (execution history). */
  reason: z.string(),
  /** The VPC for the removal steps (`membership`): still there? its spoke role reachable? */
  vpc: RemovalTargetSchema,
  /** For `additions`: the plan whose wanted items are the ones that existed before (prune keeps them). */
  keep: PlanSchema.optional(),
  /** What the record lists that the mode undoes. */
  toUndo: ItemCountsSchema,
});
export type RollbackPlan = z.infer<typeof RollbackPlanSchema>;

/** What is still recorded after the rollback, of what the execution was to undo. */
export const RemainingSchema = z.object({ attachmentId: z.string().optional(), ...recordItems });
export type Remaining = z.infer<typeof RemainingSchema>;

/** SummarizeRollback's result; `summary` goes into the `failed` status detail. */
export const RollbackOutcomeSchema = z.object({
  mode: RollbackModeSchema,
  /** Nothing failed and nothing of what was to be undone remains. */
  complete: z.boolean(),
  /** What the removal steps removed (or found already gone) of what the record listed. */
  rolledBack: ItemCountsSchema.extend({ share: z.boolean(), authorizations: z.number().int() }),
  remaining: RemainingSchema,
  /** Rollback steps that failed (after their retries), `<Step>: <Error>`. */
  failures: z.array(z.object({ step: z.string(), error: z.string(), message: z.string() })),
  /** One line, at most SUMMARY_MAX characters. */
  summary: z.string(),
});
export type RollbackOutcome = z.infer<typeof RollbackOutcomeSchema>;

/** A rollback branch's end (RollBackMembership / RollBackAdditions): the removal results and its caught failure. */
export const RollbackBranchSchema = z.object({
  undone: RemovalReportSchema.default({}),
  failed: FailureMapSchema.default({}),
});

/** What PlanRollback reads of the onboarding's state: the plan and, for a member, what existed before (`$.before`). */
export const RollbackPlanInputSchema = z.object({ plan: PlanSchema, before: untilSet(InventorySchema) });

/**
 * What SummarizeRollback reads besides: PlanRollback's mode and reason, one entry per branch of RollBackMembership /
 * RollBackAdditions (each read by RollbackBranchSchema, failing by name when it is not in that shape), and the errors
 * the rollback's steps caught. Each is empty when the rollback did not get that far.
 */
export const RollbackStateSchema = RollbackPlanInputSchema.extend({
  rollbackPlan: untilSet(RollbackPlanSchema.pick({ mode: true, reason: true })),
  rollback: untilSet(z.array(z.unknown())),
  rollbackFailure: untilSet(FailureMapSchema),
});
export type RollbackState = z.infer<typeof RollbackStateSchema>;

/**
 * The rollback function's steps: PlanOffboarding, and the onboarding's rollback (docs/workflow.md, "Rollback"), each
 * given the fields of the state it reads by name.
 */
export const RollbackContract = {
  /** PlanOffboarding (no action: the offboarding ASL's original input). */
  'plan-offboarding': {
    input: z.object({
      action: z.literal('plan-offboarding').optional(),
      event: z.unknown(),
      /** The lease the offboarding holds: the removal steps renew it and fence their registry writes with it. */
      lease: LeaseFenceSchema.optional(),
    }),
    output: OffboardPlanSchema,
  },
  /** NoteWhatExists (onboarding of a member): what the record lists before anything changes. */
  inventory: { input: onPlan('inventory'), output: InventorySchema },
  /** PlanRollback (onboarding failure path). */
  'plan-rollback': {
    input: RollbackPlanInputSchema.extend({ action: z.literal('plan-rollback') }),
    output: RollbackPlanSchema,
  },
  /** SummarizeRollback (onboarding failure path). */
  'summarize-rollback': {
    input: RollbackStateSchema.extend({ action: z.literal('summarize-rollback') }),
    output: RollbackOutcomeSchema,
  },
} as const satisfies Contract;
