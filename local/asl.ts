import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { TwinError } from '#twin/errors';
import { type Json, LambdaInvocationError, type LocalLambdas } from './lambda';

/**
 * Binds an ASL definition to local implementations of its Task resources, for aws-local-stepfunctions'
 * `taskResourceLocalHandlers` (keyed by state name, so every state of Parallel branches and Map item processors is
 * visited). Supported resources, as Step Functions runs them:
 * - a Lambda function ARN (`${XyzFunctionArn}` substituted): the handler's result is the task result;
 * - `arn:aws:states:::lambda:invoke` (and `.waitForTaskToken`): the result is the Invoke response (`Payload`, ...);
 * - `arn:aws:states:::sns:publish` (and `.waitForTaskToken`): published to the local SNS recorder;
 * - `arn:aws:states:::states:startExecution` (`.sync`, `.sync:2`): another local execution;
 * - `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem`: the local DynamoDB;
 * - `arn:aws:states:::aws-sdk:<service>:<action>`: the twin.
 * Anything else is refused when the definition is bound, naming the state.
 */

type AnyState = Record<string, unknown> & { Type: string };
type StatesMap = Record<string, AnyState>;

/** Task timeout Step Functions applies when `TimeoutSeconds` is absent (99999999 s). */
export const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/**
 * The longest delay a JavaScript timer can hold ((2^31 - 1) ms, about 24.8 days); longer delays fire at once
 * (Node and fake-timers alike). Task timeouts are capped here locally.
 */
export const MAX_LOCAL_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Step Functions' payload limit for a task result (256 KB; Lambda itself allows 6 MB). */
export const MAX_TASK_RESULT_BYTES = 262_144;

/** Stands in for `$$.Task.Token` in the context object; replaced by a fresh token when the task starts. */
export const TASK_TOKEN_MARKER = '__spokelink_local_task_token__';

/**
 * Parameter that carries a `TimeoutSecondsPath` value to the interpreter. Step Functions resolves the path against the
 * state input; aws-local-stepfunctions resolves it against the effective input (after `Parameters`), where the state
 * input's fields are gone. The path is therefore also resolved by `Parameters` (on the state input, like AWS), into
 * this parameter, which the interpreter then reads and the runner removes before calling the resource.
 */
export const TIMEOUT_PARAMETER = '__spokelink_timeout_seconds';

export type TaskKind = 'lambda' | 'lambda:invoke' | 'sns:publish' | 'states:startExecution' | 'dynamodb' | 'aws-sdk';

/** One Task state and how it runs locally. */
export interface TaskBinding {
  state: string;
  /** Where the state sits: enclosing Parallel/Map state names, outermost first. */
  path: string[];
  resource: string;
  kind: TaskKind;
  /** `.waitForTaskToken`. */
  waitForToken: boolean;
  /** `.sync` / `.sync:2` (startExecution). */
  sync?: 'sync' | 'sync:2';
  /** Lambda function (kebab-case name) for `lambda` resources; for `lambda:invoke` it comes from the input. */
  function?: string;
  /** For `dynamodb`/`aws-sdk`: the service and action (`getItem`, `ec2:describeVpcs`). */
  service?: string;
  action?: string;
  heartbeatSeconds?: number;
}

/** Substitutes `${Name}` placeholders; throws one error naming every unknown placeholder. */
export function substitute(text: string, values: Record<string, string>, source = 'definition'): string {
  const unknown = new Set<string>();
  const out = text.replace(/\$\{([A-Za-z][A-Za-z0-9]*)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      unknown.add(name);
      return whole;
    }
    return value;
  });
  if (unknown.size > 0) {
    throw new Error(
      `${source}: no local value for ${[...unknown].map((n) => `\${${n}}`).join(', ')} ` +
        `(known: ${Object.keys(values).sort().join(', ') || 'none'})`,
    );
  }
  return out;
}

/** Visits every state, including those inside Parallel branches and Map item processors. */
export function walkStates(
  states: StatesMap,
  visit: (name: string, state: AnyState, path: string[]) => void,
  path: string[] = [],
): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state, path);
    if (state.Type === 'Parallel') {
      const branches = (state.Branches as { States: StatesMap }[] | undefined) ?? [];
      for (const branch of branches) walkStates(branch.States, visit, [...path, name]);
    }
    if (state.Type === 'Map') {
      const processor = (state.ItemProcessor ?? state.Iterator) as { States: StatesMap } | undefined;
      if (processor) walkStates(processor.States, visit, [...path, name]);
    }
  }
}

const STATES_INTEGRATION = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z0-9:.-]+)$/;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

/** How a Task resource runs locally; throws for resources the local runner does not implement. */
export function classifyResource(
  state: string,
  resource: string,
  lambdas: LocalLambdas,
): Omit<TaskBinding, 'state' | 'path'> {
  if (LAMBDA_ARN.test(resource)) {
    const fn = lambdas.resolveFunction(resource);
    if (!fn) throw new Error(`Task state "${state}": ${resource} is not a function of this hub`);
    return { resource, kind: 'lambda', waitForToken: false, function: fn };
  }
  const match = STATES_INTEGRATION.exec(resource);
  if (match) {
    const service = match[1]!;
    let action = match[2]!;
    const waitForToken = action.endsWith('.waitForTaskToken');
    if (waitForToken) action = action.slice(0, -'.waitForTaskToken'.length);
    if (service === 'lambda' && action === 'invoke') return { resource, kind: 'lambda:invoke', waitForToken };
    if (service === 'sns' && action === 'publish') return { resource, kind: 'sns:publish', waitForToken };
    if (service === 'states' && /^startExecution(\.sync(:2)?)?$/.test(action)) {
      const sync = action.includes('.sync:2') ? 'sync:2' : action.includes('.sync') ? 'sync' : undefined;
      return { resource, kind: 'states:startExecution', waitForToken, sync };
    }
    if (
      service === 'dynamodb' &&
      ['getItem', 'putItem', 'updateItem', 'deleteItem'].includes(action) &&
      !waitForToken
    ) {
      return { resource, kind: 'dynamodb', waitForToken, service: 'dynamodb', action };
    }
    if (service === 'aws-sdk' && !waitForToken) {
      const [sdkService, sdkAction] = action.split(':');
      if (sdkService && sdkAction) {
        return { resource, kind: 'aws-sdk', waitForToken, service: sdkService, action: sdkAction };
      }
    }
  }
  throw new Error(`Task state "${state}": resource ${resource} is not supported by the local runner (docs/local.md)`);
}

export interface PreparedDefinition {
  definition: StateMachineDefinition;
  tasks: TaskBinding[];
}

/**
 * Prepares a definition (placeholders already substituted) for aws-local-stepfunctions: classifies every Task,
 * checks state names are unique across branches (handlers are keyed by name), and makes Task timeouts those of
 * Step Functions (the library defaults to 60 s; AWS to 99999999 s, capped at MAX_LOCAL_TIMEOUT_SECONDS here).
 */
export function prepareDefinition(source: unknown, lambdas: LocalLambdas, name = 'definition'): PreparedDefinition {
  // A JSON copy, not structuredClone: the interpreter treats only objects of this realm's Object.prototype as
  // templates (under jest, structuredClone builds objects of another realm and nested `.$` keys would be ignored).
  const definition = JSON.parse(JSON.stringify(source ?? null)) as StateMachineDefinition & { States: StatesMap };
  if (!definition || typeof definition !== 'object' || typeof definition.States !== 'object') {
    throw new Error(`${name}: not an ASL definition (no States)`);
  }
  const tasks: TaskBinding[] = [];
  const seen = new Map<string, string>();
  const problems: string[] = [];
  walkStates(definition.States, (stateName, state, path) => {
    const where = [...path, stateName].join(' > ');
    const previous = seen.get(stateName);
    if (previous !== undefined) problems.push(`state name "${stateName}" is used twice (${previous}; ${where})`);
    seen.set(stateName, where);
    if (state.Type !== 'Task') return;
    const resource = String(state.Resource ?? '');
    try {
      const binding: TaskBinding = { state: stateName, path, ...classifyResource(stateName, resource, lambdas) };
      if (binding.waitForToken && !JSON.stringify(state.Parameters ?? null).includes('$$.Task.Token')) {
        problems.push(`Task state "${stateName}": .waitForTaskToken needs $$.Task.Token in Parameters`);
      }
      if (typeof state.HeartbeatSeconds === 'number') binding.heartbeatSeconds = state.HeartbeatSeconds;
      if (binding.kind === 'lambda' && binding.function && !lambdas.exists(binding.function)) {
        problems.push(
          `Task state "${stateName}": function ${binding.function} has no functions/${binding.function}/handler.ts`,
        );
      }
      tasks.push(binding);
    } catch (error) {
      problems.push((error as Error).message);
    }
    if (typeof state.TimeoutSecondsPath === 'string' && state.Parameters && typeof state.Parameters === 'object') {
      (state.Parameters as Record<string, unknown>)[`${TIMEOUT_PARAMETER}.$`] = state.TimeoutSecondsPath;
      state.TimeoutSecondsPath = `$.${TIMEOUT_PARAMETER}`;
    }
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      state.TimeoutSeconds = Math.min(AWS_DEFAULT_TASK_TIMEOUT_SECONDS, MAX_LOCAL_TIMEOUT_SECONDS);
    } else if (typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > MAX_LOCAL_TIMEOUT_SECONDS) {
      state.TimeoutSeconds = MAX_LOCAL_TIMEOUT_SECONDS;
    }
  });
  if (problems.length > 0)
    throw new Error(`${name} cannot run locally:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { definition, tasks };
}

// ---- per-execution task handlers ------------------------------------------------------------------------------

/** Records one attempt of a Task state, for the execution history. */
export interface AttemptRecorder {
  started(): void;
  /** The integration accepted the work (`.waitForTaskToken`): Step Functions waits for the token. */
  submitted(output: Json): void;
  succeeded(output: Json): void;
  failed(error: string, cause: string): void;
}

export interface AttemptInfo {
  /** `lambda` for function ARN resources (LambdaFunction* events), `task` for integrations (Task* events). */
  eventFamily: 'lambda' | 'task';
  resource: string;
  /** Task* events: `lambda`, `sns`, `states`, `dynamodb`, or the aws-sdk service. */
  resourceType?: string;
  /** Task* events: `invoke`, `publish.waitForTaskToken`, ... */
  resourceName?: string;
  /** The effective input (LambdaFunctionScheduled) or parameters (TaskScheduled). */
  input: Json;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
}

/** What the execution provides to its Task states. */
export interface TaskRuntime {
  lambdas: LocalLambdas;
  executionArn: string;
  region: string;
  attempt(state: string, info: AttemptInfo): AttemptRecorder;
  /** Creates a task token for `state` and waits until SendTaskSuccess/Failure (or heartbeat timeout). */
  waitForToken(state: string, token: string, heartbeatSeconds?: number): Promise<Json>;
  /** A task token (opaque, unique). */
  newToken(): string;
  /** A request id (UUID-shaped). */
  newRequestId(): string;
  publish?(args: { TopicArn?: string; Message?: string; Subject?: string; MessageAttributes?: Json }): Promise<string>;
  startExecution?(
    args: { StateMachineArn: string; Name?: string; Input?: Json },
    sync?: 'sync' | 'sync:2',
  ): Promise<Json>;
  dynamodb?(action: string, params: Json): Promise<Json>;
  awsSdk?(service: string, action: string, params: Json): Promise<Json>;
}

type TaskHandler = (input: Json) => Promise<Json>;

function replaceMarker(value: Json, token: string): Json {
  if (typeof value === 'string') return value.split(TASK_TOKEN_MARKER).join(token);
  if (Array.isArray(value)) return value.map((v) => replaceMarker(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceMarker(v, token)]));
  }
  return value;
}

function httpMetadata(requestId: string): { [key: string]: Json } {
  return {
    SdkHttpMetadata: { HttpStatusCode: 200, HttpHeaders: { 'x-amzn-RequestId': requestId } },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

function asObject(value: Json, state: string): { [key: string]: Json } {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  throw new LambdaInvocationError('States.Runtime', `Task state "${state}": the parameters must be an object`);
}

function pascal(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** Error name Step Functions gives an AWS error raised by an optimized or SDK integration. */
function integrationError(prefix: string, error: unknown): LambdaInvocationError {
  // A service error of the local services (the twin's TwinError) is named by its AWS error code, as Step Functions
  // names it (`StepFunctions.ExecutionAlreadyExistsException`).
  const name = error instanceof TwinError ? error.code : error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof LambdaInvocationError) return error;
  const code = name.endsWith('Exception') ? name : `${name}Exception`;
  return new LambdaInvocationError(`${prefix}.${code}`, message, message);
}

/** The local handler of every Task state of a prepared definition, for one execution. */
export function taskHandlers(tasks: TaskBinding[], runtime: TaskRuntime): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const task of tasks) handlers[task.state] = (input) => runTask(task, input, runtime);
  return handlers;
}

/** The effective input without the runner's own timeout parameter (see TIMEOUT_PARAMETER). */
function withoutTimeoutParameter(input: Json): Json {
  if (!input || typeof input !== 'object' || Array.isArray(input) || !(TIMEOUT_PARAMETER in input)) return input;
  const { [TIMEOUT_PARAMETER]: _timeout, ...rest } = input;
  return rest;
}

async function runTask(task: TaskBinding, givenInput: Json, runtime: TaskRuntime): Promise<Json> {
  const rawInput = withoutTimeoutParameter(givenInput);
  const token = task.waitForToken ? runtime.newToken() : undefined;
  const input = token ? replaceMarker(rawInput, token) : rawInput;
  const resourceName = task.resource.replace(/^arn:aws[a-z-]*:states:::[a-z0-9-]+:/, '');
  const recorder = runtime.attempt(task.state, {
    eventFamily: task.kind === 'lambda' ? 'lambda' : 'task',
    resource: task.resource,
    resourceType: task.kind === 'lambda' ? undefined : task.kind === 'aws-sdk' ? task.service : task.kind.split(':')[0],
    resourceName: task.kind === 'lambda' ? undefined : task.kind === 'aws-sdk' ? `${task.action}` : resourceName,
    input,
    heartbeatSeconds: task.heartbeatSeconds,
  });
  recorder.started();
  try {
    let output = await dispatch(task, input, runtime);
    if (token) {
      recorder.submitted(output);
      output = await runtime.waitForToken(task.state, token, task.heartbeatSeconds);
    }
    if (Buffer.byteLength(JSON.stringify(output ?? null), 'utf8') > MAX_TASK_RESULT_BYTES) {
      throw new LambdaInvocationError(
        'States.DataLimitExceeded',
        'The state/task returned a result with a size exceeding the maximum number of bytes service limit.',
        'The state/task returned a result with a size exceeding the maximum number of bytes service limit.',
      );
    }
    recorder.succeeded(output);
    return output;
  } catch (error) {
    const shaped =
      error instanceof LambdaInvocationError
        ? error
        : new LambdaInvocationError((error as Error).name || 'Error', (error as Error).message);
    // A function timeout (Sandbox.Timedout) is a function error (LambdaFunctionFailed); the state's own
    // TimeoutSeconds (States.Timeout) is raised by the interpreter, and the history records it from there.
    recorder.failed(shaped.name, shaped.message);
    throw shaped;
  }
}

async function dispatch(task: TaskBinding, input: Json, runtime: TaskRuntime): Promise<Json> {
  const meta = { state: task.state, execution: runtime.executionArn };
  switch (task.kind) {
    case 'lambda':
      return runtime.lambdas.invoke(task.function!, input, meta);
    case 'lambda:invoke': {
      const params = asObject(input, task.state);
      const fn = runtime.lambdas.resolveFunction(String(params.FunctionName ?? ''));
      if (!fn) {
        throw new LambdaInvocationError(
          'Lambda.ResourceNotFoundException',
          `Function not found: ${String(params.FunctionName)}`,
          `Function not found: ${String(params.FunctionName)} (Service: Lambda, Status Code: 404)`,
        );
      }
      const requestId = runtime.newRequestId();
      if (params.InvocationType === 'Event') {
        runtime.lambdas.invoke(fn, params.Payload ?? null, meta).catch(() => undefined);
        return { Payload: '', StatusCode: 202, ...httpMetadata(requestId) };
      }
      const payload = await runtime.lambdas.invoke(fn, params.Payload ?? null, meta);
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200, ...httpMetadata(requestId) };
    }
    case 'sns:publish': {
      if (!runtime.publish) throw new Error('sns:publish: no local SNS service');
      const params = asObject(input, task.state);
      try {
        const messageId = await runtime.publish({
          TopicArn: typeof params.TopicArn === 'string' ? params.TopicArn : undefined,
          Message: typeof params.Message === 'string' ? params.Message : JSON.stringify(params.Message ?? null),
          Subject: typeof params.Subject === 'string' ? params.Subject : undefined,
          MessageAttributes: params.MessageAttributes,
        });
        return { MessageId: messageId, ...httpMetadata(messageId) };
      } catch (error) {
        throw integrationError('SNS', error);
      }
    }
    case 'states:startExecution': {
      if (!runtime.startExecution) throw new Error('states:startExecution: no local Step Functions service');
      const params = asObject(input, task.state);
      try {
        return await runtime.startExecution(
          {
            StateMachineArn: String(params.StateMachineArn ?? ''),
            Name: typeof params.Name === 'string' ? params.Name : undefined,
            Input: params.Input ?? {},
          },
          task.sync,
        );
      } catch (error) {
        throw integrationError('StepFunctions', error);
      }
    }
    case 'dynamodb': {
      if (!runtime.dynamodb) throw new Error('dynamodb: no local DynamoDB');
      try {
        return await runtime.dynamodb(task.action!, input);
      } catch (error) {
        throw integrationError('DynamoDB', error);
      }
    }
    case 'aws-sdk': {
      if (!runtime.awsSdk) throw new Error('aws-sdk: no local AWS');
      try {
        return await runtime.awsSdk(task.service!, task.action!, input);
      } catch (error) {
        throw integrationError(pascal(task.service!), error);
      }
    }
  }
}
