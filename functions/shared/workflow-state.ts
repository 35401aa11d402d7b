import * as z from 'zod';
import { CaughtErrorSchema } from './failure';
import { type LeaseFence, LeaseFenceSchema, PlanSchema } from './plan';
import { type VpcRef, vpcRefOf, vpcRefOfEvent } from './vpc-ref';

/**
 * The onboarding execution's state object as the ASL builds it (docs/workflow.md, "State"): the raw event kept
 * under `event`, the plan, the lease, the registry result, and the caught errors. Handlers that serve several states
 * (status, registry) receive it whole (`"state.$": "$"`) and read what they need; unknown fields are ignored.
 */
export const WorkflowStateSchema = z.object({
  event: z.unknown(),
  plan: PlanSchema.optional(),
  /** The error a rejection or ignore path caught (`{ Error, Cause }`). */
  error: CaughtErrorSchema.optional(),
  /** RecordConsumer's result. */
  record: z.object({ summary: z.string() }).optional(),
  failure: z.record(z.string(), CaughtErrorSchema).optional(),
  branches: z.array(z.unknown()).optional(),
  /**
   * AcquireLease's output: the lease the execution holds (absent before it, and in reconcile's status reports).
   * Parsed strictly: a lease in another shape fails the step by name, it never turns a write into an unfenced one.
   */
  lease: LeaseFenceSchema.optional(),
});

export type WorkflowState = z.infer<typeof WorkflowStateSchema>;

/** The VPC an execution is about: from the plan when there is one, else from the event; undefined if neither. */
export function targetOf(state: WorkflowState): VpcRef | undefined {
  if (state.plan) return vpcRefOf(state.plan);
  const parsed = vpcRefOfEvent(state.event);
  return parsed.ok ? parsed.vpc : undefined;
}

/**
 * The lease the execution holds now (`$.lease`, AcquireLease's output; the release before an approval wait replaces
 * it, and the acquisition after the decision sets a new one).
 */
export function fenceOf(state: WorkflowState): LeaseFence | undefined {
  return state.lease;
}
