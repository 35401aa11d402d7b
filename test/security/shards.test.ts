import { ec2State } from '#twin/services/ec2/model';
import { changesBesidesStatus, scenarioVpcId, startWorkflowHub, type WorkflowHub } from '../workflow/helpers';
import { PORTS, REQUEST, SHARD_A, SHARD_B, shardedConfig, shardedWorld } from '../workflow/shard-fixtures';

/**
 * Attack: a tenant picks its endpoint shard by a tag (`spokelink:shard`, or any tag that looks like the registry's
 * field), to squeeze into a full shard, to move next to another tenant, or to make offboarding remove rules from a
 * shard it is not in. Shards are assigned from the registry under the VPC's lease and offboarding removes what the
 * record holds: the tag changes nothing (functions/shared/shards.ts).
 */

const FORGED = { 'spokelink:shard': 'b', 'spokelink:shard-hint': 'b' };
const rulesFor = (w: WorkflowHub, groupId: string, cidr: string) =>
  w.ingress(groupId).filter((r) => r.cidr === cidr).length;

describe('Security: a tenant cannot choose its endpoint shard', () => {
  let w: WorkflowHub;
  const [one, two, three] = [1, 2, 3].map(scenarioVpcId) as [string, string, string];
  beforeAll(async () => {
    w = await startWorkflowHub({ world: shardedWorld(3), config: shardedConfig() });
    await w.onboard(one, REQUEST);
    await w.onboard(two, REQUEST);
  });
  afterAll(() => w?.close());

  it('ignores a forged shard tag on a member: re-planned, it stays in its shard and the other is untouched', async () => {
    expect((await w.record(one))?.shard).toBe('a');
    await w.hub.tagVpc(one, FORGED);
    const before = w.snapshot();
    const again = await w.repair(one, 'forged');

    expect(again.status).toBe('SUCCEEDED');
    expect((await w.record(one))?.shard).toBe('a');
    expect(rulesFor(w, SHARD_B.group, '10.41.0.0/16')).toBe(0);
    expect(rulesFor(w, SHARD_A.group, '10.41.0.0/16')).toBe(PORTS.length);
    expect(changesBesidesStatus(before, w.snapshot(), one)).toEqual([]);
  });

  it('refuses a newcomer that names a full shard, with capacity, and changes nothing', async () => {
    await w.hub.tagVpc(three, { ...REQUEST, 'spokelink:shard': 'a' });
    const before = w.snapshot();
    await w.hub.runUntilIdle();

    expect(w.status(three).status).toBe('rejected');
    expect(w.status(three).detail).toMatch(/^capacity: Inbound rules per security group /);
    expect(changesBesidesStatus(before, w.snapshot(), three)).toEqual([]);
    expect(await w.registryItemsAbout(three)).toEqual([]);
  });

  it("offboards from the recorded shard only, whatever the tags name: the other shard's tenant keeps its rules", async () => {
    await w.hub.untagVpc(one, Object.keys(REQUEST));
    await w.hub.runUntilIdle();

    expect(w.status(one).status).toBe('disconnected');
    expect(rulesFor(w, SHARD_A.group, '10.41.0.0/16')).toBe(0);
    expect(rulesFor(w, SHARD_B.group, '10.42.0.0/16')).toBe(PORTS.length);
    expect(w.zone(SHARD_B.zone).vpcs).toContain(`us-east-1/${two}`);
    // Its slot in a is free, b still counts two.
    const counters = (await w.hub.registry()).filter((i) => String(i.pk).startsWith('SHARD#nonprod#'));
    const members = Object.fromEntries(counters.map((c) => [String(c.shard), Object.keys(c.members as object)]));
    expect(members).toEqual({ a: [], b: [two] });
    expect(ec2State(w.twin).vpcs[one]?.tags['spokelink:shard']).toBe('b');
  });
});
