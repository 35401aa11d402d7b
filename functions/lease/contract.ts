import * as z from 'zod';
import type { Contract } from '#shared/contract';
import { PlanSchema } from '#shared/plan';
import type { Lease } from '#shared/registry';

/**
 * AcquireLease's result: the lease the execution holds (`$.lease`; LeaseFenceSchema is what later steps read of it),
 * the registry's `Lease` item.
 */
export const LeaseSchema = z.object({
  vpcId: z.string(),
  /** Execution ARN of the holder. */
  owner: z.string(),
  acquiredAt: z.string(),
  /** Epoch seconds after which the lease may be taken over without asking whether the holder still runs. */
  expiresAt: z.number(),
  /** The fencing token: grows by one with every acquisition of this VPC's lease (kept when the lease is released). */
  token: z.number().int(),
}) satisfies z.ZodType<Lease>;

/** BeginOnboarding's result. */
export const OnboardingSchema = z.object({
  /** CIDR claim buckets (/16) the VPC holds. */
  claimedBuckets: z.array(z.string()),
});
export type Onboarding = z.infer<typeof OnboardingSchema>;

const acquireInput = <A extends string>(action: A) =>
  z.object({ action: z.literal(action), event: z.unknown(), executionArn: z.string().min(1) });

/** The lease function's steps (docs/workflow.md, "Leases"). */
export const LeaseContract = {
  /** The lease (onboarding and offboarding, first thing; onboarding again after an approval decision). */
  acquire: { input: acquireInput('acquire'), output: LeaseSchema },
  /** Kept for executions started before `acquire` took the event: the same lease. */
  'acquire-lease-only': { input: acquireInput('acquire-lease-only'), output: LeaseSchema },
  /** CIDR claims and the registry record, under the lease the plan was made under. */
  begin: {
    input: z.object({ action: z.literal('begin'), plan: PlanSchema, executionArn: z.string().min(1) }),
    output: OnboardingSchema,
  },
  /** The raw event (the VPC id comes from it, so release works on paths where no plan exists). */
  release: { input: acquireInput('release'), output: z.object({ released: z.boolean() }) },
} as const satisfies Contract;
