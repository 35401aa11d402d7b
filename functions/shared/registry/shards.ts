import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { HubConfig } from '../config';
import { ClaimContentionError, LeaseLostError, RejectedError } from '../errors';
import { type ShardMembers, type ShardUse, shardOverrun } from '../shards';
import { putIfVersion } from './conditional';
import type { RegistryTable } from './table';

/**
 * Endpoint shard counters (functions/shared/shards.ts), `SHARD#<segment>#<shard>` / `MEMBERS`:
 * `{ version, members: { <vpcId>: { rules, zones, profile, leaseToken } } }`: what each VPC assigned to the shard holds
 * there. A slot is taken like a CIDR claim: a read, a capacity check against the other members, and a write
 * conditioned on the version read, so that of two onboardings racing for the last slot the second one's condition
 * fails, it re-reads, sees the shard full and is rejected (`capacity`). Members, not a bare count: taking a slot twice
 * (a re-run) changes nothing, and releasing removes exactly the VPC's own.
 */

const shardKey = (segment: string, shard: string) => ({ pk: `SHARD#${segment}#${shard}`, sk: 'MEMBERS' });

interface Member extends ShardUse {
  leaseToken?: number;
}

export interface ShardCounter {
  segment: string;
  shard: string;
  /** 0 when the item does not exist yet. */
  version: number;
  members: Record<string, Member>;
}

/** Reads one shard's counter (strongly consistent). */
export async function readShardCounter(table: RegistryTable, segment: string, shard: string): Promise<ShardCounter> {
  const { Item } = await table.dynamo.send(
    new GetCommand({ TableName: table.tableName, Key: shardKey(segment, shard), ConsistentRead: true }),
  );
  return {
    segment,
    shard,
    version: Item ? Number(Item.version) : 0,
    members: (Item?.members as Record<string, Member> | undefined) ?? {},
  };
}

/** The members' uses without the fencing stamps (what the capacity check counts). */
export const usesOf = (counter: ShardCounter): ShardMembers =>
  Object.fromEntries(
    Object.entries(counter.members).map(([vpcId, { rules, zones, profile }]) => [vpcId, { rules, zones, profile }]),
  );

function writeCounter(table: RegistryTable, counter: ShardCounter, vpcId: string, member: Member | undefined) {
  const members = { ...counter.members };
  if (member) members[vpcId] = member;
  else delete members[vpcId];
  const key = shardKey(counter.segment, counter.shard);
  return putIfVersion(
    table,
    { ...key, kind: 'shard', segment: counter.segment, shard: counter.shard, members },
    counter.version,
  );
}

const MAX_ATTEMPTS = 8;
const sameUse = (a: ShardUse, b: ShardUse) =>
  JSON.stringify([a.rules, a.zones, a.profile]) === JSON.stringify([b.rules, b.zones, b.profile]);

/**
 * Takes (or updates) the VPC's slot in a shard, race-free: throws RejectedError `capacity: <quota> ...` when the
 * shard has no room for it any more (another onboarding took the last slot since validation), nothing written.
 * Idempotent. Fenced like the VPC's record: a slot a newer lease holder wrote is never changed by an older one.
 */
export async function takeShardSlot(
  table: RegistryTable,
  config: Pick<HubConfig, 'capacity'>,
  args: { segment: string; shard: string; vpcId: string; use: ShardUse },
): Promise<void> {
  const { segment, shard, vpcId, use } = args;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const counter = await readShardCounter(table, segment, shard);
    const mine = counter.members[vpcId];
    checkFence(table, vpcId, mine, `${segment}/${shard}`);
    if (mine && sameUse(mine, use)) return;
    const overrun = shardOverrun(config, usesOf(counter), vpcId, use);
    if (overrun) {
      throw new RejectedError(
        `capacity: ${overrun.text}: shard ${shard} of segment ${segment} filled up while ${vpcId} was validated; ` +
          'a new request is assigned to a shard with room',
        'capacity',
      );
    }
    const member: Member = { ...use, ...(table.fence ? { leaseToken: table.fence.token } : {}) };
    if (await writeCounter(table, counter, vpcId, member)) return;
  }
  throw new ClaimContentionError(`shard counter ${segment}/${shard} kept changing; retry`);
}

/** Gives the VPC's slot in a shard back (nothing when it holds none). Idempotent, fenced. */
export async function releaseShardSlot(
  table: RegistryTable,
  args: { segment: string; shard: string; vpcId: string },
): Promise<void> {
  const { segment, shard, vpcId } = args;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const counter = await readShardCounter(table, segment, shard);
    const mine = counter.members[vpcId];
    if (!mine) return;
    checkFence(table, vpcId, mine, `${segment}/${shard}`);
    if (await writeCounter(table, counter, vpcId, undefined)) return;
  }
  throw new ClaimContentionError(`shard counter ${segment}/${shard} kept changing; retry`);
}

function checkFence(table: RegistryTable, vpcId: string, member: Member | undefined, where: string) {
  const stamped = member?.leaseToken;
  if (table.fence && stamped !== undefined && stamped > table.fence.token) {
    throw new LeaseLostError(
      `${vpcId}: its slot in shard ${where} was written under a newer lease (token ${stamped} > ` +
        `${table.fence.token}); nothing written`,
    );
  }
}
