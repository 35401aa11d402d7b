import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalHub, type LocalHub } from '#local/hub';
import type { HubConfig } from '#shared/config';
import { loadWorldFile } from '#twin/world';
import { associationTimes, attachmentPendingTimes } from './bulk';
import { exampleConfig } from './worlds';

/**
 * One onboarding of the example world (worlds/example.world.json, config/example.hub.json), measured: AWS calls
 * against the minimum the onboarding needs, Step Functions state transitions, Lambda invocations, and the critical
 * path overhead = time from the execution's start to `connected` minus what AWS itself takes and no workflow can
 * shorten: the attachment's pending -> available time and its route-table association's associating -> associated
 * time (`connected` waits for both). The baseline runs the same steps (the same handlers, twin and clock) sequentially, with fixed 15 s polling.
 */

const ROOT = join(__dirname, '..');
const START = Date.UTC(2026, 2, 2, 9, 0, 0);
/** A VPC of an account that another VPC already shared the TGW with (the common case at scale). */
export const MEASURED_VPC = 'vpc-0a200000000000002';
/** The first VPC of account 222222222222: onboarded first so that the measured one finds the account shared. */
export const WARMUP_VPC = 'vpc-0a200000000000001';
/**
 * The first VPC of an organization account (333333333333): the hub stack's organization share (config
 * `organization.shareTransitGateway`, deployed by the local hub as by the CDK stack) already covers the account, so
 * nothing waits for RAM.
 */
export const FIRST_IN_ACCOUNT_VPC = 'vpc-0b300000000000001';
/**
 * The first VPC of the partner account outside the organization (555555555555): the TGW reaches it through the
 * per-account share and a RAM invitation its spoke role accepts, then RAM makes the TGW visible
 * (`ramShareVisibilityMs` after the acceptance) before the attachment can be created.
 */
export const FIRST_OUTSIDE_ORG_VPC = 'vpc-0d500000000000001';
/** Simulated latency of every AWS call in these measurements (AWS control-plane calls take ~100 ms). */
export const CALL_LATENCY_MS = 100;

export interface MinimumCall {
  call: string;
  count: number;
  why: string;
}

export interface OnboardingMeasurement {
  vpcId: string;
  apiCalls: number;
  callsByOperation: Record<string, number>;
  stateTransitions: number;
  lambdaInvocations: number;
  /** Execution start to `connected` (s). */
  timeToConnectedSeconds: number;
  /** The attachment's own pending -> available time (s). */
  attachmentSeconds: number;
  /** The attachment's route-table association, associating -> associated (s). */
  associationSeconds: number;
  criticalPathOverheadSeconds: number;
}

/**
 * The calls an onboarding strictly needs, listed (a nonprod or prod VPC of an organization account that the TGW share
 * already covers, one route table, the example hub's destinations, endpoints and endpoint service).
 */
export function minimumCalls(config: HubConfig, segment: string, routeTables: number): MinimumCall[] {
  const endpoints = Object.values(config.endpoints).filter((e) => !e.segments || e.segments.includes(segment));
  const zones = endpoints.reduce((sum, e) => sum + e.privateHostedZoneIds.length, 0);
  const groups = new Set(endpoints.map((e) => e.securityGroupId)).size;
  // A VPC asking for `*`: the endpoint services its segment may use.
  const offered = Object.values(config.endpointServices).filter((s) => !s.segments || s.segments.includes(segment));
  const services = offered.length;
  const accepting = offered.filter((s) => s.acceptConnections).length;
  const propagations = config.segments[segment]!.propagationRouteTableIds.length;
  return [
    { call: 'sfn:StartExecution', count: 1, why: 'the intake starts the workflow' },
    { call: 'sts:AssumeRole', count: 1, why: 'the spoke role (cached for the container afterwards)' },
    { call: 'ec2:DescribeVpcs', count: 1, why: 'current request tags, CIDRs, owner' },
    { call: 'ec2:DescribeVpcAttribute', count: 2, why: 'enableDnsSupport and enableDnsHostnames (one per call)' },
    { call: 'ec2:DescribeSubnets', count: 1, why: 'attachment subnets (one per AZ)' },
    { call: 'ec2:DescribeRouteTables', count: 1, why: 'route tables of the subnets and their routes (conflicts)' },
    { call: 'route53:ListHostedZonesByVPC', count: 1, why: 'zones already associated (conflicting names)' },
    {
      call: 'ram:GetResourceShareAssociations',
      count: 1,
      why: 'is the TGW shared with the organization (or, outside it, the account a principal of the TGW share)',
    },
    { call: 'ec2:CreateTransitGatewayVpcAttachment', count: 1, why: 'the attachment (spoke)' },
    { call: 'ec2:AcceptTransitGatewayVpcAttachment', count: 1, why: 'the TGW owner accepts (auto-accept is off)' },
    { call: 'ec2:DescribeTransitGatewayAttachments', count: 1, why: 'at least one read that sees it available' },
    { call: 'ec2:AssociateTransitGatewayRouteTable', count: 1, why: "the segment's route table" },
    {
      call: 'ec2:CreateTransitGatewayRoute',
      count: propagations,
      why: "the hub's static return route: one per claimed CIDR (one here) and segment table",
    },
    {
      call: 'ec2:CreateRoute',
      count: routeTables * config.destinations.length,
      why: 'one per route table and hub destination',
    },
    { call: 'route53:CreateVPCAssociationAuthorization', count: zones, why: 'hub, one per zone' },
    { call: 'route53:AssociateVPCWithHostedZone', count: zones, why: 'spoke, one per zone' },
    {
      call: 'route53:DeleteVPCAssociationAuthorization',
      count: zones,
      why: 'hub, one per zone (no authorization left)',
    },
    { call: 'ec2:AuthorizeSecurityGroupIngress', count: groups, why: 'one per endpoint security group' },
    { call: 'ec2:DescribeVpcEndpointServicePermissions', count: services, why: 'is the account already allowed' },
    { call: 'ec2:DescribeVpcEndpointConnections', count: accepting, why: 'pending connections to accept' },
    { call: 'ec2:CreateTags', count: 2, why: 'status onboarding, then connected' },
  ];
}

/** Options of one measurement run. */
interface RunOptions {
  stateMachinesDir?: string;
  vpcs: string[];
  seed?: number;
  /** Attachment pending -> available (ms): fixed or uniform in a range (default: the twin's 90 s). */
  attachmentPendingMs?: number | [number, number];
}

async function startHub(options: RunOptions): Promise<LocalHub> {
  return createLocalHub({
    config: exampleConfig(),
    world: loadWorldFile(join(ROOT, 'worlds/example.world.json')),
    startTime: START,
    randomSeed: options.seed ?? 1,
    twinOptions: {
      seed: options.seed ?? 1,
      latencyMs: CALL_LATENCY_MS,
      ...(options.attachmentPendingMs === undefined
        ? {}
        : {
            timings: {
              attachmentPendingMs: Array.isArray(options.attachmentPendingMs)
                ? pendingRange(options.attachmentPendingMs)
                : options.attachmentPendingMs,
            },
          }),
    },
    ...(options.stateMachinesDir ? { stateMachinesDir: options.stateMachinesDir } : {}),
  });
}

/** Onboards `vpcs` one after the other (each once the previous is idle) and measures the last one. */
export async function measureOnboarding(options: RunOptions): Promise<OnboardingMeasurement> {
  const hub = await startHub(options);
  try {
    let measured = options.vpcs[0]!;
    let callsBefore = 0;
    for (const vpcId of options.vpcs) {
      measured = vpcId;
      callsBefore = hub.twin.calls.length;
      if (!hub.announceTags(vpcId)) throw new Error(`${vpcId} carries no request tag`);
      const run = await hub.runUntilIdle({ maxVirtualMs: 3_600_000 });
      if (run.reason !== 'predicate') throw new Error(`onboarding of ${vpcId} did not settle (${run.reason})`);
    }
    const execution = hub.executions().find((e) => e.name.startsWith(`${measured}-onboard-`));
    if (execution?.status !== 'SUCCEEDED' || execution.stopDate === undefined) {
      throw new Error(`onboarding of ${measured} did not succeed: ${execution?.status} ${execution?.cause ?? ''}`);
    }
    const calls = hub.twin.calls.slice(callsBefore);
    const callsByOperation: Record<string, number> = {};
    for (const c of calls)
      callsByOperation[`${c.service}:${c.operation}`] = (callsByOperation[`${c.service}:${c.operation}`] ?? 0) + 1;
    const attachmentMs = attachmentPendingTimes(hub).get(measured);
    if (attachmentMs === undefined) throw new Error(`no attachment for ${measured}`);
    const associationMs = associationTimes(hub).get(measured);
    if (associationMs === undefined) throw new Error(`no route-table association for ${measured}`);
    const timeToConnected = (execution.stopDate - execution.startDate) / 1000;
    return {
      vpcId: measured,
      apiCalls: calls.length,
      callsByOperation,
      stateTransitions: hub.sfn.stateTransitions(execution.executionArn),
      lambdaInvocations: hub.lambdas.invocations.filter((i) => i.execution === execution.executionArn).length,
      timeToConnectedSeconds: timeToConnected,
      attachmentSeconds: attachmentMs / 1000,
      associationSeconds: associationMs / 1000,
      criticalPathOverheadSeconds: round(timeToConnected - (attachmentMs + associationMs) / 1000),
    };
  } finally {
    await hub.close();
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;

const pendingRange =
  ([min, max]: [number, number]) =>
  (random: () => number) =>
    min + random() * (max - min);

/**
 * The baseline workflow: the onboarding ASL with its three branches run one after the other (Transit Gateway, then
 * zones, then consumer) and a fixed 15 s interval for every poll (RAM visibility, acceptance, availability, a busy
 * zone). Written to a temporary folder as `onboard.asl.json`; returns the folder (remove it when done).
 */
export function writeBaselineStateMachine(): string {
  type State = Record<string, unknown> & { Type: string; Retry?: Retrier[]; Next?: string; End?: boolean };
  interface Retrier {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
    MaxAttempts?: number;
    JitterStrategy?: string;
  }
  const definition = JSON.parse(readFileSync(join(ROOT, 'statemachines/onboard.asl.json'), 'utf8')) as {
    States: Record<string, State>;
  };
  const parallel = definition.States.ConnectSpokeVpc as State & {
    Branches: { StartAt: string; States: Record<string, State> }[];
  };
  const [tgw, zones, consumer] = parallel.Branches;
  if (!tgw || !zones || !consumer) throw new Error('ConnectSpokeVpc no longer has the three expected branches');
  const fixedPoll = (state: State | undefined, errors: string[]) => {
    for (const r of state?.Retry ?? []) {
      if (r.ErrorEquals.some((e) => errors.includes(e))) {
        Object.assign(r, { IntervalSeconds: 15, BackoffRate: 1, MaxDelaySeconds: 15, JitterStrategy: 'NONE' });
        r.MaxAttempts = Math.max(r.MaxAttempts ?? 3, 60);
      }
    }
  };
  fixedPoll(tgw.States.CreateAttachment, ['InvalidTransitGatewayID.NotFound', 'AttachmentNotReadyError']);
  fixedPoll(tgw.States.AcceptAttachment, ['AttachmentNotReadyError']);
  fixedPoll(tgw.States.WaitForAttachment, ['AttachmentNotReadyError']);
  fixedPoll(zones.States.AssociateZones, ['PriorRequestNotComplete', 'ZoneAuthorizationsFullError']);

  // One branch: the TGW chain, then the zones, then the consumer; its result is the three summaries, as before. Each
  // branch's last state is the one its happy path ends on (followed from StartAt), whatever the builder names it.
  const lastOf = (branch: { StartAt: string; States: Record<string, State> }): State => {
    let state = branch.States[branch.StartAt];
    for (let hops = 0; state && !state.End; hops++) {
      if (!state.Next || hops > Object.keys(branch.States).length) break;
      state = branch.States[state.Next];
    }
    if (!state?.End) throw new Error(`ConnectSpokeVpc's branch from ${branch.StartAt} has no end on its happy path`);
    return state;
  };
  const chain = (branch: { StartAt: string; States: Record<string, State> }, resultPath: string, next: string) => {
    const last = lastOf(branch);
    last.ResultPath = resultPath;
    delete last.End;
    last.Next = next;
  };
  chain(tgw, '$.summaries.tgw', zones.StartAt);
  chain(zones, '$.summaries.zones', consumer.StartAt);
  chain(consumer, '$.summaries.consumer', 'ListSequentialSummaries');
  const states: Record<string, State> = { ...tgw.States, ...zones.States, ...consumer.States };
  states.ListSequentialSummaries = {
    Type: 'Pass',
    Parameters: { 'list.$': 'States.Array($.summaries.tgw, $.summaries.zones, $.summaries.consumer)' },
    OutputPath: '$.list',
    End: true,
  };
  parallel.Branches = [{ StartAt: tgw.StartAt, States: states }];
  parallel.ResultPath = '$.sequential';
  parallel.Next = 'UnwrapSequentialBranches';
  definition.States.UnwrapSequentialBranches = {
    Type: 'Pass',
    InputPath: '$.sequential[0]',
    ResultPath: '$.branches',
    Next: 'CheckBranchOutcomes',
  };
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-baseline-'));
  writeFileSync(join(dir, 'onboard.asl.json'), JSON.stringify(definition, null, 2));
  return dir;
}

/** Runs `work` with the baseline state machine folder, removing it afterwards. */
export async function withBaselineStateMachine<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = writeBaselineStateMachine();
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
