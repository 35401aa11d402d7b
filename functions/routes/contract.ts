import * as z from 'zod';
import { type Contract, madeResult, makingActions } from '#shared/contract';
import { RouteRecordSchema } from '#shared/registry/model';

/** CreateSpokeRoutes' result: the routes it created, and those that already went to the TGW. */
export const RoutesResultSchema = madeResult(RouteRecordSchema);
export type RoutesResult = z.infer<typeof RoutesResultSchema>;

/** RemoveSpokeRoutes' and PruneSpokeRoutes' result. */
export const RouteRemovalResultSchema = z.object({
  removed: z.array(RouteRecordSchema),
  /** Already gone: the VPC, the route table or the route itself was deleted by someone else. */
  vanished: z.array(RouteRecordSchema),
  /** Now pointing elsewhere: left alone and no longer recorded as spokelink's (drift to report). */
  notOurs: z.array(RouteRecordSchema.extend({ target: z.string() })),
  /** Could not be looked at (the spoke role cannot be assumed): still recorded. */
  retained: z.array(RouteRecordSchema),
});
export type RouteRemovalResult = z.infer<typeof RouteRemovalResultSchema>;

/** The routes function's steps (docs/workflow.md). */
export const RoutesContract = {
  /**
   * CreateSpokeRoutes (`create`, the onboarding ASL's original input), PruneSpokeRoutes (the routes the plan no longer
   * wants), RemoveSpokeRoutes (every recorded route).
   */
  ...makingActions('create', RoutesResultSchema, RouteRemovalResultSchema),
} as const satisfies Contract;
