import * as z from 'zod';
import type { Contract } from '#shared/contract';
import { LeaseFenceSchema, PlanSchema } from '#shared/plan';
import type { ApprovalRequirement, ChangeAssessment } from './change';

/**
 * ValidateAndPlan's and RevalidateAfterDecision's result: the plan, what it changes compared with the registry record,
 * whether it needs an approval, and the request's digest (what an approval binds). `change` and `approval` are typed,
 * not parsed (./change.ts computes them; the ASL's Choice states read them).
 */
export const PlannedRequestSchema = PlanSchema.extend({
  change: z.custom<ChangeAssessment>(),
  approval: z.custom<ApprovalRequirement>(),
  requestDigest: z.string(),
});

/** The validate function's one step (no action: the raw event and the lease the execution holds). */
export const ValidateContract = {
  plan: {
    input: z.object({
      event: z.unknown(),
      /** The lease the execution holds (AcquireLease's output): the plan is made under it and carries it as `fence`. */
      lease: LeaseFenceSchema.optional(),
    }),
    output: PlannedRequestSchema,
  },
} as const satisfies Contract;
