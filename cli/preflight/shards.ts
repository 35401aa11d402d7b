import type { HubConfig } from '#shared/config';
import type { HubUsage } from '#shared/headroom';
import { QUOTAS, type QuotaId } from '#shared/quotas';
import { isSharded, shardLimits, shardsOf } from '#shared/shards';
import type { CapacityCheck, QuotaCapacity, Wave } from './capacity';

/**
 * Endpoint shards in the capacity preflight (functions/shared/shards.ts): a wave of a segment that declares shards
 * is spread over them, each VPC to the least loaded shard with room, so the wave fits while the shards together have
 * room for it. Each shard's room is its tightest quota (rules per group and family, VPCs per zone, VPCs per Profile)
 * for one wave VPC (one IPv4 block, every endpoint the segment uses from the hub, none when an aggregated ingress
 * supernet covers it); the shard with the least room is the one the wave fills first.
 */

/** What one wave VPC takes in a shard, per resource, and what is used there. */
function shardCapacities(config: HubConfig, usage: HubUsage, wave: Wave, shard: ReturnType<typeof shardsOf>[number]) {
  const limits = shardLimits(config);
  const covered = (config.segments[wave.segment]?.aggregatedIngress ?? []).some((s) => !s.includes(':'));
  const out: QuotaCapacity[] = [];
  const add = (quota: QuotaId, on: string, limit: number, used: number, perVpc: number) =>
    out.push({
      quota,
      name: QUOTAS[quota].name,
      page: QUOTAS[quota].page,
      on: `shard ${shard.name}: ${on}`,
      limit,
      used,
      perVpc,
      headroomVpcs: perVpc === 0 ? null : Math.max(0, Math.floor((limit - used) / perVpc)),
    });
  const ports = new Map<string, Set<number>>();
  for (const [name, resources] of Object.entries(shard.endpoints)) {
    const set = ports.get(resources.securityGroupId) ?? new Set<number>();
    for (const port of config.endpoints[name]?.ports ?? []) set.add(port);
    ports.set(resources.securityGroupId, set);
  }
  for (const [group, set] of [...ports].sort()) {
    add('rulesPerSecurityGroup', group, limits.rules, usage.rules.get(group) ?? 0, covered ? 0 : set.size);
  }
  if (config.dns.mode === 'zones') {
    const zones = [...new Set(Object.values(shard.endpoints).flatMap((e) => e.privateHostedZoneIds))].sort();
    for (const zone of zones) {
      add('vpcsPerHostedZone', zone, usage.zoneLimits.get(zone) ?? limits.zoneVpcs, usage.zoneVpcs.get(zone) ?? 0, 1);
    }
  } else {
    const used = usage.shardVpcs.get(`${wave.segment}/${shard.name}`) ?? 0;
    add('vpcsPerProfile', `Profile ${shard.profileName}`, limits.profileVpcs, used, 1);
  }
  return out;
}

const roomOf = (capacities: QuotaCapacity[]) =>
  capacities
    .filter((c) => c.headroomVpcs !== null)
    .sort((a, b) => (a.headroomVpcs ?? 0) - (b.headroomVpcs ?? 0) || a.on.localeCompare(b.on))[0];

export const endpointShards: CapacityCheck = {
  id: 'endpoint-shards',
  async run({ config, usage, wave }) {
    if (!isSharded(config, wave.segment)) {
      return {
        ok: true,
        detail: `segment ${wave.segment} declares no shards (the catalog's endpoints serve it)`,
        missing: [],
      };
    }
    const shards = shardsOf(config, wave.segment).map((shard) => {
      const capacities = shardCapacities(config, usage, wave, shard);
      const binding = roomOf(capacities);
      return { shard, capacities, binding, room: binding?.headroomVpcs ?? Number.POSITIVE_INFINITY };
    });
    const total = shards.reduce((sum, s) => sum + s.room, 0);
    const fits = total >= wave.add;
    const first = [...shards].sort((a, b) => a.room - b.room)[0]!;
    const room = (s: (typeof shards)[number]) =>
      s.binding ? `shard ${s.shard.name}: room for ${s.room} (${s.binding.name}, ${s.binding.on.split(': ')[1]})` : '';
    return {
      ok: fits,
      detail:
        `segment ${wave.segment}: ${shards.length} shard(s), room for ${total} more VPC(s); ${shards.map(room).join('; ')}` +
        (first.binding ? `; the wave fills shard ${first.shard.name} first` : ''),
      missing: fits
        ? []
        : [
            `segment ${wave.segment}: every shard is full after ${total} of the wave's ${wave.add} VPC(s) ` +
              `(validation then rejects them, capacity): ${shards.map(room).join('; ')}; add a shard or raise the quota`,
          ],
      capacity: shards.flatMap((s) => s.capacities),
    };
  },
};
