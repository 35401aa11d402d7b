import { errors, TwinError } from './errors';
import { type FaultRule, Faults } from './faults';
import { IamEvaluator, type IamModel } from './iam';
import { mulberry32 } from './random';
import { type BucketSpec, Throttler } from './throttle';
import type {
  CallContext,
  CallRecord,
  Identity,
  OperationInput,
  OperationOutput,
  ServiceModule,
  ServiceName,
  TagChangeEvent,
  TwinEvent,
} from './types';

/** Timings of asynchronous AWS behaviour, in ms of the twin's clock. Each may be a distribution (uses `twin.random`). */
export interface Timings {
  /** TGW attachment `pending` -> `available` (AWS documents no figure: minutes; Terraform waits up to 10 min). */
  attachmentPendingMs: number | ((random: () => number) => number);
  /** TGW attachment `deleting` -> `deleted`. */
  attachmentDeletingMs: number | ((random: () => number) => number);
  /** After a RAM share, the TGW stays invisible to the principal (`InvalidTransitGatewayID.NotFound`) this long. */
  ramShareVisibilityMs: number;
  /** A Route 53 VPC association change stays PENDING (`PriorRequestNotComplete` for the zone) this long. */
  route53ChangeMs: number;
  /**
   * A Route 53 Profile association with a VPC stays `CREATING` this long before `COMPLETE`, and `DELETING` this long
   * after DisassociateProfile. AWS publishes no figure (API reference, AssociateProfile: the status starts
   * `CREATING`): a stated twin timing, measured at half and double by the bench.
   */
  profileAssociationMs: number;
  /** A resource (hosted zone) association with a Profile: `UPDATING`/`CREATING` -> `COMPLETE`, likewise unpublished. */
  profileResourceAssociationMs: number;
}

export const DEFAULT_TIMINGS: Timings = {
  attachmentPendingMs: 90_000,
  attachmentDeletingMs: 60_000,
  ramShareVisibilityMs: 30_000,
  route53ChangeMs: 2_000,
  profileAssociationMs: 30_000,
  profileResourceAssociationMs: 10_000,
};

export interface TwinOptions {
  /** Seed of ids and random draws: the same seed and calls give the same ids. */
  seed?: number;
  /** Token bucket overrides (names as in DEFAULT_BUCKETS). */
  buckets?: Record<string, BucketSpec>;
  /** Throttling on (default) or off. */
  throttling?: boolean;
  timings?: Partial<Timings>;
  /** Latency of every call on the twin's clock (default 0). */
  latencyMs?: number | ((ctx: CallContext) => number);
  /** Eventual consistency: resources created become visible to describes this long after creation (default 0). */
  consistencyLagMs?: number;
  /** Service modules; default: every module in ./services. */
  services?: ServiceModule<unknown, unknown>[];
  /** IAM: the policies of the principals whose calls are evaluated (see ./iam.ts). Default: none evaluated. */
  iam?: IamModel;
}

type EventListener = (event: TwinEvent) => void;

/**
 * The local AWS twin: a stateful in-memory model of the AWS APIs spokelink uses. The SDK plugin (./plugin.ts) routes
 * real SDK v3 client calls here; `call` resolves the caller from the signing access key, applies faults, throttling
 * and latency, runs the service's operation and records the call.
 */
export class Twin {
  readonly services = new Map<ServiceName, ServiceModule<unknown, unknown>>();
  /** Service states, keyed by service name. Modules read theirs with `twin.stateOf<T>(name)`. */
  readonly state: Record<string, unknown> = {};
  readonly throttler: Throttler;
  readonly faults = new Faults();
  readonly timings: Timings;
  readonly calls: CallRecord[] = [];
  readonly events: TwinEvent[] = [];
  /** The IAM evaluator, when the twin was given policies (`TwinOptions.iam`). */
  iam: IamEvaluator | undefined;
  latencyMs: number | ((ctx: CallContext) => number);
  consistencyLagMs: number;
  /**
   * Names the code that makes the current call (the local Lambda runner sets it to the running function), recorded
   * as `CallRecord.origin`: what a CloudTrail reader would learn from the role session name.
   */
  callOrigin: () => string | undefined = () => undefined;

  private readonly identities = new Map<string, Identity>();
  private readonly listeners: EventListener[] = [];
  private rng: () => number;
  private counter = 0;

  constructor(options: TwinOptions = {}) {
    this.rng = mulberry32(options.seed ?? 20261127);
    this.throttler = new Throttler(options.buckets);
    this.throttler.enabled = options.throttling ?? true;
    this.timings = { ...DEFAULT_TIMINGS, ...options.timings };
    this.latencyMs = options.latencyMs ?? 0;
    this.consistencyLagMs = options.consistencyLagMs ?? 0;
    this.iam = options.iam ? new IamEvaluator(options.iam) : undefined;
    for (const service of options.services ?? defaultServices()) this.register(service);
  }

  /** Adds (or replaces) a service module, e.g. the local Step Functions service of the runner. */
  register(module: ServiceModule<unknown, unknown>): void {
    this.services.set(module.name, module);
    this.state[module.name] = module.createState();
  }

  stateOf<T>(service: ServiceName): T {
    const state = this.state[service];
    if (state === undefined) throw new Error(`twin: service ${service} is not registered`);
    return state as T;
  }

  /** The twin's clock (real, or virtual when the runner fakes timers). */
  now(): number {
    return Date.now();
  }

  /** Seeded uniform [0, 1). */
  random(): number {
    return this.rng();
  }

  /** Draws a timing: a fixed number or a distribution. */
  draw(timing: number | ((random: () => number) => number)): number {
    return typeof timing === 'number' ? timing : timing(() => this.rng());
  }

  /** A new AWS-shaped id: `prefix-` + 17 hex digits (deterministic for a seed). */
  newId(prefix: string, hexDigits = 17): string {
    this.counter += 1;
    let hex = '';
    while (hex.length < hexDigits)
      hex += Math.floor(this.rng() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return `${prefix}-${hex.slice(0, hexDigits)}`;
  }

  /** A UUID-shaped id (request ids, event ids). */
  newUuid(): string {
    const h = this.newId('x', 32).slice(2);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  // ---- identities ---------------------------------------------------------------------------------------------

  /** Registers a principal and returns credentials that identify it (what a Lambda role or a user would have). */
  addIdentity(identity: Omit<Identity, 'accessKeyId' | 'secretAccessKey'> & { accessKeyId?: string }): Identity {
    const accessKeyId =
      identity.accessKeyId ?? `${identity.sessionToken ? 'ASIA' : 'AKIA'}${this.newId('k', 16).slice(2).toUpperCase()}`;
    const full: Identity = { ...identity, accessKeyId, secretAccessKey: this.newId('s', 40).slice(2) };
    this.identities.set(accessKeyId, full);
    return full;
  }

  /** Credentials of a long-lived principal (a role's ARN), created on first use. */
  credentialsFor(arn: string): Identity {
    for (const identity of this.identities.values()) {
      if (identity.arn === arn && identity.sessionToken === undefined) return identity;
    }
    const accountId = arn.split(':')[4] ?? '';
    if (!/^\d{12}$/.test(accountId)) throw new Error(`twin: ${arn} is not a principal ARN`);
    return this.addIdentity({ accountId, arn, roleArn: arn });
  }

  identity(accessKeyId: string): Identity | undefined {
    return this.identities.get(accessKeyId);
  }

  // ---- events ---------------------------------------------------------------------------------------------------

  onEvent(listener: EventListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  emit(event: TwinEvent): void {
    this.events.push(event);
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Emits the EventBridge "Tag Change on Resource" event AWS sends after a tag write. */
  emitTagChange(args: {
    accountId: string;
    region: string;
    service: string;
    resourceType: string;
    resourceId: string;
    changedKeys: string[];
    tagsAfter: Record<string, string>;
  }): void {
    if (args.changedKeys.length === 0) return;
    const event: TagChangeEvent = {
      version: '0',
      id: this.newUuid(),
      'detail-type': 'Tag Change on Resource',
      source: 'aws.tag',
      account: args.accountId,
      time: new Date(this.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: args.region,
      resources: [`arn:aws:${args.service}:${args.region}:${args.accountId}:${args.resourceType}/${args.resourceId}`],
      detail: {
        'changed-tag-keys': [...args.changedKeys],
        service: args.service,
        'resource-type': args.resourceType,
        version: 1,
        tags: { ...args.tagsAfter },
      },
    };
    this.emit(event);
  }

  // ---- calls ----------------------------------------------------------------------------------------------------

  /**
   * Runs one AWS call. `accessKeyId` and `region` come from the request's SigV4 credential scope.
   * Throws TwinError with the service's wire error code, like AWS answers.
   */
  async call(service: ServiceName, operation: string, input: OperationInput, accessKeyId: string, region: string) {
    const module = this.services.get(service);
    if (!module) throw new Error(`twin: service ${service} is not modeled`);
    const handler = module.operations[operation];
    if (!handler) {
      // Loud on purpose: an unmodeled call must never pass silently.
      throw new Error(`twin: ${service}:${operation} is not modeled (see docs/twin.md, "Adding an operation")`);
    }
    const now = this.now();
    const caller = this.identities.get(accessKeyId);
    const requestId = this.newUuid();
    const record: CallRecord = {
      at: now,
      service,
      operation,
      accountId: caller?.accountId ?? '?',
      principal: caller?.arn ?? '?',
      region,
    };
    const origin = this.callOrigin();
    if (origin !== undefined) record.origin = origin;
    this.calls.push(record);
    try {
      if (!caller) {
        throw service === 'ec2'
          ? new TwinError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401)
          : new TwinError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
      }
      if (caller.expiresAt !== undefined && caller.expiresAt <= now) {
        throw new TwinError('ExpiredToken', 'The security token included in the request is expired', 400);
      }
      const ctx: CallContext = { twin: this, service, operation, caller, region, now, requestId };
      // Authorization comes before throttling and faults: AWS denies a call it would not run.
      if (this.iam) await this.iam.authorize(ctx, input, origin);
      const faults = this.faults.match(ctx, input);
      if (faults.length > 0) record.injected = true;
      for (const fault of faults) if (fault.delayMs) await sleep(fault.delayMs);
      const before = faults.find((f) => f.error && !f.afterEffect);
      if (before?.error) throw before.error();

      const buckets = bucketsFor(module, operation, input);
      if (!this.throttler.take(caller.accountId, region, buckets, now)) throw errors.throttled(service);

      const latency = typeof this.latencyMs === 'function' ? this.latencyMs(ctx) : this.latencyMs;
      if (latency > 0) await sleep(latency);

      // The operation sees the clock at the moment it runs (after latency), like AWS.
      const output = await handler({ ...ctx, now: this.now() }, structuredClone(input ?? {}));
      const after = faults.find((f) => f.error && f.afterEffect);
      if (after?.error) throw after.error();
      return structuredClone(output ?? {}) as OperationOutput;
    } catch (error) {
      record.error = error instanceof TwinError ? error.code : (error as Error).name;
      throw error;
    }
  }

  /** Adds a fault rule (see ./faults.ts). */
  inject(rule: FaultRule) {
    return this.faults.add(rule);
  }

  // ---- state ----------------------------------------------------------------------------------------------------

  /** A JSON copy of the whole observable state: `expect(twin.snapshot()).toEqual(before)` means "nothing changed". */
  snapshot(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, module] of this.services) {
      const state = this.state[name];
      out[name] = JSON.parse(JSON.stringify(module.snapshot ? module.snapshot(state, this.now()) : state));
    }
    return out;
  }
}

/** Paths where two snapshots differ (`ec2.vpcs.vpc-1.tags.spokelink:status: undefined -> "connected"`). */
export function diffSnapshots(before: unknown, after: unknown, path = ''): string[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObj(before) || !isObj(after) || Array.isArray(before) !== Array.isArray(after)) {
    return [`${path || '(root)'}: ${JSON.stringify(before)} -> ${JSON.stringify(after)}`];
  }
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].sort().flatMap((key) => diffSnapshots(before[key], after[key], path ? `${path}.${key}` : key));
}

function bucketsFor(module: ServiceModule<unknown, unknown>, operation: string, input: OperationInput): string[] {
  const own = module.bucketFor?.(operation, input);
  const buckets = own ? [own] : [];
  if (module.name === 'route53') buckets.push('route53:account');
  return buckets;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function defaultServices(): ServiceModule<unknown, unknown>[] {
  // Loaded lazily to keep the module graph acyclic (service modules import Twin's types).
  const { SERVICE_MODULES } = require('./services') as typeof import('./services');
  return SERVICE_MODULES;
}
