import { HttpResponse } from '@smithy/protocol-http';
import type { Pluggable } from '@smithy/types';
import { TwinError } from './errors';
import type { Twin } from './twin';
import type { ServiceName } from './types';

/** SDK client name -> twin service, and the SDK module whose exception classes the service throws. */
const CLIENTS: Record<string, { service: ServiceName; module: string; base: string }> = {
  EC2Client: { service: 'ec2', module: '@aws-sdk/client-ec2', base: 'EC2ServiceException' },
  Route53Client: { service: 'route53', module: '@aws-sdk/client-route-53', base: 'Route53ServiceException' },
  // The project's stand-in for @aws-sdk/client-route53profiles (sdk/client-route53profiles: same names).
  Route53ProfilesClient: {
    service: 'route53profiles',
    module: '../sdk/client-route53profiles',
    base: 'Route53ProfilesServiceException',
  },
  RAMClient: { service: 'ram', module: '@aws-sdk/client-ram', base: 'RAMServiceException' },
  STSClient: { service: 'sts', module: '@aws-sdk/client-sts', base: 'STSServiceException' },
  OrganizationsClient: {
    service: 'organizations',
    module: '@aws-sdk/client-organizations',
    base: 'OrganizationsServiceException',
  },
  SFNClient: { service: 'sfn', module: '@aws-sdk/client-sfn', base: 'SFNServiceException' },
  SNSClient: { service: 'sns', module: '@aws-sdk/client-sns', base: 'SNSServiceException' },
  IAMClient: { service: 'iam', module: '@aws-sdk/client-iam', base: 'IAMServiceException' },
};

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
  const Base = sdk[spec.base] as ExceptionCtor;
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

/**
 * Middleware that answers SDK v3 calls from the twin. It sits in the deserialize step, inside the SDK's retry and
 * signing middleware: the request is signed as for AWS (the twin reads the caller from the credential scope), errors
 * go through the SDK's own retry strategy, and clients are the same objects production uses.
 */
// biome-ignore lint/suspicious/noExplicitAny: the plugin applies to clients of every service (their own IO types).
export function twinPlugin(twin: Twin): Pluggable<any, any> {
  return {
    applyToStack(stack) {
      stack.add(
        (next, context) => async (args) => {
          const clientName = String(context.clientName ?? '');
          const spec = CLIENTS[clientName];
          if (!spec) return next(args);
          const operation = String(context.commandName ?? '').replace(/Command$/, '');
          const request = args.request as { headers?: Record<string, string> };
          const headers = request.headers ?? {};
          const { accessKeyId, region } = parseCredentialScope(headers.authorization ?? headers.Authorization);
          try {
            const output = await twin.call(spec.service, operation, args.input, accessKeyId, region);
            return {
              response: new HttpResponse({ statusCode: 200, headers: {} }),
              output: { ...output, $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } },
            };
          } catch (error) {
            if (error instanceof TwinError) throw toSdkError(clientName, error, twin.newUuid());
            throw error;
          }
        },
        { step: 'deserialize', name: 'spokelinkTwin', priority: 'high', override: true },
      );
    },
  };
}
