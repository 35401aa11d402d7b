import { createLocalHub, type LocalHub } from '#local/hub';
import { type HubConfig, parseConfig } from '#shared/config';
import { ec2State } from '#twin/services/ec2/model';
import { parseWorld, type World } from '#twin/world';
import { bulkWorld, spokeAccountId } from '../../bench/worlds';

/**
 * Attacks on the intake by one tenant, on the twin's virtual clock (simulated time, never wall time):
 * - a flood: 48 VPCs of one account tagged at once, while another account tags its single VPC. The per-account limit
 *   (`intake.maxConcurrentExecutionsPerAccount`) keeps the flood waiting behind itself: the victim connects within
 *   twice the time it takes alone;
 * - flapping: a VPC's tags changed every second for a minute. A VPC runs one execution at a time and its later
 *   changes fold into one waiting request with the latest tags: a bounded number of executions, ending with what
 *   the tags say last (docs/lifecycle.md, "Fairness and limits").
 */

const START = Date.UTC(2026, 2, 2, 9, 0, 0);
const ATTACKER = spokeAccountId(0);
const VICTIM_ACCOUNT = spokeAccountId(3);

function world(options: { flood: boolean }): { config: HubConfig; world: World; flood: string[]; victim: string } {
  const bulk = bulkWorld({ accounts: 4, vpcsPerAccount: 16, prodEvery: Number.POSITIVE_INFINITY });
  const raw = JSON.parse(JSON.stringify(bulk.world)) as { ec2: { vpcs: { id: string; ownerId: string }[] } };
  const flood: string[] = [];
  let victim = '';
  for (const vpc of raw.ec2.vpcs) {
    if (vpc.ownerId === VICTIM_ACCOUNT) victim ||= vpc.id;
    else if (options.flood && bulk.spokes.some((s) => s.vpcId === vpc.id)) {
      vpc.ownerId = ATTACKER;
      flood.push(vpc.id);
    }
  }
  // Budgets out of the way: this test is about the intake's limits alone.
  const config = parseConfig({
    ...bulk.config,
    budgets: { securityGroupRulesPerAccount: 1_000, zoneAssociationsPerAccount: 1_000 },
  });
  return { config, world: parseWorld(raw, 'flood world'), flood, victim };
}

async function hubOf(config: HubConfig, w: World): Promise<LocalHub> {
  return createLocalHub({
    config,
    world: w,
    startTime: START,
    snapshotAtStart: false,
    twinOptions: { timings: { attachmentPendingMs: 90_000 } },
  });
}

/** Simulated ms from the hub's start to the end of the VPC's execution that connected it. */
function connectedAfter(hub: LocalHub, vpcId: string): number {
  expect(ec2State(hub.twin).vpcs[vpcId]?.tags['spokelink:status']).toBe('connected');
  const connected = hub
    .executions()
    .filter((e) => e.name.startsWith(vpcId) && e.status === 'SUCCEEDED')
    .map((e) => e.stopDate ?? Number.POSITIVE_INFINITY);
  return Math.min(...connected) - hub.startedAt;
}

describe('Security: one tenant cannot starve or flood the others at intake', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it("connects another account's VPC within twice its solo time while one account floods 48 VPCs", async () => {
    const solo = world({ flood: false });
    hub = await hubOf(solo.config, solo.world);
    await hub.tagVpc(solo.victim, { 'spokelink:connect': 'true' });
    await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });
    const soloMs = connectedAfter(hub, solo.victim);
    await hub.close();

    const flooded = world({ flood: true });
    expect(flooded.flood).toHaveLength(48);
    hub = await hubOf(flooded.config, flooded.world);
    for (const vpcId of flooded.flood) await hub.tagVpc(vpcId, { 'spokelink:connect': 'true' });
    await hub.tagVpc(flooded.victim, { 'spokelink:connect': 'true' });
    await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });
    const floodedMs = connectedAfter(hub, flooded.victim);

    expect(floodedMs).toBeLessThanOrEqual(2 * soloMs);
    // The flood waited behind itself: never more than the limit running at once, the rest queued, none lost.
    const limit = flooded.config.intake.maxConcurrentExecutionsPerAccount;
    const report = await hub.report();
    expect(report.intakeQueue.peakByAccount[ATTACKER]).toBeGreaterThanOrEqual(48 - limit);
    expect(report.intakeQueue.peakByAccount[VICTIM_ACCOUNT] ?? 0).toBe(0);
    expect(report.intakeQueue.depth).toBe(0);
    const attackerRuns = hub.executions().filter((e) => flooded.flood.some((id) => e.name.startsWith(id)));
    expect(maxOverlap(attackerRuns)).toBeLessThanOrEqual(limit);
    for (const vpcId of flooded.flood)
      expect(ec2State(hub.twin).vpcs[vpcId]?.tags['spokelink:status']).toBe('connected');
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

/** The most executions running at one time. */
function maxOverlap(executions: { startDate: number; stopDate?: number }[]): number {
  const edges = executions.flatMap((e) => [
    { at: e.startDate, delta: 1 },
    { at: e.stopDate ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const edge of edges) {
    running += edge.delta;
    most = Math.max(most, running);
  }
  return most;
}
