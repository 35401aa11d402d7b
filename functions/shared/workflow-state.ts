import type * as z from 'zod';
import { LeaseFenceSchema } from './plan';
import { type VpcRef, vpcRefOfEvent } from './vpc-ref';

/**
 * What the steps that serve several states (status, records, the rollback's plan and summary) read of the execution
 * state: each gets exactly the fields it reads, by name (`"lease.$": "$.lease"`, docs/workflow.md "State"), never the
 * whole state. A path in a Task's Parameters must exist on every path into the Task (else States.Runtime), so the
 * fields that only some paths set are declared by WrapTriggerEvent, empty (`null`, `[]`, `{}`) until their step sets
 * them (`DECLARED_STATE`, workflows/fragments.ts), and the contracts read `null` as "not set" (`untilSet`).
 */

/** A field WrapTriggerEvent declares `null` until its step sets it: `null` reads as absent. */
export const untilSet = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((value): z.output<T> | undefined => value ?? undefined)
    .optional();

/**
 * AcquireLease's output as the steps read it (`$.lease`): the lease the execution holds, `null` before AcquireLease.
 * Parsed strictly: a lease in another shape fails the step by name, it never turns a write into an unfenced one.
 */
export const HeldLeaseSchema = untilSet(LeaseFenceSchema);

/** The VPC an execution is about, from its trigger event (`$.event`); undefined if the event names none. */
export function targetOf(event: unknown): VpcRef | undefined {
  const parsed = vpcRefOfEvent(event);
  return parsed.ok ? parsed.vpc : undefined;
}
