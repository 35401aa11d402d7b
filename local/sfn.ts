import '#local/polyfills';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { StateMachine as Interpreter, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { errors, TwinError } from '#twin/errors';
import { lazyModule } from '#twin/lazy';
import type { Twin } from '#twin/twin';
import type { CallContext, ServiceModule } from '#twin/types';
import {
  type AttemptInfo,
  type AttemptRecorder,
  prepareDefinition,
  substitute,
  TASK_TOKEN_MARKER,
  type TaskBinding,
  type TaskRuntime,
  taskHandlers,
  walkStates,
} from './asl';
import { type AttemptRecord, buildHistory, countStateTransitions, type LibEvent, laneKeys } from './history';
import { type Json, LambdaInvocationError, type LocalLambdas } from './lambda';

/**
 * Step Functions, locally: state machines from `statemachines/*.asl.json` run on aws-local-stepfunctions with their
 * Task states bound to the real handlers (./asl.ts, ./lambda.ts), and the Step Functions API answered for
 * `@aws-sdk/client-sfn` callers (the intake Lambda, the CLI) as a twin service module: StartExecution (idempotent by
 * name and input), DescribeExecution, ListExecutions, GetExecutionHistory (the real history format, ./history.ts),
 * StopExecution, SendTaskSuccess/Failure/Heartbeat (`.waitForTaskToken`), DescribeStateMachine, ListStateMachines.
 * Executions can be saved to and loaded from a folder (`.spokelink/last-run/`), so `spokelink audit` reads the last
 * simulation through the same API shape as AWS.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** Payload limit of Step Functions (input, output, task results): 256 KB. */
export const MAX_PAYLOAD_BYTES = 262_144;

export interface StateMachineRecord {
  name: string;
  arn: string;
  roleArn: string;
  definitionText: string;
  definition: StateMachineDefinition;
  tasks: TaskBinding[];
  createdAt: number;
  interpreter: Interpreter;
  lanes: Map<string, string>;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  lib: LibEvent[];
  attempts: Map<string, AttemptRecord[]>;
  /** Task tokens of this execution still waiting. */
  waiting: Set<string>;
  /** Task attempts at work (started, neither finished nor handed over to a task token). */
  openAttempts: number;
  abort?: { error?: string; cause?: string };
  /** For executions loaded from a saved run: their history as saved. */
  savedHistory?: HistoryEvent[];
  savedTransitions?: number;
  /** Its events were dropped when it ended (`keepHistories: false`): `savedTransitions` counts them. */
  historyDropped?: boolean;
  /** Resolves when the execution has finished and its events are all recorded. */
  done: Promise<void>;
  stop?: () => void;
}

interface TokenWait {
  executionArn: string;
  state: string;
  resolve: (output: Json) => void;
  reject: (error: Error) => void;
  heartbeatSeconds?: number;
  heartbeatTimer?: ReturnType<typeof setTimeout>;
  closed: boolean;
}

export interface LocalStepFunctionsOptions {
  twin: Twin;
  lambdas: LocalLambdas;
  region: string;
  accountId: string;
  /** Role the state machines run as (history `roleArn`, and the identity of aws-sdk integrations). */
  roleArn: string;
  /** SNS Publish for `sns:publish` tasks (the local SNS recorder). */
  publish?: TaskRuntime['publish'];
  /** DynamoDB client for `dynamodb:*` tasks. */
  dynamodb?: DynamoDBClient;
  /**
   * Keep each finished execution's events for `history()` (default true). A day of thousands of VPCs (the bench's
   * jobs) turns it off: an ended execution then keeps its status, output and state-transition count, and its history
   * answers with an error. The events hold every state's input and output.
   */
  keepHistories?: boolean;
}

/** Something that happened in an execution (live progress). */
export interface ExecutionProgress {
  execution: ExecutionRecord;
  event: LibEvent;
}

const NAME_LOGGABLE = /^[A-Za-z0-9_-]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):execution:([A-Za-z0-9_-]{1,80}):(.{1,80})$/;

function invalidArn(arn: unknown): TwinError {
  return new TwinError('InvalidArn', `Invalid Arn: '${String(arn)}'`, 400);
}

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The local Step Functions service of one hub. */
/** The DynamoDB SDK's commands, loaded on the first DynamoDB task (a require per task costs a path resolution). */
const dynamodbCommands = lazyModule(
  () => require('@aws-sdk/client-dynamodb') as Record<string, new (input: unknown) => unknown>,
);

export class LocalStepFunctions {
  readonly stateMachines = new Map<string, StateMachineRecord>();
  readonly executionsByArn = new Map<string, ExecutionRecord>();
  /** Executions still RUNNING (the idle check walks only these). */
  private readonly running = new Set<ExecutionRecord>();
  private readonly tokens = new Map<string, TokenWait>();
  private readonly listeners: ((progress: ExecutionProgress) => void)[] = [];
  private tokenCounter = 0;
  private requestCounter = 0;

  constructor(readonly options: LocalStepFunctionsOptions) {}

  // ---- state machines -------------------------------------------------------------------------------------------

  /** ARN of a state machine of this hub. */
  arnOf(name: string): string {
    return `arn:aws:states:${this.options.region}:${this.options.accountId}:stateMachine:${name}`;
  }

  /**
   * Registers a state machine from ASL text with `${...}` placeholders substituted. Throws when a placeholder has no
   * value, a Task resource cannot run locally, or the definition is invalid ASL.
   */
  register(name: string, aslText: string, substitutions: Record<string, string>, source = name): StateMachineRecord {
    const text = substitute(aslText, substitutions, source);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new Error(`${source}: not valid JSON (${(error as Error).message})`);
    }
    const { definition, tasks } = prepareDefinition(parsed, this.options.lambdas, source);
    const interpreter = interpreterFor(definition);
    const record: StateMachineRecord = {
      name,
      arn: this.arnOf(name),
      roleArn: this.options.roleArn,
      definitionText: text,
      definition,
      tasks,
      createdAt: Date.now(),
      interpreter,
      lanes: laneKeys(definition as unknown as { States: Record<string, Record<string, unknown>> }),
    };
    this.stateMachines.set(record.arn, record);
    return record;
  }

  /**
   * Registers every `<id>.asl.json` of a folder as `<prefix>-<id>`; returns id -> ARN. `substitutionsFor(id)` gives
   * each file's placeholder values.
   */
  registerDirectory(
    dir: string,
    prefix: string,
    substitutions: Record<string, string>,
    only?: (id: string) => boolean,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    if (!existsSync(dir)) return out;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.asl.json')) continue;
      const id = file.slice(0, -'.asl.json'.length);
      if (only && !only(id)) continue;
      const record = this.register(`${prefix}-${id}`, readFileSync(join(dir, file), 'utf8'), substitutions, file);
      out[id] = record.arn;
    }
    return out;
  }

  // ---- executions -----------------------------------------------------------------------------------------------

  /** Every execution, oldest first. */
  executions(): ExecutionRecord[] {
    return [...this.executionsByArn.values()];
  }

  /**
   * True when no execution can make progress by itself (all finished, or waiting for a task token with no other Task
   * at work). Checked after every step of the clock driver: O(1) while any execution works (the first running one
   * answers), O(running executions) otherwise.
   */
  quiescent(): boolean {
    for (const execution of this.running) {
      if (execution.waiting.size === 0 || execution.openAttempts > 0) return false;
    }
    return true;
  }

  /** Executions waiting for a task token, with the token (approvals). */
  waitingForTokens(): { executionArn: string; state: string; token: string }[] {
    return [...this.tokens.entries()]
      .filter(([, wait]) => !wait.closed)
      .map(([token, wait]) => ({ executionArn: wait.executionArn, state: wait.state, token }));
  }

  /** Listens to every interpreter event of every execution (live progress). */
  onProgress(listener: (progress: ExecutionProgress) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** The execution's history in the GetExecutionHistory format (oldest first). */
  history(executionArn: string): HistoryEvent[] {
    const execution = this.executionsByArn.get(executionArn);
    if (!execution) throw new Error(`no execution ${executionArn}`);
    if (execution.savedHistory) return execution.savedHistory;
    if (execution.historyDropped) throw new Error(`the history of ${executionArn} was not kept (keepHistories: false)`);
    const machine = this.stateMachines.get(execution.stateMachineArn);
    return buildHistory(execution.lib, execution.attempts, {
      roleArn: machine?.roleArn ?? this.options.roleArn,
      region: this.options.region,
      lanes: machine?.lanes ?? new Map(),
      abort: execution.abort,
    });
  }

  /** State transitions of an execution (what Step Functions Standard bills: states entered plus retries). */
  stateTransitions(executionArn: string): number {
    const execution = this.executionsByArn.get(executionArn);
    if (!execution) return 0;
    return execution.savedTransitions ?? countStateTransitions(execution.lib);
  }

  /** Starts an execution (the StartExecution semantics, without the API's caller checks). */
  start(stateMachineArn: string, name: string | undefined, input: string | undefined): ExecutionRecord {
    const machine = this.stateMachines.get(stateMachineArn);
    if (!machine) {
      throw new TwinError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`, 400);
    }
    const executionName = name ?? this.newUuid();
    validateName(executionName);
    const inputText = input ?? '{}';
    if (byteLength(inputText) > MAX_PAYLOAD_BYTES) {
      throw new TwinError('InvalidExecutionInput', 'Input exceeds the maximum size of 262144 bytes', 400);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(inputText) as Json;
    } catch (error) {
      throw new TwinError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${(error as Error).message}'`,
        400,
      );
    }
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine.name}:${executionName}`;
    const existing = this.executionsByArn.get(executionArn);
    if (existing) {
      // Idempotent while running with the same input; otherwise the name is taken (for 90 days).
      // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
      if (existing.status === 'RUNNING' && existing.input === inputText) return existing;
      throw new TwinError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`, 400);
    }

    let finish!: () => void;
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name: executionName,
      status: 'RUNNING',
      startDate: Date.now(),
      input: inputText,
      lib: [],
      attempts: new Map(),
      waiting: new Set(),
      openAttempts: 0,
      done: new Promise<void>((resolve) => {
        finish = resolve;
      }),
    };
    this.executionsByArn.set(executionArn, record);
    this.running.add(record);
    // Step Functions runs the execution after StartExecution has returned.
    queueMicrotask(() => {
      this.run(machine, record, parsed).then(finish, finish);
    });
    return record;
  }

  private async run(machine: StateMachineRecord, record: ExecutionRecord, input: Json): Promise<void> {
    const runtime = this.runtimeFor(record);
    const handle = machine.interpreter.run(input as never, {
      overrides: { taskResourceLocalHandlers: taskHandlers(machine.tasks, runtime) as never },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: machine.roleArn },
        StateMachine: { Id: machine.arn, Name: machine.name },
        Task: { Token: TASK_TOKEN_MARKER },
      },
    });
    record.stop = handle.abort;
    const consume = (async () => {
      for await (const event of handle.eventLogs) {
        const lib = event as unknown as LibEvent;
        record.lib.push(lib);
        if (['StateFailed', 'StateCaught', 'StateRetried'].includes(lib.type) && lib.state?.name) {
          this.expireTokensOf(record, lib.state.name);
        }
        for (const listener of [...this.listeners]) listener({ execution: record, event: lib });
      }
    })();
    let status: ExecutionStatus = 'SUCCEEDED';
    try {
      const output = await handle.result;
      if (record.abort) {
        status = 'ABORTED';
      } else {
        const text = JSON.stringify(output ?? null);
        if (byteLength(text) > MAX_PAYLOAD_BYTES) {
          status = 'FAILED';
          record.error = 'States.DataLimitExceeded';
          record.cause =
            'The state/task returned a result with a size exceeding the maximum number of bytes service limit.';
        } else {
          record.output = text;
        }
      }
    } catch (error) {
      const name = (error as Error).name;
      if (name === 'ExecutionTimeoutError') {
        status = 'TIMED_OUT';
        record.error = 'States.Timeout';
      } else {
        status = 'FAILED';
        const cause = (error as Error & { cause?: unknown }).cause;
        const inner = cause instanceof Error ? (cause as Error & { cause?: unknown }) : undefined;
        record.error = inner?.name ?? name;
        const innerCause = inner?.cause;
        record.cause = typeof innerCause === 'string' ? innerCause : (inner?.message ?? (error as Error).message);
      }
    }
    await consume.catch(() => undefined);
    this.closeTokens(record, 'execution finished');
    record.status = status;
    record.stopDate = Date.now();
    this.running.delete(record);
    if (this.options.keepHistories === false) {
      record.savedTransitions = countStateTransitions(record.lib);
      record.historyDropped = true;
      record.lib = [];
      record.attempts = new Map();
    }
  }

  /**
   * The Task state stopped waiting (its TimeoutSeconds ran out, or it failed otherwise): its token is dead, and
   * SendTaskSuccess/Failure with it answer TaskTimedOut as in Step Functions. The abandoned wait is left unsettled:
   * the interpreter has already recorded how the state ended.
   */
  private expireTokensOf(record: ExecutionRecord, state: string): void {
    for (const token of [...record.waiting]) {
      const wait = this.tokens.get(token);
      if (!wait || wait.closed || wait.state !== state) continue;
      wait.closed = true;
      clearTimeout(wait.heartbeatTimer);
      record.waiting.delete(token);
    }
  }

  private closeTokens(record: ExecutionRecord, reason: string): void {
    for (const token of record.waiting) {
      const wait = this.tokens.get(token);
      if (wait && !wait.closed) {
        wait.closed = true;
        clearTimeout(wait.heartbeatTimer);
        wait.reject(new LambdaInvocationError('States.Runtime', reason, reason));
      }
    }
    record.waiting.clear();
  }

  /** StopExecution semantics: aborts a running execution. */
  stop(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const record = this.executionsByArn.get(executionArn);
    if (!record) throw new TwinError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`, 400);
    if (record.status === 'RUNNING' && !record.abort) {
      record.abort = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
      this.closeTokens(record, 'execution aborted');
      record.stop?.();
    }
    return record;
  }

  private runtimeFor(record: ExecutionRecord): TaskRuntime {
    const { options } = this;
    return {
      lambdas: options.lambdas,
      executionArn: record.executionArn,
      region: options.region,
      newToken: () => this.newToken(record),
      newRequestId: () => this.newUuid(),
      attempt: (state, info) => this.recordAttempt(record, state, info),
      waitForToken: (state, token, heartbeatSeconds) => this.waitForToken(record, state, token, heartbeatSeconds),
      publish: options.publish,
      startExecution: async (args, sync) => {
        const child = this.start(args.StateMachineArn, args.Name, JSON.stringify(args.Input ?? {}));
        if (!sync) return { ExecutionArn: child.executionArn, StartDate: new Date(child.startDate).toISOString() };
        await child.done;
        if (child.status !== 'SUCCEEDED') {
          throw new LambdaInvocationError(
            'States.TaskFailed',
            child.cause ?? '',
            JSON.stringify(describe(child, true)),
          );
        }
        // The integration answers DescribeExecution's fields with Step Functions' own capitalization
        // (`ExecutionArn`, `Status`, `Output`...); `.sync:2` gives Output as JSON, `.sync` as a string.
        const described = integrationShape(describe(child, true));
        if (sync === 'sync:2') described.Output = JSON.parse(child.output ?? 'null') as Json;
        return JSON.parse(JSON.stringify(described)) as Json;
      },
      dynamodb: options.dynamodb ? (action, params) => this.dynamodb(action, params) : undefined,
      awsSdk: async (service, action, params) => {
        const identity = options.twin.credentialsFor(options.roleArn);
        const operation = action.charAt(0).toUpperCase() + action.slice(1);
        const output = await options.twin.call(
          service as never,
          operation,
          params,
          identity.accessKeyId,
          options.region,
        );
        return JSON.parse(JSON.stringify(output)) as Json;
      },
    };
  }

  private async dynamodb(action: string, params: Json): Promise<Json> {
    const client = this.options.dynamodb!;
    const commands = dynamodbCommands();
    const Command = commands[`${action.charAt(0).toUpperCase()}${action.slice(1)}Command`];
    if (!Command) throw new Error(`dynamodb:${action} is not supported`);
    const output = (await client.send(new Command(params) as never)) as unknown as Record<string, unknown>;
    const { $metadata, ...rest } = output;
    return JSON.parse(JSON.stringify(rest)) as Json;
  }

  private recordAttempt(record: ExecutionRecord, state: string, info: AttemptInfo): AttemptRecorder {
    const attempt: AttemptRecord = { state, info, scheduledAt: Date.now() };
    const list = record.attempts.get(state) ?? [];
    list.push(attempt);
    record.attempts.set(state, list);
    record.openAttempts += 1;
    let open = true;
    const close = () => {
      if (open) record.openAttempts -= 1;
      open = false;
    };
    return {
      started: () => {
        attempt.startedAt = Date.now();
      },
      submitted: (output) => {
        attempt.submittedAt = Date.now();
        attempt.submittedOutput = output;
        close();
      },
      succeeded: (output) => {
        attempt.endedAt = Date.now();
        attempt.outcome = 'succeeded';
        attempt.output = output;
        close();
      },
      failed: (error, cause) => {
        attempt.endedAt = Date.now();
        attempt.outcome = 'failed';
        attempt.error = error;
        attempt.cause = cause;
        close();
      },
    };
  }

  private waitForToken(record: ExecutionRecord, state: string, token: string, heartbeatSeconds?: number) {
    return new Promise<Json>((resolve, reject) => {
      const wait: TokenWait = {
        executionArn: record.executionArn,
        state,
        resolve,
        reject,
        heartbeatSeconds,
        closed: false,
      };
      this.tokens.set(token, wait);
      record.waiting.add(token);
      this.armHeartbeat(wait, token);
    });
  }

  private armHeartbeat(wait: TokenWait, token: string): void {
    if (!wait.heartbeatSeconds) return;
    clearTimeout(wait.heartbeatTimer);
    wait.heartbeatTimer = setTimeout(() => {
      this.settleToken(token, () => {
        wait.reject(new LambdaInvocationError('States.HeartbeatTimeout', '', ''));
      });
    }, wait.heartbeatSeconds * 1000);
  }

  private settleToken(token: string, settle: () => void): void {
    const wait = this.tokens.get(token);
    if (!wait || wait.closed) return;
    wait.closed = true;
    clearTimeout(wait.heartbeatTimer);
    this.executionsByArn.get(wait.executionArn)?.waiting.delete(token);
    settle();
  }

  private tokenWait(token: unknown): TokenWait {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
      throw new TwinError('InvalidToken', 'Invalid Token', 400);
    }
    const wait = this.tokens.get(token);
    if (!wait) throw new TwinError('TaskDoesNotExist', 'Task Does Not Exist', 400);
    if (wait.closed) throw new TwinError('TaskTimedOut', 'Task Timed Out', 400);
    return wait;
  }

  /** SendTaskSuccess semantics. */
  sendTaskSuccess(token: unknown, output: unknown): void {
    this.tokenWait(token);
    if (typeof output !== 'string' || byteLength(output) > MAX_PAYLOAD_BYTES) {
      throw new TwinError('InvalidOutput', 'Invalid Output', 400);
    }
    let parsed: Json;
    try {
      parsed = JSON.parse(output) as Json;
    } catch {
      throw new TwinError('InvalidOutput', `Invalid Output: '${output.slice(0, 80)}'`, 400);
    }
    const wait = this.tokens.get(token as string)!;
    this.settleToken(token as string, () => wait.resolve(parsed));
  }

  /** SendTaskFailure semantics. */
  sendTaskFailure(token: unknown, error?: string, cause?: string): void {
    const wait = this.tokenWait(token);
    this.settleToken(token as string, () =>
      wait.reject(new LambdaInvocationError(error ?? 'States.TaskFailed', cause ?? '', cause ?? '')),
    );
  }

  /** SendTaskHeartbeat semantics. */
  sendTaskHeartbeat(token: unknown): void {
    const wait = this.tokenWait(token);
    this.armHeartbeat(wait, token as string);
  }

  private newToken(record: ExecutionRecord): string {
    this.tokenCounter += 1;
    const body = Buffer.from(`${record.executionArn}#${this.tokenCounter}`).toString('base64url');
    return `AQCEAAAAKgAAAAMAAAAA${body}`;
  }

  private newUuid(): string {
    this.requestCounter += 1;
    const hex = this.requestCounter.toString(16).padStart(12, '0');
    return `5f1a0000-0000-4000-8000-${hex}`;
  }

  // ---- the API ----------------------------------------------------------------------------------------------------

  /** The twin service module answering `@aws-sdk/client-sfn`. */
  service(): ServiceModule<unknown, unknown> {
    const sfn = this;
    const owner = () => this.options.accountId;
    const authorize = (ctx: CallContext, action: string, resource: string) => {
      if (ctx.caller.accountId !== owner()) {
        throw errors.accessDenied('sfn', action, ctx.caller.arn, resource);
      }
    };
    /**
     * The record an ARN names, for `action` by the caller: a malformed ARN is InvalidArn, and one of another region
     * is not visible at this regional endpoint (`<Kind>DoesNotExist`, as for one that does not exist).
     */
    const recordFor = <T>(
      ctx: CallContext,
      arn: unknown,
      action: string,
      kind: { pattern: RegExp; records: Map<string, T>; missing: [code: string, what: string] },
    ): T => {
      const match = kind.pattern.exec(String(arn ?? ''));
      if (!match) throw invalidArn(arn);
      authorize(ctx, action, String(arn));
      const found = kind.records.get(String(arn));
      if (!found || match[1] !== ctx.region) {
        throw new TwinError(kind.missing[0], `${kind.missing[1]} Does Not Exist: '${String(arn)}'`, 400);
      }
      return found;
    };
    const machineFor = (ctx: CallContext, arn: unknown, action: string): StateMachineRecord =>
      recordFor(ctx, arn, action, {
        pattern: STATE_MACHINE_ARN,
        records: sfn.stateMachines,
        missing: ['StateMachineDoesNotExist', 'State Machine'],
      });
    const executionFor = (ctx: CallContext, arn: unknown, action: string): ExecutionRecord =>
      recordFor(ctx, arn, action, {
        pattern: EXECUTION_ARN,
        records: sfn.executionsByArn,
        missing: ['ExecutionDoesNotExist', 'Execution'],
      });
    const page = <T>(items: T[], maxResults: unknown, nextToken: unknown, max = 1000, fallback = 100) => {
      const size = maxResults === undefined || maxResults === 0 ? fallback : Number(maxResults);
      if (!Number.isInteger(size) || size < 0 || size > max) {
        throw new TwinError(
          'ValidationException',
          `1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
          400,
        );
      }
      let offset = 0;
      if (nextToken !== undefined) {
        const decoded = /^o(\d+)$/.exec(Buffer.from(String(nextToken), 'base64url').toString('utf8'));
        if (!decoded) throw new TwinError('InvalidToken', `Invalid Token: '${String(nextToken)}'`, 400);
        offset = Number(decoded[1]);
      }
      const slice = items.slice(offset, offset + size);
      const next = offset + size < items.length ? Buffer.from(`o${offset + size}`).toString('base64url') : undefined;
      return { slice, next };
    };

    return {
      name: 'sfn',
      createState: () => ({}),
      // Executions are not AWS resources a workflow creates: keep them out of "nothing changed" snapshots.
      snapshot: () => ({ stateMachines: [...sfn.stateMachines.values()].map((m) => m.name).sort() }),
      bucketFor: (operation) => (operation === 'StartExecution' ? 'sfn:StartExecution' : undefined),
      operations: {
        StartExecution(ctx, input: { stateMachineArn?: string; name?: string; input?: string }) {
          const machine = machineFor(ctx, input.stateMachineArn, 'StartExecution');
          const record = sfn.start(machine.arn, input.name, input.input);
          return { executionArn: record.executionArn, startDate: new Date(record.startDate) };
        },
        DescribeExecution(ctx, input: { executionArn?: string; includedData?: string }) {
          const execution = executionFor(ctx, input.executionArn, 'DescribeExecution');
          return describe(execution, input.includedData !== 'METADATA_ONLY');
        },
        ListExecutions(
          ctx,
          input: { stateMachineArn?: string; statusFilter?: string; maxResults?: number; nextToken?: string },
        ) {
          const machine = machineFor(ctx, input.stateMachineArn, 'ListExecutions');
          const statuses = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
          if (input.statusFilter !== undefined && !statuses.includes(input.statusFilter)) {
            throw new TwinError(
              'ValidationException',
              `1 validation error detected: Value '${input.statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${statuses.join(', ')}]`,
              400,
            );
          }
          // Newest first, as AWS lists them.
          const all = sfn
            .executions()
            .filter((e) => e.stateMachineArn === machine.arn)
            .filter((e) => input.statusFilter === undefined || e.status === input.statusFilter)
            .sort((a, b) => b.startDate - a.startDate || (a.executionArn < b.executionArn ? 1 : -1));
          const { slice, next } = page(all, input.maxResults, input.nextToken);
          return {
            executions: slice.map(summary),
            ...(next ? { nextToken: next } : {}),
          };
        },
        GetExecutionHistory(
          ctx,
          input: {
            executionArn?: string;
            maxResults?: number;
            reverseOrder?: boolean;
            nextToken?: string;
            includeExecutionData?: boolean;
          },
        ) {
          const execution = executionFor(ctx, input.executionArn, 'GetExecutionHistory');
          let events = sfn.history(execution.executionArn);
          if (input.includeExecutionData === false) events = events.map(withoutData);
          if (input.reverseOrder) events = [...events].reverse();
          const { slice, next } = page(events, input.maxResults, input.nextToken);
          return { events: slice, ...(next ? { nextToken: next } : {}) };
        },
        StopExecution(ctx, input: { executionArn?: string; error?: string; cause?: string }) {
          const execution = executionFor(ctx, input.executionArn, 'StopExecution');
          sfn.stop(execution.executionArn, input.error, input.cause);
          return { stopDate: new Date(execution.stopDate ?? Date.now()) };
        },
        SendTaskSuccess(ctx, input: { taskToken?: string; output?: string }) {
          authorize(ctx, 'SendTaskSuccess', '*');
          sfn.sendTaskSuccess(input.taskToken, input.output);
          return {};
        },
        SendTaskFailure(ctx, input: { taskToken?: string; error?: string; cause?: string }) {
          authorize(ctx, 'SendTaskFailure', '*');
          sfn.sendTaskFailure(input.taskToken, input.error, input.cause);
          return {};
        },
        SendTaskHeartbeat(ctx, input: { taskToken?: string }) {
          authorize(ctx, 'SendTaskHeartbeat', '*');
          sfn.sendTaskHeartbeat(input.taskToken);
          return {};
        },
        DescribeStateMachine(ctx, input: { stateMachineArn?: string }) {
          const machine = machineFor(ctx, input.stateMachineArn, 'DescribeStateMachine');
          return {
            stateMachineArn: machine.arn,
            name: machine.name,
            status: 'ACTIVE',
            definition: machine.definitionText,
            roleArn: machine.roleArn,
            type: 'STANDARD',
            creationDate: new Date(machine.createdAt),
          };
        },
        ListStateMachines(ctx, input: { maxResults?: number; nextToken?: string }) {
          authorize(ctx, 'ListStateMachines', '*');
          const all = [...sfn.stateMachines.values()].sort((a, b) => a.name.localeCompare(b.name));
          const { slice, next } = page(all, input.maxResults, input.nextToken);
          return {
            stateMachines: slice.map((m) => ({
              stateMachineArn: m.arn,
              name: m.name,
              type: 'STANDARD',
              creationDate: new Date(m.createdAt),
            })),
            ...(next ? { nextToken: next } : {}),
          };
        },
      },
    };
  }

  /** Registers the service on the twin, with the StartExecution token bucket (1,300 burst, 300/s in us-east-1). */
  attach(): void {
    this.options.twin.throttler.specs['sfn:StartExecution'] ??= { burst: 1300, refillPerSecond: 300 };
    this.options.twin.register(this.service());
  }

  // ---- saved runs -------------------------------------------------------------------------------------------------

  /** Writes every execution and its history to `dir/executions.json` (after they have all finished). */
  save(dir: string): string {
    mkdirSync(dir, { recursive: true });
    const run: SavedRun = {
      version: 1,
      savedAt: new Date().toISOString(),
      region: this.options.region,
      accountId: this.options.accountId,
      stateMachines: [...this.stateMachines.values()].map((m) => ({
        name: m.name,
        arn: m.arn,
        roleArn: m.roleArn,
        definition: m.definitionText,
        createdAt: new Date(m.createdAt).toISOString(),
      })),
      executions: this.executions().map((e) => ({
        ...(describe(e, true) as unknown as SavedExecution),
        startDate: new Date(e.startDate).toISOString(),
        ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate).toISOString() } : {}),
        stateTransitions: this.stateTransitions(e.executionArn),
        history: this.history(e.executionArn).map((h) => ({ ...h, timestamp: h.timestamp?.toISOString() })),
      })),
    };
    const path = join(dir, 'executions.json');
    writeFileSync(path, `${JSON.stringify(run, null, 2)}\n`);
    return path;
  }

  /** Loads executions saved by `save` as finished executions (their state machines become describable). */
  load(run: SavedRun): void {
    for (const m of run.stateMachines) {
      if (this.stateMachines.has(m.arn)) continue;
      this.stateMachines.set(m.arn, {
        name: m.name,
        arn: m.arn,
        roleArn: m.roleArn,
        definitionText: m.definition,
        definition: JSON.parse(m.definition) as StateMachineDefinition,
        tasks: [],
        createdAt: Date.parse(m.createdAt),
        interpreter: undefined as unknown as Interpreter,
        lanes: new Map(),
      });
    }
    for (const e of run.executions) {
      this.executionsByArn.set(e.executionArn, {
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        stateMachineName: e.stateMachineArn.split(':').pop() ?? '',
        name: e.name,
        status: e.status,
        startDate: Date.parse(e.startDate),
        ...(e.stopDate ? { stopDate: Date.parse(e.stopDate) } : {}),
        input: e.input ?? '{}',
        ...(e.output !== undefined ? { output: e.output } : {}),
        ...(e.error !== undefined ? { error: e.error } : {}),
        ...(e.cause !== undefined ? { cause: e.cause } : {}),
        lib: [],
        attempts: new Map(),
        waiting: new Set(),
        openAttempts: 0,
        savedHistory: e.history.map((h) => ({ ...h, timestamp: new Date(h.timestamp ?? 0) }) as HistoryEvent),
        savedTransitions: e.stateTransitions,
        done: Promise.resolve(),
      });
    }
  }
}

/**
 * Definitions already validated (asl-validator compiles its JSON schemas on every call: about 0.3 s per definition).
 * Remembered per template, not per hub: the key is the definition with the hub's own ARNs (its functions, state
 * machines and topics, substituted for the `${...}` placeholders) replaced by one marker (`validationKey`), so the
 * hubs of other prefixes, accounts and regions do not validate the same workflow again. Remembered in the process,
 * and across processes when `SPOKELINK_ASL_VALIDATED_DIR` names a folder (the jest runs make one per run,
 * `test/global-setup.ts`): a marker file named by the SHA-256 of the key records that a definition of that key
 * passed. Only a definition that passed is remembered; an invalid one is validated, and rejected, every time.
 */
const validated = new Set<string>();

/**
 * A deployed function's, state machine's or topic's ARN, as the placeholders are substituted. Every such ARN passes
 * asl-validator's ARN format (`isArnFormatValid`: `arn:<partition>:<service>:<region>:<account>:<resource>`).
 */
const DEPLOYED_ARN =
  /^arn:aws(?:-cn|-us-gov)?:(?:lambda:[a-z0-9-]+:\d{12}:function:|states:[a-z0-9-]+:\d{12}:stateMachine:|sns:[a-z0-9-]+:\d{12}:)[A-Za-z0-9_-]+$/;
const DEPLOYED_ARN_MARKER = '<deployed-arn>';

/**
 * The definition with each deployed ARN in a place where validation reads only its format replaced by one marker:
 * a Task's `Resource` (validated by its ARN format alone, `checkArn`) and the plain values of its `Parameters` and
 * `Arguments` (free JSON: only the values of `.$` keys are paths, `checkPaths`). Two definitions with the same key
 * pass or fail the same checks (checkPaths, checkArn, the schema, transitions).
 */
export function validationKey(definition: StateMachineDefinition): string {
  const copy = JSON.parse(JSON.stringify(definition)) as {
    States: Record<string, Record<string, unknown> & { Type: string }>;
  };
  const abstract = (value: unknown): unknown => {
    if (typeof value === 'string') return DEPLOYED_ARN.test(value) ? DEPLOYED_ARN_MARKER : value;
    if (Array.isArray(value)) return value.map(abstract);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) out[key] = key.endsWith('.$') ? child : abstract(child);
    return out;
  };
  walkStates(copy.States, (_name, state) => {
    if (state.Type !== 'Task') return;
    if (typeof state.Resource === 'string' && DEPLOYED_ARN.test(state.Resource)) state.Resource = DEPLOYED_ARN_MARKER;
    for (const field of ['Parameters', 'Arguments']) {
      if (state[field] !== undefined) state[field] = abstract(state[field]);
    }
  });
  return JSON.stringify(copy);
}

function interpreterFor(definition: StateMachineDefinition): Interpreter {
  const key = validationKey(definition);
  const dir = process.env.SPOKELINK_ASL_VALIDATED_DIR;
  const marker = dir ? join(dir, createHash('sha256').update(key).digest('hex')) : undefined;
  if (validated.has(key) || (marker !== undefined && existsSync(marker))) {
    validated.add(key);
    return new Interpreter(definition, { validationOptions: { noValidate: true } });
  }
  const interpreter = new Interpreter(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  validated.add(key);
  if (marker !== undefined) writeFileSync(marker, '');
  return interpreter;
}

/** `executions.json` of a saved run. */
export interface SavedRun {
  version: 1;
  savedAt: string;
  region: string;
  accountId: string;
  stateMachines: { name: string; arn: string; roleArn: string; definition: string; createdAt: string }[];
  executions: SavedExecution[];
}

export interface SavedExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: string;
  stopDate?: string;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  stateTransitions: number;
  history: (Omit<HistoryEvent, 'timestamp'> & { timestamp?: string })[];
}

/** Reads `dir/executions.json`. */
export function readSavedRun(dir: string): SavedRun {
  const path = join(dir, 'executions.json');
  const run = JSON.parse(readFileSync(path, 'utf8')) as SavedRun;
  if (run.version !== 1 || !Array.isArray(run.executions)) throw new Error(`${path}: not a saved spokelink run`);
  return run;
}

/** `executionArn` -> `ExecutionArn`, nested objects included (`inputDetails.included` -> `InputDetails.Included`). */
function integrationShape(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k.charAt(0).toUpperCase() + k.slice(1),
      v && typeof v === 'object' && !(v instanceof Date) ? integrationShape(v as Record<string, unknown>) : v,
    ]),
  );
}

/** An execution as ListExecutions lists it; DescribeExecution starts with the same fields. */
function summary(e: ExecutionRecord) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: new Date(e.startDate),
    ...(e.stopDate !== undefined ? { stopDate: new Date(e.stopDate) } : {}),
  };
}

function describe(e: ExecutionRecord, includeData: boolean): Record<string, unknown> {
  return {
    ...summary(e),
    ...(includeData ? { input: e.input, inputDetails: { included: true } } : {}),
    ...(includeData && e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  };
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy = structuredClone(event) as unknown as Record<string, unknown>;
  for (const value of Object.values(copy)) {
    if (value && typeof value === 'object' && !(value instanceof Date)) {
      const details = value as Record<string, unknown>;
      delete details.input;
      delete details.output;
      delete details.parameters;
    }
  }
  return copy as unknown as HistoryEvent;
}

/**
 * Execution name rules of StartExecution: 1-80 characters, none of the characters AWS forbids; and, because
 * spokelink's state machines log to CloudWatch Logs, only `0-9 A-Z a-z - _` (AWS: "To enable logging with CloudWatch
 * Logs, the name should only contain 0-9, A-Z, a-z, - and _";
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 */
export function validateName(name: string): void {
  if (name.length < 1 || name.length > 80) {
    throw new TwinError(
      'InvalidName',
      `Invalid Name: '${name}' (1 validation error: Member must have length between 1 and 80)`,
      400,
    );
  }
  if (!NAME_LOGGABLE.test(name)) {
    throw new TwinError('InvalidName', `Invalid Name: '${name}'`, 400);
  }
}
