import * as z from 'zod';
import { StepInputError } from './errors';
import { PlanSchema } from './plan';
import { RemovalTargetSchema } from './vpc-ref';
import { formatIssues } from './zod-issues';

/**
 * A step's contract (docs/adding-a-step.md): for each action of a workflow function, the zod schema of its input (the
 * fields the step needs, never the whole state unless the step reads the state) and of its output. The function's
 * folder exports it as `contract.ts`; the handler parses its input with it, the workflow builder takes the action names
 * from it, and whatever reads a step's result (the rollback and offboarding summaries, the status, `spokelink audit`)
 * reads it with the output schema. Each action's key is its `action` value (`action` is optional for a function's
 * original, action-less input).
 */
export interface ActionContract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
}

export type Contract = Readonly<Record<string, ActionContract>>;

/** What the handler receives, parsed: the union of the actions' inputs. */
export type InputOf<C extends Contract> = { [A in keyof C]: z.output<C[A]['input']> }[keyof C];

/** What an action returns. */
export type OutputOf<C extends Contract, A extends keyof C = keyof C> = z.output<C[A]['output']>;

/** The action names the ASL may give (those whose input has an `action` field). */
export type ActionOf<C extends Contract> = {
  [A in keyof C]: 'action' extends keyof z.output<C[A]['input']> ? A : never;
}[keyof C] &
  string;

/** An action's input that carries the plan: `{ action, plan }`. */
export const onPlan = <A extends string>(action: A) => z.object({ action: z.literal(action), plan: PlanSchema });

/** A function's original, action-less input (the onboarding ASL's first call): `{ action?, plan }`. */
export const onOriginalPlan = <A extends string>(action: A) =>
  z.object({ action: z.literal(action).optional(), plan: PlanSchema });

/** A removal action's input: `{ action, vpc }` (the VPC to remove from, as the offboarding or rollback plans it). */
export const onRemovalTarget = <A extends string>(action: A) =>
  z.object({ action: z.literal(action), vpc: RemovalTargetSchema });

/**
 * The removal actions of a function whose onboarding step makes things: `prune` (after a change, the recorded items
 * the plan no longer wants, `{ action, plan }`) and `remove` (offboarding and the rollback, every recorded item,
 * `{ action, vpc }`), both reporting what they removed in `output`.
 */
export const removalActions = <O extends z.ZodType>(output: O) => ({
  prune: { input: onPlan('prune'), output },
  remove: { input: onRemovalTarget('remove'), output },
});

/**
 * The actions of a function whose onboarding step makes things: its original, action-less input (`{ action?, plan }`,
 * named `action`) returning `output`, then `prune` and `remove` (removalActions) returning `removal`.
 */
export const makingActions = <A extends string, O extends z.ZodType, R extends z.ZodType>(
  action: A,
  output: O,
  removal: R,
) => ({
  ...({ [action]: { input: onOriginalPlan(action), output } } as {
    [K in A]: { input: ReturnType<typeof onOriginalPlan<A>>; output: O };
  }),
  ...removalActions(removal),
});

/**
 * A making step's result for one kind of recorded item: those it made now (`created`) and those it found already
 * there (`existing`, never counted as made by this call); both are recorded.
 */
export const madeResult = <R extends z.ZodType>(item: R) =>
  z.object({ created: z.array(item), existing: z.array(item) });

/**
 * The handler's input schema: the actions' inputs, tried in the contract's order (an action-less original input comes
 * first, and a payload naming another action never matches it).
 */
export function inputSchema<C extends Contract>(contract: C): z.ZodType<InputOf<C>> {
  const inputs = Object.values(contract).map((action) => action.input);
  const [first, ...rest] = inputs;
  if (!first) throw new Error('a contract needs at least one action');
  return (rest.length === 0 ? first : z.union([first, ...rest])) as unknown as z.ZodType<InputOf<C>>;
}

/** `schema.parse(input)`, failing with StepInputError naming the step and the issues. */
export function parseStepInput<T>(schema: z.ZodType<T>, step: string, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success)
    throw new StepInputError(`${step}: the input is not in its contract's shape: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
