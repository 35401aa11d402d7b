import type * as z from 'zod';
import type { ActionOf } from '../functions/shared/contract';
import { sizingOf } from '../infra/function-sizing';
import { kebabToPascal } from '../infra/workflow-sources';
import type { FunctionContracts } from './contracts';

/**
 * A small typed builder for the Amazon States Language: the workflows (`workflows/onboard.ts`, `offboard.ts`,
 * `reconcile.ts`) are written with it and `npm run workflows:generate` writes `statemachines/*.asl.json` from them
 * (docs/adding-a-step.md). It knows the house conventions so that a step states only what is particular to it:
 * - one retry policy for every Lambda Task (`RETRY_POLICY`), with the few variants named below;
 * - one catch convention: specific errors first (`on`), then one catch-all (`failTo`, `carryOn`);
 * - error names from the error classes (`errorName`), action names from the functions' contracts (typed);
 * - `${XyzFunctionArn}` placeholders from the function's folder name (infra/workflow-sources.ts).
 * Reference: https://states-language.net/spec.html and
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

// ---- JSON and ASL shapes ------------------------------------------------------------------------------------------

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type Parameters = { [key: string]: Json };

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds: number;
  readonly MaxAttempts: number;
  readonly BackoffRate: number;
  readonly MaxDelaySeconds: number;
  readonly JitterStrategy: 'FULL' | 'NONE';
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath: string | null;
  readonly Next: string;
}

/** One ASL state; the builder fills `Next`/`End`. */
export interface State {
  readonly Type: 'Task' | 'Pass' | 'Choice' | 'Parallel' | 'Map' | 'Succeed' | 'Fail';
  readonly [field: string]: unknown;
}

/** States in emission order (the order of the generated file). */
export type States = Record<string, State>;

export interface StateMachine {
  readonly Comment: string;
  readonly StartAt: string;
  readonly States: States;
}

/** A state not linked yet: `sequence` or `link` gives it its `Next` (or `End`) and its catch-all. */
export interface Step {
  readonly name: string;
  readonly state: State;
}

// ---- error names ----------------------------------------------------------------------------------------------------

/** Step Functions' catch-all error name. */
export const ALL = 'States.ALL';

/** An error: a named error class (its class name is the Step Functions error name) or an AWS/ASL error name. */
export type ErrorRef = string | (abstract new (...args: never[]) => Error);

/** The Step Functions error name of an error class (a Lambda error's `errorType` is the class name) or string. */
export function errorName(error: ErrorRef): string {
  return typeof error === 'string' ? error : error.name;
}

/** AWS error codes the workflows retry: the API reports a resource in transition (not a failure). */
export const AWS_ERRORS = {
  /** EC2: a TGW attachment in a transitional state (pendingAcceptance, modifying, ...). */
  incorrectState: 'IncorrectState',
  /** Route 53: one VPC association change per zone at a time. */
  priorRequestNotComplete: 'PriorRequestNotComplete',
  /** EC2: the shared TGW is not visible to the spoke yet (RAM propagation). */
  transitGatewayNotFound: 'InvalidTransitGatewayID.NotFound',
} as const;

// ---- retries --------------------------------------------------------------------------------------------------------

/** A retrier: `interval` s, times `backoff` per attempt, capped at `maxDelay` s, `attempts` retries. */
export function retrier(
  errors: readonly ErrorRef[],
  timing: { interval: number; backoff: number; maxDelay: number; attempts: number; jitter?: 'FULL' | 'NONE' },
): Retrier {
  return {
    ErrorEquals: errors.map(errorName),
    IntervalSeconds: timing.interval,
    MaxAttempts: timing.attempts,
    BackoffRate: timing.backoff,
    MaxDelaySeconds: timing.maxDelay,
    JitterStrategy: timing.jitter ?? 'FULL',
  };
}

/** Throttling codes of the services the Lambdas call: EC2, Route 53/STS, RAM/SFN/DynamoDB, Organizations, DynamoDB. */
export const THROTTLING_ERRORS = [
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
] as const;

/** Errors of the Lambda service itself (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * A step that died: the Lambda crashed or ran out of time, an AWS 5xx or timeout outlasted the SDK's retries, or the
 * Task's own TimeoutSeconds passed. Every step is idempotent: a retry finds what the slow attempt did.
 */
export const STEP_DIED_ERRORS = [
  'Lambda.Unknown',
  'Sandbox.Timedout',
  'TimeoutError',
  'InternalError',
  'InternalFailure',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'Unavailable',
  'States.Timeout',
] as const;

/** Throttling, sized for a migration day (1,000 VPCs tagged within a minute: docs/performance.md). */
const THROTTLING_TIMING = { interval: 2, backoff: 2, maxDelay: 300, attempts: 40 } as const;
const LAMBDA_SERVICE_RETRY = retrier(LAMBDA_SERVICE_ERRORS, { interval: 1, backoff: 2, maxDelay: 30, attempts: 6 });
const STEP_DIED_RETRY = retrier(STEP_DIED_ERRORS, { interval: 2, backoff: 2, maxDelay: 20, attempts: 3 });

export interface RetryOptions {
  /** Step-specific transient errors, tried first (see `TRANSIENT` of each workflow). */
  readonly first?: readonly Retrier[];
  /** AWS codes this step retries like throttling (a resource in transition). */
  readonly alsoLikeThrottling?: readonly ErrorRef[];
  /** Throttling's delay cap alone (WaitForConnectivity: a read-only poll comes back sooner). */
  readonly throttlingMaxDelaySeconds?: number;
  /**
   * Throttling's attempts and cap: a workflow that runs again on a schedule anyway (reconcile), a step whose calls go
   * to the hub's EC2 buckets that every onboarding shares (HUB_EC2_THROTTLING).
   */
  readonly throttling?: { readonly attempts: number; readonly maxDelay: number };
  /** Not for a callback Task: its States.Timeout is the deadline it waits for, not a step that died. */
  readonly withoutStepDied?: boolean;
}

/**
 * The retry policy of a Lambda Task: its transient errors, then throttling, Lambda service errors and a step that
 * died. `retryPolicy()` is THE policy (`RETRY_POLICY`); the options are its named variants.
 */
export function retryPolicy(options: RetryOptions = {}): Retrier[] {
  const throttling = retrier([...THROTTLING_ERRORS, ...(options.alsoLikeThrottling ?? [])], {
    ...THROTTLING_TIMING,
    ...(options.throttling ?? {}),
    ...(options.throttlingMaxDelaySeconds !== undefined ? { maxDelay: options.throttlingMaxDelaySeconds } : {}),
  });
  return [
    ...(options.first ?? []),
    throttling,
    LAMBDA_SERVICE_RETRY,
    ...(options.withoutStepDied ? [] : [STEP_DIED_RETRY]),
  ];
}

/** The retry policy every Lambda Task shares (docs/workflow.md, "Retries and catches"). */
export const RETRY_POLICY: readonly Retrier[] = retryPolicy();

// ---- catches --------------------------------------------------------------------------------------------------------

/** A catch-all, given the name of the step it belongs to. */
export type CatchAll = (step: string) => Catcher;

/** A specific error (or errors) caught: its value goes to `resultPath` ($.error by default), then `next`. */
export function on(
  errors: ErrorRef | readonly ErrorRef[],
  next: string,
  resultPath: string | null = '$.error',
): Catcher {
  const list = Array.isArray(errors) ? errors : [errors as ErrorRef];
  return { ErrorEquals: list.map(errorName), ResultPath: resultPath, Next: next };
}

/**
 * The house catch-all: any other error is kept as `$.<map>.<Step>` (the step that failed, by name: RecordFailure and
 * the status name it) and the workflow goes to `next`. `map` is `failure`, or `rollbackFailure` within a rollback.
 */
export function failTo(next: string, map: 'failure' | 'rollbackFailure' = 'failure'): CatchAll {
  return (step) => ({ ErrorEquals: [ALL], ResultPath: `$.${map}.${step}`, Next: next });
}

/** A best-effort step (a status or lease write whose failure must not change the outcome): noted, then `next`. */
export function carryOn(resultPath: string, next: string): CatchAll {
  return () => ({ ErrorEquals: [ALL], ResultPath: resultPath, Next: next });
}

// ---- functions and their actions ---------------------------------------------------------------------------------

/** Each workflow function's actions, from its contract: a misspelt or removed action does not typecheck. */
export type FunctionActions = { [F in keyof FunctionContracts]: ActionOf<FunctionContracts[F]> };
export type FunctionName = keyof FunctionActions;

/** The statuses the status function writes. */
export type Status = z.input<FunctionContracts['status']['set']['input']>['status'];

/** The ASL placeholder of a workflow function (infra/workflow-sources.ts resolves it). */
export function functionArn(fn: FunctionName): string {
  return `\${${kebabToPascal(fn)}FunctionArn}`;
}

/**
 * A Task's timeout: its function's own timeout (infra/function-sizing.ts, which the CDK app deploys and the local
 * runner enforces) plus a margin, so that a Lambda that runs out of time fails as Sandbox.Timedout first.
 */
const TASK_TIMEOUT_MARGIN_SECONDS = 30;

function taskTimeoutSeconds(fn: FunctionName): number {
  return sizingOf(fn).timeoutSeconds + TASK_TIMEOUT_MARGIN_SECONDS;
}

export interface TaskOptions<F extends FunctionName> {
  readonly comment?: string;
  /** The handler's action (omitted for a function's original, action-less input). */
  readonly action?: FunctionActions[F];
  /** The payload besides the action. */
  readonly parameters?: Parameters;
  /** Where the result goes (`$.<name>`), `null` to discard it; omitted: the result replaces the state. */
  readonly resultPath?: string | null;
  readonly resultSelector?: Parameters;
  readonly outputPath?: string;
  readonly timeoutSeconds?: number;
  /** The policy (`RETRY_POLICY` when omitted) or its variant options. */
  readonly retry?: RetryOptions | readonly Retrier[];
  /** Specific errors, caught before the catch-all. */
  readonly catch?: readonly Catcher[];
  /** The catch-all (a `sequence` gives one to the steps that have none). */
  readonly onError?: CatchAll;
  /** The next state; omitted: `sequence`/`link` decide. */
  readonly next?: string;
}

function withCatches(name: string, catches: readonly Catcher[] | undefined, onError: CatchAll | undefined) {
  const all = [...(catches ?? []), ...(onError ? [onError(name)] : [])];
  return all.length > 0 ? { Catch: all } : {};
}

/** A Task that invokes a workflow Lambda with `{ action, ...parameters }`. */
export function lambdaTask<F extends FunctionName>(name: string, fn: F, options: TaskOptions<F> = {}): Step {
  const retry = Array.isArray(options.retry)
    ? (options.retry as readonly Retrier[])
    : retryPolicy(options.retry as RetryOptions | undefined);
  const parameters =
    options.action === undefined ? options.parameters : { action: options.action, ...options.parameters };
  return {
    name,
    state: {
      Type: 'Task',
      ...(options.comment ? { Comment: options.comment } : {}),
      Resource: functionArn(fn),
      ...(parameters ? { Parameters: parameters } : {}),
      ...(options.resultSelector ? { ResultSelector: options.resultSelector } : {}),
      ...(options.resultPath !== undefined ? { ResultPath: options.resultPath } : {}),
      ...(options.outputPath ? { OutputPath: options.outputPath } : {}),
      TimeoutSeconds: options.timeoutSeconds ?? taskTimeoutSeconds(fn),
      Retry: retry,
      ...withCatches(name, options.catch, options.onError),
      ...(options.next ? { Next: options.next } : {}),
    },
  };
}

/** Any other state, as written (Pass, Choice, Succeed, Fail, or a Task of another resource). */
export function state(name: string, body: State): Step {
  return { name, state: body };
}

export interface PassOptions {
  readonly comment?: string;
  readonly parameters?: Parameters;
  readonly result?: Json;
  readonly inputPath?: string;
  readonly resultPath?: string | null;
  readonly next?: string;
}

export function pass(name: string, options: PassOptions = {}): Step {
  return state(name, {
    Type: 'Pass',
    ...(options.comment ? { Comment: options.comment } : {}),
    ...(options.inputPath ? { InputPath: options.inputPath } : {}),
    ...(options.parameters ? { Parameters: options.parameters } : {}),
    ...(options.result !== undefined ? { Result: options.result } : {}),
    ...(options.resultPath !== undefined ? { ResultPath: options.resultPath } : {}),
    ...(options.next ? { Next: options.next } : {}),
  });
}

export function succeed(name: string, comment?: string): Step {
  return state(name, { Type: 'Succeed', ...(comment ? { Comment: comment } : {}) });
}

export interface ChoiceRule {
  readonly [field: string]: Json;
}

/** A Choice: `rules` in order (each with its Next), then `otherwise`. */
export function choice(name: string, rules: readonly ChoiceRule[], otherwise: string, comment?: string): Step {
  return state(name, {
    Type: 'Choice',
    ...(comment ? { Comment: comment } : {}),
    Choices: rules,
    Default: otherwise,
  });
}

/** `$.path` is present and equals `value` (a missing field is not an error in a Choice with IsPresent first). */
export function presentAndEquals(variable: string, value: string | boolean, next: string): ChoiceRule {
  const test: ChoiceRule =
    typeof value === 'string'
      ? { Variable: variable, StringEquals: value }
      : { Variable: variable, BooleanEquals: value };
  return { And: [{ Variable: variable, IsPresent: true }, test], Next: next };
}

/** Any of `variables` is present. */
export function anyPresent(variables: readonly string[], next: string): ChoiceRule {
  return { Or: variables.map((v) => ({ Variable: v, IsPresent: true })), Next: next };
}

// ---- linking --------------------------------------------------------------------------------------------------------

const TERMINAL_TYPES: readonly string[] = ['Choice', 'Succeed', 'Fail'];
const CATCHABLE_TYPES: readonly string[] = ['Task', 'Parallel', 'Map'];

/** Whether a state already says where it goes. */
function isLinked(s: State): boolean {
  return 'Next' in s || 'End' in s || TERMINAL_TYPES.includes(s.Type);
}

function linked(step: Step, next: string | undefined, onError: CatchAll | undefined): Step {
  let s = step.state;
  const catches = (s.Catch as Catcher[] | undefined) ?? [];
  if (onError && CATCHABLE_TYPES.includes(s.Type) && !catches.some((c) => c.ErrorEquals.includes(ALL))) {
    s = { ...s, Catch: [...catches, onError(step.name)] };
  }
  if (!isLinked(s)) s = next ? { ...s, Next: next } : { ...s, End: true };
  return { name: step.name, state: s };
}

/**
 * Steps run one after the other: each goes to the following one, the last to `then` (or ends the branch). Every Task,
 * Parallel or Map gets `onError` after its own specific catches. Steps that already name their Next keep it.
 */
export function sequence(steps: readonly Step[], then?: string, onError?: CatchAll): Step[] {
  return steps.map((step, i) => linked(step, steps[i + 1]?.name ?? then, onError));
}

/** Steps gathered in order (each must say where it goes: `next`, `sequence` or `end`). */
export function states(...groups: readonly (Step | readonly Step[])[]): States {
  const out: States = {};
  for (const step of groups.flat() as Step[]) {
    if (step.name in out) throw new Error(`workflow: the state ${step.name} is defined twice`);
    out[step.name] = step.state;
  }
  return out;
}

/** The step ends its branch (or the workflow). */
export function end(step: Step): Step {
  return { name: step.name, state: { ...step.state, End: true } };
}

// ---- Parallel and Map --------------------------------------------------------------------------------------------

export interface Branch {
  readonly StartAt: string;
  readonly States: States;
}

/** A branch from its steps (in order: the first is its start). */
export function branch(...groups: readonly (Step | readonly Step[])[]): Branch {
  const all = states(...groups);
  const first = Object.keys(all)[0];
  if (!first) throw new Error('workflow: a branch needs at least one state');
  return { StartAt: first, States: all };
}

export interface ParallelOptions {
  readonly comment?: string;
  readonly parameters?: Parameters;
  readonly resultPath?: string | null;
  readonly catch?: readonly Catcher[];
  readonly onError?: CatchAll;
  readonly next?: string;
}

export function parallel(name: string, branches: readonly Branch[], options: ParallelOptions = {}): Step {
  return state(name, {
    Type: 'Parallel',
    ...(options.comment ? { Comment: options.comment } : {}),
    ...(options.parameters ? { Parameters: options.parameters } : {}),
    ...(options.resultPath !== undefined ? { ResultPath: options.resultPath } : {}),
    Branches: branches,
    ...withCatches(name, options.catch, options.onError),
    ...(options.next ? { Next: options.next } : {}),
  });
}

// ---- the machine ------------------------------------------------------------------------------------------------

function transitionsOf(s: State): string[] {
  const out: string[] = [];
  if (typeof s.Next === 'string') out.push(s.Next);
  if (typeof s.Default === 'string') out.push(s.Default);
  for (const rule of (s.Choices as { Next: string }[] | undefined) ?? []) out.push(rule.Next);
  for (const c of (s.Catch as Catcher[] | undefined) ?? []) out.push(c.Next);
  return out;
}

/** Every transition names a state of the same scope, and every state is reached: the ASL a workflow compiles to. */
function checkScope(where: string, startAt: string, all: States): void {
  const problems: string[] = [];
  if (!(startAt in all)) problems.push(`${where}: StartAt ${startAt} is not a state`);
  const reached = new Set([startAt]);
  for (const [name, s] of Object.entries(all)) {
    if (!isLinked(s)) problems.push(`${where}: ${name} has neither Next nor End`);
    for (const target of transitionsOf(s)) {
      if (!(target in all)) problems.push(`${where}: ${name} goes to ${target}, which is not a state here`);
      reached.add(target);
    }
    for (const b of (s.Branches as Branch[] | undefined) ?? []) checkScope(`${where}/${name}`, b.StartAt, b.States);
    const processor = s.ItemProcessor as Branch | undefined;
    if (processor) checkScope(`${where}/${name}`, processor.StartAt, processor.States);
  }
  for (const name of Object.keys(all)) {
    if (!reached.has(name)) problems.push(`${where}: ${name} is never reached`);
  }
  if (problems.length > 0) throw new Error(`workflow ${problems.join('; ')}`);
}

export function stateMachine(id: string, comment: string, all: States): StateMachine {
  const startAt = Object.keys(all)[0];
  if (!startAt) throw new Error(`workflow ${id}: no states`);
  checkScope(id, startAt, all);
  return { Comment: comment, StartAt: startAt, States: all };
}

/** The committed text of a state machine: 2-space JSON and a final newline. */
export function renderAsl(machine: StateMachine): string {
  return `${JSON.stringify(machine, null, 2)}\n`;
}
