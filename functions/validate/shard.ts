import type { HubConfig } from '#shared/config';
import { RejectedError } from '#shared/errors';
import { getRecord, type RegistryTable, readShardCounter, usesOf } from '#shared/registry';
import {
  isSharded,
  loadOf,
  type ResolvedShard,
  type ShardMembers,
  type ShardUse,
  shardNamed,
  shardOverrun,
  shardsOf,
} from '#shared/shards';

/**
 * The shard a VPC is served by (functions/shared/shards.ts), chosen under the VPC's lease from the registry: the one
 * its record names when it still exists (a VPC stays in its shard: never a shard a tag names, tags are forgeable),
 * else the least loaded shard with room for what the VPC would hold there (`useIn`), the first in configuration
 * order on a tie. Throws RejectedError `capacity: <quota> ...` when no shard has room (nothing is written: the slot
 * is taken by BeginOnboarding, race-free). The implicit shard of a segment without shards is never counted.
 */
export async function assignShard(
  config: HubConfig,
  registry: RegistryTable,
  args: { vpcId: string; segment: string; useIn: (shard: ResolvedShard) => ShardUse },
): Promise<{ shard: ResolvedShard; members: ShardMembers }> {
  const { vpcId, segment } = args;
  if (!isSharded(config, segment)) return { shard: shardsOf(config, segment)[0]!, members: {} };
  const record = await getRecord(registry, vpcId);
  const kept =
    record && record.status !== 'disconnected' && record.segment === segment
      ? shardNamed(config, segment, record.shard)
      : undefined;
  const candidates = kept ? [kept] : shardsOf(config, segment);
  const loads = await Promise.all(
    candidates.map(async (shard) => ({
      shard,
      members: usesOf(await readShardCounter(registry, segment, shard.name!)),
    })),
  );
  const overruns = loads.map((l) => ({ ...l, overrun: shardOverrun(config, l.members, vpcId, args.useIn(l.shard)) }));
  const open = overruns.filter((l) => l.overrun === undefined);
  // Stable sort: equal loads keep configuration order.
  const chosen = open.sort((a, b) => loadOf(a.members, vpcId) - loadOf(b.members, vpcId))[0];
  if (chosen) return { shard: chosen.shard, members: chosen.members };
  const why = overruns.map((l) => `${l.overrun!.text} in shard ${l.shard.name}`).join('; ');
  throw new RejectedError(
    kept
      ? `capacity: ${why}: ${vpcId} stays in its shard ${kept.name} of segment ${segment}, which has no room for what it now asks`
      : `capacity: ${why}: every shard of segment ${segment} is full for ${vpcId} (add a shard, or raise the quota)`,
    'capacity',
  );
}

/** Throws RejectedError `capacity` when the final plan's use does not fit its shard (a VPC with its own Profile). */
export function checkShardFits(
  config: HubConfig,
  args: { vpcId: string; segment: string; shard: ResolvedShard; members: ShardMembers; use: ShardUse },
): void {
  if (!isSharded(config, args.segment)) return;
  const overrun = shardOverrun(config, args.members, args.vpcId, args.use);
  if (overrun) {
    throw new RejectedError(
      `capacity: ${overrun.text}: no room in shard ${args.shard.name} of segment ${args.segment} for ${args.vpcId}`,
      'capacity',
    );
  }
}
