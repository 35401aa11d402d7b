import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { constructStack } from '@smithy/core/client';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpRequest, type HttpResponse } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  DeserializeMiddleware,
  FinalizeRequestMiddleware,
  MiddlewareStack,
  SerializeMiddleware,
} from '@smithy/types';
import { NodeSha256 } from '../sha256';
import {
  type AssociateProfileCommandInput,
  type AssociateProfileCommandOutput,
  type AssociateResourceToProfileCommandInput,
  type AssociateResourceToProfileCommandOutput,
  type CreateProfileCommandInput,
  type CreateProfileCommandOutput,
  type DeleteProfileCommandInput,
  type DeleteProfileCommandOutput,
  type DisassociateProfileCommandInput,
  type DisassociateProfileCommandOutput,
  type DisassociateResourceFromProfileCommandInput,
  type DisassociateResourceFromProfileCommandOutput,
  EXCEPTIONS,
  type GetProfileAssociationCommandInput,
  type GetProfileAssociationCommandOutput,
  type GetProfileCommandInput,
  type GetProfileCommandOutput,
  type GetProfileResourceAssociationCommandInput,
  type GetProfileResourceAssociationCommandOutput,
  type ListProfileAssociationsCommandInput,
  type ListProfileAssociationsCommandOutput,
  type ListProfileResourceAssociationsCommandInput,
  type ListProfileResourceAssociationsCommandOutput,
  type ListProfilesCommandInput,
  type ListProfilesCommandOutput,
  Route53ProfilesServiceException,
} from './models';

export * from './models';

/**
 * A Route 53 Profiles client with the surface of `@aws-sdk/client-route53profiles` (client, commands, paginators,
 * modeled exceptions), which the npm registry this project builds from does not carry. It speaks the service's
 * restJson1 protocol (paths and methods of the API reference:
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Route_53_Profiles.html), signs with SigV4
 * (signing name `route53profiles`) and retries throttling and server faults like the SDK's standard mode. Like every
 * SDK v3 client it has a `middlewareStack`: the local twin answers it from the deserialize step, as for the others.
 * Replace it with the published package (same names) when the registry has it.
 */

type Input = object;
type Output = { $metadata: Record<string, unknown> };

interface Binding {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `{Member}` labels taken from the input. */
  path: string;
  /** Input members sent as query parameters (name on the wire). */
  query?: Record<string, string>;
}

/** HTTP bindings of each operation (API reference, each operation's "Request Syntax"). */
const BINDINGS: Record<string, Binding> = {
  CreateProfile: { method: 'POST', path: '/profile' },
  GetProfile: { method: 'GET', path: '/profile/{ProfileId}' },
  DeleteProfile: { method: 'DELETE', path: '/profile/{ProfileId}' },
  ListProfiles: { method: 'GET', path: '/profiles', query: { MaxResults: 'maxResults', NextToken: 'nextToken' } },
  AssociateResourceToProfile: { method: 'POST', path: '/profileresourceassociation' },
  DisassociateResourceFromProfile: {
    method: 'DELETE',
    path: '/profileresourceassociation/profileid/{ProfileId}/resourcearn/{ResourceArn}',
  },
  GetProfileResourceAssociation: {
    method: 'GET',
    path: '/profileresourceassociation/{ProfileResourceAssociationId}',
  },
  ListProfileResourceAssociations: {
    method: 'GET',
    path: '/profileresourceassociations/profileid/{ProfileId}',
    query: { MaxResults: 'maxResults', NextToken: 'nextToken', ResourceType: 'resourceType' },
  },
  AssociateProfile: { method: 'PUT', path: '/profileassociation' },
  DisassociateProfile: { method: 'DELETE', path: '/profileassociation/Profileid/{ProfileId}/resourceid/{ResourceId}' },
  GetProfileAssociation: { method: 'GET', path: '/profileassociation/{ProfileAssociationId}' },
  ListProfileAssociations: {
    method: 'GET',
    path: '/profileassociations',
    query: { MaxResults: 'maxResults', NextToken: 'nextToken', ProfileId: 'profileId', ResourceId: 'resourceId' },
  },
};

/** Timestamps arrive as epoch seconds (restJson1); the SDK gives them as Dates. */
const TIME_MEMBERS = new Set(['CreationTime', 'ModificationTime']);

function reviveDates(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reviveDates);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = TIME_MEMBERS.has(k) && typeof v === 'number' ? new Date(v * 1000) : reviveDates(v);
  }
  return out;
}

export abstract class Route53ProfilesCommand<I extends Input, O extends Output> {
  /** Only for typing `send`'s output. */
  declare readonly __output?: O;
  constructor(readonly input: I) {}
  abstract readonly operation: string;
}

const command = <I extends Input, O extends Output>(operation: string) =>
  class extends Route53ProfilesCommand<I, O> {
    readonly operation = operation;
  };

export class CreateProfileCommand extends command<CreateProfileCommandInput, CreateProfileCommandOutput>(
  'CreateProfile',
) {}
export class GetProfileCommand extends command<GetProfileCommandInput, GetProfileCommandOutput>('GetProfile') {}
export class DeleteProfileCommand extends command<DeleteProfileCommandInput, DeleteProfileCommandOutput>(
  'DeleteProfile',
) {}
export class ListProfilesCommand extends command<ListProfilesCommandInput, ListProfilesCommandOutput>('ListProfiles') {}
export class AssociateResourceToProfileCommand extends command<
  AssociateResourceToProfileCommandInput,
  AssociateResourceToProfileCommandOutput
>('AssociateResourceToProfile') {}
export class DisassociateResourceFromProfileCommand extends command<
  DisassociateResourceFromProfileCommandInput,
  DisassociateResourceFromProfileCommandOutput
>('DisassociateResourceFromProfile') {}
export class GetProfileResourceAssociationCommand extends command<
  GetProfileResourceAssociationCommandInput,
  GetProfileResourceAssociationCommandOutput
>('GetProfileResourceAssociation') {}
export class ListProfileResourceAssociationsCommand extends command<
  ListProfileResourceAssociationsCommandInput,
  ListProfileResourceAssociationsCommandOutput
>('ListProfileResourceAssociations') {}
export class AssociateProfileCommand extends command<AssociateProfileCommandInput, AssociateProfileCommandOutput>(
  'AssociateProfile',
) {}
export class DisassociateProfileCommand extends command<
  DisassociateProfileCommandInput,
  DisassociateProfileCommandOutput
>('DisassociateProfile') {}
export class GetProfileAssociationCommand extends command<
  GetProfileAssociationCommandInput,
  GetProfileAssociationCommandOutput
>('GetProfileAssociation') {}
export class ListProfileAssociationsCommand extends command<
  ListProfileAssociationsCommandInput,
  ListProfileAssociationsCommandOutput
>('ListProfileAssociations') {}

export interface Route53ProfilesClientConfig {
  region: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Attempts per call, the first included (the SDK's standard mode: 3). */
  maxAttempts?: number;
  /** Another endpoint than `https://route53profiles.<region>.amazonaws.com` (tests, VPC endpoints). */
  endpoint?: string;
}

const RETRYABLE = new Set(['ThrottlingException', 'InternalServiceErrorException']);
/** Standard mode's backoff: full jitter on 100 ms * 2^attempt, capped at 20 s. */
const backoffMs = (attempt: number) => Math.random() * Math.min(20_000, 100 * 2 ** attempt);

function serialize(operation: string, endpoint: URL, input: Record<string, unknown>): HttpRequest {
  const binding = BINDINGS[operation];
  if (!binding) throw new Error(`Route53ProfilesClient: unknown operation ${operation}`);
  const used = new Set<string>();
  const path = binding.path.replace(/\{(\w+)\}/g, (_, member: string) => {
    used.add(member);
    const value = input[member];
    if (typeof value !== 'string' || value === '') throw new Error(`${operation}: ${member} is required`);
    return encodeURIComponent(value);
  });
  const query: Record<string, string> = {};
  for (const [member, wire] of Object.entries(binding.query ?? {})) {
    used.add(member);
    if (input[member] !== undefined) query[wire] = String(input[member]);
  }
  const body = Object.fromEntries(Object.entries(input).filter(([k, v]) => !used.has(k) && v !== undefined));
  const withBody = binding.method === 'POST' || binding.method === 'PUT';
  return new HttpRequest({
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port ? { port: Number(endpoint.port) } : {}),
    method: binding.method,
    path,
    query,
    headers: { host: endpoint.host, ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { body: JSON.stringify(body) } : {}),
  });
}

async function readBody(response: HttpResponse): Promise<string> {
  const body = response.body as AsyncIterable<Uint8Array> | string | undefined;
  if (body === undefined || typeof body === 'string') return body ?? '';
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

export class Route53ProfilesClient {
  readonly middlewareStack: MiddlewareStack<Input, Output> = constructStack<Input, Output>();
  readonly config: { region: string; maxAttempts: number; credentials: AwsCredentialIdentityProvider };
  private readonly http = new NodeHttpHandler();

  constructor(config: Route53ProfilesClientConfig) {
    const credentials = config.credentials ?? defaultProvider();
    this.config = {
      region: config.region,
      maxAttempts: config.maxAttempts ?? 3,
      credentials: typeof credentials === 'function' ? credentials : async () => credentials,
    };
    const region = config.region;
    const endpoint = new URL(config.endpoint ?? `https://route53profiles.${region}.amazonaws.com`);
    const serializer: SerializeMiddleware<Input, Output> = (next, context) => (args) =>
      next({
        ...args,
        request: serialize(String(context.commandName).replace(/Command$/, ''), endpoint, args.input as never),
      });
    const retry: FinalizeRequestMiddleware<Input, Output> = (next) => async (args) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await next(args);
          (result.output as Output).$metadata.attempts = attempt;
          return result;
        } catch (error) {
          const name = (error as Error).name;
          if (attempt >= this.config.maxAttempts || !RETRYABLE.has(name)) throw error;
          await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
        }
      }
    };
    const signer: FinalizeRequestMiddleware<Input, Output> = (next) => async (args) => {
      const sign = new SignatureV4({
        credentials: this.config.credentials,
        region,
        service: 'route53profiles',
        sha256: NodeSha256,
      });
      return next({ ...args, request: await sign.sign(args.request as HttpRequest) });
    };
    const deserializer: DeserializeMiddleware<Input, Output> = (next) => async (args) => {
      const { response } = await next(args);
      const http = response as HttpResponse;
      const text = await readBody(http);
      const parsed = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      const $metadata = { httpStatusCode: http.statusCode, requestId: http.headers['x-amzn-requestid'] };
      if (http.statusCode >= 300) {
        const type = (http.headers['x-amzn-errortype'] ?? String(parsed.__type ?? parsed.code ?? 'UnknownError'))
          .split(':')[0]!
          .split('#')
          .pop()!;
        const message = String(parsed.Message ?? parsed.message ?? type);
        const Modeled = EXCEPTIONS[type];
        throw Modeled
          ? new Modeled({ message, $metadata })
          : new Route53ProfilesServiceException({
              name: type,
              $fault: http.statusCode >= 500 ? 'server' : 'client',
              message,
              $metadata,
            });
      }
      return { response, output: { ...(reviveDates(parsed) as object), $metadata } };
    };
    this.middlewareStack.add(serializer, { step: 'serialize', name: 'route53ProfilesSerializer' });
    this.middlewareStack.add(retry, { step: 'finalizeRequest', name: 'retryMiddleware', priority: 'high' });
    this.middlewareStack.add(signer, { step: 'finalizeRequest', name: 'awsAuthMiddleware', priority: 'low' });
    this.middlewareStack.add(deserializer, { step: 'deserialize', name: 'route53ProfilesDeserializer' });
  }

  async send<I extends Input, O extends Output>(command: Route53ProfilesCommand<I, O>): Promise<O> {
    const handler = this.middlewareStack.resolve(
      async (args) => {
        const { response } = await this.http.handle(args.request as HttpRequest);
        return { response, output: undefined as never };
      },
      { clientName: 'Route53ProfilesClient', commandName: `${command.operation}Command` },
    );
    const { output } = await handler({ input: command.input });
    return output as O;
  }

  destroy(): void {
    this.http.destroy();
  }
}

// ---- paginators ----------------------------------------------------------------------------------------------

type Paged = { NextToken?: string };

function paginator<I extends { NextToken?: string }, O extends Output & Paged>(
  Command: new (input: I) => Route53ProfilesCommand<I, O>,
) {
  return async function* (config: { client: Route53ProfilesClient }, input: I): AsyncGenerator<O> {
    let NextToken = input.NextToken;
    do {
      const page = await config.client.send(new Command({ ...input, NextToken }));
      yield page;
      NextToken = page.NextToken;
    } while (NextToken);
  };
}

export const paginateListProfiles = paginator(ListProfilesCommand);
export const paginateListProfileAssociations = paginator(ListProfileAssociationsCommand);
export const paginateListProfileResourceAssociations = paginator(ListProfileResourceAssociationsCommand);
