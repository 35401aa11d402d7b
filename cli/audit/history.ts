import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { causeMessage } from '#shared/failure';
import { type ChangeContext, changesOfStep, functionOf, planSummary, type ResourceChange } from './resources';
import { type AuditTrigger, parseTrigger } from './trigger';

/**
 * Reads a Step Functions execution history (GetExecutionHistory's events, the real API format, as AWS and the local
 * Step Functions both return it) into an audit timeline: the trigger, each state with its outcome, duration, attempts,
 * retries and errors, the resources each Task reports it changed, and the resulting status. Pure: the reader
 * (./reader.ts) fetches, this interprets, ./render.ts prints.
 *
 * How events are tied to states: every event but `*StateEntered` belongs to the state of the event its
 * `previousEventId` points to (a Task's Scheduled/Started/Failed/Succeeded chain back to its TaskStateEntered; a retry's
 * Scheduled points to the failure before it), `*StateExited` names its state, and Parallel/Map events belong to the
 * open Parallel/Map state they come from. A state whose `previousEventId` is a `ParallelStateStarted` starts a branch;
 * one that points into another state is that state's successor (the next state, or the Catch target), in the same
 * branch. This holds for AWS's histories, which have no `*StateExited` after a caught error, and for the local ones,
 * which have one (docs/local.md, "History").
 */

export type HistoryEventLike = HistoryEvent;

/** What DescribeExecution says about an execution (the fields the audit reads). */
export interface ExecutionData {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** A failed attempt of a Task. */
export interface AttemptFailure {
  at: Date;
  error: string;
  /** The cause as recorded (a Lambda error is `{"errorType","errorMessage","trace"}` JSON). */
  cause: string;
  /** The cause's `errorMessage`, or the cause. */
  message: string;
  /** Another attempt followed (the state's Retry). */
  retried: boolean;
}

export type StepOutcome = 'succeeded' | 'failed' | 'caught' | 'running' | 'aborted';

/** One state the execution entered (a state entered twice, in a loop or a Map, is two steps). */
export interface AuditStep {
  /** Id of its `*StateEntered` event. */
  id: number;
  name: string;
  /** Task, Pass, Choice, Wait, Parallel, Map, Succeed, Fail. */
  type: string;
  /** Id of the Parallel or Map step it runs in. */
  parentId?: number;
  /** 1-based Parallel branch (in order of start), or the Map iteration index. */
  branch?: number;
  depth: number;
  enteredAt: Date;
  /** Its `*StateExited`, or its last event (a caught error in AWS has no exit event). */
  endedAt?: Date;
  durationMs?: number;
  outcome: StepOutcome;
  /** Lambda function name, or the integration (`arn:aws:states:::sns:publish`). */
  resource?: string;
  attempts: number;
  retries: number;
  failures: AttemptFailure[];
  /** The error that ended the step (failed or caught). */
  error?: { error: string; cause: string; message: string };
  /** The state that came next (a Choice's choice, a Catch's target). */
  next?: string;
  /** One line on what the step decided (a plan). */
  summary?: string;
  changes: ResourceChange[];
  /** Why the Task's result could not be read with its step's contract (an execution of another release). */
  unreadable?: string;
  /** The Task's result (the function's return value), when the history includes execution data. */
  result?: unknown;
}

/** The timeline of one execution. */
export interface ExecutionTimeline {
  executionArn: string;
  name: string;
  stateMachine: string;
  /** From the execution name `<vpcId>-<action>-<id>`, else from the trigger. */
  vpcId?: string;
  /** `onboard`, `offboard`, ... from the name, else the state machine's name without its prefix. */
  action: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  durationMs?: number;
  trigger: AuditTrigger;
  steps: AuditStep[];
  /** The terminal state and what it means. */
  outcome: {
    /** `connected`, `rejected`, `failed`, `running`, ...: the terminal state's name in kebab case, or the status. */
    result: string;
    terminalState?: string;
    /** Why: a rejection's reason (the caught error), a failure's cause; where a running execution is. */
    reason?: string;
    error?: string;
    cause?: string;
  };
  /** Every change, in step order. */
  changes: ResourceChange[];
  retries: number;
  retriesByError: Record<string, number>;
  failedAttempts: number;
  /** States entered plus retries: what Step Functions Standard bills. */
  stateTransitions: number;
  lambdaInvocations: number;
  events: number;
  /** The history had no execution data (includeExecutionData: false): no trigger, results or changes. */
  withoutData: boolean;
}

interface Builder {
  step: AuditStep;
  exited: boolean;
  lastAt: Date;
  containerFailed: boolean;
  /** The input of the last attempt (the Task's parameters), else the state's input. */
  scheduledInput?: string;
  /** The output of the successful attempt. */
  output?: string;
  outputFamily?: 'lambda' | 'task';
  resourceType?: string;
  branches: number;
  /** A state was entered from one of this step's events: its next state, or the Catch target of its error. */
  hasSuccessor: boolean;
}

const EXECUTION_NAME = /^(vpc-[0-9a-f]{8,17})-([a-z][a-z0-9]*)-/;
const TASK_EVENT =
  /^(LambdaFunction|Task|Activity)(Scheduled|ScheduleFailed|Started|StartFailed|Submitted|SubmitFailed|Succeeded|Failed|TimedOut)$/;

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** `IgnoreWithdrawnRequest` -> `ignore-withdrawn-request`. */
export function kebab(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[\s_]+/g, '-')
    .toLowerCase();
}

/** The `*EventDetails` member of an event (each event type has its own). */
function detailsOf(event: HistoryEvent): Record<string, unknown> {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') return value as Record<string, unknown>;
  }
  return {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Function name of a Lambda ARN; other resources as they are. */
function resourceName(resource: string | undefined, resourceType?: string): string | undefined {
  if (!resource) return undefined;
  const fn = /:function:([^:]+)/.exec(resource)?.[1];
  if (fn) return fn;
  return resourceType ? `${resourceType}:${resource}` : resource;
}

/** Vpc id and action from an execution name (`vpc-0a2...-onboard-9a1bcd24dae2`). */
export function parseExecutionName(name: string): { vpcId?: string; action?: string } {
  const match = EXECUTION_NAME.exec(name);
  return match ? { vpcId: match[1], action: match[2] } : {};
}

/** The state machine's name from its ARN. */
function machineName(arn: string): string {
  return arn.split(':')[6] ?? arn;
}

/** Builds the timeline of one execution from DescribeExecution's data and its whole history (oldest first). */
export function parseExecution(execution: ExecutionData, history: readonly HistoryEvent[]): ExecutionTimeline {
  const events = [...history].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const byId = new Map<number, HistoryEvent>();
  const owner = new Map<number, number>();
  const builders = new Map<number, Builder>();
  const order: number[] = [];
  let startedInput: string | undefined;
  let finished: { type: string; error?: string; cause?: string } | undefined;
  let withoutData = true;

  const openOfType = (type: string, from: number | undefined, name?: string): Builder | undefined => {
    // Climb from the step of `from` through its parents to an open container of that type; else the innermost one.
    let current = from === undefined ? undefined : builders.get(from);
    while (current) {
      if (current.step.type === type && !current.exited && (name === undefined || current.step.name === name)) {
        return current;
      }
      current = current.step.parentId === undefined ? undefined : builders.get(current.step.parentId);
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const b = builders.get(order[i]!)!;
      if (b.step.type === type && !b.exited && (name === undefined || b.step.name === name)) return b;
    }
    return undefined;
  };

  for (const event of events) {
    const id = event.id ?? 0;
    byId.set(id, event);
    const type = event.type ?? '';
    const at = event.timestamp instanceof Date ? event.timestamp : new Date(event.timestamp ?? 0);
    const details = detailsOf(event);
    const prevId = event.previousEventId ?? 0;
    const prevOwner = owner.get(prevId);
    if ('input' in details || 'output' in details) withoutData = false;

    if (type === 'ExecutionStarted') {
      startedInput = text(details.input);
      continue;
    }
    if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(type)) {
      finished = { type, error: text(details.error), cause: text(details.cause) };
      continue;
    }

    if (type.endsWith('StateEntered')) {
      const name = text(details.name) ?? '?';
      const prev = byId.get(prevId);
      let parentId: number | undefined;
      let branch: number | undefined;
      if (prev?.type === 'ParallelStateStarted' && prevOwner !== undefined) {
        parentId = prevOwner;
        const parent = builders.get(prevOwner)!;
        parent.branches += 1;
        branch = parent.branches;
      } else if (prev?.type === 'MapIterationStarted' && prevOwner !== undefined) {
        parentId = prevOwner;
        const index = detailsOf(prev).index;
        branch = typeof index === 'number' ? index : undefined;
      } else if (prevOwner !== undefined) {
        const before = builders.get(prevOwner)!;
        before.hasSuccessor = true;
        if (before.step.next === undefined) before.step.next = name;
        parentId = before.step.parentId;
        branch = before.step.branch;
      }
      const depth = parentId === undefined ? 0 : builders.get(parentId)!.step.depth + 1;
      const step: AuditStep = {
        id,
        name,
        type: type.slice(0, -'StateEntered'.length),
        ...(parentId !== undefined ? { parentId } : {}),
        ...(branch !== undefined ? { branch } : {}),
        depth,
        enteredAt: at,
        outcome: 'running',
        attempts: 0,
        retries: 0,
        failures: [],
        changes: [],
      };
      builders.set(id, {
        step,
        exited: false,
        lastAt: at,
        containerFailed: false,
        branches: 0,
        hasSuccessor: false,
        scheduledInput: text(details.input),
      });
      order.push(id);
      owner.set(id, id);
      continue;
    }

    if (type.endsWith('StateExited')) {
      const name = text(details.name);
      let target = prevOwner === undefined ? undefined : builders.get(prevOwner);
      while (target && (target.step.name !== name || target.exited)) {
        target = target.step.parentId === undefined ? undefined : builders.get(target.step.parentId);
      }
      if (!target) {
        for (let i = order.length - 1; i >= 0; i--) {
          const b = builders.get(order[i]!)!;
          if (b.step.name === name && !b.exited) {
            target = b;
            break;
          }
        }
      }
      if (target) {
        target.exited = true;
        target.lastAt = at;
        target.step.endedAt = at;
        owner.set(id, target.step.id);
      }
      continue;
    }

    const container = /^(Parallel|Map)(State|Iteration)/.exec(type);
    if (container) {
      const name = type.startsWith('MapIteration') ? text(details.name) : undefined;
      const b = openOfType(container[1]!, prevOwner, name);
      if (b) {
        owner.set(id, b.step.id);
        b.lastAt = at;
        if (/^(Parallel|Map)State(Failed|Aborted)$/.test(type)) b.containerFailed = true;
      }
      continue;
    }

    // Task events and anything else: the state of the event before it.
    if (prevOwner === undefined) continue;
    owner.set(id, prevOwner);
    const b = builders.get(prevOwner)!;
    b.lastAt = at;
    const task = TASK_EVENT.exec(type);
    if (!task) continue;
    const phase = task[2]!;
    if (phase === 'Scheduled' || phase === 'ScheduleFailed') {
      // A new attempt: the failure before it (if any) was retried.
      b.step.attempts += 1;
      if (b.step.failures.length > 0) b.step.failures[b.step.failures.length - 1]!.retried = true;
    }
    if (phase === 'Scheduled') {
      b.step.resource ??= resourceName(text(details.resource), text(details.resourceType));
      b.resourceType = text(details.resourceType);
      b.scheduledInput = text(details.input) ?? text(details.parameters) ?? b.scheduledInput;
    } else if (phase === 'Succeeded') {
      b.output = text(details.output);
      b.outputFamily = task[1] === 'LambdaFunction' ? 'lambda' : 'task';
    } else if (phase !== 'Started' && phase !== 'Submitted') {
      // Failed, TimedOut, StartFailed, ScheduleFailed, SubmitFailed.
      const error = text(details.error) ?? (phase === 'TimedOut' ? 'States.Timeout' : `States.${phase}`);
      const cause = text(details.cause) ?? '';
      b.step.failures.push({ at, error, cause, message: causeMessage(cause), retried: false });
    }
  }

  const status = execution.status;
  const running = status === 'RUNNING' && finished === undefined;
  const input = execution.input ?? startedInput;
  const trigger = parseTrigger(input);
  const fromName = parseExecutionName(execution.name);
  const machine = machineName(execution.stateMachineArn);

  for (const b of builders.values()) {
    const { step } = b;
    step.retries = Math.max(0, step.attempts - 1);
    step.endedAt ??= running && !b.hasSuccessor ? undefined : b.lastAt;
    if (step.endedAt) step.durationMs = step.endedAt.getTime() - step.enteredAt.getTime();
    const lastFailure = step.failures[step.failures.length - 1];
    const failedTask =
      step.type === 'Task' && b.output === undefined && lastFailure !== undefined && !lastFailure.retried;
    if (running && !b.exited && !b.hasSuccessor && step.type !== 'Fail' && step.type !== 'Succeed') {
      // Still in this state (a failed attempt may be waiting for its retry).
      step.outcome = 'running';
    } else if (failedTask || b.containerFailed) {
      step.outcome = b.hasSuccessor ? 'caught' : 'failed';
      const err = lastFailure ?? { error: finished?.error ?? 'States.BranchFailed', cause: finished?.cause ?? '' };
      if (lastFailure || finished?.error) {
        step.error = { error: err.error, cause: err.cause, message: causeMessage(err.cause) };
      }
    } else if (step.type === 'Fail') {
      step.outcome = 'failed';
      if (finished?.error)
        step.error = { error: finished.error, cause: finished.cause ?? '', message: finished.cause ?? '' };
    } else if (b.exited || b.hasSuccessor || step.type === 'Succeed') {
      step.outcome = 'succeeded';
    } else {
      // Never exited and nothing followed: stopped with the execution, or with its failed Parallel/Map.
      step.outcome = 'aborted';
    }
    if (b.output !== undefined) {
      let result = parseJson(b.output);
      // `lambda:invoke` integrations return the Invoke response: the function's value is its Payload.
      if (b.outputFamily === 'task' && b.resourceType === 'lambda' && result && typeof result === 'object') {
        result = (result as { Payload?: unknown }).Payload ?? result;
      }
      step.result = result;
      const context: ChangeContext = {
        input: parseJson(b.scheduledInput),
        ...((fromName.vpcId ?? trigger.vpcId) ? { vpcId: fromName.vpcId ?? trigger.vpcId } : {}),
      };
      const read = changesOfStep(functionOf(step.resource), result, context);
      step.changes = read.changes;
      if (read.unreadable) step.unreadable = read.unreadable;
      const summary = planSummary(result);
      if (summary) step.summary = summary;
    }
  }

  // Steps in tree order: top level by entry; a container's steps right after it, branch by branch.
  const children = new Map<number | undefined, AuditStep[]>();
  for (const id of order) {
    const step = builders.get(id)!.step;
    const list = children.get(step.parentId) ?? [];
    list.push(step);
    children.set(step.parentId, list);
  }
  const steps: AuditStep[] = [];
  const visit = (parentId: number | undefined) => {
    const list = [...(children.get(parentId) ?? [])];
    list.sort((a, b) => (a.branch ?? 0) - (b.branch ?? 0) || a.id - b.id);
    for (const step of list) {
      steps.push(step);
      visit(step.id);
    }
  };
  visit(undefined);

  const retriesByError: Record<string, number> = {};
  let retries = 0;
  let failedAttempts = 0;
  let lambdaInvocations = 0;
  for (const step of steps) {
    retries += step.retries;
    failedAttempts += step.failures.length;
    for (const failure of step.failures) {
      if (failure.retried) retriesByError[failure.error] = (retriesByError[failure.error] ?? 0) + 1;
    }
  }
  for (const event of events) if (event.type === 'LambdaFunctionScheduled') lambdaInvocations += 1;
  for (const b of builders.values()) {
    if (b.resourceType === 'lambda') lambdaInvocations += b.step.attempts;
  }

  const topLevel = children.get(undefined) ?? [];
  const last = topLevel[topLevel.length - 1];
  const terminalState = !running && last ? last.name : undefined;
  const caught = steps.filter((s) => s.outcome === 'caught');
  const lastCaught = caught[caught.length - 1];
  const error = finished?.error ?? execution.error;
  const cause = finished?.cause ?? execution.cause;
  let result: string;
  let reason: string | undefined;
  if (running) {
    result = 'running';
    const open = steps.filter((s) => s.outcome === 'running' && s.type !== 'Parallel' && s.type !== 'Map');
    if (open.length > 0) {
      const waiting = open.some((s) => s.resource?.endsWith('.waitForTaskToken'));
      reason = `in ${open.map((s) => s.name).join(', ')}${waiting ? ' (waiting for its task token)' : ''}`;
    }
  } else if (status === 'SUCCEEDED' || finished?.type === 'ExecutionSucceeded') {
    result = terminalState ? kebab(terminalState) : 'succeeded';
    if (lastCaught?.error) reason = lastCaught.error.message;
  } else {
    result = status === 'TIMED_OUT' ? 'timed-out' : status === 'ABORTED' ? 'aborted' : 'failed';
    reason = cause ? causeMessage(cause) : error;
  }

  const stopDate = execution.stopDate;
  const vpcId = fromName.vpcId ?? trigger.vpcId;
  return {
    executionArn: execution.executionArn,
    name: execution.name,
    stateMachine: machine,
    ...(vpcId ? { vpcId } : {}),
    action: fromName.action ?? machine.replace(/^[a-z0-9]+-/, ''),
    status,
    startDate: execution.startDate,
    ...(stopDate ? { stopDate, durationMs: stopDate.getTime() - execution.startDate.getTime() } : {}),
    trigger,
    steps,
    outcome: {
      result,
      ...(terminalState ? { terminalState } : {}),
      ...(reason ? { reason } : {}),
      ...(error && result !== 'running' && status !== 'SUCCEEDED' ? { error } : {}),
      ...(cause && result !== 'running' && status !== 'SUCCEEDED' ? { cause } : {}),
    },
    changes: steps.flatMap((s) => s.changes),
    retries,
    retriesByError,
    failedAttempts,
    stateTransitions: steps.length + retries,
    lambdaInvocations,
    events: events.length,
    withoutData,
  };
}
