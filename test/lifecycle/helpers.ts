import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateVpcEndpointCommand, EC2Client } from '@aws-sdk/client-ec2';
import { deployConfig } from '#local/config-file';
import { createLocalHub, type LocalHub, type LocalHubOptions, localPlugin } from '#local/hub';
import { type HubConfig, parseConfig, resetConfigCache } from '#shared/config';
import { ec2State } from '#twin/services/ec2/model';
import { tableRoutes } from '#twin/services/ec2/transit-gateways';
import { diffSnapshots } from '#twin/twin';
import { parseWorld, type World } from '#twin/world';
import { deleteVpcAsAppTeam as deleteVpc } from '../../cli/commands/scenario';
import { main } from '../../cli/main';
import { AssociateProfileCommand, Route53ProfilesClient } from '../../sdk/client-route53profiles';
import { SIMULATION_TRANSPORT } from '../sdk-path';

/** The lifecycle tests' organization: the example world with no VPC tagged yet, on the example hub configuration. */

const ROOT = join(__dirname, '..', '..');
export const HUB = '111111111111';
export const TGW = 'tgw-0a1b2c3d4e5f60718';
export const HUB_VPC = 'vpc-0f000000000000001';
/** Payments (222222222222), prod OU: two subnets tagged for the attachment, an explicit route table. */
export const PAYMENTS = 'vpc-0a200000000000001';
/** PAYMENTS' CIDR in the lifecycle world. */
export const PAYMENTS_CIDR = '10.1.0.0/16';
/** The world's region, and the name of its sts endpoint. */
export const REGION = 'us-east-1';
export const STS_NAME = 'sts.us-east-1.amazonaws.com';
/** The tags that ask to connect a VPC to segment prod. */
export const CONNECT_PROD = { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' };
/** Ledger (222222222222), prod OU, same account as PAYMENTS. */
export const LEDGER = 'vpc-0a200000000000002';
/** Analytics (333333333333), workloads OU. */
export const ANALYTICS = 'vpc-0b300000000000001';
/** A VPC of 333333333333 whose subnets use the main route table only (its app team can delete it). */
export const SCRATCH = 'vpc-0e3000000000000a1';
export const SHARE_ARN = `arn:aws:ram:us-east-1:${HUB}:resource-share/0f5e7a11-0000-4000-8000-00000000a001`;
export const SERVICE = 'vpce-svc-0d000000000000001';
export const ZONES = { ssm: 'Z0SSM00000000000000001', sts: 'Z0STS00000000000000001', secrets: 'Z0SECRETS000000000001' };
export const START = Date.UTC(2026, 5, 1, 9, 0, 0);
/** The logs endpoint: deployed in the hub (zone, security group), not in the catalog until a test adds it. */
export const LOGS = { zone: 'Z0LOGS000000000000001', group: 'sg-0e55e0000000000a4' };

/** The example configuration plus a `restricted` segment that requires approval (10 minutes to decide). */
export function lifecycleConfig(change: (raw: Record<string, unknown>) => void = () => {}): HubConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'example.hub.json'), 'utf8')) as Record<string, unknown>;
  const segments = raw.segments as Record<string, unknown>;
  segments.restricted = {
    associationRouteTableId: 'tgw-rtb-0b000000000000002',
    propagationRouteTableIds: ['tgw-rtb-0c000000000000003'],
    allowedAccounts: '*',
    requiresApproval: true,
    description: 'needs a person to say yes',
  };
  raw.approvals = { timeoutSeconds: 600 };
  change(raw);
  return parseConfig(raw, 'lifecycle test configuration');
}

/** The example world, untagged, with the hub's TGW share deployed (no principal yet) and one deletable VPC. */
export function lifecycleWorld(): World {
  const raw = JSON.parse(readFileSync(join(ROOT, 'worlds', 'example.world.json'), 'utf8')) as {
    ec2: { vpcs: { id: string; tags: Record<string, string> }[] };
    ram: Record<string, unknown>;
    route53: { zones: unknown[] };
  };
  for (const vpc of raw.ec2.vpcs) {
    vpc.tags = Object.fromEntries(Object.entries(vpc.tags).filter(([key]) => !key.startsWith('spokelink:')));
  }
  raw.ec2.vpcs.push({
    id: SCRATCH,
    ownerId: '333333333333',
    region: 'us-east-1',
    cidrBlocks: ['10.31.0.0/16'],
    tags: { Name: 'scratch' },
    subnets: [
      { id: 'subnet-0e3000000000000a1', availabilityZone: 'us-east-1a', cidrBlock: '10.31.0.0/24', tags: {} },
      { id: 'subnet-0e3000000000000a2', availabilityZone: 'us-east-1b', cidrBlock: '10.31.1.0/24', tags: {} },
    ],
    routeTables: [{ id: 'rtb-0e3000000000000a0', main: true, tags: {} }],
  } as never);
  // A logs endpoint deployed in the hub but not yet in the catalog (a configuration change adds it).
  const hubVpc = raw.ec2.vpcs.find((v) => v.id === HUB_VPC) as unknown as { securityGroups: unknown[] };
  hubVpc.securityGroups.push({
    id: LOGS.group,
    name: 'endpoint-logs',
    description: 'interface endpoint logs',
    tags: {},
  });
  raw.route53.zones.push({
    id: LOGS.zone,
    name: 'logs.us-east-1.amazonaws.com',
    ownerId: HUB,
    vpcs: [{ vpcId: HUB_VPC, region: 'us-east-1' }],
    comment: 'centralized endpoint logs',
  });
  raw.ram = {
    sharingWithOrganizationEnabled: true,
    shares: [
      {
        name: 'spokelink-tgw',
        ownerId: HUB,
        region: 'us-east-1',
        arn: SHARE_ARN,
        allowExternalPrincipals: true,
        resourceArns: [`arn:aws:ec2:us-east-1:${HUB}:transit-gateway/${TGW}`],
        tags: [{ key: 'spokelink:managed', value: 'true' }],
      },
    ],
  };
  return parseWorld(raw);
}

/** A local hub on the lifecycle world (virtual clock, fixed start). */
export function lifecycleHub(options: Partial<LocalHubOptions> = {}): Promise<LocalHub> {
  return createLocalHub({
    config: options.config ?? lifecycleConfig(),
    world: options.world ?? lifecycleWorld(),
    startTime: START,
    sdkTransport: SIMULATION_TRANSPORT,
    ...options,
  });
}

/** Runs until nothing can progress, and fails the test if that does not happen within a simulated day. */
export async function settle(hub: LocalHub): Promise<void> {
  const run = await hub.runUntilIdle({ maxVirtualMs: 24 * 3_600_000 });
  if (run.reason !== 'predicate') throw new Error(`the hub did not settle: ${run.reason}`);
}

/** Lets simulated time pass (AWS finishing deletions: attachments are `deleting` for a minute). */
export async function advance(hub: LocalHub, ms: number): Promise<void> {
  const until = hub.clock.now() + ms;
  let reached = false;
  // The virtual clock jumps from timer to timer: this one is where time has passed.
  setTimeout(() => {
    reached = true;
  }, ms);
  await hub.runUntil(() => reached && hub.clock.now() >= until && hub.idle(), { maxVirtualMs: ms + 24 * 3_600_000 });
}

/** The VPC's spokelink status tags as the twin holds them. */
export function statusOf(hub: LocalHub, vpcId: string): { status?: string; detail?: string; execution?: string } {
  const tags = ec2State(hub.twin).vpcs[vpcId]?.tags ?? {};
  return { status: tags['spokelink:status'], detail: tags['spokelink:detail'], execution: tags['spokelink:execution'] };
}

/**
 * The registry items of a VPC, by sort key (`CURRENT`, `HISTORY#...`, a held `LEASE`), and its pending `APPROVAL`.
 * Bookkeeping is left out: a released lease (no owner; it keeps the lease token counting) and `STATUS` (who wrote the
 * status tags last).
 */
export async function registryOf(hub: LocalHub, vpcId: string): Promise<Record<string, Record<string, unknown>>> {
  const items = (await hub.registry()).filter(
    (i) => i.kind !== 'status' && !(i.kind === 'lease' && i.owner === undefined),
  );
  return Object.fromEntries([
    ...items.filter((i) => i.pk === `VPC#${vpcId}`).map((i) => [String(i.sk), i] as const),
    ...items.filter((i) => i.pk === `APPROVAL#${vpcId}`).map((i) => ['APPROVAL', i] as const),
  ]);
}

/** Every CIDR claim of the registry: vpcId -> CIDRs. */
export async function claims(hub: LocalHub): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const item of await hub.registry()) {
    if (!String(item.pk).startsWith('CIDR#')) continue;
    for (const [vpcId, entry] of Object.entries((item.claims ?? {}) as Record<string, { cidrs: string[] }>)) {
      out[vpcId] = [...(out[vpcId] ?? []), ...entry.cidrs];
    }
  }
  return out;
}

const STATUS_KEYS = /\.tags\.spokelink:(status|detail|execution)$/;

/**
 * Paths where the twin differs from `before`, without the VPCs' status tags (what offboarding leaves on purpose:
 * status `disconnected`) and without the local Step Functions/SNS records (history, not AWS resources).
 */
export function networkDiff(hub: LocalHub, before: Record<string, unknown>): string[] {
  const strip = (snapshot: Record<string, unknown>) => {
    const { sfn: _sfn, sns: _sns, ...rest } = snapshot;
    return rest;
  };
  return diffSnapshots(strip(before), strip(hub.twin.snapshot()))
    .map((line) => line.split(': ')[0]!)
    .filter((path) => !STATUS_KEYS.test(path.replace(/\.\d+$/, '')));
}

/** A client of `Client` acting as the app team of the VPC's account. */
function appTeamClient<C extends EC2Client | Route53ProfilesClient>(
  hub: LocalHub,
  vpcId: string,
  Client: new (config: {
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    maxAttempts: number;
  }) => C,
): C {
  const vpc = ec2State(hub.twin).vpcs[vpcId];
  if (!vpc) throw new Error(`no VPC ${vpcId}`);
  const team = hub.twin.credentialsFor(`arn:aws:iam::${vpc.ownerId}:role/app-team`);
  const client = new Client({
    region: vpc.region,
    credentials: { accessKeyId: team.accessKeyId, secretAccessKey: team.secretAccessKey },
    maxAttempts: 1,
  });
  client.middlewareStack.use(localPlugin(hub.twin, hub.clock));
  return client;
}

/** An EC2 client acting as the app team of the VPC's account. */
export const appTeamEc2 = (hub: LocalHub, vpcId: string): EC2Client => appTeamClient(hub, vpcId, EC2Client);

/**
 * The app team's own interface endpoint in its VPC to an AWS service (`com.amazonaws.us-east-1.sts`), in one subnet,
 * with private DNS as given and the tags it likes (forged ones included); waits until it is available. Its id.
 */
export async function appTeamEndpoint(
  hub: LocalHub,
  vpcId: string,
  options: { serviceName: string; subnetId: string; privateDns: boolean; tags?: Record<string, string> },
): Promise<string> {
  const { VpcEndpoint } = await appTeamEc2(hub, vpcId).send(
    new CreateVpcEndpointCommand({
      VpcEndpointType: 'Interface',
      VpcId: vpcId,
      ServiceName: options.serviceName,
      SubnetIds: [options.subnetId],
      PrivateDnsEnabled: options.privateDns,
      TagSpecifications: [
        {
          ResourceType: 'vpc-endpoint',
          Tags: Object.entries(options.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        },
      ],
    }),
  );
  await advance(hub, 5 * 60_000);
  return VpcEndpoint!.VpcEndpointId!;
}

/** The private hosted zones associated with the VPC directly (Route 53 state), by id, sorted. */
export function zonesAssociatedWith(hub: LocalHub, vpcId: string): string[] {
  return Object.entries(hub.twin.stateOf<{ zones: Record<string, { vpcs: { vpcId: string }[] }> }>('route53').zones)
    .filter(([, z]) => z.vpcs.some((v) => v.vpcId === vpcId))
    .map(([id]) => id)
    .sort();
}

/** A Route 53 Profiles client acting as the app team of the VPC's account. */
export const tenantProfiles = (hub: LocalHub, vpcId: string): Route53ProfilesClient =>
  appTeamClient(hub, vpcId, Route53ProfilesClient);

/** The payments team's own Route 53 Profile (tenantProfileWorld). */
export const TEAM_PROFILE = 'rp-0aaaaaaaaaaaaaaaa';
/** The payments team's own private hosted zone named like the catalog's ssm zone, held by its Profile. */
export const TEAM_SSM_ZONE = 'Z0TEAMSSM00000000001';

/**
 * `world` plus the payments team's own Route 53 Profile `team-dns` (account 222222222222), holding the team's own
 * private hosted zone named `ssm.us-east-1.amazonaws.com` (associated with LEDGER, as a private zone must be with one
 * VPC): the team associates it with its VPCs itself (tenantProfiles).
 */
export function tenantProfileWorld(world: World): World {
  return parseWorld({
    ...world,
    route53: {
      zones: [
        ...world.route53.zones,
        {
          id: TEAM_SSM_ZONE,
          name: 'ssm.us-east-1.amazonaws.com',
          ownerId: '222222222222',
          vpcs: [{ vpcId: LEDGER, region: 'us-east-1' }],
        },
      ],
    },
    route53profiles: {
      profiles: [
        ...world.route53profiles.profiles,
        { id: TEAM_PROFILE, name: 'team-dns', ownerId: '222222222222', region: 'us-east-1', zoneIds: [TEAM_SSM_ZONE] },
      ],
    },
  });
}

/**
 * A profile-mode hub with `dns.existingProfile: "associate-zones"` on tenantProfileWorld, the payments team's own
 * Profile associated (COMPLETE) with PAYMENTS by the team; `team` is the team's Route 53 Profiles client.
 */
export async function hubWithTeamProfile(): Promise<{ hub: LocalHub; config: HubConfig; team: Route53ProfilesClient }> {
  const config = lifecycleConfig((raw) => {
    raw.dns = { mode: 'profile', existingProfile: 'associate-zones' };
  });
  const hub = await lifecycleHub({ config, world: tenantProfileWorld(lifecycleWorld()) });
  const team = tenantProfiles(hub, PAYMENTS);
  await team.send(new AssociateProfileCommand({ Name: 'team', ProfileId: TEAM_PROFILE, ResourceId: PAYMENTS }));
  await advance(hub, 60_000); // COMPLETE
  return { hub, config, team };
}

/** The app team tears the VPC down: its attachment (waiting until AWS deleted it), its subnets, then the VPC. */
export function deleteVpcAsAppTeam(hub: LocalHub, vpcId: string): Promise<void> {
  return deleteVpc(hub, vpcId, appTeamEc2(hub, vpcId));
}

/** Changes the hub configuration the handlers read (their configuration file), as a redeploy of the hub stack would. */
export function changeConfig(hub: LocalHub, change: (raw: Record<string, unknown>) => void): HubConfig {
  const file = process.env.SPOKELINK_CONFIG_FILE;
  const raw = JSON.parse(file ? readFileSync(file, 'utf8') : JSON.stringify(hub.config)) as Record<string, unknown>;
  change(raw);
  const config = parseConfig(raw, 'changed configuration');
  deployConfig(config);
  resetConfigCache();
  return config;
}

export interface ReconcileOutput {
  summary: Record<string, number> & { rollout?: { stage: string; canary: string[]; failed: string[] } };
  drift: { vpcId: string; kind: string; detail: string }[];
  deferred: number;
  results: Record<string, unknown>[];
}

let reconcileRuns = 0;

/** Starts the reconcile workflow as the schedule does and runs until everything it started has ended. */
export async function runReconcile(hub: LocalHub, maxConcurrency = 5): Promise<ReconcileOutput> {
  reconcileRuns += 1;
  const execution = hub.sfn.start(
    hub.sfn.arnOf(`${hub.config.prefix}-reconcile`),
    `scheduled-${reconcileRuns}-${hub.clock.now()}`,
    JSON.stringify({ source: 'schedule', maxConcurrency }),
  );
  await settle(hub);
  if (execution.status !== 'SUCCEEDED')
    throw new Error(`reconcile ${execution.status}: ${execution.error} ${execution.cause}`);
  return JSON.parse(execution.output ?? '{}') as ReconcileOutput;
}

/** Who the hub's TGW route tables send `cidr` to: `<table> -> <vpc>` for each active route to exactly it. */
export function hubRoutesFor(hub: LocalHub, cidr: string): string[] {
  const s = ec2State(hub.twin);
  return Object.values(s.tgwRouteTables)
    .flatMap((t) => tableRoutes(s, t, hub.clock.now()).map((r) => ({ table: t.id, ...r })))
    .filter((r) => r.cidr === cidr && r.state === 'active')
    .map((r) => `${r.table} -> ${r.attachment?.vpcId}`)
    .sort();
}

/** The hub endpoint security group rules that admit `cidr`, by the VPC named in their description. */
export function rulesAdmitting(hub: LocalHub, cidr: string): string[] {
  const s = ec2State(hub.twin);
  return Object.values(s.securityGroups)
    .filter((g) => g.vpcId === HUB_VPC)
    .flatMap((g) => g.rules.filter((r) => !r.isEgress && r.cidr === cidr).map((r) => r.description ?? '(none)'))
    .map((d) => d.split(' ')[1] ?? d);
}

/** Tags the VPC to connect, settles, and fails the test unless it ends `connected` (naming the detail otherwise). */
export async function connectVpc(hub: LocalHub, vpcId: string): Promise<void> {
  await hub.tagVpc(vpcId, { 'spokelink:connect': 'true' });
  await settle(hub);
  const { status, detail } = statusOf(hub, vpcId);
  expect({ status, detail: status === 'connected' ? 'ok' : detail }).toEqual({ status: 'connected', detail: 'ok' });
}

/** Runs the `spokelink` CLI in process: its exit code and what it wrote to stdout and stderr. */
export async function runCli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}
