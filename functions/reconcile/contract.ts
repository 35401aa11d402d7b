import * as z from 'zod';
import type { Contract } from '#shared/contract';
import type { ReconcileResult } from './reconcile';

/** The reconcile function's one step, FindWork (no action). */
export const ReconcileContract = {
  'find-work': {
    input: z
      .object({
        /** `schedule` when EventBridge Scheduler starts it; anything else for a run by hand. */
        source: z.string().optional(),
        /** Executions started at once (the Map's MaxConcurrency); default `reconcile.maxConcurrency`. */
        maxConcurrency: z.number().int().min(1).max(40).optional(),
      })
      .default({}),
    /** Typed, not parsed: the reconcile workflow's own Map reads it (./reconcile.ts describes it). */
    output: z.custom<ReconcileResult>(),
  },
} as const satisfies Contract;
