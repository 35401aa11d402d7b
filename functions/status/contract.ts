import * as z from 'zod';
import type { Contract } from '#shared/contract';
import { CaughtErrorSchema, FailureMapSchema } from '#shared/failure';
import { PlanSchema } from '#shared/plan';
import { STATUSES, type Status } from '#shared/tags';
import { HeldLeaseSchema, untilSet } from '#shared/workflow-state';
import { RollbackOutcomeSchema } from '../rollback/contract';

/**
 * What SetStatus* reads of the execution state (docs/workflow.md, "State"), each field by its name there; which of them
 * a status reads is `STATUS_READS`. The rollback's fields: SummarizeRollback's result (its contract's output, of which
 * the status reads the summary) or the errors its steps caught; either is empty when there was no rollback, and one in
 * another shape fails the step by name (StepInputError), it never reads as "no rollback".
 */
export const StatusReadsSchema = z.object({
  plan: PlanSchema.optional(),
  /** RecordConsumer's or ArchiveMembership's result. */
  record: z.object({ summary: z.string() }).optional(),
  /** The error a rejection caught (`{ Error, Cause }`). */
  error: CaughtErrorSchema.optional(),
  /** The failures the workflow caught (`$.failure`, and its branches' `failed`; `functions/shared/failure.ts`). */
  failure: FailureMapSchema.optional(),
  branches: untilSet(z.array(z.unknown())),
  rollbackOutcome: untilSet(RollbackOutcomeSchema.pick({ summary: true })),
  rollbackFailure: untilSet(FailureMapSchema),
});
export type StatusReads = z.infer<typeof StatusReadsSchema>;

/**
 * The fields of the execution state each status reads (its detail): the builder's SetStatus* steps pass exactly these
 * (`workflows/fragments.ts`, `setStatus`), besides the event (the VPC) and the lease. A status with a detail the
 * workflow computed reads none of them, but `failed`, whose detail always names the failing step.
 */
export const STATUS_READS = {
  onboarding: ['plan'],
  'pending-approval': ['plan'],
  pending: [],
  connected: ['plan', 'record'],
  quarantined: ['plan'],
  rejected: ['error'],
  failed: ['failure', 'branches', 'rollbackOutcome', 'rollbackFailure'],
  offboarding: [],
  disconnected: ['record'],
} as const satisfies Record<Status, readonly (keyof StatusReads)[]>;

/** SetStatus*'s result. */
export const StatusResultSchema = z.object({
  /** At least `spokelink:status` was written. */
  written: z.boolean(),
  status: z.enum(STATUSES),
  detail: z.string(),
  /** Why nothing was written. */
  skipped: z.string().optional(),
  /** For `failed`: the Fail state's error and cause, naming the step. */
  error: z.string().optional(),
  cause: z.string().optional(),
  /**
   * The VPC is at AWS's tag limit: `TagLimitExceeded: ...`, naming the status tags written (status first) and the
   * stale ones removed; `tagsWritten` lists the keys written.
   */
  tagLimit: z.string().optional(),
  tagsWritten: z.array(z.string()).optional(),
});
export type StatusResult = z.infer<typeof StatusResultSchema>;

/** The status function's one step, SetStatus* (no action: the status names what it writes). */
export const StatusContract = {
  set: {
    input: StatusReadsSchema.extend({
      status: z.enum(STATUSES),
      executionName: z.string().min(1),
      executionArn: z.string().min(1),
      /** `$$.Execution.StartTime`: an execution never overwrites the status of one that started later. */
      executionStartTime: z.string().min(1).optional(),
      /** The raw trigger event (`$.event`; reconcile's drift report: the VPC it found): the VPC written on. */
      event: z.unknown(),
      /** The lease the execution holds (`$.lease`): renewed before the write, which it fences. */
      lease: HeldLeaseSchema,
      /** A detail the workflow computed (offboarding plan, drift found by reconcile); `failed` always names the step. */
      detail: z.string().optional(),
    }),
    output: StatusResultSchema,
  },
} as const satisfies Contract;
