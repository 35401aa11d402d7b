import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import type * as z from 'zod';
import { createLocalHub, type LocalHub, type LocalHubOptions, localPlugin } from '#local/hub';
import type { ExecutionRecord } from '#local/sfn';
import { type HubConfig, loadConfigFile, parseConfig } from '#shared/config';
import type { ConsumerRecord } from '#shared/registry/model';
import { StatusTag } from '#shared/tags';
import { ec2State } from '#twin/services/ec2/model';
import { diffSnapshots } from '#twin/twin';
import type { CallRecord, TwinEvent } from '#twin/types';
import { parseWorld, type WorldSchema } from '#twin/world';
import { SIMULATION_TRANSPORT } from '../sdk-path';

/**
 * Workflow tests: the real onboarding ASL on aws-local-stepfunctions, its Task states bound to the real handlers, the
 * twin beneath every SDK client and dynalite for the registry (`createLocalHub`), on the virtual clock. Scenario worlds
 * are built in code from the example organization (worlds/example.world.json, which the demo depends on).
 */

const ROOT = join(__dirname, '..', '..');
export const HUB_ACCOUNT = '111111111111';
export const TGW = 'tgw-0a1b2c3d4e5f60718';
export const TGW_ARN = `arn:aws:ec2:us-east-1:${HUB_ACCOUNT}:transit-gateway/${TGW}`;
export const PROD_TABLE = 'tgw-rtb-0a000000000000001';
export const NONPROD_TABLE = 'tgw-rtb-0b000000000000002';
export const SHARED_TABLE = 'tgw-rtb-0c000000000000003';
export const HUB_DESTINATION = '10.0.0.0/16';
export const ENDPOINT_SERVICE = 'vpce-svc-0d000000000000001';
export const ZONES = {
  ssm: { id: 'Z0SSM00000000000000001', name: 'ssm.us-east-1.amazonaws.com', sg: 'sg-0e55e0000000000a1' },
  sts: { id: 'Z0STS00000000000000001', name: 'sts.us-east-1.amazonaws.com', sg: 'sg-0e55e0000000000a2' },
  secretsmanager: {
    id: 'Z0SECRETS000000000001',
    name: 'secretsmanager.us-east-1.amazonaws.com',
    sg: 'sg-0e55e0000000000a3',
  },
} as const;
export type EndpointName = keyof typeof ZONES;
export const ACCOUNTS = { payments: '222222222222', analytics: '333333333333', reporting: '444444444444' } as const;
/** The partner account outside the organization (`organization.externalAccounts`). */
export const PARTNER = '555555555555';

/** A world file as written (before the schema fills defaults). */
export type RawWorld = z.input<typeof WorldSchema>;
export type RawVpc = NonNullable<NonNullable<RawWorld['ec2']>['vpcs']>[number];

/** The example organization of `npm run demo`, as raw JSON: scenarios change a copy in code. */
export function exampleWorld(): RawWorld {
  return JSON.parse(readFileSync(join(ROOT, 'worlds/example.world.json'), 'utf8')) as RawWorld;
}

/** The example hub configuration (config/example.hub.json). */
export function exampleConfig(): HubConfig {
  return loadConfigFile(join(ROOT, 'config/example.hub.json'));
}

/**
 * The example hub configuration without the organization share of the TGW (`organization.shareTransitGateway:
 * false`): every account is added to the hub's RAM share on its first onboarding, as accounts outside the
 * organization always are. The tests of that path use it.
 */
export function perAccountShareConfig(): HubConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config/example.hub.json'), 'utf8')) as {
    organization: Record<string, unknown>;
  };
  raw.organization.shareTransitGateway = false;
  return parseConfig(raw, 'example configuration without the organization share');
}

/** The example configuration with segments' aggregated ingress supernets (`{ prod: ['10.64.0.0/10'] }`). */
export function aggregatedIngressConfig(supernets: Record<string, string[]>): HubConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config/example.hub.json'), 'utf8')) as {
    segments: Record<string, Record<string, unknown>>;
  };
  for (const [segment, cidrs] of Object.entries(supernets)) raw.segments[segment]!.aggregatedIngress = cidrs;
  return parseConfig(raw, 'example configuration with aggregated ingress');
}

/** The VPC of the raw world with this id (throws when absent: a typo in a scenario). */
export function vpcOf(world: RawWorld, vpcId: string): RawVpc {
  const vpc = world.ec2?.vpcs?.find((v) => v.id === vpcId);
  if (!vpc) throw new Error(`scenario world has no ${vpcId}`);
  return vpc;
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** Id of scenario VPC number `n` (`vpc-0e...`: no clash with the example organization's ids). */
export const scenarioVpcId = (n: number) => `vpc-0e${hex(n, 15)}`;
export const scenarioSubnetId = (n: number, i: number) => `subnet-0e${hex(n, 12)}${hex(i + 1, 3)}`;
export const scenarioRouteTableId = (n: number, i: number) => `rtb-0e${hex(n, 12)}${hex(0x100 + i, 3)}`;

export interface ScenarioVpcOptions {
  ownerId: string;
  /** Primary first; /16 blocks get three /24 subnets in us-east-1a..c from the primary block. */
  cidrs: string[];
  tags?: Record<string, string>;
  region?: string;
  /** Number of subnets (default 3, one per AZ); 0 makes a VPC with no subnet. */
  subnets?: number;
  enableDnsSupport?: boolean;
  enableDnsHostnames?: boolean;
}

/**
 * A spoke VPC: `subnets` /24 subnets of the primary CIDR in successive AZs, all explicitly associated with one private
 * route table (`scenarioRouteTableId(n, 1)`); the main table is `scenarioRouteTableId(n, 0)`.
 */
export function scenarioVpc(n: number, options: ScenarioVpcOptions): RawVpc {
  const region = options.region ?? 'us-east-1';
  const [a, b] = options.cidrs[0]!.split('.');
  const count = options.subnets ?? 3;
  const subnets = Array.from({ length: count }, (_, i) => ({
    id: scenarioSubnetId(n, i),
    availabilityZone: `${region}${'abcdef'[i]}`,
    cidrBlock: `${a}.${b}.${i}.0/24`,
    tags: {},
  }));
  return {
    id: scenarioVpcId(n),
    ownerId: options.ownerId,
    region,
    cidrBlocks: options.cidrs,
    ...(options.enableDnsSupport === undefined ? {} : { enableDnsSupport: options.enableDnsSupport }),
    ...(options.enableDnsHostnames === undefined ? {} : { enableDnsHostnames: options.enableDnsHostnames }),
    tags: { Name: `scenario-${n}`, ...options.tags },
    subnets,
    routeTables: [
      { id: scenarioRouteTableId(n, 0), main: true, tags: {} },
      { id: scenarioRouteTableId(n, 1), subnetIds: subnets.map((s) => s.id), routes: [], tags: {} },
    ],
  };
}

/** Adds VPCs to a raw world (returns the world). */
export function withVpcs(world: RawWorld, ...vpcs: RawVpc[]): RawWorld {
  world.ec2 ??= {};
  world.ec2.vpcs = [...(world.ec2.vpcs ?? []), ...vpcs];
  return world;
}

export interface WorkflowHubOptions extends Partial<Omit<LocalHubOptions, 'world'>> {
  world?: RawWorld;
}

/** Start of the virtual clock in every workflow test (runs repeat exactly). */
export const START = Date.UTC(2026, 2, 2, 9, 0, 0);

/** A local hub on a scenario world, with the queries workflow tests assert on. */
export async function startWorkflowHub(options: WorkflowHubOptions = {}): Promise<WorkflowHub> {
  const { world = exampleWorld(), ...rest } = options;
  const hub = await createLocalHub({
    config: exampleConfig(),
    startTime: START,
    sdkTransport: SIMULATION_TRANSPORT,
    ...rest,
    world: parseWorld(world, 'scenario world'),
  });
  return new WorkflowHub(hub);
}

/** The status tags of a VPC. */
export interface StatusTags {
  status?: string;
  detail?: string;
  execution?: string;
}

interface SnapshotVpc {
  id: string;
  tags: Record<string, string>;
  subnets: { id: string; routeTableId: string }[];
  routeTables: { id: string; routes: SnapshotRoute[] }[];
  securityGroups: { id: string; rules: SnapshotRule[] }[];
}
export interface SnapshotRoute {
  destinationCidrBlock: string;
  transitGatewayId?: string;
  vpcPeeringConnectionId?: string;
  gatewayId?: string;
  natGatewayId?: string;
  origin?: string;
}
export interface SnapshotRule {
  id: string;
  isEgress: boolean;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
  description: string | null;
}
interface SnapshotLink {
  attachmentId: string;
  state: string;
}
export interface SnapshotAttachment {
  id: string;
  vpcId: string;
  vpcOwnerId: string;
  state: string;
  subnetIds: string[];
  tags: Record<string, string>;
}
export interface TwinSnapshot {
  ec2: {
    vpcs: SnapshotVpc[];
    transitGateways: {
      id: string;
      routeTables: {
        id: string;
        associations: SnapshotLink[];
        propagations: SnapshotLink[];
        routes: { cidr: string; attachmentId: string | null; type: string; state: string }[];
      }[];
    }[];
    transitGatewayAttachments: SnapshotAttachment[];
    endpointServices: { id: string; allowedPrincipals: string[] }[];
  };
  route53: {
    zones: Record<string, { name: string; vpcs: string[]; authorizations: string[] }>;
  };
}

/** Twin paths a status write may change: the three status tags of `vpcId`. */
export function changesBesidesStatus(before: unknown, after: unknown, vpcId: string): string[] {
  const vpcs = (before as TwinSnapshot).ec2.vpcs;
  const index = vpcs.findIndex((v) => v.id === vpcId);
  const statusPaths = Object.values(StatusTag).map((key) => `ec2.vpcs.${index}.tags.${key}: `);
  return diffSnapshots(before, after).filter((line) => !statusPaths.some((p) => line.startsWith(p)));
}

/** The error names AWS uses for throttling, per service. */
export const THROTTLING_ERRORS = [
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
];

export class WorkflowHub {
  constructor(readonly hub: LocalHub) {}

  get twin() {
    return this.hub.twin;
  }

  close(): Promise<void> {
    return this.hub.close();
  }

  /** `twin.snapshot()` typed for the parts these tests read. */
  snapshot(): TwinSnapshot {
    return this.twin.snapshot() as unknown as TwinSnapshot;
  }

  /**
   * The app team asks: sets `tags` on the VPC (EC2 CreateTags, the twin emits the tag event) or, without tags,
   * announces the request tags the world gave it. Then runs until nothing can progress. Returns the VPC's executions
   * started meanwhile.
   */
  async onboard(vpcId: string, tags?: Record<string, string>): Promise<ExecutionRecord[]> {
    const known = new Set(this.hub.executions().map((e) => e.executionArn));
    if (tags) await this.hub.tagVpc(vpcId, tags);
    else if (!this.hub.announceTags(vpcId)) throw new Error(`${vpcId} carries no request tag`);
    const run = await this.hub.runUntilIdle();
    if (run.reason !== 'idle' && run.reason !== 'predicate') throw new Error(`run ended by ${run.reason}`);
    return this.executionsOf(vpcId).filter((e) => !known.has(e.executionArn));
  }

  /** Announces every VPC at once (app teams tagging at the same moment), then runs until idle. */
  async onboardAll(vpcIds: string[]): Promise<void> {
    for (const vpcId of vpcIds) if (!this.hub.announceTags(vpcId)) throw new Error(`${vpcId} carries no request tag`);
    const run = await this.hub.runUntilIdle();
    if (run.reason !== 'idle' && run.reason !== 'predicate') throw new Error(`run ended by ${run.reason}`);
  }

  /**
   * Starts an onboarding of `vpcId` as the reconcile does (its event marked `spokelink.origin: reconcile`, never cut
   * short as a no-op), from the input of the VPC's last execution, and runs until idle. Returns that execution.
   */
  async repair(vpcId: string, id = 'repair'): Promise<ExecutionRecord> {
    const last = this.executionsOf(vpcId).at(-1);
    if (!last) throw new Error(`${vpcId} has no execution to repeat`);
    const event = { ...JSON.parse(last.input), id: `spokelink-reconcile-${id}` };
    const name = `${vpcId}-onboard-reconcile-${id}`;
    this.hub.sfn.start(
      this.hub.sfn.arnOf('spokelink-onboard'),
      name,
      JSON.stringify({ ...event, spokelink: { origin: 'reconcile', reasons: ['drift'] } }),
    );
    await this.hub.runUntilIdle();
    return this.executionsOf(vpcId).find((e) => e.name === name)!;
  }

  executionsOf(vpcId: string): ExecutionRecord[] {
    return this.hub.executions().filter((e) => e.name.startsWith(`${vpcId}-`));
  }

  tags(vpcId: string): Record<string, string> {
    const vpc = ec2State(this.twin).vpcs[vpcId];
    if (!vpc) throw new Error(`no VPC ${vpcId}`);
    return { ...vpc.tags };
  }

  status(vpcId: string): StatusTags {
    const tags = this.tags(vpcId);
    return {
      status: tags[StatusTag.status],
      detail: tags[StatusTag.detail],
      execution: tags[StatusTag.execution],
    };
  }

  /** The consumer record of a VPC (`VPC#<id>` / `CURRENT`), if any. */
  async record(vpcId: string): Promise<ConsumerRecord | undefined> {
    const items = await this.hub.registry();
    return items.find((i) => i.pk === `VPC#${vpcId}` && i.sk === 'CURRENT') as ConsumerRecord | undefined;
  }

  /**
   * Every registry item about a VPC: its record, a held lease, CIDR claims and shard slots naming it. The bookkeeping that stays
   * once an execution ended is left out: a released lease (no owner: it keeps the lease token counting) and the
   * status order (`STATUS`: who wrote the status tags last).
   */
  async registryItemsAbout(vpcId: string): Promise<Record<string, unknown>[]> {
    const items = await this.hub.registry();
    return items.filter((i) => {
      if (i.kind === 'status' || (i.kind === 'lease' && i.owner === undefined)) return false;
      if (String(i.pk) === `VPC#${vpcId}`) return true;
      // CIDR claims and endpoint shard slots naming it.
      const claims = (i.claims ?? i.members) as Record<string, unknown> | undefined;
      return claims !== undefined && vpcId in claims;
    });
  }

  attachmentsOf(vpcId: string, snapshot = this.snapshot()): SnapshotAttachment[] {
    return snapshot.ec2.transitGatewayAttachments.filter((a) => a.vpcId === vpcId);
  }

  /** TGW route tables an attachment is associated with / propagates to (ids, sorted). */
  /** The attachment's association, propagations, and active routes to it (`<table> <cidr>`) in the TGW tables. */
  tgwLinks(
    attachmentId: string,
    snapshot = this.snapshot(),
  ): { associated: string[]; propagated: string[]; routed: string[] } {
    const tables = snapshot.ec2.transitGateways.flatMap((t) => t.routeTables);
    const ids = (kind: 'associations' | 'propagations') =>
      tables
        .filter((t) => t[kind].some((l) => l.attachmentId === attachmentId))
        .map((t) => t.id)
        .sort();
    const routed = tables
      .flatMap((t) =>
        t.routes.filter((r) => r.attachmentId === attachmentId && r.state === 'active').map((r) => `${t.id} ${r.cidr}`),
      )
      .sort();
    return { associated: ids('associations'), propagated: ids('propagations'), routed };
  }

  vpc(vpcId: string, snapshot = this.snapshot()): SnapshotVpc {
    const vpc = snapshot.ec2.vpcs.find((v) => v.id === vpcId);
    if (!vpc) throw new Error(`no VPC ${vpcId} in the snapshot`);
    return vpc;
  }

  routes(routeTableId: string, snapshot = this.snapshot()): SnapshotRoute[] {
    for (const vpc of snapshot.ec2.vpcs) {
      const table = vpc.routeTables.find((t) => t.id === routeTableId);
      if (table) return table.routes;
    }
    throw new Error(`no route table ${routeTableId}`);
  }

  ingress(groupId: string, snapshot = this.snapshot()): SnapshotRule[] {
    for (const vpc of snapshot.ec2.vpcs) {
      const group = vpc.securityGroups.find((g) => g.id === groupId);
      if (group) return group.rules.filter((r) => !r.isEgress);
    }
    throw new Error(`no security group ${groupId}`);
  }

  /** VPCs (`region/vpcId`) associated with a zone, and its pending authorizations. */
  zone(zoneId: string, snapshot = this.snapshot()) {
    const zone = snapshot.route53.zones[zoneId];
    if (!zone) throw new Error(`no zone ${zoneId}`);
    return zone;
  }

  allowedPrincipals(serviceId: string, snapshot = this.snapshot()): string[] {
    const service = snapshot.ec2.endpointServices.find((s) => s.id === serviceId);
    if (!service) throw new Error(`no endpoint service ${serviceId}`);
    return [...service.allowedPrincipals].sort();
  }

  /** Position in the twin's call log, for `callsSince`. */
  mark(): number {
    return this.twin.calls.length;
  }

  callsSince(mark: number): CallRecord[] {
    return this.twin.calls.slice(mark);
  }

  /** Lambda invocation errors of a state (retried or caught), in order. */
  invocationErrors(state: string, execution?: ExecutionRecord): string[] {
    return this.hub.lambdas.invocations
      .filter((i) => i.state === state && (!execution || i.execution === execution.executionArn) && i.error)
      .map((i) => i.error!);
  }

  /** Records the twin clock when a matching event is emitted (the tag events of the app team and of spokelink). */
  watchEvents(match: (event: TwinEvent) => boolean): { at: number; event: TwinEvent }[] {
    const seen: { at: number; event: TwinEvent }[] = [];
    this.twin.onEvent((event) => {
      if (match(event)) seen.push({ at: this.twin.now(), event });
    });
    return seen;
  }

  /** SDK clients of the `app-team` role of an account (through the twin). */
  appTeam(accountId: string, region = 'us-east-1'): { ec2: EC2Client; route53: Route53Client } {
    const { accessKeyId, secretAccessKey } = this.twin.credentialsFor(`arn:aws:iam::${accountId}:role/app-team`);
    const config = { region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 };
    const clients = { ec2: new EC2Client(config), route53: new Route53Client({ ...config, region: 'us-east-1' }) };
    for (const client of Object.values(clients)) client.middlewareStack.use(localPlugin(this.twin, this.hub.clock));
    return clients;
  }

  /**
   * The app team of `accountId` creates its own private hosted zone `name` with its VPC (Route 53 CreateHostedZone,
   * through the SDK and the twin). Returns the new zone's id.
   */
  async appTeamCreatesZone(accountId: string, name: string, vpcId: string): Promise<string> {
    const { HostedZone } = await this.appTeam(accountId).route53.send(
      new CreateHostedZoneCommand({
        Name: name,
        CallerReference: `app-team-${vpcId}-${name}`,
        VPC: { VPCId: vpcId, VPCRegion: 'us-east-1' },
        HostedZoneConfig: { PrivateZone: true, Comment: 'the app team zone' },
      }),
    );
    return (HostedZone?.Id ?? '').replace('/hostedzone/', '');
  }
}

/**
 * Adds a spoke account to a raw world as the spoke StackSet would leave it: a member of `parentId` (the workloads OU
 * by default; `null` for an account outside the organization), the spoke role trusting the hub's functions with the
 * example external id, and an `app-team` principal that tags its VPCs.
 */
export function withAccount(
  world: RawWorld,
  accountId: string,
  parentId: string | null = 'ou-ab12-wkld0001',
): RawWorld {
  if (parentId !== null) {
    world.organization!.accounts = [
      ...(world.organization!.accounts ?? []),
      { id: accountId, name: `account-${accountId}`, parentId },
    ];
  }
  world.iam!.principals = [...(world.iam!.principals ?? []), `arn:aws:iam::${accountId}:role/app-team`];
  world.iam!.roles = [
    ...(world.iam!.roles ?? []),
    {
      arn: `arn:aws:iam::${accountId}:role/spokelink-spoke`,
      trust: {
        principalArnPatterns: [`arn:aws:iam::${HUB_ACCOUNT}:role/spokelink-*`],
        externalId: 'spokelink-example-external-id',
      },
    },
  ];
  return world;
}

/** What a connected VPC should have exactly once, however many executions or retries touched it. */
export interface ConnectedOnce {
  vpcId: string;
  accountId: string;
  services: EndpointName[];
  cidrs: string[];
  /** Route tables of the VPC's subnets. */
  routeTableIds: string[];
  /** The endpoint services (catalog names) the VPC asked for and may use; none by default. */
  endpointServices?: string[];
}

/**
 * Asserts the VPC is connected with one of everything: one attachment (available), one route to the hub per route
 * table, one association per selected zone, one rule per CIDR on each selected endpoint's security group, its account
 * once on the endpoint service when the VPC asked for it (and no principal recorded for the VPC otherwise), one
 * registry record saying so.
 */
export async function expectConnectedOnce(w: WorkflowHub, expected: ConnectedOnce): Promise<void> {
  const { vpcId, accountId, services, cidrs, routeTableIds } = expected;
  const snapshot = w.snapshot();
  expect(w.status(vpcId).status).toBe('connected');
  const attachments = w.attachmentsOf(vpcId, snapshot);
  expect(attachments.map((a) => a.state)).toEqual(['available']);
  for (const table of routeTableIds) {
    const toHub = w.routes(table, snapshot).filter((r) => r.destinationCidrBlock === HUB_DESTINATION);
    expect({ table, toHub }).toEqual({ table, toHub: [expect.objectContaining({ transitGatewayId: TGW })] });
  }
  const description = `spokelink ${vpcId} ${accountId}`;
  for (const [endpoint, zone] of Object.entries(ZONES)) {
    const selected = services.includes(endpoint as EndpointName);
    const associations = w.zone(zone.id, snapshot).vpcs.filter((v) => v === `us-east-1/${vpcId}`);
    expect({ endpoint, associations: associations.length }).toEqual({ endpoint, associations: selected ? 1 : 0 });
    const rules = w.ingress(zone.sg, snapshot).filter((r) => r.description === description);
    expect({ endpoint, rules: rules.map((r) => r.cidr).sort() }).toEqual({ endpoint, rules: selected ? cidrs : [] });
  }
  const principal = `arn:aws:iam::${accountId}:root`;
  const asked = (expected.endpointServices ?? []).length > 0;
  if (asked) {
    expect(w.allowedPrincipals(ENDPOINT_SERVICE, snapshot).filter((p) => p === principal)).toEqual([principal]);
  }
  const records = (await w.registryItemsAbout(vpcId)).filter((i) => i.pk === `VPC#${vpcId}`);
  expect(records.map((r) => [r.sk, r.status])).toEqual([['CURRENT', 'connected']]);
  const record = records[0] as unknown as ConsumerRecord;
  expect(record.attachmentId).toBe(attachments[0]!.id);
  expect(record.routes).toHaveLength(routeTableIds.length);
  expect(record.zones).toHaveLength(services.length);
  expect(record.securityGroupRules).toHaveLength(services.length * cidrs.length);
  expect(record.securityGroupRules.every((r) => typeof r.ruleId === 'string')).toBe(true);
  expect(record.endpointServicePrincipals).toEqual(asked ? [{ serviceId: ENDPOINT_SERVICE, principal }] : []);
}

/**
 * `spokelink simulate --scenario` on committed example files (paths relative to the repository), saving nothing,
 * with `--json`: the exit code and both streams. The CLI is loaded on first use.
 */
export async function simulateScenario(files: {
  config: string;
  world: string;
  scenario: string;
}): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = require('../../cli/main') as typeof import('../../cli/main');
  const { capture } = require('../cost/capture') as typeof import('../cost/capture');
  const root = join(__dirname, '..', '..');
  const c = capture();
  const code = await main(
    [
      'simulate',
      ...['--config', join(root, files.config)],
      ...['--world', join(root, files.world)],
      ...['--scenario', join(root, files.scenario)],
      ...['--save', 'none', '--json'],
    ],
    c.io,
  );
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}
