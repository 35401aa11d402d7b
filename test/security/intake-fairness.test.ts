import type { LocalHub } from '#local/hub';
import { parseConfig } from '#shared/config';
import { ec2State } from '#twin/services/ec2/model';
import { expectFloodWaitsBehindItself, hubOf, VICTIM_ACCOUNT, world } from './intake-flood';

/**
 * Attacks on the intake by one tenant, on the twin's virtual clock (simulated time, never wall time):
 * - a flood: many VPCs of one account tagged at once (3 against a limit of 1 here; 48 against the default 10 in
 *   intake-fairness.scale.test.ts), while another account tags its single VPC. The per-account limit
 *   (`intake.maxConcurrentExecutionsPerAccount`) keeps the flood waiting behind itself: the victim connects within
 *   twice the time it takes alone;
 * - flapping: a VPC's tags changed every second for a minute. A VPC runs one execution at a time and its later
 *   changes fold into one waiting request with the latest tags: a bounded number of executions, ending with what
 *   the tags say last (docs/lifecycle.md, "Fairness and limits").
 */

describe('Security: one tenant cannot starve or flood the others at intake', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it("connects another account's VPC within twice its solo time while one account floods 3 VPCs (limit 1)", async () => {
    // The flood of 48 VPCs against the default limit of 10 is in intake-fairness.scale.test.ts.
    await expectFloodWaitsBehindItself({ vpcsPerAccount: 1, maxConcurrentExecutionsPerAccount: 1 });
  });

  it('turns a minute of tag flapping into at most two executions that end with the latest tags', async () => {
    const w = world({ flood: false });
    hub = await hubOf(w.config, w.world);
    await hub.tagVpc(w.victim, { 'spokelink:connect': 'true' });
    // 60 changes, one a second: the services alternate, the last one asks for sts alone.
    for (let i = 1; i <= 60; i += 1) {
      await advance(hub, 1_000);
      await hub.tagVpc(w.victim, { 'spokelink:services': i % 2 === 0 ? 'sts' : 'ssm' });
    }
    await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });

    const runs = hub.executions().filter((e) => e.name.startsWith(w.victim));
    expect(runs.length).toBeLessThanOrEqual(2);
    expect(runs.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const tags = ec2State(hub.twin).vpcs[w.victim]!.tags;
    expect(tags['spokelink:status']).toBe('connected');
    expect(tags['spokelink:detail']).toMatch(/services sts\b/);
    expect((await hub.report()).intakeQueue.peakByAccount[VICTIM_ACCOUNT]).toBe(1);
  });

  it('with a debounce window, turns the same flapping into one execution with the latest tags', async () => {
    const w = world({ flood: false });
    const config = parseConfig({ ...w.config, intake: { debounceSeconds: 90 } });
    hub = await hubOf(config, w.world);
    await hub.tagVpc(w.victim, { 'spokelink:connect': 'true' });
    for (let i = 1; i <= 60; i += 1) {
      await advance(hub, 1_000);
      await hub.tagVpc(w.victim, { 'spokelink:services': i % 2 === 0 ? 'sts' : 'ssm' });
    }
    await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });

    const runs = hub.executions().filter((e) => e.name.startsWith(w.victim));
    expect(runs).toHaveLength(1);
    expect(ec2State(hub.twin).vpcs[w.victim]!.tags['spokelink:detail']).toMatch(/services sts\b/);
    // It started once its window was over, not before (debounced), and within the next minute's dispatch.
    const started = runs[0]!.startDate - hub.startedAt;
    expect(started).toBeGreaterThanOrEqual(90_000);
    expect(started).toBeLessThanOrEqual(150_000);
  });
});

/** Lets simulated time pass on the hub's clock. */
async function advance(hub: LocalHub, ms: number): Promise<void> {
  let reached = false;
  setTimeout(() => {
    reached = true;
  }, ms);
  await hub.runUntil(() => reached);
}
