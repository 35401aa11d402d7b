import * as z from 'zod';
import type { Contract } from '#shared/contract';
import { FailureMapSchema } from '#shared/failure';
import { PlanSchema } from '#shared/plan';
import { HeldLeaseSchema, untilSet } from '#shared/workflow-state';
import { ConsumerRemovalResultSchema } from '../consumer/contract';
import { RouteRemovalResultSchema } from '../routes/contract';
import { AttachmentRemovalResultSchema, UnshareResultSchema } from '../transit-gateway/contract';
import { DnsRemovalResultSchema } from '../zones/contract';

/**
 * What the removal steps returned, each under its key (`$.removed` of the offboarding, `$.undone` of a rollback
 * branch): exactly their contracts' outputs. A step that did not run (its branch stopped before it) is absent; a
 * result in another shape fails whoever reads it by name, it never counts as "nothing removed".
 */
export const RemovalReportSchema = z.object({
  routes: RouteRemovalResultSchema.optional(),
  zones: DnsRemovalResultSchema.optional(),
  access: ConsumerRemovalResultSchema.optional(),
  attachment: AttachmentRemovalResultSchema.optional(),
  share: UnshareResultSchema.optional(),
});
export type RemovalReport = z.infer<typeof RemovalReportSchema>;

/** RecordFailure's result: the failing step, named, and whether the record was marked failed. */
export const FailureRecordSchema = z.object({
  step: z.string(),
  error: z.string(),
  cause: z.string(),
  detail: z.string(),
  recorded: z.boolean(),
});

/** What every records step reads: its action, the execution, and the lease it holds (`$.lease`, fencing the write). */
const onExecution = <A extends string>(action: A) =>
  z.object({ action: z.literal(action), executionArn: z.string().min(1), lease: HeldLeaseSchema });

/** A records step about the VPC of the trigger event (`$.event`): the failure and the offboarding's steps. */
const onEvent = <A extends string>(action: A) => onExecution(action).extend({ event: z.unknown() });

/** The records function's steps (docs/workflow.md). */
export const RecordsContract = {
  /** RecordConsumer. */
  connected: {
    input: onExecution('connected').extend({ plan: PlanSchema }),
    output: z.object({ status: z.literal('connected'), summary: z.string() }),
  },
  /** RecordFailure (onboarding and offboarding). */
  failure: {
    input: onEvent('failure').extend({
      /** The failures the workflow caught (`$.failure`, and the onboarding's branches' `failed`). */
      failure: FailureMapSchema,
      branches: untilSet(z.array(z.unknown())),
    }),
    output: FailureRecordSchema,
  },
  /** RecordOffboarding. */
  offboarding: { input: onEvent('offboarding'), output: z.object({ recorded: z.boolean() }) },
  /** ArchiveMembership: the removal steps' results (`$.removed`), for the summary. */
  disconnected: {
    input: onEvent('disconnected').extend({ removed: RemovalReportSchema.default({}) }),
    output: z.object({
      status: z.literal('disconnected'),
      summary: z.string(),
      history: z.boolean().optional(),
      disconnectedAt: z.string().optional(),
    }),
  },
} as const satisfies Contract;
