import * as z from 'zod';
import { parseTrigger } from './events';
import { CaughtErrorSchema } from './failure';
import { type LeaseFence, LeaseFenceSchema, PlanSchema } from './plan';

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

export interface VpcTarget {
  vpcId: string;
  accountId: string;
  region: string;
}

/** The VPC an execution is about: from the plan when there is one, else from the event; undefined if neither. */
export function targetOf(state: WorkflowState): VpcTarget | undefined {
  if (state.plan) return { vpcId: state.plan.vpcId, accountId: state.plan.accountId, region: state.plan.region };
  const parsed = parseTrigger(state.event);
  if (!parsed.ok) return undefined;
  const { vpcId, accountId, region } = parsed.trigger;
  return { vpcId, accountId, region };
}

/**
 * The lease the execution holds now (`$.lease`, AcquireLease's output; the release before an approval wait replaces
 * it, and the acquisition after the decision sets a new one).
 */
export function fenceOf(state: WorkflowState): LeaseFence | undefined {
  return state.lease;
}
