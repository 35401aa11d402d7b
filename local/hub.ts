import '#local/polyfills';
import { Console } from 'node:console';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTagsCommand, DeleteTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
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
  registryTableName,
  resetConfigCache,
  servedRegions,
  spokeRoleName,
} from '#shared/config';
import { HANDLER_ENV_KEYS, handlerEnvironment } from '#shared/env';
import { logger } from '#shared/logger';
import { metrics } from '#shared/powertools';
import { REQUEST_TAG_KEYS } from '#shared/tags';
import { type TwinTransport, twinPlugin } from '#twin/plugin';
import { ec2State } from '#twin/services/ec2/model';
import type { OrganizationsState } from '#twin/services/organizations';
import type { Twin, TwinOptions } from '#twin/twin';
import { createTwin, TwinWorldError, type World } from '#twin/world';
import { sizingOf } from '../infra/function-sizing';
import { classifyPlaceholder, placeholdersOf } from '../infra/workflow-sources';
import { type ClockMode, type RunOptions, type RunResult, SimClock } from './clock';
import { writeConfigFile } from './config-file';
import { type DynamoWireRequest, type LocalDynamo, startDynalite, unsignedRequest, unwrapUnsigned } from './dynamo';
import { type BusEvent, type DeliveryKnobs, LocalEventBridge } from './eventbridge';
import type { LibEvent } from './history';
import { localIamModel, operatorRoleArn } from './iam';
import { LocalIntakeDispatch } from './intake-dispatch';
import { currentLocalFunction, type LambdaOptions, LocalLambdas } from './lambda';
import { buildReport, type SimulationReport } from './report';
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
   * (the bench's simulations: same answers and call records, less CPU).
   */
  sdkTransport?: TwinTransport;
}

/** Something visible happened (for live progress). */
export type HubProgress =
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
  | { kind: 'intake'; at: number; vpcId?: string; eventId: string; outcome: string };

/** What a function URL answers (Lambda's response format 2.0, as the decision function returns it). */
export interface FunctionUrlResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/** The handle on a running local hub. */
export interface LocalHub {
  readonly config: HubConfig;
  readonly world: World;
  readonly twin: Twin;
  readonly clock: SimClock;
  readonly lambdas: LocalLambdas;
  readonly sfn: LocalStepFunctions;
  readonly sns: LocalSns;
  readonly events: LocalEventBridge;
  readonly dynamo: LocalDynamo;
  /** The intake queue's dispatcher and notifier triggers (status-change events, minute schedule) and its depth. */
  readonly intakeQueue: LocalIntakeDispatch;
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
  ): Promise<FunctionUrlResponse>;
  /** Puts an event on the default bus of its account (`bus: 'hub'`: straight on the hub bus). */
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
const ENV_KEYS = [
  ...HANDLER_ENV_KEYS,
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_ENDPOINT_URL_DYNAMODB',
] as const;

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
 * Starts a local hub. Only one hub may run per process at a time (it owns process.env, the SDK client plugin and
 * the global timers).
 */
export async function createLocalHub(options: LocalHubOptions): Promise<LocalHub> {
  if (active) throw new Error('a local hub is already running in this process: close it first');
  const { config, world } = options;
  const region = config.hub.region;
  const hubAccount = config.hub.accountId;
  const prefix = config.prefix;

  const logLevel = options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT';
  const savedEnv = new Map<string, string | undefined>(ENV_KEYS.map((k) => [k, process.env[k]]));
  const restoreLogging = useLocalLogging(logLevel);
  const restoreEnv = () => {
    restoreLogging();
    for (const [key, value] of savedEnv) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };

  // dynalite first, on real timers: its table creation completes on a timer.
  const clock = new SimClock(options.clock ?? 'virtual', {
    now: options.startTime ?? Date.now(),
    randomSeed: options.randomSeed ?? options.twinOptions?.seed ?? DEFAULT_RANDOM_SEED,
  });
  const dynamo = await startDynalite({ onRequest: () => clock.ioStarted() });
  const tableName = registryTableName(config);
  try {
    await dynamo.createRegistryTable(tableName);
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  clock.install();

  try {
    const withRoles = withSpokeReadRoles(world, config);
    const deployed = deployedWorld(withRoles, config);
    const functionsRole = `arn:aws:iam::${hubAccount}:role/${prefix}-functions`;
    // Every call of a function and of a spoke role session is evaluated against the synthesized policies.
    // A configuration change (a new configuration file, as a redeploy does) changes the roles' policies too.
    let deployedConfig = { file: '', config };
    const currentConfig = () => {
      const file = process.env.SPOKELINK_CONFIG_FILE;
      if (file && file !== deployedConfig.file) deployedConfig = { file, config: loadConfigFile(file) };
      return deployedConfig.config;
    };
    const model = options.twinOptions?.iam ?? localIamModel(currentConfig, functionsRole);
    // The evaluator reads the Service Authorization Reference from disk: IO the virtual clock waits for.
    const iam = { ...model, trackWork: () => clock.ioStarted() };
    let twin: Twin;
    try {
      twin = createTwin(deployed, { ...options.twinOptions, iam });
    } catch (error) {
      throw deployed === withRoles
        ? error
        : explainDeployFailure(
            error,
            config,
            deployed.ram.shares.findIndex((s) => s.name === organizationShareOf(config)?.name),
          );
    }
    // Each AWS call names the function that made it (the role session name of a deployed hub).
    twin.callOrigin = currentLocalFunction;
    // The IAM data is read before the run, not while calls are in flight (see IamEvaluator.warm).
    await twin.iam?.warm();
    const stateMachineRole = `arn:aws:iam::${hubAccount}:role/${prefix}-statemachine`;
    const identity = twin.credentialsFor(functionsRole);
    const plugin = localPlugin(
      twin,
      clock,
      options.dynamoTransport === 'http' ? undefined : dynamo,
      options.sdkTransport,
    );

    const lambdas = new LocalLambdas({
      functionsDir: options.functionsDir ?? join(REPO_ROOT, 'functions'),
      prefix,
      region,
      accountId: hubAccount,
      timeoutMs: (name: string) => sizingOf(name).timeoutSeconds * 1000,
      ...options.lambdaOptions,
    });

    const sns = new LocalSns(twin, region);
    const approvalTopic = sns.createTopic(hubAccount, `${prefix}-approvals`);
    const failureTopic = sns.createTopic(hubAccount, `${prefix}-failures`);
    sns.attach();

    const dynamoForTasks = new DynamoDBClient({ region, endpoint: dynamo.endpoint, maxAttempts: 3 });
    dynamoForTasks.middlewareStack.use(plugin);
    const sfn = new LocalStepFunctions({
      twin,
      lambdas,
      region,
      accountId: hubAccount,
      roleArn: stateMachineRole,
      publish: async (args) => sns.publish(hubAccount, args),
      dynamodb: dynamoForTasks,
    });
    sfn.attach();

    const env: Record<string, string | undefined> = {
      ...handlerEnvironment({
        config,
        configFile: writeConfigFile(config),
        registryTableName: tableName,
        serviceName: prefix,
        logLevel,
        onboardStateMachineArn: sfn.arnOf(`${prefix}-onboard`),
        offboardStateMachineArn: sfn.arnOf(`${prefix}-offboard`),
        approvalTopicArn: approvalTopic,
        failureTopicArn: failureTopic,
      }),
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: identity.accessKeyId,
      AWS_SECRET_ACCESS_KEY: identity.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    };
    for (const key of ENV_KEYS) delete process.env[key];
    Object.assign(process.env, env);
    resetConfigCache();
    useClientPlugin(plugin);

    const stateMachinesDir = options.stateMachinesDir ?? join(REPO_ROOT, 'statemachines');
    const substitutions = workflowSubstitutions(stateMachinesDir, {
      functionArn: (name) => lambdas.arnOf(name),
      stateMachineArn: (id) => sfn.arnOf(`${prefix}-${id}`),
      ApprovalTopicArn: approvalTopic,
      FailureTopicArn: failureTopic,
      RegistryTableName: tableName,
    });
    sfn.registerDirectory(stateMachinesDir, prefix, substitutions);

    const orgAccounts = () => new Set(Object.keys(twin.stateOf<OrganizationsState>('organizations').accounts));
    const spokeRoles = new Set(
      (world.iam?.roles ?? [])
        .filter((r) => r.arn.endsWith(`:role/${config.spokeRole.name}`))
        .map((r) => r.arn.split(':')[4]!),
    );
    const listeners: ((progress: HubProgress) => void)[] = [];
    const emit = (progress: HubProgress) => {
      for (const listener of [...listeners]) listener(progress);
    };
    const startedAt = clock.now();
    const initialSnapshot = options.snapshotAtStart === false ? {} : twin.snapshot();
    const since = () => clock.now() - startedAt;

    const intakeQueue = new LocalIntakeDispatch({
      lambdas,
      workflowArns: new Set([sfn.arnOf(`${prefix}-onboard`), sfn.arnOf(`${prefix}-offboard`)]),
      hubAccount,
      region,
      now: () => clock.now(),
    });
    const events = new LocalEventBridge({
      twin,
      hubAccountId: hubAccount,
      hubRegion: region,
      // The spoke stack (role and forwarding rule, one StackSet) is deployed where the spoke role exists.
      forwardsFrom: (account, eventRegion) => spokeRoles.has(account) && servedRegions(config).includes(eventRegion),
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
        emit({ kind: 'intake', at: since(), vpcId, eventId, outcome: `${what} delivered to the intake` });
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
          const outcome = queued
            ? `queued (${queued.queueDepth} waiting in the account): ${queued.reason}`
            : 'duplicate' in result
              ? `duplicate of ${String(result.name)}`
              : `ignored: ${String(result.ignored)}`;
          emit({ kind: 'intake', at: since(), vpcId, eventId, outcome });
        }
        return result;
      },
      knobs: options.events,
    });
    events.start();

    sfn.onProgress(({ execution, event }) => {
      const progress = toProgress(execution, event, since());
      if (progress) emit(progress);
      if (progress?.kind === 'execution' && progress.event !== 'started') {
        const status = { succeeded: 'SUCCEEDED', failed: 'FAILED', aborted: 'ABORTED', timedOut: 'TIMED_OUT' } as const;
        intakeQueue.executionEnded(execution, status[progress.event]);
      }
    });

    const appTeamEc2 = (vpcId: string) => {
      const vpc = ec2State(twin).vpcs[vpcId];
      if (!vpc) throw new Error(`no VPC ${vpcId} in the world`);
      const team = twin.credentialsFor(`arn:aws:iam::${vpc.ownerId}:role/app-team`);
      const client = new EC2Client({
        region: vpc.region,
        credentials: { accessKeyId: team.accessKeyId, secretAccessKey: team.secretAccessKey },
        maxAttempts: 1,
      });
      client.middlewareStack.use(plugin);
      return client;
    };

    /**
     * An app team's call takes the twin's latency on the clock like any AWS call: on the virtual clock nothing would
     * advance while the caller awaits it, so the clock is driven until the call returns.
     */
    const whileClockRuns = async <T>(call: Promise<T>): Promise<T> => {
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
    };

    const idle = () => events.pending === 0 && sfn.quiescent() && intakeQueue.idle;
    let closed = false;
    const hub: LocalHub = {
      config,
      world,
      twin,
      clock,
      lambdas,
      sfn,
      sns,
      events,
      dynamo,
      intakeQueue,
      startedAt,
      initialSnapshot,
      async tagVpc(vpcId, tags) {
        await whileClockRuns(
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
      async invokeFunctionUrl(name, request, credentials) {
        // https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html: with AWS_IAM, Lambda authenticates the SigV4
        // signature and authorizes lambda:InvokeFunctionUrl (same account: an identity policy suffices; another
        // account: the function's resource policy must allow it, and spokelink adds none).
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
        return (await whileClockRuns(lambdas.invoke(name, event))) as unknown as FunctionUrlResponse;
      },
      deliver(event, deliverOptions = {}) {
        if (deliverOptions.bus === 'hub') events.putOnHubBus(event);
        else events.putOnDefaultBus(event);
      },
      runUntilIdle: (runOptions) => clock.runUntil(idle, runOptions),
      runUntil: (predicate, runOptions) => clock.runUntil(predicate, runOptions),
      idle,
      executions: () => sfn.executions(),
      registry: () => dynamo.scan(tableName),
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
        sfn.save(dir);
        const registry = await hub.registry();
        writeFileSync(join(dir, 'registry.json'), `${JSON.stringify(registry, null, 2)}\n`);
        writeFileSync(join(dir, 'report.json'), `${JSON.stringify(buildReport(hub, registry), null, 2)}\n`);
      },
      async close() {
        if (closed) return;
        closed = true;
        events.stop();
        intakeQueue.stop();
        clock.uninstall();
        useClientPlugin(undefined);
        resetClients();
        resetConfigCache();
        restoreEnv();
        dynamoForTasks.destroy();
        await dynamo.stop();
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
    await dynamo.stop();
    throw error;
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
  return withAggregatedIngress(withHubProfile(withOrganizationShare(world, config), config), config);
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
  if (!share || profiles.some((p) => p.ownerId === hub.accountId && p.name === share.profileName)) return world;
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
  if (!share || ram.shares.some((s) => s.ownerId === hub.accountId && s.name === share.name)) return world;
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
 * Names the deploy step when the twin refuses the organization share (seeded at `index` of the world's shares: the
 * twin's message names only that field).
 */
function explainDeployFailure(error: unknown, config: HubConfig, index: number): unknown {
  const share = organizationShareOf(config);
  if (!share || !(error instanceof TwinWorldError) || !error.message.includes(`ram.shares.${index}.`)) return error;
  return new TwinWorldError(
    `the hub stack's RAM share ${share.name} (the TGW with ${share.organizationArn}, organization.shareTransitGateway) ` +
      `cannot be created in this world (${error.message.replace(/\.$/, '')}). The stack needs the hub's TGW ` +
      '(world ec2.transitGateways) and RAM sharing with AWS Organizations enabled (world ' +
      'ram.sharingWithOrganizationEnabled); or set organization.shareTransitGateway to false.',
  );
}

/**
 * The SDK plugin of local runs: the twin beneath every modeled client, and DynamoDB requests (real HTTP to dynalite)
 * counted as IO in flight so the virtual clock never jumps while one is on the wire. Given `dynamo`, DynamoDB
 * requests skip the socket: the signed request goes to dynalite's own HTTP handler in process
 * (`LocalDynamo.handle`), and its response bytes to the SDK's deserializer, as they would over loopback.
 */
export function localPlugin(
  twin: Twin,
  clock: SimClock,
  dynamo?: LocalDynamo,
  transport?: TwinTransport,
  // biome-ignore lint/suspicious/noExplicitAny: the plugin applies to clients of every service (their own IO types).
): Pluggable<any, any> {
  const base = twinPlugin(twin, transport);
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
      if (!dynamo) return;
      stack.add(
        (next, context) => async (args) => {
          if (String(context.clientName ?? '') !== 'DynamoDBClient') return next(args);
          const answer = await dynamo.handle(unwrapUnsigned(args.request) as DynamoWireRequest);
          return { response: new HttpResponse(answer), output: undefined };
        },
        // The innermost middleware: the SDK's deserializer reads this response as it reads the socket's.
        { step: 'deserialize', name: 'spokelinkInProcessDynamo', priority: 'low' },
      );
      // The direct transport (bench) does not sign the in-process requests either (see `unsignedRequest`).
      if (transport === 'direct') {
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
