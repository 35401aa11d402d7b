import { Client, constructStack } from '@smithy/core/client';
import { getRetryPlugin } from '@smithy/core/retry';
import { HttpResponse } from '@smithy/protocol-http';
import type { AwsCredentialIdentity, MetadataBearer, MiddlewareStack, Pluggable } from '@smithy/types';
import { TwinError } from './errors';
import type { Twin } from './twin';
import type { ServiceName } from './types';

/**
 * SDK client name -> twin service, and the SDK module whose exception classes the service throws (each module's base
 * class is named after its client: `EC2Client` throws `EC2ServiceException`s, `exceptionBaseOf`).
 */
const CLIENTS: Record<string, { service: ServiceName; module: string }> = {
  EC2Client: { service: 'ec2', module: '@aws-sdk/client-ec2' },
  Route53Client: { service: 'route53', module: '@aws-sdk/client-route-53' },
  // The project's stand-in for @aws-sdk/client-route53profiles (sdk/client-route53profiles: same names).
  Route53ProfilesClient: { service: 'route53profiles', module: '../sdk/client-route53profiles' },
  RAMClient: { service: 'ram', module: '@aws-sdk/client-ram' },
  STSClient: { service: 'sts', module: '@aws-sdk/client-sts' },
  OrganizationsClient: { service: 'organizations', module: '@aws-sdk/client-organizations' },
  SFNClient: { service: 'sfn', module: '@aws-sdk/client-sfn' },
  SNSClient: { service: 'sns', module: '@aws-sdk/client-sns' },
  IAMClient: { service: 'iam', module: '@aws-sdk/client-iam' },
};

/** The base class of a client's exceptions: `EC2Client` -> `EC2ServiceException`. */
const exceptionBaseOf = (client: string) => client.replace(/Client$/, 'ServiceException');

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/ec2/aws4_request, ...`. */
export function parseCredentialScope(authorization: string | undefined): { accessKeyId: string; region: string } {
  const match = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(authorization ?? '');
  if (!match) return { accessKeyId: '', region: '' };
  return { accessKeyId: match[1]!, region: match[2]! };
}

type ExceptionCtor = new (options: Record<string, unknown>) => Error;

const sdkModules = new Map<string, Record<string, unknown>>();

function sdkModule(name: string): Record<string, unknown> {
  let module = sdkModules.get(name);
  if (!module) {
    module = require(name) as Record<string, unknown>;
    sdkModules.set(name, module);
  }
  return module;
}

/** The exception the real SDK throws for this error response. */
export function toSdkError(client: string, error: TwinError, requestId: string): Error {
  const spec = CLIENTS[client];
  if (!spec) return error;
  const sdk = sdkModule(spec.module);
  const Base = sdk[exceptionBaseOf(client)] as ExceptionCtor;
  const $metadata = { httpStatusCode: error.status, requestId, attempts: 1, totalRetryDelay: 0 };
  const Modeled = sdk[error.code];
  if (typeof Modeled === 'function' && Modeled.prototype instanceof Base) {
    return new (Modeled as ExceptionCtor)({ message: error.message, $metadata });
  }
  const fault = error.status >= 500 ? 'server' : 'client';
  const sdkError = new Base({ name: error.code, $fault: fault, $metadata, message: error.message });
  Object.assign(sdkError, { Code: error.code });
  return sdkError;
}

/** The twin's answer to one SDK call: the output with the `$metadata` the SDK's deserializer adds, or its exception. */
async function answer(
  twin: Twin,
  clientName: string,
  spec: (typeof CLIENTS)[string],
  operation: string,
  input: unknown,
  accessKeyId: string,
  region: string,
) {
  try {
    const output = await twin.call(spec.service, operation, input as Record<string, unknown>, accessKeyId, region);
    return {
      response: new HttpResponse({ statusCode: 200, headers: {} }),
      output: { ...output, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } },
    };
  } catch (error) {
    if (error instanceof TwinError) throw toSdkError(clientName, error, twin.newUuid());
    throw error;
  }
}

/**
 * How the twin answers SDK clients:
 * - `sdk` (default): through the SDK's whole client stack: the input is serialized to the HTTP request AWS would
 *   get and signed (the twin reads the caller from the signature's credential scope); what a test checks.
 * - `direct`: the same clients, the same input (after the commands' own input middleware, e.g. Route 53's id
 *   normalizer), the same credentials, endpoint resolution and the SDK's own retry middleware with the client's retry
 *   strategy, but no serialization, signing or HTTP headers: the twin receives the input as the full path would hand
 *   it. The bench's simulations use it (CPU per simulated VPC: docs/performance.md, "Simulation speed"); it checks
 *   nothing of the wire format (what the SDK's serializer would refuse), so tests keep `sdk`
 *   (test/twin/direct-transport.test.ts: both give the same answers and call records).
 */
export type TwinTransport = 'sdk' | 'direct';

/**
 * Middleware that answers SDK v3 calls from the twin. It sits in the deserialize step, inside the SDK's retry and
 * signing middleware: the request is signed as for AWS (the twin reads the caller from the credential scope), errors
 * go through the SDK's own retry strategy, and clients are the same objects production uses. With the `direct`
 * transport, the clients it is applied to send through `directSend` instead (see `TwinTransport`).
 */
// biome-ignore lint/suspicious/noExplicitAny: the plugin applies to clients of every service (their own IO types).
export function twinPlugin(twin: Twin, transport: TwinTransport = 'sdk'): Pluggable<any, any> {
  return {
    applyToStack(stack) {
      if (transport === 'direct') {
        installDirectSend();
        directStacks.set(stack, twin);
      }
      stack.add(
        (next, context) => async (args) => {
          const clientName = String(context.clientName ?? '');
          const spec = CLIENTS[clientName];
          if (!spec) return next(args);
          const operation = String(context.commandName ?? '').replace(/Command$/, '');
          const request = args.request as { headers?: Record<string, string> };
          const headers = request.headers ?? {};
          const { accessKeyId, region } = parseCredentialScope(headers.authorization ?? headers.Authorization);
          return answer(twin, clientName, spec, operation, args.input, accessKeyId, region);
        },
        { step: 'deserialize', name: 'spokelinkTwin', priority: 'high', override: true },
      );
    },
  };
}

// ---- the direct transport --------------------------------------------------------------------------------------

/** Client stacks given `twinPlugin(twin, 'direct')`, and their twin. Any other client sends as the SDK does. */
const directStacks = new WeakMap<object, Twin>();
/** Per client: the short stack `directSend` resolves each command against (built on the client's first send). */
type ShortStack = MiddlewareStack<Record<string, unknown>, MetadataBearer>;
const shortStacks = new WeakMap<object, ShortStack>();
const IDENTITY = Symbol('spokelinkTwinIdentity');

type SdkConfig = {
  credentials: () => Promise<AwsCredentialIdentity>;
  region: () => Promise<string>;
} & Parameters<typeof getRetryPlugin>[0];
export type SdkCommand = {
  resolveMiddleware(stack: unknown, config: unknown, options: unknown): (c: unknown) => Promise<{ output: unknown }>;
};
type SdkClient = { config: SdkConfig; middlewareStack: object; constructor: { name: string } };

let originalSend: ((...args: unknown[]) => unknown) | undefined;

/**
 * Routes `send` of the clients the direct plugin was applied to through their short stack (once per process; every
 * other client, and a send with options or a callback, goes through the SDK's own `send` unchanged).
 */
function installDirectSend(): void {
  if (originalSend) return;
  const prototype = Client.prototype as unknown as { send: (...args: unknown[]) => unknown };
  const original = prototype.send;
  originalSend = original;
  prototype.send = function directSend(this: SdkClient, ...args: unknown[]) {
    const [command, ...rest] = args as [SdkCommand, ...unknown[]];
    const twin = directStacks.get(this.middlewareStack);
    const spec = CLIENTS[this.constructor.name];
    if (!twin || !spec || rest.some((r) => r !== undefined)) return original.apply(this, args);
    let stack = shortStacks.get(this);
    if (!stack) {
      stack = shortStack(twin, this.constructor.name, spec, this.config);
      shortStacks.set(this, stack);
    }
    // The resolved middleware of each command class, once per client, as the SDK's own `send` keeps it with the client
    // setting `cacheMiddleware` (https://docs.aws.amazon.com/AWSJavaScriptSDK/v3/latest/Package/-smithy-smithy-client/):
    // the command is the handler's argument, and nothing of a call is kept in the shared context (the caller's
    // identity travels with the call's arguments).
    let handlers = classHandlers.get(this);
    if (!handlers) {
      handlers = new WeakMap();
      classHandlers.set(this, handlers);
    }
    const commandClass = (command as unknown as { constructor: object }).constructor;
    let handler = handlers.get(commandClass);
    if (!handler) {
      handler = command.resolveMiddleware(stack, this.config, undefined);
      handlers.set(commandClass, handler);
    }
    return handler(command).then((result) => result.output);
  };
}

/** Per client: each command class's resolved handler on the short stack (see `directSend`). */
const classHandlers = new WeakMap<object, WeakMap<object, (c: unknown) => Promise<{ output: unknown }>>>();

/**
 * Sends `command` through `stack` (the short stack of a direct path) with the client's `config`, as the client's
 * own `send` does through its full stack: the command adds its own middleware; the answer is the output.
 */
export function sendThrough(command: SdkCommand, stack: object, config: unknown): Promise<unknown> {
  return command
    .resolveMiddleware(
      stack,
      config,
      undefined,
    )(command)
    .then((result) => result.output);
}

/**
 * The stack of a direct send: the caller's identity resolved once per send (as the SDK's auth scheme middleware
 * does, from the same memoized credentials provider), an empty `serializerMiddleware` (the anchor the commands'
 * endpoint middleware is placed before), the SDK's retry middleware over the client's retry strategy, and the twin.
 * The commands add their own middleware (endpoint resolution, input normalizers) as on the full path.
 */
function shortStack(twin: Twin, clientName: string, spec: (typeof CLIENTS)[string], config: SdkConfig) {
  const stack: ShortStack = constructStack();
  stack.add(
    (next) => async (args) => {
      const withIdentity = { ...args, [IDENTITY]: await config.credentials() };
      return next(withIdentity as typeof args);
    },
    { step: 'serialize', name: 'serializerMiddleware' },
  );
  stack.use(getRetryPlugin(config));
  stack.add(
    (_next, context) => async (args) => {
      const identity = (args as unknown as Record<symbol, AwsCredentialIdentity | undefined>)[IDENTITY];
      // The signing region: the endpoint's auth scheme's, else the client's (as SigV4 signing picks it).
      const region = (context as { signing_region?: string }).signing_region ?? (await config.region());
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      return answer(twin, clientName, spec, operation, args.input, identity?.accessKeyId ?? '', region);
    },
    { step: 'deserialize', name: 'spokelinkTwin', priority: 'high' },
  );
  return stack;
}
