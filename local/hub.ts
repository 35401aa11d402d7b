import '#local/polyfills';
import { Console } from 'node:console';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTagsCommand, CreateVpcEndpointCommand, DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { HttpResponse } from '@smithy/protocol-http';
import type { Pluggable } from '@smithy/types';
import { aggregatedIngressRules } from '#shared/aggregated-ingress';
import { resetClients, useClientPlugin } from '#shared/aws';
import {
  type HubConfig,
  hubProfileName,
  loadConfigFile,
  organizationShareOf,
  profileShareOf,
  regionalConfig,
  regionalHubOf,
  registryTableName,
  resetConfigCache,
  servedRegions,
  spokeRoleName,
} from '#shared/config';
import { resetContainerCaches } from '#shared/container-cache';
import { HANDLER_ENV_KEYS, handlerEnvironment } from '#shared/env';
import { logger } from '#shared/logger';
import { metrics } from '#shared/powertools';
import { REQUEST_TAG_KEYS } from '#shared/tags';
import { TwinError } from '#twin/errors';
import { type TwinTransport, twinPlugin } from '#twin/plugin';
import { ec2State, stateAt } from '#twin/services/ec2/model';
import type { OrganizationsState } from '#twin/services/organizations';
import type { Twin, TwinOptions } from '#twin/twin';
import type { CallContext, ServiceModule } from '#twin/types';
import { createTwin, TwinWorldError, type World } from '#twin/world';
import { crossRegionEndpointOf, crossRegionEntries } from '../infra/cross-region';
import { sizingOf } from '../infra/function-sizing';
import { classifyPlaceholder, placeholdersOf } from '../infra/workflow-sources';
import { appTeamEc2Client } from './app-team';
import { type ClockMode, type RunOptions, type RunResult, SimClock } from './clock';
import { writeConfigFile } from './config-file';
import { type DynamoWireRequest, type LocalDynamo, startDynalite, unsignedRequest, unwrapUnsigned } from './dynamo';
import { useDynamoDirect } from './dynamo-direct';
import { type BusEvent, type DeliveryKnobs, LocalEventBridge } from './eventbridge';
import type { LibEvent } from './history';
import { hubDeployerRoleArn, localIamModel, multiRegionIamModel, operatorRoleArn } from './iam';
import { LocalIntakeDispatch } from './intake-dispatch';
import { currentLocalEnvironment, currentLocalFunction, type LambdaOptions, LocalLambdas } from './lambda';
import { buildReport, type SimulationReport } from './report';
import { SDK_ENV_KEYS } from './sdk-env';
import { type ExecutionRecord, LocalStepFunctions } from './sfn';
import { LocalSns } from './sns';

/**
 * The local hub: everything spokelink's hub does, in one process, on the twin. Real ASL on aws-local-stepfunctions,
 * Task states bound to the real handlers, every SDK client answered by the twin, the registry on dynalite, the tag
 * events routed by a local EventBridge to the real intake, on a virtual or real clock.
 *
 * ```ts
 * const hub = await createLocalHub({ config, world });
 * await hub.tagVpc('vpc-0a...', { 'spokelink:connect': 'true' });
 * await hub.runUntilIdle();
 * const report = await hub.report();
 * await hub.close();
 * ```
 */

const REPO_ROOT = resolve(__dirname, '..');

export interface LocalHubOptions {
  config: HubConfig;
  world: World;
  /** `virtual` (default): timers and Date faked, hours run in seconds. `real`: nothing faked. */
  clock?: ClockMode;
  /** Start of the virtual clock (epoch ms; default: now). */
  startTime?: number;
  /**
   * Virtual clock: seed of `Math.random` while the hub runs (retry jitter of the interpreter and the SDK), so a
   * run repeats exactly (default: the twin's seed, else a fixed value).
   */
  randomSeed?: number;
  twinOptions?: TwinOptions;
  lambdaOptions?: Partial<LambdaOptions>;
  /** EventBridge delivery knobs (drop, duplicate, delay). */
  events?: DeliveryKnobs;
  /** Folder of the ASL files (default: the repository's `statemachines`). */
  stateMachinesDir?: string;
  /** Folder of the Lambda entries (default: the repository's `functions`). */
  functionsDir?: string;
  /** Powertools log level of the handlers (default SILENT: the runner shows progress itself). */
  logLevel?: string;
  /**
   * Take `initialSnapshot` at the start (default true; `report()` compares with it). Scale runs over thousands of
   * VPCs turn it off: the twin's snapshot grows with the square of the VPCs (5,000 VPCs: about a minute).
   */
  snapshotAtStart?: boolean;
  /**
   * How the hub's DynamoDB clients reach dynalite: `in-process` (default) hands each signed request to dynalite's
   * own HTTP handler without a socket; `http` sends it over loopback. Same handler, same bytes, same results
   * (test/local/dynamo-transport.test.ts); the socket only costs wall time.
   */
  dynamoTransport?: 'in-process' | 'http';
  /**
   * How the twin answers the SDK clients (`TwinTransport`, twin/plugin.ts): `sdk` (default) through the SDK's whole
   * client stack (serialized, signed); `direct` hands the twin the commands' input without serializing or signing
   * (the bench's simulations: same answers and call records, less CPU), and the registry's DynamoDB commands to
   * dynalite's validations and actions without HTTP (local/dynamo-direct.ts).
   */
  sdkTransport?: TwinTransport;
  /**
   * Keep every execution's history and every Lambda invocation's record (default true). The bench's days of thousands
   * of VPCs turn it off (`LocalStepFunctionsOptions.keepHistories`, `LambdaOptions.keepInvocations`): their figures are
   * counts, and the histories grow with every retry and poll (a fifth of the heap after a 200-VPC day: 26 of 131 MB).
   */
  keepRecords?: boolean;
}

/** Something visible happened (for live progress); `region`: the regional hub it happened in, with several. */
export type HubProgress = (
  | {
      kind: 'state';
      at: number;
      execution: string;
      vpcId?: string;
      event: 'entered' | 'exited' | 'failed' | 'retried' | 'caught';
      state: string;
      stateType: string;
      error?: string;
      cause?: string;
    }
  | {
      kind: 'execution';
      at: number;
      execution: string;
      vpcId?: string;
      event: 'started' | 'succeeded' | 'failed' | 'aborted' | 'timedOut';
      error?: string;
      cause?: string;
    }
  | { kind: 'intake'; at: number; vpcId?: string; eventId: string; outcome: string }
) & { region?: string };

/** What a function URL answers (Lambda's response format 2.0, as the decision function returns it). */
export interface FunctionUrlResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/** What a regional hub runs locally: Lambda, Step Functions, SNS, EventBridge, the registry's dynalite. */
export interface LocalRegionalServices {
  readonly lambdas: LocalLambdas;
  readonly sfn: LocalStepFunctions;
  readonly sns: LocalSns;
  readonly events: LocalEventBridge;
  readonly dynamo: LocalDynamo;
  /** The intake queue's dispatcher and notifier triggers (status-change events, minute schedule) and its depth. */
  readonly intakeQueue: LocalIntakeDispatch;
}

/** One served region's hub in a local run: its own functions, workflows, topics, bus, intake queue and registry. */
export interface LocalRegion extends LocalRegionalServices {
  readonly region: string;
  /** The configuration as this region's functions read it (`regionalConfig`). */
  readonly config: HubConfig;
  /** False while the region is down (`LocalHub.regionDown`). */
  readonly up: boolean;
  /** Every item of this region's registry table (a scan). */
  registry(): Promise<Record<string, unknown>[]>;
  /** Nothing of this region can progress without an outside action (a region that is down: always). */
  idle(): boolean;
}

/**
 * The handle on a running local hub. Its `lambdas`, `sfn`, `sns`, `events`, `dynamo` and `intakeQueue` are the first
 * region's (the only one's, with one region).
 */
export interface LocalHub extends LocalRegionalServices {
  readonly config: HubConfig;
  readonly world: World;
  readonly twin: Twin;
  readonly clock: SimClock;
  /** How the twin answers the hub's SDK clients (`LocalHubOptions.sdkTransport`). */
  readonly sdkTransport: TwinTransport;
  /** Every served region's hub, in `servedRegions` order. */
  readonly regions: readonly LocalRegion[];
  /** A served region's hub (throws for a region this hub does not serve). */
  region(name: string): LocalRegion;
  /**
   * The region's workflows go down: its Lambda invocations fail with Lambda.ServiceException before any handler runs,
   * its Step Functions and SNS endpoints answer 503, its intake queue's schedule stops, and its hub bus holds the
   * events it cannot deliver (EventBridge retries a target for 24 h: delivered by `regionUp`, older ones dropped and
   * left to the reconcile). Executions in flight meet the failures on their next Task (their Retry decides). The
   * other regions go on. `idle()` no longer waits for the region.
   */
  regionDown(region: string): void;
  /** The region comes back: invocations run again, the held events are delivered, the queue's schedule resumes. */
  regionUp(region: string): void;
  /** Epoch ms at which the hub started (on its clock). */
  readonly startedAt: number;
  /** The twin's state when the hub started (`twin.snapshot()`), for "what changed". */
  readonly initialSnapshot: Record<string, unknown>;
  /** Sets tags on a VPC as the app team of its account (EC2 CreateTags): the twin emits the tag event. */
  tagVpc(vpcId: string, tags: Record<string, string>): Promise<void>;
  /**
   * A Step Functions client with the credentials of the documented approver (`<prefix>-approver`, whose policy
   * docs/lifecycle.md gives): what `spokelink approve|deny` uses, evaluated by the twin like every call.
   */
  approverSfn(): SFNClient;
  /** Removes tags from a VPC as the app team of its account (EC2 DeleteTags). */
  untagVpc(vpcId: string, keys: string[]): Promise<void>;
  /**
   * Emits the tag event of a VPC's current request tags, as if the app team had just set them (for worlds whose VPCs
   * are already tagged). Returns false when the VPC carries no request tag.
   */
  announceTags(vpcId: string): boolean;
  /**
   * A request to a function URL with `AWS_IAM` auth (the decision entry point), as the principal whose twin
   * credentials are given (what SigV4 identifies). Like Lambda: unknown credentials, or a caller outside the hub
   * account (the functions grant no other account through a resource policy), get 403 before the function runs;
   * otherwise the function gets the payload-2.0 event with the caller's ARN in `requestContext.authorizer.iam`.
   */
  invokeFunctionUrl(
    name: string,
    request: { method: string; body?: string },
    credentials: { accessKeyId: string },
    /** The region of the function (default: the first region). */
    region?: string,
  ): Promise<FunctionUrlResponse>;
  /**
   * Puts an event on the default bus of its account (`bus: 'hub'`: straight on the hub bus), in the event's region
   * (the first region's buses for an event of a region not served).
   */
  deliver(event: BusEvent, options?: { bus?: 'default' | 'hub' }): void;
  /** Drives the clock until no execution, delivery or invocation can make progress (or the limit). */
  runUntilIdle(options?: RunOptions): Promise<RunResult>;
  /** Drives the clock until `predicate()` holds (or nothing can happen any more, or the limit). */
  runUntil(predicate: () => boolean, options?: RunOptions): Promise<RunResult>;
  /** True when nothing can make progress without an outside action. */
  idle(): boolean;
  /** Every execution (newest last). */
  executions(): ExecutionRecord[];
  /** Every item of the registry table (a scan). */
  registry(): Promise<Record<string, unknown>[]>;
  /** Listens to live progress. */
  onProgress(listener: (progress: HubProgress) => void): () => void;
  /** The run so far: VPC status tags, registry records, executions, AWS calls, timings. */
  report(): Promise<SimulationReport>;
  /** Writes executions (with histories), the registry and the report to `dir` (e.g. `.spokelink/last-run`). */
  save(dir: string): Promise<void>;
  /** Stops everything and restores the environment, timers and SDK plugins. Idempotent. */
  close(): Promise<void>;
}

/** Environment variables the hub sets for the handlers (restored by `close`). */
const ENV_KEYS = [...HANDLER_ENV_KEYS, ...SDK_ENV_KEYS] as const;

let active: LocalHub | undefined;

/**
 * The handlers' logger and metrics, while a local hub runs: the logger at the hub's level (the logger module may have
 * been loaded, and its level read from the environment, before the hub set POWERTOOLS_LOG_LEVEL) and writing every line
 * to stderr, so that a command's stdout carries only its own output (a `--json` document); the metrics' EMF lines to
 * stderr too, or nowhere when the hub is silent. In Lambda both streams reach CloudWatch Logs.
 * Returns the function that restores the level and the consoles.
 */
function useLocalLogging(level: string): () => void {
  // `console` is the private output of Logger and Metrics (Powertools 2.x sets it in their constructors); replaced
  // while the hub runs.
  const handle = logger as unknown as { console: Console };
  const metricsHandle = metrics as unknown as { console: Console };
  const saved = { level: logger.getLevelName(), console: handle.console, metricsConsole: metricsHandle.console };
  const stderr = new Console({ stdout: process.stderr, stderr: process.stderr });
  handle.console = stderr;
  metricsHandle.console =
    level === 'SILENT' ? new Console({ stdout: new Writable({ write: (_c, _e, done) => done() }) }) : stderr;
  logger.setLogLevel(level as Parameters<typeof logger.setLogLevel>[0]);
  // injectLambdaContext refreshes the sample rate on every invocation, which puts the level back to the one read at
  // module load: the hub's level must hold for the whole run.
  const refresh = Object.getOwnPropertyDescriptor(logger, 'refreshSampleRateCalculation');
  logger.refreshSampleRateCalculation = () => undefined;
  return () => {
    handle.console = saved.console;
    metricsHandle.console = saved.metricsConsole;
    if (refresh) Object.defineProperty(logger, 'refreshSampleRateCalculation', refresh);
    else delete (logger as { refreshSampleRateCalculation?: unknown }).refreshSampleRateCalculation;
    logger.setLogLevel(saved.level);
  };
}

const DEFAULT_RANDOM_SEED = 20_261_127;

function vpcIdOf(text: string | undefined): string | undefined {
  return /vpc-[0-9a-f]{8,17}/.exec(text ?? '')?.[0];
}

/**
 * Starts a local hub: one regional hub per served region (configuration version 3, `servedRegions`), all on one twin
 * and one clock. Only one hub may run per process at a time (it owns process.env, the SDK client plugin and the
 * global timers).
 *
 * Each region has its own Lambda functions, Step Functions, SNS topics, intake queue, EventBridge hub bus (the
 * twin's events of that region only: tag and CIDR events are regional) and registry table (its own dynalite: a table
 * is regional). The first region's functions read the process environment, as with one region; another region's see
 * its own values (region, credentials, endpoints, ARNs) through `process.env` while they run (`regionalProcessEnv`).
 * A served region whose hub the world lacks (its TGW or hub VPC) cannot be started: refused, never run without it.
 */
export async function createLocalHub(options: LocalHubOptions): Promise<LocalHub> {
  if (active) throw new Error('a local hub is already running in this process: close it first');
  const { config, world } = options;
  const regionNames = servedRegions(config);
  const region = config.hub.region;
  const multiRegion = regionNames.length > 1;
  const hubAccount = config.hub.accountId;
  const prefix = config.prefix;
  // Before anything starts: a region the world cannot hold a hub for is refused with what is missing.
  if (multiRegion) checkRegionsStartable(world, config);

  const logLevel = options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
  const savedEnv = new Map<string, string | undefined>(ENV_KEYS.map((k) => [k, process.env[k]]));
  const restoreLogging = useLocalLogging(logLevel);
  let restoreProcessEnv: () => void = () => undefined;
  const restoreEnv = () => {
    restoreProcessEnv();
    restoreLogging();
    for (const [key, value] of savedEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };

  // dynalite first, on real timers: its table creation completes on a timer. One per region (a table is regional).
  const clock = new SimClock(options.clock ?? 'virtual', {
    now: options.startTime ?? Date.now(),
    randomSeed: options.randomSeed ?? options.twinOptions?.seed ?? DEFAULT_RANDOM_SEED,
  });
  const tableName = registryTableName(config);
  const dynamos: LocalDynamo[] = [];
  const stopDynamos = async () => {
    for (const d of dynamos) await d.stop();
  };
  try {
    for (const _ of regionNames) {
      const started = await startDynalite({ onRequest: () => clock.ioStarted() });
      dynamos.push(started);
      await started.createRegistryTable(tableName);
    }
  } catch (error) {
    await stopDynamos();
    throw error;
  }
  clock.install();

  try {
    const withRoles = withSpokeReadRoles(world, config);
    const deployed = deployedWorld(withRoles, config);
    const functionsRoles = Object.fromEntries(regionNames.map((r) => [r, localFunctionsRole(config, r)]));
    // Every call of a function and of a spoke role session is evaluated against the synthesized policies.
    // A configuration change (a new configuration file, as a redeploy does) changes the roles' policies too.
    let deployedConfig = { file: '', config };
    const currentConfig = () => {
      const file = process.env.SPOKELINK_CONFIG_FILE;
      if (file && file !== deployedConfig.file) deployedConfig = { file, config: loadConfigFile(file) };
      return deployedConfig.config;
    };
    const model =
      options.twinOptions?.iam ??
      (multiRegion
        ? multiRegionIamModel(currentConfig, functionsRoles)
        : localIamModel(currentConfig, functionsRoles[region]!));
    // The evaluator reads the Service Authorization Reference from disk: IO the virtual clock waits for.
    const iam = { ...model, trackWork: () => clock.ioStarted() };
    let twin: Twin;
    try {
      twin = createTwin(deployed, { ...options.twinOptions, iam });
    } catch (error) {
      throw deployed === withRoles ? error : explainDeployFailure(error, config, deployed);
    }
    // Each AWS call names the function that made it (the role session name of a deployed hub).
    twin.callOrigin = currentLocalFunction;
    // The IAM data is read before the run, not while calls are in flight (see IamEvaluator.warm).
    await twin.iam?.warm();
    const plugin = localPlugin(
      twin,
      clock,
      options.dynamoTransport === 'http' ? undefined : dynamos,
      options.sdkTransport,
    );
    const configFile = writeConfigFile(config);
    const stateMachinesDir = options.stateMachinesDir ?? join(REPO_ROOT, 'statemachines');

    const listeners: ((progress: HubProgress) => void)[] = [];
    const emit = (progress: HubProgress) => {
      for (const listener of [...listeners]) listener(progress);
    };
    let startedAt = clock.now();
    const since = () => clock.now() - startedAt;

    /** A region's Lambda, Step Functions and SNS, and the environment its functions run with. */
    const build = (name: string, dynamo: LocalDynamo) => {
      const identity = twin.credentialsFor(functionsRoles[name]!);
      const lambdas = new LocalLambdas({
        functionsDir: options.functionsDir ?? join(REPO_ROOT, 'functions'),
        prefix,
        region: name,
        accountId: hubAccount,
        timeoutMs: (fn: string) => sizingOf(fn).timeoutSeconds * 1000,
        ...(options.keepRecords === false ? { keepInvocations: false } : {}),
        ...options.lambdaOptions,
      });
      const sns = new LocalSns(twin, name);
      const approvalTopic = sns.createTopic(hubAccount, `${prefix}-approvals`);
      const failureTopic = sns.createTopic(hubAccount, `${prefix}-failures`);
      const dynamoForTasks = new DynamoDBClient({ region: name, endpoint: dynamo.endpoint, maxAttempts: 3 });
      dynamoForTasks.middlewareStack.use(plugin);
      const sfn = new LocalStepFunctions({
        twin,
        lambdas,
        region: name,
        accountId: hubAccount,
        roleArn: `arn:aws:iam::${hubAccount}:role/${prefix}-statemachine`,
        publish: async (args) => sns.publish(hubAccount, args),
        dynamodb: dynamoForTasks,
        ...(options.keepRecords === false ? { keepHistories: false } : {}),
      });
      const env: Record<string, string> = Object.fromEntries(
        Object.entries({
          ...handlerEnvironment({
            config,
            configFile,
            registryTableName: tableName,
            serviceName: prefix,
            logLevel,
            onboardStateMachineArn: sfn.arnOf(`${prefix}-onboard`),
            offboardStateMachineArn: sfn.arnOf(`${prefix}-offboard`),
            approvalTopicArn: approvalTopic,
            failureTopicArn: failureTopic,
          }),
          AWS_REGION: name,
          AWS_DEFAULT_REGION: name,
          AWS_ACCESS_KEY_ID: identity.accessKeyId,
          AWS_SECRET_ACCESS_KEY: identity.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        }).filter((e): e is [string, string] => e[1] !== undefined),
      );
      const substitutions = workflowSubstitutions(stateMachinesDir, {
        functionArn: (fn) => lambdas.arnOf(fn),
        stateMachineArn: (id) => sfn.arnOf(`${prefix}-${id}`),
        ApprovalTopicArn: approvalTopic,
        FailureTopicArn: failureTopic,
        RegistryTableName: tableName,
      });
      sfn.registerDirectory(stateMachinesDir, prefix, substitutions);
      return { name, lambdas, sns, sfn, env, dynamo, dynamoForTasks };
    };
    const built = regionNames.map((name, i) => build(name, dynamos[i]!));
    const home = built[0]!;
    // The first region's functions read the process environment, as with one region; the others, what differs.
    for (const key of ENV_KEYS) delete process.env[key];
    Object.assign(process.env, home.env);
    for (const other of built.slice(1)) {
      const own = Object.fromEntries(Object.entries(other.env).filter(([key, value]) => home.env[key] !== value));
      other.lambdas.useEnvironment(own);
    }
    if (multiRegion) restoreProcessEnv = regionalProcessEnv();
    // A new hub is a new deployment: its functions start in cold containers (no other hub's cached names or ids).
    resetContainerCaches();
    useClientPlugin(plugin);

    const down = new Set<string>();
    if (multiRegion) {
      // One twin service per API, answering each call at its region's endpoint (the caller's region).
      attachRegional(twin, 'sfn', new Map(built.map((b) => [b.name, b.sfn.service()])), down);
      attachRegional(twin, 'sns', new Map(built.map((b) => [b.name, b.sns.service()])), down);
    } else {
      home.sns.attach();
      home.sfn.attach();
    }

    const orgAccounts = () => new Set(Object.keys(twin.stateOf<OrganizationsState>('organizations').accounts));
    const spokeRoles = new Set(
      (world.iam?.roles ?? [])
        .filter((r) => r.arn.endsWith(`:role/${config.spokeRole.name}`))
        .map((r) => r.arn.split(':')[4]!),
    );
    // The hub stacks' cross-region endpoints, created through the twin before anything runs (refused: nothing runs).
    await deployCrossRegionEndpoints(twin, clock, plugin, config);
    startedAt = clock.now();
    const initialSnapshot = options.snapshotAtStart === false ? {} : twin.snapshot();
    const tagged = (progress: HubProgress, name: string): HubProgress =>
      multiRegion ? { ...progress, region: name } : progress;

    const regions: LocalRegion[] = built.map(({ name, lambdas, sns, sfn, dynamo }) => {
      const intakeQueue = new LocalIntakeDispatch({
        lambdas,
        workflowArns: new Set([sfn.arnOf(`${prefix}-onboard`), sfn.arnOf(`${prefix}-offboard`)]),
        hubAccount,
        region: name,
        now: () => clock.now(),
      });
      const events = new LocalEventBridge({
        twin,
        hubAccountId: hubAccount,
        hubRegion: name,
        // The events of this region reach this region's hub bus (the forwarding rule is regional); the first region's
        // bus also records those of unserved regions, which no rule forwards.
        receives: (eventRegion) => eventRegion === name || (name === region && !regionNames.includes(eventRegion)),
        // The spoke stack (role and forwarding rule, one StackSet) is deployed where the spoke role exists.
        forwardsFrom: (account, eventRegion) => spokeRoles.has(account) && eventRegion === name,
        hubAccepts: (account) => orgAccounts().has(account) || config.organization.externalAccounts.includes(account),
        target: async (event) => {
          const e = event as {
            id?: unknown;
            'detail-type'?: unknown;
            resources?: unknown;
            detail?: { 'changed-tag-keys'?: unknown; eventName?: unknown };
          };
          const vpcId = vpcIdOf(JSON.stringify(e.resources ?? e.detail ?? ''));
          const eventId = String(e.id ?? '');
          const what = Array.isArray(e.detail?.['changed-tag-keys'])
            ? `tag change (${e.detail['changed-tag-keys'].join(', ')})`
            : typeof e.detail?.eventName === 'string'
              ? `${e.detail.eventName} call`
              : String(e['detail-type'] ?? 'event');
          const intake = (outcome: string) =>
            emit(tagged({ kind: 'intake', at: since(), vpcId, eventId, outcome }, name));
          intake(`${what} delivered to the intake`);
          const result = (await lambdas.invoke('intake', event)) as Record<string, unknown> | null;
          intakeQueue.observeIntake(
            typeof (event as { account?: unknown }).account === 'string'
              ? String((event as { account: string }).account)
              : undefined,
            result,
          );
          // A started execution shows itself; say why nothing started otherwise.
          if (result && !('started' in result)) {
            const queued = result.queued as { reason?: string; queueDepth?: number } | undefined;
            intake(
              queued
                ? `queued (${queued.queueDepth} waiting in the account): ${queued.reason}`
                : 'duplicate' in result
                  ? `duplicate of ${String(result.name)}`
                  : `ignored: ${String(result.ignored)}`,
            );
          }
          return result;
        },
        knobs: options.events,
      });
      events.start();
      sfn.onProgress(({ execution, event }) => {
        const progress = toProgress(execution, event, since());
        if (progress) emit(tagged(progress, name));
        if (progress?.kind === 'execution' && progress.event !== 'started') {
          const status = {
            succeeded: 'SUCCEEDED',
            failed: 'FAILED',
            aborted: 'ABORTED',
            timedOut: 'TIMED_OUT',
          } as const;
          intakeQueue.executionEnded(execution, status[progress.event]);
        }
      });
      const part: LocalRegion = {
        region: name,
        config: regionalConfig(config, name),
        lambdas,
        sfn,
        sns,
        events,
        dynamo,
        intakeQueue,
        get up() {
          return !down.has(name);
        },
        registry: () => dynamo.scan(tableName),
        idle: () => down.has(name) || (events.pending - events.held === 0 && sfn.quiescent() && intakeQueue.idle),
      };
      return part;
    });
    const homeRegion = regions[0]!;
    const regionOf = (name: string): LocalRegion => {
      const found = regions.find((r) => r.region === name);
      if (!found) throw new Error(`${name} is not a region of this hub (served: ${regionNames.join(', ')})`);
      return found;
    };

    const appTeamEc2 = (vpcId: string) => {
      const vpc = ec2State(twin).vpcs[vpcId];
      if (!vpc) throw new Error(`no VPC ${vpcId} in the world`);
      return appTeamEc2Client(twin, vpc, plugin);
    };

    const idle = () => regions.every((r) => r.idle());
    let closed = false;
    const hub: LocalHub = {
      config,
      world,
      twin,
      clock,
      sdkTransport: options.sdkTransport ?? 'sdk',
      lambdas: homeRegion.lambdas,
      sfn: homeRegion.sfn,
      sns: homeRegion.sns,
      events: homeRegion.events,
      dynamo: homeRegion.dynamo,
      intakeQueue: homeRegion.intakeQueue,
      regions,
      region: regionOf,
      startedAt,
      initialSnapshot,
      async tagVpc(vpcId, tags) {
        await whileClockRuns(
          clock,
          appTeamEc2(vpcId).send(
            new CreateTagsCommand({
              Resources: [vpcId],
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            }),
          ),
        );
      },
      approverSfn() {
        const approver = twin.credentialsFor(operatorRoleArn(config, 'approver'));
        const client = new SFNClient({
          region,
          credentials: { accessKeyId: approver.accessKeyId, secretAccessKey: approver.secretAccessKey },
          maxAttempts: 3,
        });
        client.middlewareStack.use(plugin);
        return client;
      },
      async untagVpc(vpcId, keys) {
        await whileClockRuns(
          clock,
          appTeamEc2(vpcId).send(new DeleteTagsCommand({ Resources: [vpcId], Tags: keys.map((Key) => ({ Key })) })),
        );
      },
      announceTags(vpcId) {
        const vpc = ec2State(twin).vpcs[vpcId];
        if (!vpc) throw new Error(`no VPC ${vpcId} in the world`);
        const changed = REQUEST_TAG_KEYS.filter((key) => key in vpc.tags);
        if (changed.length === 0) return false;
        twin.emitTagChange({
          accountId: vpc.ownerId,
          region: vpc.region,
          service: 'ec2',
          resourceType: 'vpc',
          resourceId: vpc.id,
          changedKeys: changed,
          tagsAfter: vpc.tags,
        });
        return true;
      },
      async invokeFunctionUrl(name, request, credentials, at = region) {
        // https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html: with AWS_IAM, Lambda authenticates the SigV4
        // signature and authorizes lambda:InvokeFunctionUrl (same account: an identity policy suffices; another
        // account: the function's resource policy must allow it, and spokelink adds none).
        const target = regionOf(at);
        const caller = twin.identity(credentials.accessKeyId);
        const forbidden = { statusCode: 403, body: JSON.stringify({ Message: 'Forbidden' }) };
        if (!caller || (caller.expiresAt !== undefined && caller.expiresAt <= Date.now())) return forbidden;
        if (caller.accountId !== config.hub.accountId) return forbidden;
        const event = {
          version: '2.0',
          rawPath: '/',
          headers: { 'content-type': 'application/json' },
          requestContext: {
            accountId: config.hub.accountId,
            http: { method: request.method, path: '/' },
            authorizer: { iam: { accessKey: caller.accessKeyId, accountId: caller.accountId, userArn: caller.arn } },
          },
          body: request.body,
          isBase64Encoded: false,
        };
        return (await whileClockRuns(clock, target.lambdas.invoke(name, event))) as unknown as FunctionUrlResponse;
      },
      deliver(event, deliverOptions = {}) {
        const eventRegion = String((event as { region?: unknown }).region ?? '');
        const bus = (regions.find((r) => r.region === eventRegion) ?? homeRegion).events;
        if (deliverOptions.bus === 'hub') bus.putOnHubBus(event);
        else bus.putOnDefaultBus(event);
      },
      regionDown(name) {
        const part = regionOf(name);
        if (down.has(name)) return;
        down.add(name);
        part.lambdas.setAvailable(false);
        part.events.suspend();
        part.intakeQueue.setRunning(false);
      },
      regionUp(name) {
        const part = regionOf(name);
        if (!down.delete(name)) return;
        part.lambdas.setAvailable(true);
        part.intakeQueue.setRunning(true);
        part.events.resume();
      },
      runUntilIdle: (runOptions) => clock.runUntil(idle, runOptions),
      runUntil: (predicate, runOptions) => clock.runUntil(predicate, runOptions),
      idle,
      executions: () => regions.flatMap((r) => r.sfn.executions()),
      async registry() {
        const items: Record<string, unknown>[] = [];
        for (const r of regions) items.push(...(await r.registry()));
        return items;
      },
      onProgress(listener) {
        listeners.push(listener);
        return () => {
          const i = listeners.indexOf(listener);
          if (i >= 0) listeners.splice(i, 1);
        };
      },
      async report() {
        return buildReport(hub, await hub.registry());
      },
      async save(dir) {
        mkdirSync(dir, { recursive: true });
        // The first region's executions where a one-region run keeps them; another region's in `regions/<region>`.
        homeRegion.sfn.save(dir);
        for (const r of regions.slice(1)) r.sfn.save(join(dir, 'regions', r.region));
        const registry = await hub.registry();
        writeFileSync(join(dir, 'registry.json'), `${JSON.stringify(registry, null, 2)}\n`);
        writeFileSync(join(dir, 'report.json'), `${JSON.stringify(buildReport(hub, registry), null, 2)}\n`);
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const r of regions) {
          r.events.stop();
          r.intakeQueue.stop();
        }
        clock.uninstall();
        useClientPlugin(undefined);
        resetClients();
        resetConfigCache();
        restoreEnv();
        for (const b of built) b.dynamoForTasks.destroy();
        await stopDynamos();
        active = undefined;
      },
    };
    active = hub;
    return hub;
  } catch (error) {
    clock.uninstall();
    useClientPlugin(undefined);
    resetConfigCache();
    restoreEnv();
    await stopDynamos();
    throw error;
  }
}

/**
 * The credentials the local functions of a region share (the twin names each call's function, whose role's policies
 * apply: local/iam.ts). The first region's keep the name they have with one region.
 */
export function localFunctionsRole(config: HubConfig, region: string): string {
  const suffix = region === config.hub.region ? '' : `-${region}`;
  return `arn:aws:iam::${config.hub.accountId}:role/${config.prefix}-functions${suffix}`;
}

/**
 * While a hub of several regions runs, `process.env` is a view of the process's environment in which the variables of
 * the running local function's region (`currentLocalEnvironment`: what differs from the first region's) replace the
 * process's own: two regions' functions interleave in one process, each reading its own region, credentials,
 * endpoints and ARNs, as each would in its own Lambda sandbox. Writes go to the process's environment (a deployment,
 * `deployConfig`, changes every region's). Returns the function that puts the plain environment back.
 */
function regionalProcessEnv(): () => void {
  const plain = process.env;
  const own = (key: string | symbol) => {
    const env = currentLocalEnvironment();
    return env && typeof key === 'string' && Object.hasOwn(env, key) ? env : undefined;
  };
  process.env = new Proxy(plain, {
    get: (target, key) => (own(key) ?? target)[key as string],
    has: (target, key) => own(key) !== undefined || Reflect.has(target, key),
    getOwnPropertyDescriptor(target, key) {
      const env = own(key);
      if (!env) return Reflect.getOwnPropertyDescriptor(target, key);
      return { value: env[key as string], writable: true, enumerable: true, configurable: true };
    },
    ownKeys(target) {
      const env = currentLocalEnvironment();
      const keys = Reflect.ownKeys(target);
      return env ? [...new Set([...keys, ...Object.keys(env)])] : keys;
    },
  });
  return () => {
    process.env = plain;
  };
}

/**
 * Registers one twin service (`sfn`, `sns`) answered per region: a call reaches the module of the caller's region
 * (each regional endpoint is its own service); a region that is down answers 503 ServiceUnavailable, as an
 * unavailable regional endpoint does; a region without a hub here, 404 (no such resource).
 */
function attachRegional(
  twin: Twin,
  name: 'sfn' | 'sns',
  modules: Map<string, ServiceModule<unknown, unknown>>,
  down: ReadonlySet<string>,
): void {
  const operations = new Set([...modules.values()].flatMap((m) => Object.keys(m.operations)));
  twin.register({
    name,
    createState: () => ({}),
    snapshot: (_state, now) => mergeSnapshots([...modules.values()].map((m) => m.snapshot?.({}, now) ?? {})),
    operations: Object.fromEntries(
      [...operations].map((operation) => [
        operation,
        (ctx: CallContext, input: unknown) => {
          if (down.has(ctx.region)) {
            throw new TwinError('ServiceUnavailable', `${name} is unavailable in ${ctx.region} (region down)`, 503);
          }
          const handler = modules.get(ctx.region)?.operations[operation];
          if (!handler) {
            throw new TwinError('ResourceNotFoundException', `no local ${name} hub in ${ctx.region}`, 404);
          }
          return handler(ctx, input);
        },
      ]),
    ),
  });
}

/** Regional snapshots as one: lists concatenated (sorted), objects merged. */
function mergeSnapshots(parts: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries((part ?? {}) as Record<string, unknown>)) {
      const before = out[key];
      if (Array.isArray(value)) out[key] = [...(Array.isArray(before) ? before : []), ...value].sort();
      else if (value && typeof value === 'object') out[key] = { ...(before as object), ...value };
      else out[key] = value;
    }
  }
  return out;
}

/**
 * A call from outside the hub's functions (an app team, the local deploy) takes the twin's latency on the clock like
 * any AWS call: on the virtual clock nothing would advance while the caller awaits it, so the clock is driven until
 * the call returns.
 */
async function whileClockRuns<T>(clock: SimClock, call: Promise<T>): Promise<T> {
  if (!clock.installed) return call;
  let settled = false;
  const watched = call.finally(() => {
    settled = true;
  });
  watched.catch(() => undefined);
  // Without latency the call answers in promise jobs alone: then nothing else runs before it returns.
  await new Promise<void>((resolve) => {
    watched.then(
      () => resolve(),
      () => resolve(),
    );
    setImmediate(resolve);
  });
  if (!settled) await clock.runUntil(() => settled);
  return watched;
}

/**
 * Each regional hub stack's cross-region interface endpoints (infra/constructs/cross-region-endpoints.ts, the same
 * `crossRegionEndpointOf` facts), created through the twin as the stack creates them: CreateVpcEndpoint with
 * `ServiceRegion` by the deploying principal (`hubDeployerRoleArn`, allowed exactly `crossRegionDeployStatements`: the
 * twin evaluates `vpce:AllowMultiRegion`), then waiting until the endpoint is available, as CloudFormation does (one
 * the provider must accept stays `pendingAcceptance`). An endpoint of that catalog entry the world already holds in the
 * hub VPC is kept. AWS refusing one (a provider whose SupportedRegions lack the hub's region, a denied grant) fails
 * the local deploy with AWS's error named: a TwinWorldError, nothing run. The entry's alias record (`recordName`) is
 * not created: the twin models no record sets (twin/services/route53.ts).
 */
async function deployCrossRegionEndpoints(twin: Twin, clock: SimClock, plugin: AnyPlugin, config: HubConfig) {
  for (const name of servedRegions(config)) {
    const view = regionalConfig(config, name);
    const entries = crossRegionEntries(view);
    if (entries.length === 0) continue;
    const deployer = twin.credentialsFor(hubDeployerRoleArn(view));
    const ec2 = new EC2Client({
      region: name,
      credentials: { accessKeyId: deployer.accessKeyId, secretAccessKey: deployer.secretAccessKey },
      maxAttempts: 1,
    });
    ec2.middlewareStack.use(plugin);
    for (const [entryName, entry] of entries) {
      const spec = crossRegionEndpointOf(view, entryName, entry);
      const held = Object.values(ec2State(twin).endpoints).some(
        (e) => e.vpcId === spec.vpcId && e.tags['spokelink:catalog'] === entryName,
      );
      if (held) continue;
      let id: string;
      try {
        const created = await whileClockRuns(
          clock,
          ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: spec.vpcId,
              ServiceName: spec.serviceName,
              ServiceRegion: spec.serviceRegion,
              SubnetIds: spec.subnetIds,
              SecurityGroupIds: spec.securityGroupIds,
              PrivateDnsEnabled: spec.privateDnsEnabled,
              TagSpecifications: [
                { ResourceType: 'vpc-endpoint', Tags: spec.tags.map((t) => ({ Key: t.key, Value: t.value })) },
              ],
            }),
          ),
        );
        id = created.VpcEndpoint!.VpcEndpointId!;
      } catch (error) {
        const { name: code, message } = error as Error;
        throw new TwinWorldError(
          `the hub stack's cross-region endpoint of catalog entry ${entryName} (${spec.serviceName} in ` +
            `${spec.serviceRegion}) cannot be created in ${name}: AWS answers ${code}: ${message}`,
        );
      }
      const availableAt = ec2State(twin).endpoints[id]!.timeline.find((t) => t.state === 'available')?.at;
      if (availableAt === undefined) continue;
      let reached = false;
      setTimeout(() => {
        reached = true;
      }, availableAt - clock.now());
      await clock.runUntil(
        () => reached && stateAt(ec2State(twin).endpoints[id]!.timeline, clock.now()) === 'available',
      );
    }
  }
}

/**
 * Refuses a configuration the local runner cannot deploy in this world: every served region needs its hub's Transit
 * Gateway and hub VPC in that region of the hub account (the regional hub stack deploys into them). One missing is a
 * TwinWorldError naming the region, the configuration field and the world field: never a run of the other regions.
 */
export function checkRegionsStartable(world: World, config: HubConfig): void {
  const problems: string[] = [];
  for (const name of servedRegions(config)) {
    const hub = regionalHubOf(config, name);
    const field = name === config.hub.region ? 'hub' : `regions.${name}`;
    const tgw = world.ec2?.transitGateways?.find((t) => t.id === hub.transitGatewayId);
    if (!tgw || tgw.ownerId !== config.hub.accountId || tgw.region !== name) {
      problems.push(
        `${name}: ${field}.transitGatewayId ${hub.transitGatewayId} is not a TGW of ${config.hub.accountId} in ${name} ` +
          `in this world (ec2.transitGateways${tgw ? `: it is in ${tgw.region} of ${tgw.ownerId}` : ''})`,
      );
    }
    const vpc = world.ec2?.vpcs?.find((v) => v.id === hub.vpcId);
    if (!vpc || vpc.ownerId !== config.hub.accountId || vpc.region !== name) {
      problems.push(
        `${name}: ${field}.vpcId ${hub.vpcId} is not a VPC of ${config.hub.accountId} in ${name} in this world ` +
          `(ec2.vpcs${vpc ? `: it is in ${vpc.region} of ${vpc.ownerId}` : ''})`,
      );
    }
  }
  if (problems.length > 0) {
    throw new TwinWorldError(
      `the local runner cannot start every served region's hub (${servedRegions(config).join(', ')}), and runs none ` +
        `without the others:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

/**
 * The world as the hub stack leaves it: what `world` holds, plus the RAM share of the TGW with the organization that
 * the stack creates when the configuration asks for it (`organizationShareOf`, the same definition the CDK stack
 * deploys). It is seeded as long established, like a stack deployed before the run: member accounts see the TGW from
 * the start. A world that already holds a share of that name in the hub keeps its own. The twin refuses the share as
 * AWS refuses it (OperationNotPermittedException when RAM sharing with AWS Organizations is not enabled, an
 * organization that is not the hub's): the local deploy then fails, as the stack's would. It also fails for a world
 * without the hub's TGW (stricter than RAM, which would only mark that association FAILED).
 */
export function deployedWorld(world: World, config: HubConfig): World {
  // Each served region's hub stack deploys its own share, Profile and rules (RAM, Route 53 Profiles and security
  // groups are regional), from that region's view of the configuration.
  return servedRegions(config).reduce((deployed, name) => {
    const view = regionalConfig(config, name);
    return withAggregatedIngress(withHubProfile(withOrganizationShare(deployed, view), view), view);
  }, world);
}

/**
 * The segments' aggregated ingress rules (`aggregatedIngressRules`, the same definition the hub stack deploys) on the
 * hub's endpoint security groups, seeded as long established. A group the world does not hold fails the local deploy,
 * as the stack's would; a rule the world already holds (same group, CIDR and port) stays as it is.
 */
export function withAggregatedIngress(world: World, config: HubConfig): World {
  const rules = aggregatedIngressRules(config);
  if (rules.length === 0) return world;
  const groups = new Set((world.ec2?.vpcs ?? []).flatMap((v) => v.securityGroups.map((g) => g.id)));
  const missing = [...new Set(rules.map((r) => r.groupId))].filter((id) => !groups.has(id));
  if (missing.length > 0) {
    throw new TwinWorldError(
      `the hub stack's aggregated ingress rules (segments.*.aggregatedIngress) need the endpoint security group(s) ` +
        `${missing.join(', ')}, which this world does not hold`,
    );
  }
  const vpcs = world.ec2!.vpcs.map((vpc) => ({
    ...vpc,
    securityGroups: vpc.securityGroups.map((group) => {
      const added = rules
        .filter((r) => r.groupId === group.id)
        .filter((r) => !group.ingress.some((i) => i.cidr === r.cidr && i.fromPort === r.port && i.toPort === r.port))
        .map((r) => ({
          protocol: 'tcp' as const,
          fromPort: r.port,
          toPort: r.port,
          cidr: r.cidr,
          description: r.description,
        }));
      return added.length === 0 ? group : { ...group, ingress: [...group.ingress, ...added] };
    }),
  }));
  return { ...world, ec2: { ...world.ec2!, vpcs } };
}

/** The twin's id of the hub's Profile as the local deploy creates it (deterministic per hub and name). */
export function localProfileId(config: HubConfig, name = hubProfileName(config)): string {
  const digest = createHash('sha256').update(`${config.hub.accountId}/${config.hub.region}/${name}`);
  return `rp-${digest.digest('hex').slice(0, 17)}`;
}

/**
 * Profile mode (`profileShareOf`): the hub's Profile holding the catalog's zones and its RAM share with the
 * organization (outside accounts get invitations), as the hub stack deploys them, seeded as long established.
 * A world that already holds a Profile of that name in the hub keeps its own.
 */
export function withHubProfile(world: World, config: HubConfig): World {
  const share = profileShareOf(config);
  const hub = config.hub;
  const profiles = world.route53profiles?.profiles ?? [];
  const held = (p: { ownerId: string; name: string; region?: string }) =>
    p.ownerId === hub.accountId && p.name === share?.profileName && (p.region ?? hub.region) === hub.region;
  if (!share || profiles.some(held)) return world;
  // The hub's Profile, and each endpoint shard's with its endpoints' zones (functions/shared/shards.ts).
  const deployed = [
    { name: share.profileName, zoneIds: share.zoneIds },
    ...Object.values(config.segments).flatMap((segment) =>
      (segment.shards ?? []).map((shard) => ({
        name: shard.profileName!,
        zoneIds: [...new Set(Object.values(shard.endpoints).flatMap((e) => e.privateHostedZoneIds))].sort(),
      })),
    ),
  ].map((p) => ({ ...p, id: localProfileId(config, p.name), ownerId: hub.accountId, region: hub.region }));
  const withProfile: World = {
    ...world,
    route53profiles: { quotas: world.route53profiles?.quotas ?? {}, profiles: [...profiles, ...deployed] },
  };
  return withHubShare(withProfile, config, {
    name: share.name,
    allowExternalPrincipals: share.allowExternalPrincipals,
    resourceArns: deployed.map((p) => `arn:aws:route53profiles:${hub.region}:${hub.accountId}:profile/${p.id}`),
    principals: [share.organizationArn],
    pendingPrincipals: share.externalAccounts,
    tags: share.tags,
  });
}

/** The world with one more RAM share of the hub's, seeded as long established. */
function withHubShare(
  world: World,
  config: HubConfig,
  share: {
    name: string;
    allowExternalPrincipals: boolean;
    resourceArns: string[];
    principals: string[];
    pendingPrincipals: string[];
    tags: { key: string; value: string }[];
  },
): World {
  const ram = world.ram ?? { sharingWithOrganizationEnabled: false, shares: [] };
  const hub = config.hub;
  return {
    ...world,
    ram: {
      ...ram,
      shares: [
        ...ram.shares,
        { ...share, ownerId: hub.accountId, region: hub.region, tags: share.tags.map((t) => ({ ...t })) },
      ],
    },
  };
}

function withOrganizationShare(world: World, config: HubConfig): World {
  const share = organizationShareOf(config);
  const ram = world.ram ?? { sharingWithOrganizationEnabled: false, shares: [] };
  const hub = config.hub;
  const held = (s: { ownerId: string; name: string; region?: string }) =>
    s.ownerId === hub.accountId && s.name === share?.name && (s.region ?? hub.region) === hub.region;
  if (!share || ram.shares.some(held)) return world;
  return withHubShare(world, config, {
    name: share.name,
    allowExternalPrincipals: share.allowExternalPrincipals,
    resourceArns: [share.transitGatewayArn],
    principals: [share.organizationArn],
    pendingPrincipals: [],
    tags: share.tags,
  });
}

/**
 * The spoke stack deploys two roles: a world role `<spokeRole.name>` stands for the deployed spoke stack, so its
 * read-only sibling `<spokeRole.name>-read` (same world trust: the synthesized trusts are evaluated by the IAM model)
 * is added where the world does not hold it (`createLocalHub`, before `deployedWorld`).
 */
export function withSpokeReadRoles(world: World, config: HubConfig): World {
  const roles = world.iam?.roles ?? [];
  const write = `:role/${spokeRoleName(config, 'write')}`;
  const read = `:role/${spokeRoleName(config, 'read')}`;
  const have = new Set(roles.map((r) => r.arn));
  const added = roles
    .filter((r) => r.arn.endsWith(write) && !have.has(r.arn.replace(write, read)))
    .map((r) => ({ ...r, arn: r.arn.replace(write, read) }));
  if (added.length === 0) return world;
  return { ...world, iam: { ...world.iam!, roles: [...roles, ...added] } };
}

/**
 * Names the deploy step when the twin refuses a region's organization share (seeded at its index in the deployed
 * world's shares: the twin's message names only that field).
 */
function explainDeployFailure(error: unknown, config: HubConfig, deployed: World): unknown {
  if (!(error instanceof TwinWorldError)) return error;
  for (const name of servedRegions(config)) {
    const view = regionalConfig(config, name);
    const share = organizationShareOf(view);
    const index = (deployed.ram?.shares ?? []).findIndex((s) => s.name === share?.name && (s.region ?? name) === name);
    if (!share || index < 0 || !error.message.includes(`ram.shares.${index}.`)) continue;
    return new TwinWorldError(
      `the hub stack's RAM share ${share.name}${servedRegions(config).length > 1 ? ` in ${name}` : ''} (the TGW with ` +
        `${share.organizationArn}, organization.shareTransitGateway) cannot be created in this world ` +
        `(${error.message.replace(/\.$/, '')}). The stack needs the hub's TGW (world ec2.transitGateways) and RAM ` +
        'sharing with AWS Organizations enabled (world ram.sharingWithOrganizationEnabled); or set ' +
        'organization.shareTransitGateway to false.',
    );
  }
  return error;
}

// biome-ignore lint/suspicious/noExplicitAny: the plugin applies to clients of every service (their own IO types).
type AnyPlugin = Pluggable<any, any>;

/**
 * The SDK plugin of local runs: the twin beneath every modeled client, and DynamoDB requests (real HTTP to dynalite)
 * counted as IO in flight so the virtual clock never jumps while one is on the wire. Given `dynamo`, DynamoDB
 * requests skip the socket: the signed request goes to dynalite's own HTTP handler in process
 * (`LocalDynamo.handle`), and its response bytes to the SDK's deserializer, as they would over loopback.
 */
export function localPlugin(
  twin: Twin,
  clock: SimClock,
  dynamo?: LocalDynamo | readonly LocalDynamo[],
  transport?: TwinTransport,
): AnyPlugin {
  const base = twinPlugin(twin, transport);
  // Several regions: one dynalite each, the request's port (the region's AWS_ENDPOINT_URL_DYNAMODB) tells which.
  const dynamos = dynamo === undefined ? [] : Array.isArray(dynamo) ? dynamo : [dynamo as LocalDynamo];
  const dynamoFor = (request: { port?: number }): LocalDynamo =>
    dynamos.length === 1 ? dynamos[0]! : (dynamos.find((d) => d.endpoint.endsWith(`:${request.port}`)) ?? dynamos[0]!);
  return {
    applyToStack(stack) {
      base.applyToStack(stack);
      stack.add(
        (next, context) => async (args) => {
          if (String(context.clientName ?? '') !== 'DynamoDBClient') return next(args);
          return clock.trackIo(() => next(args));
        },
        // Inside the retry middleware: retry back-offs are timers, not IO.
        { step: 'finalizeRequest', name: 'spokelinkLocalIo', priority: 'low' },
      );
      if (dynamos.length === 0) return;
      stack.add(
        (next, context) => async (args) => {
          if (String(context.clientName ?? '') !== 'DynamoDBClient') return next(args);
          const request = unwrapUnsigned(args.request) as DynamoWireRequest & { port?: number };
          const answer = await dynamoFor(request).handle(request);
          return { response: new HttpResponse(answer), output: undefined };
        },
        // The innermost middleware: the SDK's deserializer reads this response as it reads the socket's.
        { step: 'deserialize', name: 'spokelinkInProcessDynamo', priority: 'low' },
      );
      // The direct transport: the registry's commands go to dynalite's validations and actions without HTTP
      // (local/dynamo-direct.ts); a send the direct path does not take (options, a callback) is not signed either
      // (see `unsignedRequest`).
      if (transport === 'direct') {
        useDynamoDirect(stack, {
          requestsFor: (port) => dynamoFor({ port }).requests,
          trackIo: (work) => clock.trackIo(work),
        });
        stack.add(
          (next, context) => async (args) => {
            if (String(context.clientName ?? '') !== 'DynamoDBClient') return next(args);
            return next({ ...args, request: unsignedRequest(args.request as DynamoWireRequest, context) });
          },
          // Last of the build step (after the headers), before the retry and signing middleware.
          { step: 'build', name: 'spokelinkUnsignedDynamo', priority: 'low' },
        );
      }
    },
  };
}

/** Values of every `${...}` placeholder of the ASL files of `dir` (see infra/workflow-sources.ts). */
export function workflowSubstitutions(
  dir: string,
  values: {
    functionArn: (name: string) => string;
    stateMachineArn: (id: string) => string;
    ApprovalTopicArn: string;
    FailureTopicArn: string;
    RegistryTableName: string;
  },
): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.asl.json')) continue;
    for (const placeholder of placeholdersOf(readFileSync(join(dir, file), 'utf8'))) {
      const p = classifyPlaceholder(placeholder);
      if (p.kind === 'function') out[placeholder] = values.functionArn(p.name);
      else if (p.kind === 'stateMachine') out[placeholder] = values.stateMachineArn(p.id);
      else if (p.kind === 'resource') out[placeholder] = values[p.placeholder];
    }
  }
  return out;
}

function toProgress(execution: ExecutionRecord, event: LibEvent, at: number): HubProgress | undefined {
  const base = { at, execution: execution.name, vpcId: vpcIdOf(execution.name) };
  const cause = typeof event.Cause === 'string' ? event.Cause : undefined;
  switch (event.type) {
    case 'ExecutionStarted':
      return { kind: 'execution', ...base, event: 'started' };
    case 'ExecutionSucceeded':
      return { kind: 'execution', ...base, event: 'succeeded' };
    case 'ExecutionFailed':
      return { kind: 'execution', ...base, event: 'failed', error: event.Error, cause };
    case 'ExecutionAborted':
      return { kind: 'execution', ...base, event: 'aborted' };
    case 'ExecutionTimeout':
      return { kind: 'execution', ...base, event: 'timedOut' };
    case 'StateEntered':
    case 'StateExited':
    case 'StateFailed':
    case 'StateRetried':
    case 'StateCaught': {
      const kind = {
        StateEntered: 'entered',
        StateExited: 'exited',
        StateFailed: 'failed',
        StateRetried: 'retried',
        StateCaught: 'caught',
      } as const;
      return {
        kind: 'state',
        ...base,
        event: kind[event.type],
        state: event.state?.name ?? '',
        stateType: event.state?.type ?? '',
        ...(event.Error ? { error: event.Error } : {}),
        ...(cause ? { cause } : {}),
      };
    }
    default:
      return undefined;
  }
}
