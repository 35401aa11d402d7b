import * as z from 'zod';
import { type Contract, onRemovalTarget } from '#shared/contract';
import { PlanSchema } from '#shared/plan';

/** The approval function's steps (docs/workflow.md, "Approvals"). */
export const ApprovalContract = {
  /** RequestApproval, invoked by `lambda:invoke.waitForTaskToken`: the token is stored, never logged. */
  request: {
    input: z.object({
      action: z.literal('request'),
      taskToken: z.string().min(1),
      plan: PlanSchema,
      executionArn: z.string().min(1),
      executionName: z.string().min(1),
      timeoutSeconds: z.number().int().min(1),
    }),
    output: z.object({ requested: z.literal(true), expiresAt: z.number(), messageId: z.string().optional() }),
  },
  /** WithdrawPendingApproval (offboarding, under the lease): the VPC no longer asks to connect. */
  withdraw: {
    input: onRemovalTarget('withdraw'),
    output: z.object({ withdrawn: z.boolean(), executionArn: z.string().optional() }),
  },
} as const satisfies Contract;
