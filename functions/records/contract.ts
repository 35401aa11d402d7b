import * as z from 'zod';
import type { Contract } from '#shared/contract';
import { WorkflowStateSchema } from '#shared/workflow-state';
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

const onState = <A extends string>(action: A) =>
  z.object({
    action: z.literal(action),
    executionArn: z.string().min(1),
    /** The whole execution state (`"state.$": "$"`): the step reads the VPC, the plan, the lease and the failures. */
    state: WorkflowStateSchema,
  });

/** The records function's steps (docs/workflow.md). */
export const RecordsContract = {
  /** RecordConsumer. */
  connected: {
    input: onState('connected'),
    output: z.object({ status: z.literal('connected'), summary: z.string() }),
  },
  /** RecordFailure (onboarding and offboarding). */
  failure: { input: onState('failure'), output: FailureRecordSchema },
  /** RecordOffboarding. */
  offboarding: { input: onState('offboarding'), output: z.object({ recorded: z.boolean() }) },
  /** ArchiveMembership: the removal steps' results (`$.removed`), for the summary. */
  disconnected: {
    input: onState('disconnected').extend({ removed: RemovalReportSchema.default({}) }),
    output: z.object({
      status: z.literal('disconnected'),
      summary: z.string(),
      history: z.boolean().optional(),
      disconnectedAt: z.string().optional(),
    }),
  },
} as const satisfies Contract;
