import { QUEUE_PK } from '#shared/intake-queue';
import { RequestTag, StatusTag } from '#shared/tags';
import { THROTTLING } from '#twin/errors';
import { ec2State, stateAt } from '#twin/services/ec2/model';
import type { LocalHub } from './hub';

/**
 * The report of a local run (`spokelink simulate`, `npm run demo`, tests, bench): what each VPC asked for and got,
 * what was created, how the workflow ran and what it cost in AWS calls and state transitions. Plain JSON (it is
 * saved to `.spokelink/last-run/report.json` and printed by `--json`).
 */
export interface SimulationReport {
  version: 1;
  clock: {
    mode: 'virtual' | 'real';
    startedAt: string;
    endedAt: string;
    /** Simulated seconds from the hub's start to now. */
    simulatedSeconds: number;
    /** Real seconds the run took. */
    wallSeconds: number;
  };
  vpcs: VpcReport[];
  executions: ExecutionReport[];
  registry: RegistryReport[];
  stateTransitions: number;
  lambdaInvocations: { total: number; byFunction: Record<string, number>; failed: number };
  awsCalls: {
    total: number;
    failed: number;
    throttled: number;
    byOperation: { service: string; operation: string; calls: number; failed: number; throttled: number }[];
  };
  /** Twin resources added, changed or removed, per service and kind (`ec2.transitGatewayAttachments`). */
  changes: Record<string, { added: number; changed: number; removed: number }>;
  events: {
    delivered: number;
    dropped: number;
    failed: number;
    unmatched: number;
    notForwarded: number;
    denied: number;
  };
  notifications: { topic: string; subject?: string; at: string }[];
  /**
   * The intake queue (functions/shared/intake-queue.ts): requests waiting at the end of the run (from the registry),
   * and the most that waited at one time, in total and per account (per-account limits, debouncing).
   */
  intakeQueue: {
    depth: number;
    depthByAccount: Record<string, number>;
    peakDepth: number;
    peakByAccount: Record<string, number>;
  };
  /** A hub of several regions: each region's outcome (absent with one region). */
  regions?: RegionReport[];
}

/** One region of a multi-region run. */
export interface RegionReport {
  region: string;
  /** False when the run ended with the region down. */
  up: boolean;
  /** Spoke VPCs of the region by their `spokelink:status` (`none`: no status tag), the hub VPC left out. */
  vpcs: Record<string, number>;
  /** The region's executions by status. */
  executions: Record<string, number>;
  /** Events of the region held at the end (region down) and dead-lettered. */
  events: { delivered: number; held: number; failed: number };
  /** The TGW peering attachments of the region's hub TGW: the peer region, state, and static routes to it. */
  peerings: { peerRegion: string; attachmentId: string; state: string; staticRoutes: string[] }[];
}

export interface VpcReport {
  vpcId: string;
  accountId: string;
  region: string;
  /** IPv4 blocks (primary first), then IPv6 blocks. */
  cidrs: string[];
  requested: { connect?: string; segment?: string; services?: string };
  status?: string;
  detail?: string;
  execution?: string;
}

export interface ExecutionReport {
  name: string;
  /** The region of the execution's hub (several regions only). */
  region?: string;
  stateMachine: string;
  vpcId?: string;
  status: string;
  /** Seconds after the hub started. */
  startedAtSeconds: number;
  durationSeconds?: number;
  stateTransitions: number;
  lambdaInvocations: number;
  error?: string;
  cause?: string;
}

export interface RegistryReport {
  vpcId: string;
  accountId?: string;
  status?: string;
  segment?: string;
  services?: string[];
  attachmentId?: string;
  attachmentSubnetIds?: string[];
  routes: number;
  zones: string[];
  securityGroupRules: number;
  endpointServicePrincipals: number;
  executions: string[];
}

const THROTTLING_CODES = new Set(Object.values(THROTTLING).map((t) => t.code));

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A snapshot collection keyed by id: objects keyed by id as they are, arrays of `{ id }` indexed by id. */
function byId(value: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string')) {
      return undefined;
    }
    return Object.fromEntries(value.map((v) => [(v as { id: string }).id, v]));
  }
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** Counts resources added/changed/removed per `service.collection` between two twin snapshots. */
export function summarizeChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): SimulationReport['changes'] {
  const out: SimulationReport['changes'] = {};
  for (const service of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const b = byId(before[service]) ?? {};
    const a = byId(after[service]) ?? {};
    for (const collection of new Set([...Object.keys(b), ...Object.keys(a)])) {
      const bItems = byId(b[collection]);
      const aItems = byId(a[collection]);
      if (!bItems && !aItems) continue;
      const counts = { added: 0, changed: 0, removed: 0 };
      for (const id of new Set([...Object.keys(bItems ?? {}), ...Object.keys(aItems ?? {})])) {
        if (!bItems || !(id in bItems)) counts.added += 1;
        else if (!aItems || !(id in aItems)) counts.removed += 1;
        else if (JSON.stringify(bItems[id]) !== JSON.stringify(aItems[id])) counts.changed += 1;
      }
      if (counts.added + counts.changed + counts.removed > 0) out[`${service}.${collection}`] = counts;
    }
  }
  return out;
}

/** Builds the report of a hub's run so far; `registry` is a scan of the registry table. */
export function buildReport(hub: LocalHub, registry: Record<string, unknown>[]): SimulationReport {
  const now = hub.clock.now();
  const clockStats = hub.clock.stats();
  const ec2 = ec2State(hub.twin);
  const vpcs: VpcReport[] = Object.values(ec2.vpcs)
    .sort((a, b) => a.ownerId.localeCompare(b.ownerId) || a.id.localeCompare(b.id))
    .map((vpc) => ({
      vpcId: vpc.id,
      accountId: vpc.ownerId,
      region: vpc.region,
      cidrs: [...vpc.cidrBlocks, ...(vpc.ipv6Blocks ?? []).map((b) => b.cidr)],
      requested: {
        ...(vpc.tags[RequestTag.connect] !== undefined ? { connect: vpc.tags[RequestTag.connect] } : {}),
        ...(vpc.tags[RequestTag.segment] !== undefined ? { segment: vpc.tags[RequestTag.segment] } : {}),
        ...(vpc.tags[RequestTag.services] !== undefined ? { services: vpc.tags[RequestTag.services] } : {}),
      },
      ...(vpc.tags[StatusTag.status] !== undefined ? { status: vpc.tags[StatusTag.status] } : {}),
      ...(vpc.tags[StatusTag.detail] !== undefined ? { detail: vpc.tags[StatusTag.detail] } : {}),
      ...(vpc.tags[StatusTag.execution] !== undefined ? { execution: vpc.tags[StatusTag.execution] } : {}),
    }));

  const multiRegion = hub.regions.length > 1;
  const invocations = hub.regions.flatMap((r) => r.lambdas.invocations);
  const invocationsByExecution = new Map<string, number>();
  for (const invocation of invocations) {
    if (invocation.execution) {
      invocationsByExecution.set(invocation.execution, (invocationsByExecution.get(invocation.execution) ?? 0) + 1);
    }
  }
  const executions: ExecutionReport[] = hub.regions.flatMap((r) =>
    r.sfn.executions().map((e) => ({
      name: e.name,
      ...(multiRegion ? { region: r.region } : {}),
      stateMachine: e.stateMachineName,
      ...(/vpc-[0-9a-f]{8,17}/.exec(e.name) ? { vpcId: /vpc-[0-9a-f]{8,17}/.exec(e.name)![0] } : {}),
      status: e.status,
      startedAtSeconds: seconds(e.startDate - hub.startedAt),
      ...(e.stopDate !== undefined ? { durationSeconds: seconds(e.stopDate - e.startDate) } : {}),
      stateTransitions: r.sfn.stateTransitions(e.executionArn),
      lambdaInvocations: invocationsByExecution.get(e.executionArn) ?? 0,
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    })),
  );

  const registryReport: RegistryReport[] = registry
    .filter((item) => item.sk === 'CURRENT')
    .map((item) => ({
      vpcId: String(item.vpcId ?? String(item.pk ?? '').replace(/^VPC#/, '')),
      ...(typeof item.accountId === 'string' ? { accountId: item.accountId } : {}),
      ...(typeof item.status === 'string' ? { status: item.status } : {}),
      ...(typeof item.segment === 'string' ? { segment: item.segment } : {}),
      ...(Array.isArray(item.services) ? { services: item.services.map(String) } : {}),
      ...(typeof item.attachmentId === 'string' ? { attachmentId: item.attachmentId } : {}),
      ...(Array.isArray(item.attachmentSubnetIds) ? { attachmentSubnetIds: item.attachmentSubnetIds.map(String) } : {}),
      routes: list(item.routes).length,
      zones: list(item.zones).map((z) => String((z as { zoneName?: unknown }).zoneName ?? '')),
      securityGroupRules: list(item.securityGroupRules).length,
      endpointServicePrincipals: list(item.endpointServicePrincipals).length,
      executions: list(item.executions).map(String),
    }))
    .sort((a, b) => a.vpcId.localeCompare(b.vpcId));

  const byOperation = new Map<
    string,
    { service: string; operation: string; calls: number; failed: number; throttled: number }
  >();
  let failed = 0;
  let throttled = 0;
  for (const call of hub.twin.calls) {
    const key = `${call.service}:${call.operation}`;
    const entry = byOperation.get(key) ?? {
      service: call.service,
      operation: call.operation,
      calls: 0,
      failed: 0,
      throttled: 0,
    };
    entry.calls += 1;
    if (call.error) {
      entry.failed += 1;
      failed += 1;
      if (THROTTLING_CODES.has(call.error)) {
        entry.throttled += 1;
        throttled += 1;
      }
    }
    byOperation.set(key, entry);
  }

  const byFunction: Record<string, number> = {};
  for (const r of hub.regions) {
    for (const [fn, n] of Object.entries(r.lambdas.counts())) byFunction[fn] = (byFunction[fn] ?? 0) + n;
  }
  const deliveries = hub.regions.flatMap((r) => r.events.records);
  const count = (outcome: string) => deliveries.filter((d) => d.outcome === outcome).length;

  return {
    version: 1,
    clock: {
      mode: hub.clock.mode,
      startedAt: new Date(hub.startedAt).toISOString(),
      endedAt: new Date(now).toISOString(),
      simulatedSeconds: seconds(now - hub.startedAt),
      wallSeconds: seconds(clockStats.wallMs),
    },
    vpcs,
    executions,
    registry: registryReport,
    stateTransitions: executions.reduce((sum, e) => sum + e.stateTransitions, 0),
    lambdaInvocations: {
      total: invocations.length,
      byFunction,
      failed: invocations.filter((i) => i.outcome && i.outcome !== 'succeeded').length,
    },
    awsCalls: {
      total: hub.twin.calls.length,
      failed,
      throttled,
      byOperation: [...byOperation.values()].sort(
        (a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation),
      ),
    },
    changes: summarizeChanges(hub.initialSnapshot, hub.twin.snapshot()),
    events: {
      delivered: count('delivered'),
      dropped: count('dropped'),
      failed: count('failed'),
      unmatched: count('unmatched'),
      notForwarded: count('not-forwarded'),
      denied: count('denied'),
    },
    notifications: hub.regions
      .flatMap((r) => r.sns.messages)
      .map((m) => ({
        topic: m.topicArn,
        ...(m.subject !== undefined ? { subject: m.subject } : {}),
        at: new Date(m.at).toISOString(),
      })),
    intakeQueue: intakeQueueOf(hub, registry),
    ...(multiRegion ? { regions: regionsOf(hub, vpcs, executions) } : {}),
  };
}

/**
 * The TGW peering attachments of a region's hub TGW (requested or accepted by it): the peer region, the state now,
 * and the static routes of the TGW's route tables to the attachment (`<table> <cidr>`).
 */
export function peeringsOf(hub: LocalHub, region: string): RegionReport['peerings'] {
  const ec2 = ec2State(hub.twin);
  const tgwId = hub.region(region).config.hub.transitGatewayId;
  const tables = Object.values(ec2.tgwRouteTables).filter((t) => t.transitGatewayId === tgwId);
  return Object.values(ec2.attachments)
    .filter((a) => a.peering && (a.transitGatewayId === tgwId || a.peering.peerTransitGatewayId === tgwId))
    .map((a) => {
      const requester = a.transitGatewayId === tgwId;
      const peerRegion = requester ? a.peering!.peerRegion : (ec2.transitGateways[a.transitGatewayId]?.region ?? '');
      const staticRoutes = tables
        .flatMap((table) =>
          table.staticRoutes.filter((route) => route.attachmentId === a.id).map((route) => `${table.id} ${route.cidr}`),
        )
        .sort();
      return { peerRegion, attachmentId: a.id, state: stateAt(a.timeline, hub.clock.now()), staticRoutes };
    })
    .sort((a, b) => a.attachmentId.localeCompare(b.attachmentId));
}

/** Each region's outcome: its spokes' statuses, its executions, its held events and its hub's peerings. */
function regionsOf(hub: LocalHub, vpcs: VpcReport[], executions: ExecutionReport[]): RegionReport[] {
  const tally = (values: string[]) => {
    const out: Record<string, number> = {};
    for (const v of values.sort()) out[v] = (out[v] ?? 0) + 1;
    return out;
  };
  return hub.regions.map((r) => {
    const peerings = peeringsOf(hub, r.region);
    const records = r.events.records;
    return {
      region: r.region,
      up: r.up,
      vpcs: tally(
        vpcs.filter((v) => v.region === r.region && v.vpcId !== r.config.hub.vpcId).map((v) => v.status ?? 'none'),
      ),
      executions: tally(executions.filter((e) => e.region === r.region).map((e) => e.status)),
      events: {
        delivered: records.filter((d) => d.outcome === 'delivered').length,
        held: r.events.held,
        failed: records.filter((d) => d.outcome === 'failed').length,
      },
      peerings,
    };
  });
}

/** The queue as the registry holds it now, with the peaks the hub saw. */
function intakeQueueOf(hub: LocalHub, registry: Record<string, unknown>[]): SimulationReport['intakeQueue'] {
  const depthByAccount: Record<string, number> = {};
  for (const item of registry) {
    if (item.pk !== QUEUE_PK) continue;
    const account = String(item.accountId);
    depthByAccount[account] = (depthByAccount[account] ?? 0) + 1;
  }
  const depth = Object.values(depthByAccount).reduce((sum, n) => sum + n, 0);
  // Several regions: the most that waited at one time in one region, per account the most in one region.
  const views = hub.regions.map((r) => r.intakeQueue.view());
  const peakByAccount: Record<string, number> = {};
  for (const view of views) {
    for (const [account, n] of Object.entries(view.peakByAccount)) {
      peakByAccount[account] = Math.max(peakByAccount[account] ?? 0, n);
    }
  }
  return {
    depth,
    depthByAccount,
    peakDepth: Math.max(...views.map((v) => v.peakDepth), depth),
    peakByAccount: Object.fromEntries(Object.entries(peakByAccount).sort()),
  };
}
