import { createLocalHub, type HubProgress, type LocalHub, type LocalHubOptions } from '#local/hub';
import { QUOTAS } from '#shared/quotas';
import { THROTTLING } from '#twin/errors';
import { ec2State } from '#twin/services/ec2/model';
import { checkInvariants, type InvariantReport, invariantSnapshot } from './invariants';
import { type LowerBound, lowerBound } from './lower-bound';
import type { BulkWorld, FullTransitGatewayWorld } from './worlds';

/**
 * A migration day on the twin: every spoke VPC of a generated world is tagged by its app team within a window
 * (seeded uniform times), attachments take a seeded 60-300 s to become available, every account has AWS's token
 * buckets, and the real ASL and handlers run on the virtual clock. Returns what happened, the invariants and the
 * lower bound of the makespan.
 */

export interface BulkRunOptions {
  bulk: BulkWorld;
  /** Seed of the twin (ids, attachment latencies) and of Math.random (retry jitter). */
  seed?: number;
  /** The app teams tag their VPCs within this window (default 60 s). */
  tagWindowMs?: number;
  /** Attachment pending -> available, uniform in [min, max] ms (default 60-300 s). */
  attachmentPendingMs?: [number, number];
  /** Give up after this much simulated time (default 6 h). */
  maxVirtualMs?: number;
  /** Extra options for the hub (twin knobs, faults). */
  hubOptions?: Partial<LocalHubOptions>;
  /** Called with the hub once it is started (extra instrumentation). */
  onHub?: (hub: LocalHub) => void;
  /**
   * Called with the hub and the run's result after the run, before the hub closes (to inspect the twin or the
   * registry, or to go on: a retry once a quota is raised).
   */
  beforeClose?: (hub: LocalHub, result: Omit<BulkResult, 'cpuSeconds' | 'cpuSecondsPerVpc'>) => Promise<void> | void;
  /** A line of progress every `PROGRESS_EVERY` state events (simulated time, VPCs connected, calls, CPU). */
  progress?: (line: string) => void;
}

/** State events between two progress lines (the full bulk5000 day has about a million: 170 a VPC). */
const PROGRESS_EVERY = 100_000;

export interface BulkResult {
  vpcs: number;
  connected: number;
  /** VPCs whose status is not `connected` (failed, rejected or none). */
  notConnected: { vpcId: string; status?: string; detail?: string }[];
  executions: { total: number; succeeded: number; failed: number; other: number };
  /** Executions that failed, with their error and cause. */
  failures: { name: string; error?: string; cause?: string }[];
  invariants: InvariantReport;
  /** Seconds from the start (the first tag can come at 0) to the last execution's end. */
  makespanSeconds: number;
  lowerBound: LowerBound;
  awsCalls: number;
  /** AWS calls answered with a throttling error (each SDK attempt counts). */
  throttledCalls: number;
  /** Throttled calls per bucket owner and operation (`111111111111 ec2:AcceptTransitGatewayVpcAttachment`). */
  throttledByOperation: Record<string, number>;
  /** Step Functions retries (a Task attempt repeated by a Retrier), by `<state> <error>`. */
  stateRetries: Record<string, number>;
  stateTransitions: number;
  lambdaInvocations: number;
  /** Calls per `<account kind> <service>:<operation>` (`hub`, `spoke`). */
  callsByOperation: Record<string, number>;
  /** Real seconds the simulation took. */
  wallSeconds: number;
  /**
   * CPU seconds (user + system, `process.cpuUsage()`) of the run: the hub's start, the simulated day and its summary
   * (not the process's module loading). Unlike wall time it hardly depends on the machine's load.
   */
  cpuSeconds: number;
  /** `cpuSeconds` per simulated VPC: the simulation's speed, compared with `SIMULATION_CPU_BASELINE`. */
  cpuSecondsPerVpc: number;
  /** When each VPC became connected (s after start) and its attachment's own pending time. */
  perVpc: { vpcId: string; connectedAtSeconds?: number; attachmentPendingSeconds?: number }[];
}

/**
 * The simulation's CPU per VPC before the speed-ups of docs/performance.md "Simulation speed: CPU per VPC" (the
 * same world as `bulkWorld`, seed 7, 10 VPCs per account, `cpuSecondsPerVpc` of a job): the reference `npm run bench`
 * prints next to its own figure.
 */
export const SIMULATION_CPU_BASELINE = { commit: 'ea890ca', vpcs: 50, zones: 0.672, profile: 0.673 } as const;

const THROTTLING_CODES = new Set(Object.values(THROTTLING).map((t) => t.code));
const DAY_START = Date.UTC(2026, 2, 2, 9, 0, 0);

/** Runs the migration day; see the module comment. */
export async function runBulk(options: BulkRunOptions): Promise<BulkResult> {
  const { bulk } = options;
  const seed = options.seed ?? 7;
  const window = options.tagWindowMs ?? 60_000;
  const [minPending, maxPending] = options.attachmentPendingMs ?? [60_000, 300_000];
  const cpuStart = process.cpuUsage();
  const hub = await createLocalHub({
    config: bulk.config,
    world: bulk.world,
    startTime: DAY_START,
    randomSeed: seed,
    // The full snapshot is quadratic in the world's VPCs; the invariants read their own (invariantSnapshot).
    snapshotAtStart: false,
    ...options.hubOptions,
    twinOptions: {
      seed,
      ...options.hubOptions?.twinOptions,
      timings: {
        attachmentPendingMs: (random) => minPending + random() * (maxPending - minPending),
        ...options.hubOptions?.twinOptions?.timings,
      },
    },
  });
  try {
    options.onHub?.(hub);
    const stateRetries: Record<string, number> = {};
    const lastError = new Map<string, string>();
    let stateEvents = 0;
    hub.onProgress((p: HubProgress) => {
      if (p.kind !== 'state') return;
      stateEvents += 1;
      if (options.progress && stateEvents % PROGRESS_EVERY === 0) {
        const done = hub.executions().filter((e) => e.status === 'SUCCEEDED').length;
        const cpu = process.cpuUsage(cpuStart);
        options.progress(
          `  ${Math.round((hub.clock.now() - hub.startedAt) / 1000)} s simulated: ${done} of ${bulk.spokes.length} ` +
            `executions succeeded, ${hub.twin.calls.length} AWS calls, ${Math.round((cpu.user + cpu.system) / 1e6)} CPU-s`,
        );
      }
      const key = `${p.execution} ${p.state}`;
      if (p.event === 'failed' && p.error) lastError.set(key, p.error);
      if (p.event === 'retried') {
        const name = `${p.state} ${lastError.get(key) ?? '?'}`;
        stateRetries[name] = (stateRetries[name] ?? 0) + 1;
      }
    });

    // Tag times: seeded, uniform in the window, in a shuffled order of the VPCs.
    const random = hub.twin.random.bind(hub.twin);
    const times = bulk.spokes.map(() => Math.floor(random() * window));
    let tagged = 0;
    const tagErrors: string[] = [];
    bulk.spokes.forEach((spoke, i) => {
      setTimeout(() => {
        hub
          .tagVpc(spoke.vpcId, spoke.tags)
          .catch((error: unknown) => tagErrors.push(`${spoke.vpcId}: ${String(error)}`))
          .finally(() => {
            tagged += 1;
          });
      }, times[i]);
    });

    const wallStart = performance.now();
    const run = await hub.runUntil(() => tagged === bulk.spokes.length && hub.idle(), {
      maxVirtualMs: options.maxVirtualMs ?? 6 * 3_600_000,
    });
    const wallSeconds = (performance.now() - wallStart) / 1000;
    if (tagErrors.length > 0) throw new Error(`tagging failed: ${tagErrors.slice(0, 3).join('; ')}`);
    if (run.reason !== 'predicate') throw new Error(`the run did not settle (${run.reason})`);
    const summary = await summarize(
      hub,
      bulk,
      stateRetries,
      wallSeconds,
      [minPending, maxPending],
      Math.max(...times, 0),
    );
    await options.beforeClose?.(hub, summary);
    const cpu = process.cpuUsage(cpuStart);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    return { ...summary, cpuSeconds, cpuSecondsPerVpc: cpuSeconds / Math.max(1, bulk.spokes.length) };
  } finally {
    await hub.close();
  }
}

async function summarize(
  hub: LocalHub,
  bulk: BulkWorld,
  stateRetries: Record<string, number>,
  wallSeconds: number,
  pending: [number, number],
  lastTagMs: number,
): Promise<Omit<BulkResult, 'cpuSeconds' | 'cpuSecondsPerVpc'>> {
  const hubAccount = bulk.config.hub.accountId;
  const spokeIds = bulk.spokes.map((s) => s.vpcId);
  const groups = Object.values(bulk.config.endpoints).map((e) => e.securityGroupId);
  const snapshot = invariantSnapshot(hub.twin, spokeIds, groups);
  const registry = await hub.registry();
  const invariants = checkInvariants(snapshot, registry, {
    spokeVpcIds: spokeIds,
    transitGatewayId: bulk.config.hub.transitGatewayId,
  });
  const tagsOf = new Map(snapshot.ec2.vpcs.map((v) => [v.id, v.tags]));
  const notConnected = bulk.spokes
    .map((s) => ({ vpcId: s.vpcId, tags: tagsOf.get(s.vpcId) ?? {} }))
    .filter((s) => s.tags['spokelink:status'] !== 'connected')
    .map((s) => ({ vpcId: s.vpcId, status: s.tags['spokelink:status'], detail: s.tags['spokelink:detail'] }));

  const executions = hub.executions();
  const failures = executions
    .filter((e) => e.status === 'FAILED')
    .map((e) => ({ name: e.name, error: e.error, cause: e.cause }));
  const lastEnd = Math.max(hub.startedAt, ...executions.map((e) => e.stopDate ?? hub.clock.now()));

  let throttledCalls = 0;
  const throttledByOperation: Record<string, number> = {};
  const callsByOperation: Record<string, number> = {};
  for (const call of hub.twin.calls) {
    const who = call.accountId === hubAccount ? 'hub' : 'spoke';
    const key = `${who} ${call.service}:${call.operation}`;
    callsByOperation[key] = (callsByOperation[key] ?? 0) + 1;
    if (call.error && THROTTLING_CODES.has(call.error)) {
      throttledCalls += 1;
      throttledByOperation[key] = (throttledByOperation[key] ?? 0) + 1;
    }
  }

  const attachmentTimes = attachmentPendingTimes(hub);
  const perVpc = bulk.spokes.map((s) => {
    const execution = executions
      .filter((e) => e.name.startsWith(`${s.vpcId}-onboard-`) && e.status === 'SUCCEEDED')
      .at(-1);
    const connected = tagsOf.get(s.vpcId)?.['spokelink:status'] === 'connected';
    return {
      vpcId: s.vpcId,
      ...(connected && execution?.stopDate !== undefined
        ? { connectedAtSeconds: (execution.stopDate - hub.startedAt) / 1000 }
        : {}),
      ...(attachmentTimes.has(s.vpcId) ? { attachmentPendingSeconds: attachmentTimes.get(s.vpcId)! / 1000 } : {}),
    };
  });

  const stateTransitions = executions.reduce((sum, e) => sum + hub.sfn.stateTransitions(e.executionArn), 0);
  return {
    vpcs: bulk.spokes.length,
    connected: bulk.spokes.length - notConnected.length,
    notConnected,
    executions: {
      total: executions.length,
      succeeded: executions.filter((e) => e.status === 'SUCCEEDED').length,
      failed: failures.length,
      other: executions.filter((e) => e.status !== 'SUCCEEDED' && e.status !== 'FAILED').length,
    },
    failures,
    invariants,
    makespanSeconds: (lastEnd - hub.startedAt) / 1000,
    lowerBound: lowerBound(bulk, {
      attachmentPendingMs: pending,
      pendingDrawsMs: [...attachmentTimes.values()],
      lastTagMs,
      ramShareVisibilityMs: hub.twin.timings.ramShareVisibilityMs,
      route53ChangeMs: hub.twin.timings.route53ChangeMs,
      profileAssociationMs: hub.twin.draw(hub.twin.timings.profileAssociationMs),
      associationMs: ec2State(hub.twin).settings.associationMs,
      buckets: hub.twin.throttler.specs,
    }),
    awsCalls: hub.twin.calls.length,
    throttledCalls,
    throttledByOperation,
    stateRetries,
    stateTransitions,
    lambdaInvocations: hub.lambdas.invocationCount,
    callsByOperation,
    wallSeconds,
    perVpc,
  };
}

/** Each spoke attachment's own pending -> available time (ms), read from the twin's attachment timelines. */
/**
 * Per VPC: how long AWS itself took to associate its attachment with a TGW route table (associating -> associated),
 * from the twin's timeline. The workflow cannot shorten it: `connected` waits for it (WaitForConnectivity).
 */
export function associationTimes(hub: LocalHub): Map<string, number> {
  const state = hub.twin.stateOf<{
    attachments: Record<string, { vpcId: string }>;
    tgwRouteTables: Record<string, { associations: { attachmentId: string; createdAt: number; readyAt: number }[] }>;
  }>('ec2');
  const out = new Map<string, number>();
  for (const table of Object.values(state.tgwRouteTables)) {
    for (const link of table.associations) {
      const vpcId = state.attachments[link.attachmentId]?.vpcId;
      if (vpcId !== undefined) out.set(vpcId, Math.max(out.get(vpcId) ?? 0, link.readyAt - link.createdAt));
    }
  }
  return out;
}

export function attachmentPendingTimes(hub: LocalHub): Map<string, number> {
  const state = hub.twin.stateOf<{
    attachments: Record<string, { vpcId: string; timeline: { at: number; state: string }[] }>;
  }>('ec2');
  const out = new Map<string, number>();
  for (const att of Object.values(state.attachments)) {
    const pending = att.timeline.find((t) => t.state === 'pending');
    const available = att.timeline.find((t) => t.state === 'available');
    if (pending && available) out.set(att.vpcId, available.at - pending.at);
  }
  return out;
}

/** What became of the VPC that asked once the TGW was full. */
export interface NextVpcOutcome {
  vpcId: string;
  status?: string;
  detail?: string;
  /** Attachments on the TGW after it asked (AWS's quota: 5,000). */
  attachments: number;
  /**
   * What issue 19 asks of it on a full TGW: `rejected` with the quota named ("Attachments per transit gateway"), the TGW
   * still at 5,000; false otherwise (a TGW that was not full: the next VPC connects).
   */
  rejectedNamingQuota: boolean;
}

/**
 * `bulk5000`: the migration day of a world whose spokes fill the TGW, then the next VPC asks (tagged once every
 * execution has ended) and the run goes on until its own onboarding has ended.
 */
export async function runFullTransitGateway(
  options: Omit<BulkRunOptions, 'bulk' | 'beforeClose'> & { bulk: FullTransitGatewayWorld },
): Promise<BulkResult & { next: NextVpcOutcome }> {
  let next: NextVpcOutcome | undefined;
  const result = await runBulk({
    ...options,
    beforeClose: async (hub) => {
      const { vpcId, tags } = options.bulk.next;
      const before = hub.executions().length;
      await hub.tagVpc(vpcId, tags);
      const run = await hub.runUntil(() => hub.executions().length > before && hub.idle(), {
        maxVirtualMs: 3_600_000,
      });
      if (run.reason !== 'predicate') throw new Error(`the next VPC's onboarding did not settle (${run.reason})`);
      const state = hub.twin.stateOf<{
        vpcs: Record<string, { tags: Record<string, string> }>;
        attachments: Record<string, { transitGatewayId: string; vpcId: string; timeline: { state: string }[] }>;
      }>('ec2');
      const tagsNow = state.vpcs[vpcId]?.tags ?? {};
      const tgw = options.bulk.config.hub.transitGatewayId;
      const status = tagsNow['spokelink:status'];
      const detail = tagsNow['spokelink:detail'];
      const attachments = attachmentsOn(hub, tgw);
      next = {
        vpcId,
        status,
        detail,
        attachments,
        rejectedNamingQuota:
          status === 'rejected' &&
          (detail ?? '').startsWith(`capacity: ${QUOTAS.attachmentsPerTransitGateway.name} `) &&
          attachments === QUOTAS.attachmentsPerTransitGateway.value,
      };
    },
  });
  return { ...result, next: next! };
}

/** Attachments of a TGW that count against its quota: every one not `deleted` (as the twin counts them). */
function attachmentsOn(hub: LocalHub, transitGatewayId: string): number {
  const state = hub.twin.stateOf<{
    attachments: Record<string, { transitGatewayId: string; timeline: { at: number; state: string }[] }>;
  }>('ec2');
  const now = hub.clock.now();
  let n = 0;
  for (const att of Object.values(state.attachments)) {
    if (att.transitGatewayId !== transitGatewayId) continue;
    const current = att.timeline.filter((t) => t.at <= now).at(-1)?.state;
    if (current !== 'deleted') n += 1;
  }
  return n;
}
