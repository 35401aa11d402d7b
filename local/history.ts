import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { AttemptInfo } from './asl';
import type { Json } from './lambda';

/**
 * Converts what aws-local-stepfunctions reports (its `eventLogs`: StateEntered/Exited/Failed/Retried/Caught, branch
 * and iteration events) plus the local runner's own record of each Task attempt into the execution history format of
 * the real Step Functions API (GetExecutionHistory): `ExecutionStarted`, `TaskStateEntered`,
 * `LambdaFunctionScheduled`/`Started`/`Succeeded`|`Failed`, `TaskStateExited`, `ParallelStateEntered`/`Started`/
 * `Succeeded`/`Exited`, `MapIterationStarted`, ..., `ExecutionSucceeded`|`Failed`|`Aborted`|`TimedOut`, with ids,
 * `previousEventId` (the previous event of the same branch or iteration), timestamps and `*EventDetails`.
 * A retried Task shows its attempts as repeated Scheduled/Started/Failed events, as in AWS.
 *
 * Attempts are matched to the interpreter's events structurally: aws-local-stepfunctions calls the local Task
 * handler synchronously right after dispatching StateEntered (or StateRetried), so the k-th such event of a state
 * corresponds to its k-th invocation.
 */

/** The interpreter's event (aws-local-stepfunctions `EventLog`), as far as the conversion reads it. */
export interface LibEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string; type: string };
  index?: number;
  input?: unknown;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/** One attempt of a Task state, recorded by the local runner. */
export interface AttemptRecord {
  state: string;
  info: AttemptInfo;
  scheduledAt: number;
  startedAt?: number;
  submittedAt?: number;
  submittedOutput?: Json;
  endedAt?: number;
  outcome?: 'succeeded' | 'failed';
  output?: Json;
  error?: string;
  cause?: string;
}

export interface HistoryMeta {
  roleArn: string;
  region: string;
  /** State name -> lane key of its branch (see `laneKeys`). */
  lanes: Map<string, string>;
  /** Set by StopExecution: error and cause of the ExecutionAborted event. */
  abort?: { error?: string; cause?: string };
}

const dataDetails = { truncated: false };

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? '' : JSON.stringify(cause);
}

/**
 * Lane keys of every state: '' for top-level states, `Parallel#<branch>` for states of a Parallel branch,
 * `Map#*` for states of a Map item processor (the `*` becomes the iteration index), nested with `/`.
 */
export function laneKeys(definition: { States: Record<string, Record<string, unknown>> }): Map<string, string> {
  const lanes = new Map<string, string>();
  const visit = (states: Record<string, Record<string, unknown>>, lane: string) => {
    for (const [name, state] of Object.entries(states)) {
      lanes.set(name, lane);
      const prefix = lane ? `${lane}/` : '';
      if (state.Type === 'Parallel') {
        const branches = (state.Branches as { States: Record<string, Record<string, unknown>> }[]) ?? [];
        branches.forEach((branch, i) => {
          visit(branch.States, `${prefix}${name}#${i}`);
        });
      } else if (state.Type === 'Map') {
        const processor = (state.ItemProcessor ?? state.Iterator) as
          | { States: Record<string, Record<string, unknown>> }
          | undefined;
        if (processor) visit(processor.States, `${prefix}${name}#*`);
      }
    }
  };
  visit(definition.States, '');
  return lanes;
}

const STATE_EVENT_PREFIX: Record<string, string> = {
  Task: 'Task',
  Pass: 'Pass',
  Choice: 'Choice',
  Wait: 'Wait',
  Succeed: 'Succeed',
  Fail: 'Fail',
  Parallel: 'Parallel',
  Map: 'Map',
};

/** Builds the GetExecutionHistory events of one execution (oldest first). */
export function buildHistory(
  lib: readonly LibEvent[],
  attempts: ReadonlyMap<string, readonly AttemptRecord[]>,
  meta: HistoryMeta,
): HistoryEvent[] {
  const out: HistoryEvent[] = [];
  const lastInLane = new Map<string, number>();
  const slots = new Map<string, number>();
  const open = new Map<string, AttemptRecord>();

  const parentOf = (lane: string) => (lane.includes('/') ? lane.slice(0, lane.lastIndexOf('/')) : '');
  const previousFor = (lane: string): number => {
    let current: string | undefined = lane;
    while (current !== undefined) {
      const last = lastInLane.get(current);
      if (last !== undefined) return last;
      current = current === '' ? undefined : parentOf(current);
    }
    return 0;
  };
  const push = (
    type: HistoryEventType,
    lane: string,
    timestamp: number,
    details: Partial<HistoryEvent> = {},
    previous?: number,
  ) => {
    const id = out.length + 1;
    out.push({ timestamp: new Date(timestamp), type, id, previousEventId: previous ?? previousFor(lane), ...details });
    lastInLane.set(lane, id);
    return id;
  };
  const laneOf = (event: LibEvent, stateName: string) => {
    const base = meta.lanes.get(stateName) ?? '';
    return event.index === undefined ? base : base.replace(/#\*(?!.*#\*)/, `#${event.index}`);
  };
  const openKey = (lane: string, state: string) => `${lane}\u0000${state}`;

  const emitStart = (attempt: AttemptRecord, lane: string) => {
    const { info } = attempt;
    if (info.eventFamily === 'lambda') {
      push('LambdaFunctionScheduled', lane, attempt.scheduledAt, {
        lambdaFunctionScheduledEventDetails: {
          resource: info.resource,
          input: json(info.input),
          inputDetails: dataDetails,
          ...(info.timeoutSeconds ? { timeoutInSeconds: info.timeoutSeconds } : {}),
        },
      });
      if (attempt.startedAt !== undefined) push('LambdaFunctionStarted', lane, attempt.startedAt);
      return;
    }
    const resource = { resourceType: info.resourceType ?? 'unknown', resource: info.resourceName ?? info.resource };
    push('TaskScheduled', lane, attempt.scheduledAt, {
      taskScheduledEventDetails: {
        ...resource,
        region: meta.region,
        parameters: json(info.input),
        ...(info.timeoutSeconds ? { timeoutInSeconds: info.timeoutSeconds } : {}),
        ...(info.heartbeatSeconds ? { heartbeatInSeconds: info.heartbeatSeconds } : {}),
      },
    });
    if (attempt.startedAt !== undefined)
      push('TaskStarted', lane, attempt.startedAt, { taskStartedEventDetails: resource });
    if (attempt.submittedAt !== undefined) {
      push('TaskSubmitted', lane, attempt.submittedAt, {
        taskSubmittedEventDetails: { ...resource, output: json(attempt.submittedOutput), outputDetails: dataDetails },
      });
    }
  };

  const emitEnd = (attempt: AttemptRecord, lane: string, failure?: LibEvent) => {
    const { info } = attempt;
    const resource = { resourceType: info.resourceType ?? 'unknown', resource: info.resourceName ?? info.resource };
    if (failure?.Error === 'States.Timeout') {
      const details = { error: 'States.Timeout', cause: causeText(failure.Cause) };
      if (info.eventFamily === 'lambda') {
        push('LambdaFunctionTimedOut', lane, failure.timestamp, { lambdaFunctionTimedOutEventDetails: details });
      } else {
        push('TaskTimedOut', lane, failure.timestamp, { taskTimedOutEventDetails: { ...resource, ...details } });
      }
      return;
    }
    if (attempt.outcome === undefined) return;
    const at = attempt.endedAt ?? failure?.timestamp ?? attempt.scheduledAt;
    if (attempt.outcome === 'succeeded') {
      if (info.eventFamily === 'lambda') {
        push('LambdaFunctionSucceeded', lane, at, {
          lambdaFunctionSucceededEventDetails: { output: json(attempt.output), outputDetails: dataDetails },
        });
      } else {
        push('TaskSucceeded', lane, at, {
          taskSucceededEventDetails: { ...resource, output: json(attempt.output), outputDetails: dataDetails },
        });
      }
      return;
    }
    const details = { error: attempt.error ?? 'Error', cause: attempt.cause ?? '' };
    if (info.eventFamily === 'lambda') {
      push('LambdaFunctionFailed', lane, at, { lambdaFunctionFailedEventDetails: details });
    } else {
      push('TaskFailed', lane, at, { taskFailedEventDetails: { ...resource, ...details } });
    }
  };

  const nextAttempt = (event: LibEvent, lane: string) => {
    const name = event.state!.name;
    const slot = slots.get(name) ?? 0;
    slots.set(name, slot + 1);
    const attempt = attempts.get(name)?.[slot];
    if (!attempt) return;
    open.set(openKey(lane, name), attempt);
    emitStart(attempt, lane);
  };

  const closeAttempt = (event: LibEvent, lane: string) => {
    const key = openKey(lane, event.state!.name);
    const attempt = open.get(key);
    if (!attempt) return;
    open.delete(key);
    emitEnd(attempt, lane, event.type === 'StateFailed' ? event : undefined);
  };

  /** A state ends: its Task attempt closes, a Parallel or Map state says how it ended. */
  const stateEnds = (event: LibEvent, outcome: 'Failed' | 'Succeeded') => {
    const state = event.state!;
    const lane = laneOf(event, state.name);
    if (state.type === 'Task') closeAttempt(event, lane);
    if (state.type === 'Parallel' || state.type === 'Map') {
      push(`${state.type}State${outcome}`, lane, event.timestamp, {}, out.length);
    }
    return { state, lane };
  };
  for (const event of lib) {
    switch (event.type) {
      case 'ExecutionStarted':
        push('ExecutionStarted', '', event.timestamp, {
          executionStartedEventDetails: { input: json(event.input), inputDetails: dataDetails, roleArn: meta.roleArn },
        });
        break;
      case 'ExecutionSucceeded':
        push(
          'ExecutionSucceeded',
          '',
          event.timestamp,
          { executionSucceededEventDetails: { output: json(event.output), outputDetails: dataDetails } },
          out.length,
        );
        break;
      case 'ExecutionFailed':
        push(
          'ExecutionFailed',
          '',
          event.timestamp,
          { executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) } },
          out.length,
        );
        break;
      case 'ExecutionAborted':
        push('ExecutionAborted', '', event.timestamp, { executionAbortedEventDetails: { ...meta.abort } }, out.length);
        break;
      case 'ExecutionTimeout':
        push(
          'ExecutionTimedOut',
          '',
          event.timestamp,
          { executionTimedOutEventDetails: { error: 'States.Timeout', cause: '' } },
          out.length,
        );
        break;
      case 'StateEntered': {
        const state = event.state!;
        const lane = laneOf(event, state.name);
        const prefix = STATE_EVENT_PREFIX[state.type] ?? state.type;
        push(`${prefix}StateEntered` as HistoryEventType, lane, event.timestamp, {
          stateEnteredEventDetails: { name: state.name, input: json(state.input), inputDetails: dataDetails },
        });
        if (state.type === 'Parallel') push('ParallelStateStarted', lane, event.timestamp);
        if (state.type === 'Map') {
          const length = lib.filter(
            (e) => e.type === 'MapIterationStarted' && e.parentState?.name === state.name,
          ).length;
          push('MapStateStarted', lane, event.timestamp, { mapStateStartedEventDetails: { length } });
        }
        if (state.type === 'Task') nextAttempt(event, lane);
        break;
      }
      case 'StateRetried': {
        const state = event.state!;
        if (state.type === 'Task') nextAttempt(event, laneOf(event, state.name));
        break;
      }
      case 'StateFailed':
        stateEnds(event, 'Failed');
        break;
      case 'StateExited': {
        const { state, lane } = stateEnds(event, 'Succeeded');
        const prefix = STATE_EVENT_PREFIX[state.type] ?? state.type;
        const previous = state.type === 'Parallel' || state.type === 'Map' ? out.length : undefined;
        push(
          `${prefix}StateExited` as HistoryEventType,
          lane,
          event.timestamp,
          { stateExitedEventDetails: { name: state.name, output: json(state.output), outputDetails: dataDetails } },
          previous,
        );
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const mapName = event.parentState?.name ?? '';
        const base = meta.lanes.get(mapName) ?? '';
        const lane = `${base ? `${base}/` : ''}${mapName}#${event.index}`;
        const details = { name: mapName, index: event.index };
        if (event.type === 'MapIterationStarted') {
          push(
            'MapIterationStarted',
            lane,
            event.timestamp,
            { mapIterationStartedEventDetails: details },
            previousFor(base),
          );
        } else if (event.type === 'MapIterationSucceeded') {
          push('MapIterationSucceeded', lane, event.timestamp, { mapIterationSucceededEventDetails: details });
        } else {
          push('MapIterationFailed', lane, event.timestamp, { mapIterationFailedEventDetails: details });
        }
        break;
      }
      default:
        // ParallelBranch*, StateCaught: no event of their own in the Step Functions history.
        break;
    }
  }
  return out;
}

/** Step Functions bills state transitions: every state entered, plus every retry of a state. */
export function countStateTransitions(lib: readonly LibEvent[]): number {
  return lib.filter((e) => e.type === 'StateEntered' || e.type === 'StateRetried').length;
}
