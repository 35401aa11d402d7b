import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HubConfig, parseConfig } from '#shared/config';
import { parseWorld, type World } from '#twin/world';

/**
 * Generated worlds for the scale simulations (test/scale, `npm run bench`): the example hub of
 * `config/example.hub.json` / `worlds/example.world.json` (its TGW, route tables, endpoint zones, security groups
 * and endpoint service) with many spoke accounts and VPCs around it. Deterministic: the same options give the same
 * world.
 *
 * Layout of a generated spoke:
 * - account `2xxxxxxxxxxx` (index k), in the prod OU when `(k + 1) % prodEvery === 0` (its VPCs ask for segment `prod`),
 *   otherwise in the workloads OU (default segment `nonprod`); services `*` (prod: ssm, sts, secretsmanager;
 *   nonprod: ssm, sts);
 * - the account owns one /16 (`10.<k+1>.0.0/16`, so the VPCs of one account share one CIDR claim bucket, as a real
 *   address plan does) and its VPCs are /20s inside it, each with two subnets in two AZs (the main route table);
 * - the spoke role (trusting the hub's functions with the external id) and an `app-team` principal.
 */

const ROOT = join(__dirname, '..');
const HUB_ACCOUNT = '111111111111';
const PROD_OU = 'ou-ab12-prod0001';
const WORKLOADS_OU = 'ou-ab12-wkld0001';
/** Accounts holding VPCs attached to the TGW before the run (for the 5,000-attachment limit). */
const LEGACY_ACCOUNT_BASE = 300_000_000_000;

export interface BulkWorldOptions {
  /** Spoke accounts. */
  accounts: number;
  /** VPCs asking to connect in each account. */
  vpcsPerAccount: number;
  /** Every n-th account is a prod account (default 5; `Infinity`: none). */
  prodEvery?: number;
  /**
   * MAX_VPCS_ASSOCIATED_BY_ZONE of the endpoint zones. Default: raised to fit every VPC of the world (AWS's default
   * 300 is an adjustable quota that an operator of 1,000 spokes has raised); pass 300 to meet the default.
   */
  zoneMaxVpcs?: number;
  /** VPCs (in other accounts) already attached to the TGW, `available`, before the run (default 0). */
  attachedVpcs?: number;
  /**
   * The hub account's "inbound rules per security group" quota. spokelink adds one rule per spoke CIDR to each
   * endpoint's security group, so the default raises it to fit every spoke, within AWS's maximum of 1,000
   * (docs/twin-ec2.md, world `ec2.quotas`); pass 60 to meet AWS's default.
   */
  securityGroupRuleQuota?: number;
}

export interface SpokeVpc {
  vpcId: string;
  accountId: string;
  segment: 'prod' | 'nonprod';
  cidr: string;
  /** The request tags the app team sets. */
  tags: Record<string, string>;
}

export interface BulkWorld {
  config: HubConfig;
  world: World;
  /** The VPCs that ask to connect, in world order. */
  spokes: SpokeVpc[];
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

/** Account id of spoke account `k` (0-based). */
export function spokeAccountId(k: number): string {
  return `2${String(k + 1).padStart(11, '0')}`;
}

/** The example hub configuration (config/example.hub.json), validated. */
export function exampleConfig(): HubConfig {
  return parseConfig(JSON.parse(readFileSync(join(ROOT, 'config/example.hub.json'), 'utf8')));
}

interface RawWorld {
  organization: {
    organizationalUnits: unknown[];
    accounts: { id: string; name?: string; parentId?: string }[];
    [key: string]: unknown;
  };
  iam: { roles: { arn: string }[]; principals: string[] };
  ec2: {
    quotas?: { rulesPerSecurityGroup?: number; routesPerTransitGateway?: number };
    vpcs: { id: string; ownerId: string; [key: string]: unknown }[];
    transitGateways: unknown[];
    transitGatewayAttachments: { vpcId: string }[];
    endpointServices: unknown[];
  };
  route53: { zones: { maxVpcs?: number }[] };
  route53profiles?: { quotas?: { vpcsPerProfile?: number } };
  [key: string]: unknown;
}

/** The hub half of the example world: hub account, its VPC, TGW, zones, endpoint service; no spoke. */
function hubOfExampleWorld(): RawWorld {
  const raw = JSON.parse(readFileSync(join(ROOT, 'worlds/example.world.json'), 'utf8')) as RawWorld;
  raw.description = 'generated: the example hub with many spokes (bench/worlds.ts)';
  raw.organization.accounts = raw.organization.accounts.filter((a) => a.id === HUB_ACCOUNT);
  raw.iam.roles = [];
  raw.iam.principals = raw.iam.principals.filter((p) => p.startsWith(`arn:aws:iam::${HUB_ACCOUNT}:`));
  raw.ec2.vpcs = raw.ec2.vpcs.filter((v) => v.ownerId === HUB_ACCOUNT);
  const hubVpcs = new Set(raw.ec2.vpcs.map((v) => v.id));
  raw.ec2.transitGatewayAttachments = raw.ec2.transitGatewayAttachments.filter((a) => hubVpcs.has(a.vpcId));
  return raw;
}

/**
 * A world of `accounts` x `vpcsPerAccount` spoke VPCs (each tagged by its app team in the run, not in the world)
 * around the example hub. See the module comment for the layout.
 */
export function bulkWorld(options: BulkWorldOptions): BulkWorld {
  const { accounts, vpcsPerAccount } = options;
  if (accounts < 1 || accounts > 250) throw new RangeError('accounts must be 1-250 (one /16 each under 10/8)');
  if (vpcsPerAccount < 1 || vpcsPerAccount > 16) throw new RangeError('vpcsPerAccount must be 1-16 (/20s of a /16)');
  const prodEvery = options.prodEvery ?? 5;
  const config = exampleConfig();
  const raw = hubOfExampleWorld();
  const spokes: SpokeVpc[] = [];

  for (let k = 0; k < accounts; k += 1) {
    const prod = (k + 1) % prodEvery === 0;
    const accountId = addSpokeAccount(raw, config, k, prod);
    for (let v = 0; v < vpcsPerAccount; v += 1) {
      const octet2 = k + 1;
      const octet3 = v * 16;
      spokes.push(
        addSpokeVpc(raw, k, v, accountId, prod, `10.${octet2}.${octet3}.0/20`, [
          `10.${octet2}.${octet3}.0/24`,
          `10.${octet2}.${octet3 + 1}.0/24`,
        ]),
      );
    }
  }

  return finishBulkWorld(raw, config, spokes, options);
}

/** Adds account `k` (organization, app-team principal, spoke role) to a raw world. */
function addSpokeAccount(raw: RawWorld, config: HubConfig, k: number, prod: boolean): string {
  const accountId = spokeAccountId(k);
  raw.organization.accounts.push({ id: accountId, name: `spoke-${k}`, parentId: prod ? PROD_OU : WORKLOADS_OU });
  raw.iam.principals.push(`arn:aws:iam::${accountId}:role/app-team`);
  raw.iam.roles.push({
    arn: `arn:aws:iam::${accountId}:role/${config.spokeRole.name}`,
    trust: {
      principalArnPatterns: [`arn:aws:iam::${HUB_ACCOUNT}:role/${config.prefix}-*`],
      externalId: config.spokeRole.externalId,
    },
  } as { arn: string });
  return accountId;
}

interface GeneratedVpc {
  id: string;
  ownerId: string;
  cidr: string;
  tags?: Record<string, string>;
  subnets: { id: string; availabilityZone: string; cidrBlock: string }[];
}

/** Adds a VPC of the bench's region (us-east-1, the example hub's) with one IPv4 CIDR block. */
function addVpc(raw: RawWorld, vpc: GeneratedVpc): void {
  const { id, ownerId, cidr, tags, subnets } = vpc;
  raw.ec2.vpcs.push({ id, ownerId, region: 'us-east-1', cidrBlocks: [cidr], ...(tags ? { tags } : {}), subnets });
}

/** Adds VPC `v` of account `k`: `cidr`, two /24 subnets (`subnetThirdOctets`) in two AZs. */
function addSpokeVpc(
  raw: RawWorld,
  k: number,
  v: number,
  accountId: string,
  prod: boolean,
  cidr: string,
  subnets: [string, string],
): SpokeVpc {
  const id = `${hex(k + 1, 4)}${hex(v, 4)}`;
  const vpcId = `vpc-0a${id}0000000`;
  addVpc(raw, {
    id: vpcId,
    ownerId: accountId,
    cidr,
    tags: { Name: `spoke-${k}-${v}` },
    subnets: [
      { id: `subnet-0a${id}00000a1`, availabilityZone: 'us-east-1a', cidrBlock: subnets[0] },
      { id: `subnet-0a${id}00000b1`, availabilityZone: 'us-east-1b', cidrBlock: subnets[1] },
    ],
  });
  const tags: Record<string, string> = prod
    ? { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' }
    : { 'spokelink:connect': 'true' };
  return { vpcId, accountId, segment: prod ? 'prod' : 'nonprod', cidr, tags };
}

function finishBulkWorld(raw: RawWorld, config: HubConfig, spokes: SpokeVpc[], options: BulkWorldOptions): BulkWorld {
  addAttachedVpcs(raw, options.attachedVpcs ?? 0, config.hub.transitGatewayId);
  const zoneMaxVpcs = options.zoneMaxVpcs ?? Math.max(300, spokes.length + (options.attachedVpcs ?? 0) + 10);
  for (const zone of raw.route53.zones) zone.maxVpcs = zoneMaxVpcs;
  const rulesPerSecurityGroup = options.securityGroupRuleQuota ?? Math.min(1_000, Math.max(60, spokes.length + 10));
  raw.ec2.quotas = { ...raw.ec2.quotas, rulesPerSecurityGroup };

  return { config, world: parseWorld(raw, 'bulk world'), spokes };
}

export interface FullTransitGatewayWorldOptions {
  /** Spoke accounts (default 500). */
  accounts?: number;
  /**
   * VPCs in the world, all but the last asking to connect (default: what fills the TGW: AWS's 5,000 attachments
   * minus the hub's own and peering attachments, plus one more VPC that stays untagged until the TGW is full).
   */
  vpcs?: number;
  /** Every n-th account is a prod account (default 5). */
  prodEvery?: number;
  /**
   * Fill the rest of the TGW with VPCs of other accounts attached before the run (a reduced run: a few spokes, yet the
   * next VPC meets the attachment quota), stated in `capacity.otherAttachments` as an operator would. Default false.
   */
  fillWithAttached?: boolean;
}

/** A BulkWorld whose TGW is filled by its spokes, and one more VPC to ask once it is full. */
export interface FullTransitGatewayWorld extends BulkWorld {
  /** The VPC that asks after the run (untagged in the world). */
  next: SpokeVpc;
  /** Attachments on the TGW before the run: the hub's own and peering attachments. */
  hubAttachments: number;
  /** The quotas raised above AWS's defaults, each with the page that says it is adjustable. */
  raisedQuotas: { quota: string; value: number; page: string }[];
}

/** The TGW attachment quota (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html, not adjustable). */
export const ATTACHMENTS_PER_TRANSIT_GATEWAY = 5_000;

/** Supernets of the generated spokes (aggregated ingress): nonprod accounts in 10.16.0.0-10.127.255.255, prod in 10.128/9. */
const NONPROD_SUPERNETS = ['10.16.0.0/12', '10.32.0.0/11', '10.64.0.0/10'];
const PROD_SUPERNETS = ['10.128.0.0/9'];

/**
 * issue 19's `bulk5000`: every spoke VPC that fits one TGW, in `accounts` accounts (about 10 VPCs each), Route 53
 * Profile mode, each segment's VPC blocks inside supernets its endpoint security groups admit once (aggregated
 * ingress), AWS's default quotas except adjustable ones raised to fit (`raisedQuotas`). Each account owns a /18 and its
 * VPCs are /22s in it (10/8 cannot hold 5,000 /20s); nonprod accounts fill 10.16.0.0-10.127.255.255 and prod accounts
 * 10.128.0.0/9 (the hub VPC is 10.0.0.0/16).
 */
/**
 * The zones day's `intake.maxConcurrentExecutions` (`npm run bench -- --zones-hub-executions N`). That day is bound by
 * Route 53 making one VPC association change per zone at a time (0.5 VPCs a second for the catalog's busiest zone):
 * with the default (1,000) every VPC of the day starts at once, and the executions past what the zones serve only
 * retry busy-zone and throttled calls. At 400 (measured, same world and seed) it made 238,766 calls instead of
 * 305,255, 6,600 of them throttled instead of 53,903, in a shorter makespan (2,092.9 s against 2,131.1 s). The
 * profile day keeps the default: it is bound by the hub's EC2 bucket, which 400 or 500 executions at a time leave
 * idle while they wait for their attachments (its makespan was 1.301 and 1.266 times its bound, against 1.172).
 */
export const ZONES_DAY_HUB_EXECUTIONS = 400;

/** The full day's `intake.maxConcurrentExecutions` (see fullTransitGatewayWorld). */
export const FULL_DAY_HUB_EXECUTIONS = 500;

export function fullTransitGatewayWorld(options: FullTransitGatewayWorldOptions = {}): FullTransitGatewayWorld {
  const accounts = options.accounts ?? 500;
  const prodEvery = options.prodEvery ?? 5;
  const raw = hubOfExampleWorld();
  const hubAttachments = raw.ec2.transitGatewayAttachments.length;
  const vpcs = options.vpcs ?? ATTACHMENTS_PER_TRANSIT_GATEWAY - hubAttachments + 1;
  const perAccount = Math.ceil(vpcs / accounts);
  if (perAccount > 16) throw new RangeError('at most 16 VPCs per account (/22s of its /18)');
  const base = exampleConfig();
  const withSupernets = (name: string, supernets: string[]) => ({
    ...base.segments[name]!,
    aggregatedIngress: supernets,
  });
  const config: HubConfig = {
    ...base,
    dns: { ...base.dns, mode: 'profile' },
    segments: {
      ...base.segments,
      prod: withSupernets('prod', PROD_SUPERNETS),
      nonprod: withSupernets('nonprod', NONPROD_SUPERNETS),
    },
    // The hub's EC2 mutating bucket (5 a second) serves 3 calls a VPC: 1.67 VPCs a second, and an onboarding takes
    // about 240 s (the attachment's 60-300 s, then the rest): by Little's law about 400 in flight keep the bucket busy.
    // 500 leave room; the 4,999 executions of the day at once would only retry throttled calls (README, "Capacity
    // planning").
    intake: { ...base.intake, maxConcurrentExecutions: FULL_DAY_HUB_EXECUTIONS },
  };
  const all: SpokeVpc[] = [];
  const index = { prod: 0, nonprod: 0 };
  for (let k = 0; k < accounts && all.length < vpcs; k += 1) {
    const prod = (k + 1) % prodEvery === 0;
    const accountId = addSpokeAccount(raw, config, k, prod);
    // The account's /18: the i-th of its segment's accounts.
    const i = prod ? index.prod++ : index.nonprod++;
    const octet2 = (prod ? 128 : 16) + (i >> 2);
    const octet3 = (i & 3) * 64;
    for (let v = 0; v < perAccount && all.length < vpcs; v += 1) {
      const third = octet3 + v * 4;
      all.push(
        addSpokeVpc(raw, k, v, accountId, prod, `10.${octet2}.${third}.0/22`, [
          `10.${octet2}.${third}.0/24`,
          `10.${octet2}.${third + 1}.0/24`,
        ]),
      );
    }
  }
  if (index.nonprod > 448 || index.prod > 512) throw new RangeError('too many accounts for the supernets');
  const next = all.at(-1)!;
  const spokes = all.slice(0, -1);
  if (options.fillWithAttached) {
    const attached = ATTACHMENTS_PER_TRANSIT_GATEWAY - hubAttachments - spokes.length;
    addAttachedVpcs(raw, attached, config.hub.transitGatewayId);
    // The operator states the attachments the registry does not hold (the hub's own and the VPCs attached before),
    // so that the next VPC is refused at validation, naming the quota (README, "Capacity planning").
    config.capacity = { ...config.capacity, otherAttachments: hubAttachments + attached };
  }
  // Adjustable quotas raised to fit (Service Quotas), each stated with its page.
  const raisedQuotas = [
    {
      quota: 'route53profiles: VPCs associated with a Profile (default 1,000)',
      value: Math.max(1_000, all.length),
      page: 'https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-profiles',
    },
    {
      quota: 'ec2: routes per transit gateway, all route tables combined (default 10,000)',
      value: Math.max(10_000, 5 * all.length),
      page: 'https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html',
    },
  ];
  raw.route53profiles = { quotas: { vpcsPerProfile: raisedQuotas[0]!.value } };
  raw.ec2.quotas = { ...raw.ec2.quotas, routesPerTransitGateway: raisedQuotas[1]!.value };
  return { config, world: parseWorld(raw, 'full TGW world'), spokes, next, hubAttachments, raisedQuotas };
}

/** `count` VPCs in legacy accounts (1,000 per account), each with an `available` attachment to the TGW. */
function addAttachedVpcs(raw: RawWorld, count: number, transitGatewayId: string): void {
  if (count > 16_384) throw new RangeError('attachedVpcs must be at most 16,384 (/24s of 100.64.0.0/10)');
  for (let i = 0; i < count; i += 1) {
    const accountId = String(LEGACY_ACCOUNT_BASE + Math.floor(i / 1000));
    if (i % 1000 === 0) {
      raw.organization.accounts.push({ id: accountId, name: `legacy-${i / 1000}`, parentId: WORKLOADS_OU });
    }
    const id = hex(i, 8);
    // A /24 per legacy VPC in 100.64.0.0/10, away from the spokes' 10/8.
    const cidr = `100.${64 + Math.floor(i / 256)}.${i % 256}.0/24`;
    const vpcId = `vpc-0e${id}0000000`;
    const subnetId = `subnet-0e${id}0000000`;
    addVpc(raw, {
      id: vpcId,
      ownerId: accountId,
      cidr,
      subnets: [{ id: subnetId, availabilityZone: 'us-east-1a', cidrBlock: cidr }],
    });
    raw.ec2.transitGatewayAttachments.push({
      id: `tgw-attach-0e${id}0000000`,
      transitGatewayId,
      vpcId,
      subnetIds: [subnetId],
      state: 'available',
    } as { vpcId: string });
  }
}
