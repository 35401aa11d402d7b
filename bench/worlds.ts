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
    quotas?: { rulesPerSecurityGroup?: number };
    vpcs: { id: string; ownerId: string }[];
    transitGateways: unknown[];
    transitGatewayAttachments: { vpcId: string }[];
    endpointServices: unknown[];
  };
  route53: { zones: { maxVpcs?: number }[] };
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
  const externalId = config.spokeRole.externalId;

  for (let k = 0; k < accounts; k += 1) {
    const accountId = spokeAccountId(k);
    const prod = (k + 1) % prodEvery === 0;
    raw.organization.accounts.push({ id: accountId, name: `spoke-${k}`, parentId: prod ? PROD_OU : WORKLOADS_OU });
    raw.iam.principals.push(`arn:aws:iam::${accountId}:role/app-team`);
    raw.iam.roles.push({
      arn: `arn:aws:iam::${accountId}:role/${config.spokeRole.name}`,
      trust: { principalArnPatterns: [`arn:aws:iam::${HUB_ACCOUNT}:role/${config.prefix}-*`], externalId },
    } as { arn: string });
    for (let v = 0; v < vpcsPerAccount; v += 1) {
      const octet2 = k + 1;
      const octet3 = v * 16;
      const id = `${hex(k + 1, 4)}${hex(v, 4)}`;
      const vpcId = `vpc-0a${id}0000000`;
      const segment = prod ? 'prod' : 'nonprod';
      const tags: Record<string, string> = prod
        ? { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' }
        : { 'spokelink:connect': 'true' };
      const cidr = `10.${octet2}.${octet3}.0/20`;
      raw.ec2.vpcs.push({
        id: vpcId,
        ownerId: accountId,
        region: 'us-east-1',
        cidrBlocks: [cidr],
        tags: { Name: `spoke-${k}-${v}` },
        subnets: [
          { id: `subnet-0a${id}00000a1`, availabilityZone: 'us-east-1a', cidrBlock: `10.${octet2}.${octet3}.0/24` },
          { id: `subnet-0a${id}00000b1`, availabilityZone: 'us-east-1b', cidrBlock: `10.${octet2}.${octet3 + 1}.0/24` },
        ],
      } as { id: string; ownerId: string });
      spokes.push({ vpcId, accountId, segment, cidr, tags });
    }
  }

  addAttachedVpcs(raw, options.attachedVpcs ?? 0, config.hub.transitGatewayId);
  const zoneMaxVpcs = options.zoneMaxVpcs ?? Math.max(300, spokes.length + (options.attachedVpcs ?? 0) + 10);
  for (const zone of raw.route53.zones) zone.maxVpcs = zoneMaxVpcs;
  const rulesPerSecurityGroup = options.securityGroupRuleQuota ?? Math.min(1_000, Math.max(60, spokes.length + 10));
  raw.ec2.quotas = { ...raw.ec2.quotas, rulesPerSecurityGroup };

  return { config, world: parseWorld(raw, 'bulk world'), spokes };
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
    raw.ec2.vpcs.push({
      id: vpcId,
      ownerId: accountId,
      region: 'us-east-1',
      cidrBlocks: [cidr],
      subnets: [{ id: subnetId, availabilityZone: 'us-east-1a', cidrBlock: cidr }],
    } as { id: string; ownerId: string });
    raw.ec2.transitGatewayAttachments.push({
      id: `tgw-attach-0e${id}0000000`,
      transitGatewayId,
      vpcId,
      subnetIds: [subnetId],
      state: 'available',
    } as { vpcId: string });
  }
}
