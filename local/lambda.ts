import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Local Lambda: runs the real handler modules (`functions/<name>/handler.ts`, export `handler`) the way the Lambda
 * service would for Step Functions: a JSON round trip of the event and the result, a fake `context`, the function's
 * timeout, and errors shaped like Lambda's. A handler that throws reaches the state machine as Lambda reports it:
 * error name = the error's `name` (the Node.js runtime's `errorType`), cause = the JSON error payload
 * `{"errorType","errorMessage","trace"}` (trace left empty: stack traces carry machine paths and would make
 * recorded histories non-deterministic).
 *
 * Also counts invocations, adds simulated durations (on the simulation clock) and injects Lambda-level faults such
 * as "the handler's AWS call succeeded but the function died before returning".
 */

const running = new AsyncLocalStorage<string>();
/** The environment of the function whose invocation the caller runs in (see `LambdaOptions.environment`). */
const environments = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/**
 * The local function whose invocation the caller runs in (its step name, e.g. `transit-gateway`), or undefined
 * outside any invocation. The local hub gives it to the twin (`Twin.callOrigin`) so each AWS call names its function.
 */
export function currentLocalFunction(): string | undefined {
  return running.getStore();
}

/**
 * The environment variables of the local function whose invocation the caller runs in, when its hub gave it its own
 * (`LambdaOptions.environment`: the functions of a second region running in the same process), else undefined. The
 * multi-region local hub's `process.env` view reads them (local/hub.ts, `regionalProcessEnv`).
 */
export function currentLocalEnvironment(): Readonly<Record<string, string>> | undefined {
  return environments.getStore();
}

/** A JSON value as Step Functions passes it around. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The subset of the Lambda context object spokelink's handlers may use. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export type LambdaHandler = (event: unknown, context: LambdaContext) => unknown;

/** Error names of the Lambda service and runtime, as Step Functions reports them. */
export const LambdaErrorName = {
  /** The function timed out (its configured timeout). */
  timeout: 'Sandbox.Timedout',
  /** The runtime died (out of memory, crash) without an error payload. */
  unknown: 'Lambda.Unknown',
  serviceException: 'Lambda.ServiceException',
  tooManyRequests: 'Lambda.TooManyRequestsException',
} as const;

/**
 * An invocation that failed, as Step Functions sees it: `name` is the error name `Retry`/`Catch` match, `message` is
 * the cause (aws-local-stepfunctions reports `{ Error: error.name, Cause: error.message }`).
 */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    /** The cause string Step Functions shows; by default the JSON error payload. */
    cause?: string,
  ) {
    super(cause ?? JSON.stringify({ errorType, errorMessage, trace: [] }));
    this.name = errorType;
  }
}

/** A fault injected at the Lambda level (not at an AWS call: see twin faults for those). */
export interface LambdaFaultRule {
  /** Function name (kebab-case, `transit-gateway`). */
  function?: string;
  /** ASL state name the invocation comes from. */
  state?: string;
  /** 1-based invocation numbers (counted per rule, among matching invocations) that fail; default: every one. */
  occurrences?: number[];
  /** At most this many failures from this rule. */
  times?: number;
  /**
   * `after-handler` (default): the handler runs to completion (its AWS calls take effect), then the invocation
   * fails: a function that died after its side effects and before returning.
   * `before-handler`: the invocation fails without running the handler (Lambda throttled or unavailable).
   */
  phase?: 'after-handler' | 'before-handler';
  /** The error: a Lambda error name (default `Lambda.Unknown`) or a custom one. */
  error?: (typeof LambdaErrorName)[keyof typeof LambdaErrorName] | { name: string; message: string };
}

export interface LambdaOptions {
  /** Folder of the function entries (default: the repository's `functions`). */
  functionsDir?: string;
  /** Name prefix of the deployed functions (`<prefix>-<name>`; default `spokelink`). */
  prefix?: string;
  region?: string;
  accountId?: string;
  /**
   * Function timeout in ms, for all, per function name, or from a function of the name (default 60 s). Exceeding it
   * fails with Sandbox.Timedout. The local hub passes the deployed timeouts (infra/function-sizing.ts).
   */
  timeoutMs?: number | Record<string, number> | ((name: string) => number);
  /** Extra simulated run time in ms added to every invocation (cold start, CPU), per call or fixed. Default 0. */
  durationMs?: number | ((fn: string, state: string | undefined) => number);
  /** Lambda-level faults. */
  faults?: LambdaFaultRule[];
  /** Resolves a function name to its handler (tests); default: `require(functionsDir/<name>/handler.ts).handler`. */
  loadHandler?: (name: string) => LambdaHandler;
  /** Unique ids (awsRequestId); default: a counter. */
  newRequestId?: () => string;
  /**
   * Variables every invocation of these functions sees in place of the process's own (`currentLocalEnvironment`):
   * what Lambda sets per function (its region, credentials, the hub's resource names). Default: none, the process's
   * environment is the functions' (one hub per process).
   */
  environment?: Readonly<Record<string, string>>;
  /**
   * Keep a record of every invocation in `invocations` (default true). The bench's days of thousands of VPCs count
   * them instead (`invocationCount`, `counts()`): a million records otherwise.
   */
  keepInvocations?: boolean;
}

/** One invocation, for reports and assertions. */
export interface InvocationRecord {
  function: string;
  state?: string;
  execution?: string;
  requestId: string;
  startedAt: number;
  endedAt?: number;
  outcome?: 'succeeded' | 'failed' | 'timedOut' | 'fault';
  error?: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const REPO_ROOT = resolve(__dirname, '..');

interface ActiveFault {
  rule: LambdaFaultRule;
  matched: number;
  applied: number;
}

/** Where an invocation comes from (for faults, records and the fake context). */
export interface InvokeMeta {
  state?: string;
  execution?: string;
}

/** The local Lambda service: the functions of one hub, invoked in process. */
export class LocalLambdas {
  readonly invocations: InvocationRecord[] = [];
  private readonly countsByFunction: Record<string, number> = {};
  private invocationTotal = 0;
  private readonly handlers = new Map<string, LambdaHandler>();
  private readonly faults: ActiveFault[];
  private readonly functionsDir: string;
  private requestCounter = 0;
  private down = false;
  private environment: Readonly<Record<string, string>> | undefined;

  constructor(private readonly options: LambdaOptions = {}) {
    this.functionsDir = options.functionsDir ?? join(REPO_ROOT, 'functions');
    this.faults = (options.faults ?? []).map((rule) => ({ rule, matched: 0, applied: 0 }));
    this.environment = options.environment;
  }

  get prefix(): string {
    return this.options.prefix ?? 'spokelink';
  }

  /** Physical name of a function (`spokelink-transit-gateway`). */
  physicalName(name: string): string {
    return `${this.prefix}-${name}`;
  }

  /** The fake ARN a function is known by in definitions and invocations. */
  arnOf(name: string): string {
    const region = this.options.region ?? 'us-east-1';
    const account = this.options.accountId ?? '111111111111';
    return `arn:aws:lambda:${region}:${account}:function:${this.physicalName(name)}`;
  }

  /**
   * The function name (kebab-case) for a `FunctionName` as Lambda accepts it: name, partial or full ARN, with an
   * optional version or alias qualifier. Undefined when it is not one of this hub's functions.
   */
  resolveFunction(functionName: string): string | undefined {
    const match = /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/.exec(
      functionName,
    );
    const physical = match?.[1];
    if (!physical?.startsWith(`${this.prefix}-`)) return undefined;
    return physical.slice(this.prefix.length + 1);
  }

  /** Sets the functions' own environment (`LambdaOptions.environment`) for the invocations from now on. */
  useEnvironment(environment: Readonly<Record<string, string>> | undefined): void {
    this.environment = environment;
  }

  /** Whether `functions/<name>/handler.ts` exists (or the test loader knows it). */
  exists(name: string): boolean {
    if (this.options.loadHandler) return true;
    return existsSync(join(this.functionsDir, name, 'handler.ts'));
  }

  /** Adds a fault rule at run time. */
  inject(rule: LambdaFaultRule): void {
    this.faults.push({ rule, matched: 0, applied: 0 });
  }

  /**
   * The Lambda service of this hub's region down (`false`) or back (`true`): while down, every invocation fails before
   * its handler runs with Lambda.ServiceException (a 5xx of the Invoke API: the caller's retry policy decides), as in a
   * regional outage of the service.
   */
  setAvailable(available: boolean): void {
    this.down = !available;
  }

  /** Whether invocations reach the handlers (see `setAvailable`). */
  get available(): boolean {
    return !this.down;
  }

  /** Invocations per function name (kept or not: `keepInvocations`). */
  counts(): Record<string, number> {
    return { ...this.countsByFunction };
  }

  /** Invocations so far (kept or not: `keepInvocations`). */
  get invocationCount(): number {
    return this.invocationTotal;
  }

  private handlerOf(name: string): LambdaHandler {
    let handler = this.handlers.get(name);
    if (!handler) {
      if (this.options.loadHandler) {
        handler = this.options.loadHandler(name);
      } else {
        const entry = join(this.functionsDir, name, 'handler.ts');
        if (!existsSync(entry)) {
          throw new LambdaInvocationError(
            'ResourceNotFoundException',
            `Function not found: ${this.arnOf(name)} (no ${join('functions', name, 'handler.ts')})`,
          );
        }
        const mod = require(entry) as { handler?: unknown };
        if (typeof mod.handler !== 'function') {
          throw new Error(`${entry} does not export a function named "handler"`);
        }
        handler = mod.handler as LambdaHandler;
      }
      this.handlers.set(name, handler);
    }
    return handler;
  }

  private timeoutOf(name: string): number {
    const t = this.options.timeoutMs;
    if (typeof t === 'number') return t;
    if (typeof t === 'function') return t(name);
    return t?.[name] ?? DEFAULT_TIMEOUT_MS;
  }

  private faultFor(name: string, meta: InvokeMeta): ActiveFault | undefined {
    let hit: ActiveFault | undefined;
    for (const active of this.faults) {
      const { rule } = active;
      if (rule.function && rule.function !== name) continue;
      if (rule.state && rule.state !== meta.state) continue;
      active.matched += 1;
      if (rule.occurrences && !rule.occurrences.includes(active.matched)) continue;
      if (rule.times !== undefined && active.applied >= rule.times) continue;
      if (!hit) {
        active.applied += 1;
        hit = active;
      }
    }
    return hit;
  }

  /**
   * Invokes a function synchronously (RequestResponse) with `payload`; resolves with its JSON result or rejects with
   * a LambdaInvocationError shaped as Step Functions reports it.
   */
  async invoke(name: string, payload: unknown, meta: InvokeMeta = {}): Promise<Json> {
    const requestId = this.options.newRequestId?.() ?? this.nextRequestId();
    const record: InvocationRecord = {
      function: name,
      state: meta.state,
      execution: meta.execution,
      requestId,
      startedAt: Date.now(),
    };
    if (this.options.keepInvocations !== false) this.invocations.push(record);
    this.invocationTotal += 1;
    this.countsByFunction[name] = (this.countsByFunction[name] ?? 0) + 1;
    const finish = (outcome: InvocationRecord['outcome'], error?: string) => {
      record.endedAt = Date.now();
      record.outcome = outcome;
      if (error) record.error = error;
    };

    if (!this.available) {
      const error = faultError({ error: LambdaErrorName.serviceException }, this.timeoutOf(name));
      finish('fault', error.name);
      throw error;
    }
    const active = this.faultFor(name, meta);
    const fault = active?.rule;
    if (fault && (fault.phase ?? 'after-handler') === 'before-handler') {
      const error = faultError(fault, this.timeoutOf(name));
      finish('fault', error.name);
      throw error;
    }

    const timeoutMs = this.timeoutOf(name);
    const deadline = Date.now() + timeoutMs;
    const context: LambdaContext = {
      awsRequestId: requestId,
      functionName: this.physicalName(name),
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arnOf(name),
      memoryLimitInMB: '256',
      logGroupName: `/aws/lambda/${this.physicalName(name)}`,
      logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    // Lambda hands the function a fresh deserialized event: no shared references with the state machine.
    const event = JSON.parse(JSON.stringify(payload ?? null)) as unknown;

    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeoutError(requestId, timeoutMs)), timeoutMs);
    });
    try {
      const run = (async () => {
        const handler = this.handlerOf(name);
        const environment = this.environment;
        const call = () => running.run(name, () => handler(event, context));
        const result = await (environment ? environments.run(environment, call) : call());
        const extra = this.extraDuration(name, meta.state);
        if (extra > 0) await new Promise((r) => setTimeout(r, extra));
        return result;
      })();
      // A handler still running at the timeout is abandoned (real Lambda would freeze and recycle the sandbox).
      run.catch(() => undefined);
      const result = await Promise.race([run, timedOut]);
      if (fault) {
        const error = faultError(fault, timeoutMs);
        finish('fault', error.name);
        throw error;
      }
      const text = JSON.stringify(result ?? null);
      finish('succeeded');
      return JSON.parse(text) as Json;
    } catch (error) {
      if (record.outcome) throw error;
      // The handler failed by itself: an after-handler fault did not happen, so it is not used up (`times`).
      if (active) active.applied -= 1;
      if (error instanceof LambdaInvocationError) {
        finish(error.name === LambdaErrorName.timeout ? 'timedOut' : 'failed', error.name);
        throw error;
      }
      const shaped = fromHandlerError(error);
      finish('failed', shaped.name);
      throw shaped;
    } finally {
      clearTimeout(timer);
    }
  }

  private extraDuration(name: string, state: string | undefined): number {
    const d = this.options.durationMs;
    if (d === undefined) return 0;
    return typeof d === 'number' ? d : d(name, state);
  }

  private nextRequestId(): string {
    this.requestCounter += 1;
    const n = this.requestCounter.toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }
}

/** The error Lambda reports for an exception a handler threw (errorType = the error's `name`). */
export function fromHandlerError(error: unknown): LambdaInvocationError {
  if (error instanceof Error) {
    return new LambdaInvocationError(error.name || 'Error', error.message);
  }
  // The Node.js runtime reports thrown non-errors with errorType "string", "number", ... and the value as message.
  return new LambdaInvocationError(typeof error, String(error));
}

function timeoutError(requestId: string, timeoutMs: number): LambdaInvocationError {
  const at = new Date().toISOString();
  return new LambdaInvocationError(
    LambdaErrorName.timeout,
    `${at} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
  );
}

function faultError(rule: LambdaFaultRule, timeoutMs: number): LambdaInvocationError {
  const error = rule.error ?? LambdaErrorName.unknown;
  if (typeof error !== 'string') return new LambdaInvocationError(error.name, error.message);
  switch (error) {
    case LambdaErrorName.timeout:
      return timeoutError('00000000-0000-4000-8000-fault0000000', timeoutMs);
    case LambdaErrorName.unknown:
      return new LambdaInvocationError(
        error,
        'The cause of the error cannot be determined',
        'The cause of the error cannot be determined',
      );
    case LambdaErrorName.tooManyRequests:
      return new LambdaInvocationError(
        error,
        'Rate Exceeded.',
        'Rate Exceeded. (Service: Lambda, Status Code: 429, Request ID: local)',
      );
    default:
      return new LambdaInvocationError(
        error,
        'Lambda service error',
        'Lambda service error (Service: Lambda, Status Code: 500, Request ID: local)',
      );
  }
}
