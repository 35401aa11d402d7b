import { randomBytes } from 'node:crypto';
import { Client, constructStack } from '@smithy/core/client';
import { getRetryPlugin } from '@smithy/core/retry';
import { NormalizedSchema, operation } from '@smithy/core/schema';
import { HttpResponse } from '@smithy/protocol-http';
import type { MetadataBearer, MiddlewareStack } from '@smithy/types';
import { type SdkCommand, sendThrough } from '#twin/plugin';

/**
 * The registry's direct path into dynalite (local runs on the direct transport, `LocalHubOptions.sdkTransport:
 * 'direct'`): a DynamoDB command goes through the middleware that decides behaviour (the command's own: endpoint
 * resolution and, for the DocumentClient, lib-dynamodb's marshalling; the caller's credentials; the SDK's retry
 * middleware over the client's retry strategy), then its input is serialized by the client's own protocol
 * serializer and parsed as dynalite's HTTP handler parses the body, and handed to dynalite's own validations and
 * action on the server's store (`DynaliteRequests`). dynalite's answer is read by the client's own protocol
 * deserializer (outputs) or error handler (errors: the same classes, `name`, `message`, `$fault`, `$metadata`).
 * What is skipped: the HTTP request and its headers, the in-process HTTP exchange, dynalite's response bytes and
 * their parsing. `test/local/dynamo-direct.test.ts` runs every kind of registry request both ways.
 */

/** dynalite's answer to one request: its HTTP status and the JSON object it would send as the body. */
export interface DynaliteAnswer {
  statusCode: number;
  body: Record<string, unknown>;
}

/** dynalite's request handling (validations and actions) on one store, beside its HTTP server. */
export interface DynaliteRequests {
  answer(operation: string, data: Record<string, unknown>): Promise<DynaliteAnswer>;
}

type DynaliteCallback = (error: DynaliteError | null, data?: Record<string, unknown>) => void;
type DynaliteError = Error & { statusCode?: number; body?: Record<string, unknown> };
type ActionValidation = { types: object; custom?: (data: object, store: unknown) => string | undefined };
type DynaliteValidations = {
  checkTypes(data: object, types: object): Record<string, unknown>;
  checkValidations(data: object, types: object, custom: ActionValidation['custom'], store: unknown): void;
  toLowerFirst(name: string): string;
};

/** The operations dynalite's HTTP handler accepts (its index.js `validOperations`). */
const DYNALITE_OPERATIONS = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
]);

/**
 * dynalite's request handling after the body is parsed, on `store`: exactly the steps of its HTTP handler
 * (`checkTypes`, `checkValidations` with the action's custom validation, the action), with dynalite's own functions.
 * The steps before (content type, JSON parsing, the target header, the Authorization header's parts) are met by
 * construction by an SDK request; an operation dynalite does not serve gets its UnknownOperationException.
 */
export function dynaliteRequests(store: unknown): DynaliteRequests {
  const validations = require('dynalite/validations') as DynaliteValidations;
  const actions = new Map<string, (store: unknown, data: object, cb: DynaliteCallback) => void>();
  const checks = new Map<string, ActionValidation>();
  for (const name of DYNALITE_OPERATIONS) {
    const action = validations.toLowerFirst(name);
    actions.set(name, require(`dynalite/actions/${action}`));
    checks.set(name, require(`dynalite/validations/${action}`));
  }
  const failure = (error: unknown): DynaliteAnswer => {
    const { statusCode, body } = error as DynaliteError;
    if (statusCode && body) return { statusCode, body };
    throw error;
  };
  return {
    answer(name, input) {
      const action = actions.get(name);
      const check = checks.get(name);
      if (!action || !check) {
        return Promise.resolve({
          statusCode: 400,
          body: { __type: 'com.amazon.coral.service#UnknownOperationException' },
        });
      }
      let data: Record<string, unknown>;
      try {
        data = validations.checkTypes(input, check.types);
        validations.checkValidations(data, check.types, check.custom, store);
      } catch (error) {
        return Promise.resolve(failure(error));
      }
      return new Promise((resolve, reject) => {
        action(store, data, (error, output) => {
          if (!error) resolve({ statusCode: 200, body: output ?? {} });
          else {
            try {
              resolve(failure(error));
            } catch (thrown) {
              reject(thrown);
            }
          }
        });
      });
    },
  };
}

// ---- the SDK side ------------------------------------------------------------------------------------------------

/** What a direct DynamoDB client answers with: the dynalite of the request's endpoint, and the IO tracker. */
export interface DynamoDirectTarget {
  /** The dynalite serving this endpoint port (several regions: one dynalite each). */
  requestsFor(port: number | undefined): DynaliteRequests;
  /** Wraps the request as IO in flight (the virtual clock waits for it). */
  trackIo<T>(work: () => Promise<T>): Promise<T>;
}

type JsonProtocol = {
  serializer: { write(schema: unknown, value: unknown): void; flush(): Uint8Array | string | undefined };
  deserializer: { readObject(schema: unknown, data: unknown): Record<string, unknown> };
  deserializeMetadata(response: { statusCode: number; headers: Record<string, string> }): Record<string, unknown>;
  handleError(
    operationSchema: unknown,
    context: object,
    response: HttpResponse,
    dataObject: Record<string, unknown>,
    metadata: Record<string, unknown>,
  ): Promise<never>;
};
type SdkConfig = { credentials: () => Promise<unknown>; protocol: JsonProtocol } & Parameters<typeof getRetryPlugin>[0];
type SdkClient = { config: SdkConfig; middlewareStack: object; constructor: { name: string } };
type ShortStack = MiddlewareStack<Record<string, unknown>, MetadataBearer>;
type SmithyContext = { operationSchema?: [number, ...Parameters<typeof operation>] };

/** The DynamoDB clients (low-level and DocumentClient: they share the low-level client's stack). */
const DYNAMO_CLIENTS = new Set(['DynamoDBClient', 'DynamoDBDocumentClient']);
/** Client stacks given `useDynamoDirect`, and their target. */
const directStacks = new WeakMap<object, DynamoDirectTarget>();
const shortStacks = new WeakMap<object, ShortStack>();
let installed = false;

/**
 * Sends the DynamoDB commands of the clients whose stack is `stack` (a plugin's `applyToStack` argument) by the
 * direct path (a client of any other service is left alone). `send` with options or a callback goes the SDK's way.
 */
export function useDynamoDirect(stack: object, target: DynamoDirectTarget): void {
  installDirectSend();
  directStacks.set(stack, target);
}

function installDirectSend(): void {
  if (installed) return;
  installed = true;
  const prototype = Client.prototype as unknown as { send: (...args: unknown[]) => unknown };
  // Whatever `send` is now (the twin's direct send routes its own clients and hands on the others).
  const original = prototype.send;
  prototype.send = function dynamoDirectSend(this: SdkClient, ...args: unknown[]) {
    const [command, ...rest] = args as [SdkCommand, ...unknown[]];
    const target = directStacks.get(this.middlewareStack);
    if (!target || !DYNAMO_CLIENTS.has(this.constructor.name) || rest.some((r) => r !== undefined)) {
      return original.apply(this, args);
    }
    let stack = shortStacks.get(this.middlewareStack);
    if (!stack) {
      stack = shortStack(target, this.config);
      shortStacks.set(this.middlewareStack, stack);
    }
    return sendThrough(command, stack, this.config);
  };
}

const SMITHY_CONTEXT = '__smithy_context';

/**
 * The stack of a direct send: the caller's credentials resolved once per send (as the SDK's auth scheme middleware
 * does), `serializerMiddleware` and `deserializerMiddleware` anchors (lib-dynamodb's marshalling and the commands'
 * endpoint middleware are placed relative to them), the SDK's retry middleware over the client's retry strategy,
 * and dynalite.
 */
function shortStack(target: DynamoDirectTarget, config: SdkConfig): ShortStack {
  const stack: ShortStack = constructStack();
  stack.add(
    (next) => async (args) => {
      await config.credentials();
      return next(args);
    },
    { step: 'serialize', name: 'serializerMiddleware' },
  );
  stack.use(getRetryPlugin(config));
  stack.add(
    (_next, context) => async (args) => {
      const schema = (context as Record<string, SmithyContext>)[SMITHY_CONTEXT]?.operationSchema;
      if (!schema) throw new Error(`dynamo direct path: ${String(context.commandName)} has no operation schema`);
      const [, namespace, name, traits, input, output] = schema;
      const port = (context as { endpointV2?: { url?: URL } }).endpointV2?.url?.port;
      const requests = target.requestsFor(port ? Number(port) : undefined);
      const answer = await target.trackIo(() => requests.answer(name, wireBody(config.protocol, input, args.input)));
      return respond(config, context, operation(namespace, name, traits, input, output), answer);
    },
    { step: 'deserialize', name: 'deserializerMiddleware' },
  );
  return stack;
}

/**
 * A request id of dynalite's form (52 characters of A-Z and 0-9): a random prefix per process and a counter. dynalite
 * draws 39 random bytes per request (`rand52CharId`), 0.7% of a simulation's CPU; nothing reads an id but to tell
 * requests apart.
 */
const REQUEST_ID_PREFIX = randomBytes(30).toString('base64').toUpperCase().replace(/\+|\//g, '0');
let requestCount = 0;
function nextRequestId(): string {
  requestCount += 1;
  return `${REQUEST_ID_PREFIX}${requestCount.toString(36).toUpperCase().padStart(12, '0')}`;
}

/** The body dynalite's HTTP handler would parse: the client's serializer's JSON, parsed (`{}` when empty). */
function wireBody(protocol: JsonProtocol, schema: unknown, input: unknown): Record<string, unknown> {
  const serializer = protocol.serializer;
  serializer.write(schema, input && typeof input === 'object' ? input : {});
  const payload = serializer.flush();
  if (payload === undefined || payload.length === 0) return {};
  const text =
    typeof payload === 'string'
      ? payload
      : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * dynalite's answer as the SDK's deserializer middleware returns it: the output read by the protocol's deserializer
 * with the response metadata, or the exception its error handler throws (with the hidden `$response`).
 */
async function respond(
  config: SdkConfig,
  context: object,
  operationSchema: ReturnType<typeof operation>,
  answer: DynaliteAnswer,
): Promise<{ response: HttpResponse; output: MetadataBearer }> {
  const protocol = config.protocol;
  const requestId = nextRequestId();
  const response = new HttpResponse({
    statusCode: answer.statusCode,
    headers: { 'x-amzn-requestid': requestId, 'content-type': 'application/x-amz-json-1.0' },
  });
  const metadata = protocol.deserializeMetadata(response);
  if (answer.statusCode >= 300) {
    // As the SDK reads an error body: a JSON document (schema 15), here a copy of dynalite's error object.
    const dataObject = protocol.deserializer.readObject(15, JSON.parse(JSON.stringify(answer.body)));
    try {
      await protocol.handleError(operationSchema, { ...config, ...context }, response, dataObject, metadata);
    } catch (error) {
      Object.defineProperty(error, '$response', { value: response, enumerable: false, writable: false });
      throw error;
    }
    throw new Error('dynamo direct path: the protocol did not throw for an error response');
  }
  const output = Object.assign(
    {},
    protocol.deserializer.readObject(NormalizedSchema.of(operationSchema.output), answer.body),
  );
  output.$metadata = metadata;
  return { response, output: output as unknown as MetadataBearer };
}
