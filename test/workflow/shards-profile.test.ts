import { localProfileId } from '#local/hub';
import type { Route53ProfilesState } from '#twin/services/route53profiles';
import { changesBesidesStatus, scenarioVpcId, startWorkflowHub, type WorkflowHub } from './helpers';
import { REQUEST, shardedConfig, shardedWorld } from './shard-fixtures';

/**
 * Endpoint shards in DNS mode profile: a shard is a whole Route 53 Profile (with its own endpoints' zones), so each
 * VPC associates its shard's Profile, never the hub's or another shard's; the third VPC finds every shard full.
 */

const config = shardedConfig((raw) => {
  raw.dns = { mode: 'profile' };
  const shards = raw.segments.nonprod!.shards as { name: string; profileName?: string }[];
  for (const shard of shards) shard.profileName = `spokelink-nonprod-${shard.name}`;
});

const profilesOf = (w: WorkflowHub, vpcId: string) =>
  Object.values((w.twin.snapshot().route53profiles as Route53ProfilesState).associations)
    // Not those being deleted (AWS shows DELETING until `goneAt`) nor gone.
    .filter((a) => a.vpcId === vpcId && a.goneAt === undefined)
    .map((a) => a.profileId);

describe('Workflow: endpoint shards in DNS mode profile', () => {
  let w: WorkflowHub;
  const [one, two, three] = [1, 2, 3].map(scenarioVpcId) as [string, string, string];
  beforeAll(async () => {
    w = await startWorkflowHub({ world: shardedWorld(3), config });
  });
  afterAll(() => w?.close());

  it("associates each VPC with its own shard's Profile only", async () => {
    await w.onboard(one, REQUEST);
    await w.onboard(two, REQUEST);

    expect([w.status(one).status, w.status(two).status]).toEqual(['connected', 'connected']);
    expect(profilesOf(w, one)).toEqual([localProfileId(config, 'spokelink-nonprod-a')]);
    expect(profilesOf(w, two)).toEqual([localProfileId(config, 'spokelink-nonprod-b')]);
    expect((await w.record(one))?.profileAssociations?.map((a) => a.profileId)).toEqual([
      localProfileId(config, 'spokelink-nonprod-a'),
    ]);
  });

  it('rejects the next VPC with capacity, nothing changed', async () => {
    await w.hub.tagVpc(three, REQUEST);
    const before = w.snapshot();
    await w.hub.runUntilIdle();

    expect(w.status(three).status).toBe('rejected');
    expect(w.status(three).detail).toMatch(/^capacity: Inbound rules per security group on sg-0e55e00000000a0a1/);
    expect(changesBesidesStatus(before, w.snapshot(), three)).toEqual([]);
    expect(profilesOf(w, three)).toEqual([]);
  });

  it("disassociates the recorded shard's Profile on offboarding and frees the slot", async () => {
    await w.hub.untagVpc(one, Object.keys(REQUEST));
    await w.hub.runUntilIdle();
    expect(w.status(one).status).toBe('disconnected');
    expect(profilesOf(w, one)).toEqual([]);
    expect(profilesOf(w, two)).toEqual([localProfileId(config, 'spokelink-nonprod-b')]);

    await w.repair(three, 'again');
    expect(w.status(three).status).toBe('connected');
    expect(profilesOf(w, three)).toEqual([localProfileId(config, 'spokelink-nonprod-a')]);
  });
});
