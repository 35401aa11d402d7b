import type { LocalHub } from '#local/hub';
import { parseConfig } from '#shared/config';
import { SLOTS_KEY } from '#shared/intake-queue';
import { ec2State } from '#twin/services/ec2/model';
import { bulkWorld } from '../../bench/worlds';
import { hubOf, maxOverlap } from './intake-flood';

/**
 * The hub's slots are shared by every tenant (`intake.maxConcurrentExecutions`: the hub's EC2 API buckets serve all
 * onboardings). Three accounts tag three VPCs each at once against a hub limit of 2: the limit holds at every moment,
 * every VPC connects, and at a full hub the accounts take turns (a slot freed by one account's execution goes to the
 * next account first), so no account runs all its VPCs while another has not started one.
 */
describe('Security: the hub-wide execution limit is shared in turns, never exceeded', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('runs at most 2 executions at once across 3 accounts, connects all 9 VPCs, and serves the accounts in turns', async () => {
    const bulk = bulkWorld({ accounts: 3, vpcsPerAccount: 3, prodEvery: Number.POSITIVE_INFINITY });
    const config = parseConfig({
      ...bulk.config,
      budgets: { securityGroupRulesPerAccount: 1_000, zoneAssociationsPerAccount: 1_000 },
      intake: { maxConcurrentExecutions: 2 },
    });
    hub = await hubOf(config, bulk.world);
    for (const spoke of bulk.spokes) await hub.tagVpc(spoke.vpcId, spoke.tags);
    await hub.runUntilIdle({ maxVirtualMs: 12 * 3_600_000 });

    const executions = hub.executions();
    expect(executions).toHaveLength(bulk.spokes.length);
    expect(bulk.spokes).toHaveLength(9);
    expect(executions.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    for (const spoke of bulk.spokes) {
      expect(ec2State(hub.twin).vpcs[spoke.vpcId]?.tags['spokelink:status']).toBe('connected');
    }
    // The limit held at every moment, and was used.
    expect(maxOverlap(executions)).toBe(2);
    // Turns: every account started its first VPC before any account started its third.
    const accountOf = new Map(bulk.spokes.map((s) => [s.vpcId, s.accountId]));
    const starts = [...executions]
      .sort((a, b) => a.startDate - b.startDate)
      .map((e) => accountOf.get(e.name.slice(0, e.name.indexOf('-onboard-')))!);
    const firstOf = (account: string) => starts.indexOf(account);
    const third = starts.findIndex((account, i) => starts.slice(0, i + 1).filter((a) => a === account).length === 3);
    for (const account of new Set(accountOf.values())) expect(firstOf(account)).toBeLessThan(third);
    // Nothing left: the queue is empty and every slot was given back.
    expect((await hub.report()).intakeQueue.depth).toBe(0);
    const slots = (await hub.registry()).find((i) => i.pk === SLOTS_KEY.pk && i.sk === SLOTS_KEY.sk);
    expect(slots).toEqual({ ...SLOTS_KEY, kind: 'intake-slots', running: 0, holders: {} });
  });
});
