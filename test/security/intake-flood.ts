import { createLocalHub, type LocalHub } from '#local/hub';
import { type HubConfig, parseConfig } from '#shared/config';
import { ec2State } from '#twin/services/ec2/model';
import { parseWorld, type World } from '#twin/world';
import { bulkWorld, spokeAccountId } from '../../bench/worlds';
import { SIMULATION_TRANSPORT } from '../sdk-path';

/**
 * The intake attacks of intake-fairness.test.ts and intake-fairness.scale.test.ts: a world of four accounts where
 * three can be handed to the attacker, a hub on it, and the flood scenario at any size.
 */

export const START = Date.UTC(2026, 2, 2, 9, 0, 0);
export const ATTACKER = spokeAccountId(0);
export const VICTIM_ACCOUNT = spokeAccountId(3);

export function world(options: { flood: boolean; vpcsPerAccount?: number }): {
  config: HubConfig;
  world: World;
  flood: string[];
  victim: string;
} {
  const bulk = bulkWorld({
    accounts: 4,
    vpcsPerAccount: options.vpcsPerAccount ?? 16,
    prodEvery: Number.POSITIVE_INFINITY,
  });
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

export async function hubOf(config: HubConfig, w: World): Promise<LocalHub> {
  return createLocalHub({
    config,
    world: w,
    startTime: START,
    snapshotAtStart: false,
    sdkTransport: SIMULATION_TRANSPORT,
    twinOptions: { timings: { attachmentPendingMs: 90_000 } },
  });
}

/** Simulated ms from the hub's start to the end of the VPC's execution that connected it. */
export function connectedAfter(hub: LocalHub, vpcId: string): number {
  expect(ec2State(hub.twin).vpcs[vpcId]?.tags['spokelink:status']).toBe('connected');
  const connected = hub
    .executions()
    .filter((e) => e.name.startsWith(vpcId) && e.status === 'SUCCEEDED')
    .map((e) => e.stopDate ?? Number.POSITIVE_INFINITY);
  return Math.min(...connected) - hub.startedAt;
}

/**
 * A flood: every VPC of three accounts (the attacker's, `3 * vpcsPerAccount` of them) tagged at once, while another
 * account tags its single VPC. The victim connects within twice the time it takes alone, the flood never runs more
 * than the per-account limit at once, the rest waits and none is lost.
 */
export async function expectFloodWaitsBehindItself(options: {
  vpcsPerAccount: number;
  maxConcurrentExecutionsPerAccount?: number;
}): Promise<void> {
  const sized = (w: ReturnType<typeof world>) =>
    options.maxConcurrentExecutionsPerAccount === undefined
      ? w
      : {
          ...w,
          config: parseConfig({
            ...w.config,
            intake: {
              ...w.config.intake,
              maxConcurrentExecutionsPerAccount: options.maxConcurrentExecutionsPerAccount,
            },
          }),
        };
  const solo = sized(world({ flood: false, vpcsPerAccount: options.vpcsPerAccount }));
  const soloHub = await hubOf(solo.config, solo.world);
  let soloMs: number;
  try {
    await soloHub.tagVpc(solo.victim, { 'spokelink:connect': 'true' });
    await soloHub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });
    soloMs = connectedAfter(soloHub, solo.victim);
  } finally {
    await soloHub.close();
  }

  const flooded = sized(world({ flood: true, vpcsPerAccount: options.vpcsPerAccount }));
  const size = 3 * options.vpcsPerAccount;
  expect(flooded.flood).toHaveLength(size);
  const limit = flooded.config.intake.maxConcurrentExecutionsPerAccount;
  // A flood no larger than the limit would not wait at all.
  expect(size).toBeGreaterThan(limit);
  const hub = await hubOf(flooded.config, flooded.world);
  try {
    for (const vpcId of flooded.flood) await hub.tagVpc(vpcId, { 'spokelink:connect': 'true' });
    await hub.tagVpc(flooded.victim, { 'spokelink:connect': 'true' });
    await hub.runUntilIdle({ maxVirtualMs: 6 * 3_600_000 });
    const floodedMs = connectedAfter(hub, flooded.victim);

    expect(floodedMs).toBeLessThanOrEqual(2 * soloMs);
    // The flood waited behind itself: never more than the limit running at once, the rest queued, none lost.
    const report = await hub.report();
    expect(report.intakeQueue.peakByAccount[ATTACKER]).toBeGreaterThanOrEqual(size - limit);
    expect(report.intakeQueue.peakByAccount[VICTIM_ACCOUNT] ?? 0).toBe(0);
    expect(report.intakeQueue.depth).toBe(0);
    const attackerRuns = hub.executions().filter((e) => flooded.flood.some((id) => e.name.startsWith(id)));
    expect(maxOverlap(attackerRuns)).toBeLessThanOrEqual(limit);
    for (const vpcId of flooded.flood)
      expect(ec2State(hub.twin).vpcs[vpcId]?.tags['spokelink:status']).toBe('connected');
  } finally {
    await hub.close();
  }
}

/** The most executions running at one time. */
export function maxOverlap(executions: { startDate: number; stopDate?: number }[]): number {
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
