import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HubConfig, parseConfig } from '#shared/config';
import { ACCOUNTS, exampleWorld, type RawWorld, scenarioVpc, withVpcs } from './helpers';

/**
 * Endpoint shard scenarios (functions/shared/shards.ts): segment nonprod in two shards, a and b, each with its own ssm
 * endpoint (security group in its own endpoint VPC, zone). The ssm endpoint admits 31 ports, so one VPC (one /16)
 * takes 31 of a security group's 60 inbound rules (AWS's default quota): each shard has room for one VPC.
 */

const ROOT = join(__dirname, '..', '..');
export const SHARD_A = { group: 'sg-0e55e00000000a0a1', zone: 'Z0SSMSHARDA0000000001', vpc: 'vpc-0f0000000000000a1' };
export const SHARD_B = { group: 'sg-0e55e00000000a0b1', zone: 'Z0SSMSHARDB0000000001', vpc: 'vpc-0f0000000000000b1' };
export const PORTS = [443, ...Array.from({ length: 30 }, (_, i) => 8000 + i)];
export const REQUEST = { 'spokelink:connect': 'true', 'spokelink:segment': 'nonprod', 'spokelink:services': 'ssm' };

/** The example configuration with segment nonprod in two shards of room for one VPC each. */
export interface RawConfig {
  endpoints: Record<string, Record<string, unknown>>;
  segments: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}

export function shardedConfig(change: (raw: RawConfig) => void = () => {}): HubConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config/example.hub.json'), 'utf8')) as RawConfig;
  raw.endpoints.ssm!.ports = PORTS;
  raw.endpoints.sts!.segments = ['prod'];
  raw.budgets = { securityGroupRulesPerAccount: 1_000 };
  raw.segments.nonprod!.shards = [SHARD_A, SHARD_B].map((s, i) => ({
    name: 'ab'[i],
    endpoints: { ssm: { securityGroupId: s.group, privateHostedZoneIds: [s.zone] } },
  }));
  change(raw);
  return parseConfig(raw, 'sharded example configuration');
}

/** The example world with each shard's endpoint VPC (its security group, its ssm zone) and `n` spoke VPCs. */
export function shardedWorld(n: number): RawWorld {
  const world = exampleWorld();
  const shardVpc = (s: typeof SHARD_A, i: number) => ({
    id: s.vpc,
    ownerId: '111111111111',
    region: 'us-east-1',
    cidrBlocks: [`10.25${i}.0.0/16`],
    tags: { Name: `endpoints-shard-${'ab'[i]}` },
    securityGroups: [{ id: s.group, name: `endpoint-ssm-${'ab'[i]}`, description: 'ssm shard', tags: {} }],
  });
  withVpcs(world, shardVpc(SHARD_A, 0), shardVpc(SHARD_B, 1));
  for (let i = 1; i <= n; i++)
    withVpcs(world, scenarioVpc(i, { ownerId: ACCOUNTS.analytics, cidrs: [`10.4${i}.0.0/16`] }));
  world.route53!.zones = [
    ...(world.route53!.zones ?? []),
    ...[SHARD_A, SHARD_B].map((s) => ({
      id: s.zone,
      name: 'ssm.us-east-1.amazonaws.com',
      ownerId: '111111111111',
      vpcs: [{ vpcId: s.vpc, region: 'us-east-1' }],
    })),
  ];
  return world;
}

/**
 * A shard of segment nonprod as configured, for the example catalog (nonprod uses ssm and sts from the hub):
 * its own groups and zones, numbered `n`.
 */
export const exampleShard = (name: string, n: number, extra: Record<string, unknown> = {}) => ({
  name,
  endpoints: {
    ssm: { securityGroupId: `sg-0e55e00000000b${n}a1`, privateHostedZoneIds: [`Z0SSMSHARD${n}000000000001`] },
    sts: { securityGroupId: `sg-0e55e00000000b${n}a2`, privateHostedZoneIds: [`Z0STSSHARD${n}000000000001`] },
  },
  ...extra,
});
