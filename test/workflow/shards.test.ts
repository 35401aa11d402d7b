import { changesBesidesStatus, scenarioVpcId, startWorkflowHub, type WorkflowHub } from './helpers';
import { PORTS, REQUEST, SHARD_A, SHARD_B, shardedConfig, shardedWorld } from './shard-fixtures';

/**
 * Endpoint shards (functions/shared/shards.ts), on the scenario of ./shard-fixtures.ts (two shards of room for one
 * VPC each). VPCs land on the least
 * loaded shard and stay there; the third is rejected `capacity` naming the quota, nothing changed; an offboarding
 * frees its slot.
 */

const rulesFor = (w: WorkflowHub, groupId: string, cidr: string) =>
  w.ingress(groupId).filter((r) => r.cidr === cidr).length;
const zoneHas = (w: WorkflowHub, zoneId: string, vpcId: string) => w.zone(zoneId).vpcs.includes(`us-east-1/${vpcId}`);

describe('Workflow: endpoint shards', () => {
  let w: WorkflowHub;
  const [one, two, three] = [1, 2, 3].map(scenarioVpcId) as [string, string, string];
  beforeAll(async () => {
    w = await startWorkflowHub({ world: shardedWorld(3), config: shardedConfig() });
  });
  afterAll(() => w?.close());

  it("assigns each VPC to the least loaded shard, ties to the first, and acts on that shard's group and zone only", async () => {
    await w.onboard(one, REQUEST);
    await w.onboard(two, REQUEST);

    expect(w.status(one).status).toBe('connected');
    expect(w.status(two).status).toBe('connected');
    expect((await w.record(one))?.shard).toBe('a');
    expect((await w.record(two))?.shard).toBe('b');
    expect(rulesFor(w, SHARD_A.group, '10.41.0.0/16')).toBe(PORTS.length);
    expect(rulesFor(w, SHARD_B.group, '10.41.0.0/16')).toBe(0);
    expect(rulesFor(w, SHARD_B.group, '10.42.0.0/16')).toBe(PORTS.length);
    // Never the catalog's own ssm group or zone (they serve the segments without shards).
    expect(rulesFor(w, 'sg-0e55e0000000000a1', '10.41.0.0/16')).toBe(0);
    expect([zoneHas(w, SHARD_A.zone, one), zoneHas(w, SHARD_B.zone, one)]).toEqual([true, false]);
    expect([zoneHas(w, SHARD_A.zone, two), zoneHas(w, SHARD_B.zone, two)]).toEqual([false, true]);
    expect(zoneHas(w, 'Z0SSM00000000000000001', one)).toBe(false);
  });

  it('rejects the VPC no shard has room for with capacity naming the quota, and changes nothing else', async () => {
    await w.hub.tagVpc(three, REQUEST);
    const before = w.snapshot();
    await w.hub.runUntilIdle();
    const executions = w.executionsOf(three);

    expect(executions.map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(w.status(three).status).toBe('rejected');
    expect(w.status(three).detail).toMatch(
      /^capacity: Inbound rules per security group on sg-0e55e00000000a0a1: 31 \+ 31 > 60 in shard a; Inbound rules per security group on sg-0e55e00000000a0b1: 31 \+ 31 > 60 in shard b/,
    );
    expect(changesBesidesStatus(before, w.snapshot(), three)).toEqual([]);
    expect(await w.registryItemsAbout(three)).toEqual([]);
  });

  it('keeps a VPC in its shard when it is planned again, even where an earlier shard is as free', async () => {
    await w.hub.untagVpc(one, Object.keys(REQUEST));
    await w.hub.runUntilIdle();
    expect(w.status(one).status).toBe('disconnected');
    expect(rulesFor(w, SHARD_A.group, '10.41.0.0/16')).toBe(0);
    expect(zoneHas(w, SHARD_A.zone, one)).toBe(false);

    // Shard a is empty now: a fresh choice for two would be a (the first of equally loaded shards); it stays in b.
    const again = await w.repair(two, 'sticky');
    expect(again.status).toBe('SUCCEEDED');
    expect(w.status(two).status).toBe('connected');
    expect((await w.record(two))?.shard).toBe('b');
    expect(rulesFor(w, SHARD_B.group, '10.42.0.0/16')).toBe(PORTS.length);
    expect(rulesFor(w, SHARD_A.group, '10.42.0.0/16')).toBe(0);
  });

  it("gives an offboarded VPC's slot back: the VPC refused before gets it", async () => {
    // The app team asks again (as the reconcile would start it): shard a has room now.
    await w.repair(three, 'again');

    expect(w.status(three).status).toBe('connected');
    expect((await w.record(three))?.shard).toBe('a');
    expect(rulesFor(w, SHARD_A.group, '10.43.0.0/16')).toBe(PORTS.length);
  });
});
