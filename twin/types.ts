import type { Twin } from './twin';

export type ServiceName =
  | 'ec2'
  | 'route53'
  | 'route53profiles'
  | 'ram'
  | 'sts'
  | 'organizations'
  | 'sfn'
  | 'sns'
  | 'iam';

/** Who is calling: resolved from the access key the SDK signed the request with, as AWS does. */
export interface Identity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  accountId: string;
  /** `arn:aws:iam::ACCOUNT:role/NAME` or `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`. */
  arn: string;
  /** For assumed roles: the role's ARN (what trust policies and conditions see as the principal). */
  roleArn?: string;
  /** Epoch ms; undefined for long-lived keys. */
  expiresAt?: number;
  /** The session policy AssumeRole was given (`Policy`), which narrows the session (IAM evaluation, ./iam.ts). */
  sessionPolicy?: { Version: string; Statement: unknown[] };
}

/** One call as a service handler sees it. */
export interface CallContext {
  twin: Twin;
  service: ServiceName;
  /** Operation name without the `Command` suffix, e.g. `CreateTransitGatewayVpcAttachment`. */
  operation: string;
  caller: Identity;
  region: string;
  /** Epoch ms at the time of the call (the twin's clock: `Date.now()`, real or faked). */
  now: number;
  requestId: string;
}

// biome-ignore lint/suspicious/noExplicitAny: SDK inputs/outputs are typed by the SDK; handlers narrow them.
export type OperationInput = any;
// biome-ignore lint/suspicious/noExplicitAny: see above.
export type OperationOutput = any;

export type OperationHandler = (ctx: CallContext, input: OperationInput) => OperationOutput | Promise<OperationOutput>;

/** A service module: its state, its seed from a world file, and its operations. */
export interface ServiceModule<State, World> {
  name: ServiceName;
  createState(): State;
  /** Adds the world's resources of this service to the state. Throws TwinWorldError on inconsistent worlds. */
  seed?(twin: Twin, world: World): void;
  operations: Record<string, OperationHandler>;
  /** Token bucket of an operation (EC2: describe/mutating/specific buckets). Undefined: not throttled. */
  bucketFor?(operation: string, input: OperationInput): string | undefined;
  /** The observable state for snapshots (default: the state itself), e.g. without resources AWS no longer shows. */
  snapshot?(state: State, now: number): unknown;
}

/** A tag-change event as EventBridge delivers it (`aws.tag`, "Tag Change on Resource"). */
export interface TagChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Tag Change on Resource';
  source: 'aws.tag';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    'changed-tag-keys': string[];
    service: string;
    'resource-type': string;
    version: number;
    tags: Record<string, string>;
  };
}

/** A CloudTrail-delivered API call event (`aws.ec2`, "AWS API Call via CloudTrail"), e.g. CreateVpc, DeleteVpc. */
export interface ApiCallEvent {
  version: '0';
  id: string;
  'detail-type': 'AWS API Call via CloudTrail';
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    eventSource: string;
    eventName: string;
    awsRegion: string;
    userIdentity: { type: string; arn: string; accountId: string };
    requestParameters: Record<string, unknown>;
    responseElements: Record<string, unknown> | null;
    eventID: string;
    eventTime: string;
  };
}

export type TwinEvent = TagChangeEvent | ApiCallEvent;

/** One recorded AWS call (for reports, bench and assertions). */
export interface CallRecord {
  at: number;
  service: ServiceName;
  operation: string;
  accountId: string;
  principal: string;
  region: string;
  /** Error code when the call failed (throttled calls included). */
  error?: string;
  /** True when a fault was injected into this call. */
  injected?: boolean;
  /** The code that made the call, when known (`Twin.callOrigin`): the local Lambda function's name. */
  origin?: string;
}
