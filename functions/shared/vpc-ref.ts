import * as z from 'zod';
import { parseTrigger, type Trigger } from './events';
import { LeaseFenceSchema, type Plan } from './plan';

/**
 * The one identity of a spoke VPC that the steps pass around: its id, its account and its region. It is read from the
 * raw event in one place (`vpcRefOfEvent`) and from a plan in one place (`vpcRefOfPlan`); every other VPC identity in
 * the code is this type (or extends it, `RemovalTarget`).
 */
export const VpcRefSchema = z.object({
  vpcId: z.string().min(1),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
});
export type VpcRef = z.infer<typeof VpcRefSchema>;

/** The VpcRef of anything that carries one (a plan, a trigger, a record): only the three fields. */
export function vpcRefOf(from: VpcRef): VpcRef {
  return { vpcId: from.vpcId, accountId: from.accountId, region: from.region };
}

export type VpcRefParse = { ok: true; vpc: VpcRef; trigger: Trigger } | { ok: false; reason: string };

/**
 * The VPC a raw (untrusted) trigger event is about, with the trigger it was read from; never throws. The only place
 * the steps read a VPC's identity from the event (AcquireLease, ValidateAndPlan, PlanOffboarding, ReleaseLease, and
 * the status and registry steps before a plan exists).
 */
export function vpcRefOfEvent(raw: unknown): VpcRefParse {
  const parsed = parseTrigger(raw);
  return parsed.ok ? { ok: true, vpc: vpcRefOf(parsed.trigger), trigger: parsed.trigger } : parsed;
}

/**
 * The VPC a removal step works on (offboarding, the onboarding's rollback, or pruning after a change). `exists` is
 * false once the VPC is deleted: what lived inside it (routes, its side of zone associations) went with it, the hub side
 * is still cleaned up. `spokeReachable` is false when the spoke role cannot be assumed (the account left, or the spoke
 * stack is gone): spoke-side items are then reported as retained instead of removed.
 */
export const RemovalTargetSchema = VpcRefSchema.extend({
  exists: z.boolean().default(true),
  spokeReachable: z.boolean().default(true),
  /** The lease the execution holds: the step renews it and its registry writes are fenced by it. */
  fence: LeaseFenceSchema.optional(),
});
export type RemovalTarget = z.infer<typeof RemovalTargetSchema>;

/** The removal target of a plan (it exists and its spoke role answered: the plan was just made through it). */
export function removalTargetOfPlan(plan: Plan): RemovalTarget {
  return { ...vpcRefOf(plan), exists: true, spokeReachable: true, ...(plan.fence ? { fence: plan.fence } : {}) };
}
