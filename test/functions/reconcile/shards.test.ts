import { shardNamed } from '#shared/shards';
import { desiredResources } from '../../../functions/reconcile/reconcile';
import { PORTS, SHARD_B, shardedConfig } from '../../workflow/shard-fixtures';

/**
 * The reconcile compares a member of a sharded segment with its recorded shard's groups and zones
 * (functions/shared/shards.ts); a member in no shard of its segment is re-planned into one (`endpoints-changed`).
 */

const config = shardedConfig();

describe("Reconcile: a member's desired resources are its shard's", () => {
  it("wants the recorded shard's group and zone, never the catalog's or another shard's", () => {
    const desired = desiredResources(config, 'nonprod', ['ssm'], ['10.42.0.0/16'], true, [], 'b');
    expect(desired.zones).toEqual([SHARD_B.zone]);
    expect(desired.rules).toEqual(PORTS.map((p) => `${SHARD_B.group}|10.42.0.0/16|${p}`).sort());
  });

  it('finds no shard for a member that has none recorded (or one the configuration no longer has)', () => {
    expect(shardNamed(config, 'nonprod', undefined)).toBeUndefined();
    expect(shardNamed(config, 'nonprod', 'c')).toBeUndefined();
    expect(shardNamed(config, 'nonprod', 'b')?.name).toBe('b');
    // A segment without shards: the implicit one, whatever the record says.
    expect(shardNamed(config, 'prod', undefined)?.name).toBeUndefined();
    expect(shardNamed(config, 'prod', undefined)?.endpoints.ssm?.securityGroupId).toBe('sg-0e55e0000000000a1');
  });
});
