import * as z from 'zod';
import type { Contract } from '#shared/contract';
import { CaughtErrorSchema } from '#shared/failure';
import { STATUSES } from '#shared/tags';
import { WorkflowStateSchema } from '#shared/workflow-state';
import { RollbackOutcomeSchema } from '../rollback/contract';

/**
 * The execution state, with what the onboarding's rollback left in it: SummarizeRollback's result (its contract's
 * output, of which the status reads the summary) or the errors its steps caught. Either is absent when there was no
 * rollback; one in another shape fails the step by name (StepInputError), it never reads as "no rollback".
 */
export const StatusStateSchema = WorkflowStateSchema.extend({
  rollbackOutcome: RollbackOutcomeSchema.pick({ summary: true }).optional(),
  rollbackFailure: z.record(z.string(), CaughtErrorSchema).optional(),
});

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
    input: z.object({
      status: z.enum(STATUSES),
      executionName: z.string().min(1),
      executionArn: z.string().min(1),
      /** `$$.Execution.StartTime`: an execution never overwrites the status of one that started later. */
      executionStartTime: z.string().min(1).optional(),
      /** The whole execution state (`"state.$": "$"`). */
      state: StatusStateSchema,
      /** A detail the workflow computed (offboarding plan, drift found by reconcile); `failed` always names the step. */
      detail: z.string().optional(),
    }),
    output: StatusResultSchema,
  },
} as const satisfies Contract;
