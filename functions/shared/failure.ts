import * as z from 'zod';

/**
 * Reads the errors the onboarding ASL caught, to name the failing step in the status detail, the registry and the
 * final Fail state. The ASL records them in two places (docs/workflow.md, "Retries and catches"):
 * - top-level states catch into `$.failure.<StateName>` (the object `failure` exists from the first state on);
 * - a Parallel branch catches into the same path of its own copy and ends with `{ "failed": <its failure map> }`,
 *   which lands in `$.branches[i].failed`.
 * Each caught error is `{ Error, Cause }`. For a Lambda error, AWS sets Cause to the JSON
 * `{"errorType","errorMessage","trace"}`; the local runner passes the plain message. Both are understood.
 */

export const CaughtErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type CaughtError = z.infer<typeof CaughtErrorSchema>;

/** Caught errors by state name (`$.failure`, a branch's `failed`, `$.rollbackFailure`). */
export const FailureMapSchema = z.record(z.string(), CaughtErrorSchema);

/** The parts of the execution state that carry failures. Everything else is ignored. */
export const FailureStateSchema = z.object({
  failure: FailureMapSchema.optional(),
  branches: z.array(z.unknown()).optional(),
});

export interface StepFailure {
  step: string;
  error: string;
  message: string;
}

/** The human message of a caught error's Cause (Lambda JSON or plain text). */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (parsed && typeof parsed === 'object' && 'errorMessage' in parsed) {
      return String((parsed as { errorMessage: unknown }).errorMessage);
    }
  } catch {
    // not JSON: the local runner's plain message
  }
  return cause;
}

/** Every failure recorded in the state, top-level ones first, then branch by branch. */
export function failuresOf(state: unknown): StepFailure[] {
  const parsed = FailureStateSchema.safeParse(state);
  if (!parsed.success) return [];
  const out: StepFailure[] = [];
  const add = (map: Record<string, CaughtError>) => {
    for (const [step, caught] of Object.entries(map)) {
      out.push({ step, error: caught.Error, message: causeMessage(caught.Cause) });
    }
  };
  add(parsed.data.failure ?? {});
  for (const branch of parsed.data.branches ?? []) {
    const failed = z.object({ failed: FailureMapSchema }).safeParse(branch);
    if (failed.success) add(failed.data.failed);
  }
  return out;
}

export interface FailureOutcome {
  /** The first failing step (state name). */
  step: string;
  /** Error name for the Fail state (the original error name, e.g. `ConflictError`). */
  error: string;
  /** Cause for the Fail state: `<step>: <error>: <message>` for every failure. */
  cause: string;
  /** Status detail: `<step>: <error>: <message>` (all failures, `; `-separated; truncated by statusDetail). */
  detail: string;
}

/** Describes the failures of a state, naming each step; a state without a recorded failure is still described. */
export function describeFailure(state: unknown): FailureOutcome {
  const failures = failuresOf(state);
  if (failures.length === 0) {
    return {
      step: 'unknown',
      error: 'StepFailedError',
      cause: 'the workflow failed without a recorded step error (see the execution history)',
      detail: 'failed: see the execution history',
    };
  }
  const lines = failures.map((f) => `${f.step}: ${f.error}${f.message ? `: ${f.message}` : ''}`);
  const first = failures[0]!;
  return { step: first.step, error: first.error, cause: lines.join('; '), detail: lines.join('; ') };
}
