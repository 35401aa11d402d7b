import { createLocalHub, type LocalHub } from '#local/hub';
import { parseWorld, type World } from '#twin/world';
import { bulkWorld, spokeAccountId } from '../../bench/worlds';
import { runReconcile, statusOf } from '../lifecycle/helpers';

/**
 * Attack: a tenant tags 272 VPCs with a request the hub always rejects (an unknown segment), so that the hourly
 * reconcile, which starts at most 250 repairs per run, spends every run on them; meanwhile another tenant's tag event
 * is lost, and only the reconcile can repair it. The reconcile shares the run's slots across accounts and skips
 * rejections whose inputs did not change: the victim is repaired by the first run (docs/lifecycle.md, "Fairness and
 * limits": with A = 2 accounts having work, each gets at least 125 slots a run), and the attacker's VPCs cost one
 * attempt each, then nothing. Scale tier (`npm run test:scale`): the slot sharing itself is checked in `npm test` by
 * test/functions/reconcile/fair-share.test.ts, the skipped unchanged rejection by test/lifecycle/reconcile.test.ts.
 */

const ATTACKER = spokeAccountId(0);
const VICTIM_ACCOUNT = spokeAccountId(17);

function floodWorld(): {
  world: World;
  attackerVpcs: string[];
  victim: string;
  config: ReturnType<typeof bulkWorld>['config'];
} {
  const bulk = bulkWorld({ accounts: 18, vpcsPerAccount: 16 });
  const raw = JSON.parse(JSON.stringify(bulk.world)) as {
    ec2: { vpcs: { id: string; ownerId: string; tags?: Record<string, string> }[] };
  };
  const attackerVpcs: string[] = [];
  let victim = '';
  for (const vpc of raw.ec2.vpcs) {
    if (vpc.ownerId === VICTIM_ACCOUNT) {
      // Only the first VPC of the victim asks, and its tag event is lost (the tag is in the world, no event).
      if (!victim) {
        victim = vpc.id;
        vpc.tags = { ...vpc.tags, 'spokelink:connect': 'true' };
      }
    } else if (bulk.spokes.some((s) => s.vpcId === vpc.id)) {
      vpc.ownerId = ATTACKER;
      vpc.tags = { ...vpc.tags, 'spokelink:connect': 'true', 'spokelink:segment': 'nosuch' };
      attackerVpcs.push(vpc.id);
    }
  }
  return { world: parseWorld(raw, 'flood world'), attackerVpcs, victim, config: bulk.config };
}

describe('Security: 250+ permanently rejected VPCs of one tenant do not stop another tenant repair', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it("repairs the victim's lost event in the first run; the attacker's rejections cost one attempt each", async () => {
    const { world, attackerVpcs, victim, config } = floodWorld();
    expect(attackerVpcs.length).toBeGreaterThan(250);
    // The victim's VPC id sorts after every attacker VPC: a run that kept the first 250 by VPC id never reached it.
    expect(attackerVpcs.every((id) => id < victim)).toBe(true);
    hub = await createLocalHub({ config, world, startTime: Date.UTC(2026, 2, 2, 9), snapshotAtStart: false });

    const first = await runReconcile(hub, 40);

    expect(statusOf(hub, victim).status).toBe('connected');
    expect(first.summary).toMatchObject({ onboard: 250, unchangedRejections: 0 });
    expect(first.deferred).toBe(attackerVpcs.length + 1 - 250);

    const second = await runReconcile(hub, 40);
    // The 249 rejected by the first run are skipped (nothing changed); the deferred rest get their one attempt.
    expect(second.summary).toMatchObject({ onboard: attackerVpcs.length - 249, unchangedRejections: 249 });
    expect(second.deferred).toBe(0);

    const third = await runReconcile(hub, 40);
    expect(third.summary).toMatchObject({ onboard: 0, offboard: 0, unchangedRejections: attackerVpcs.length });
    expect(third.results).toEqual([]);
    for (const vpcId of attackerVpcs) expect(statusOf(hub, vpcId).status).toBe('rejected');
    // One execution per attacker VPC in three runs, plus the victim's.
    expect(
      hub.executions().filter((e) => e.name.includes('-reconcile-') && !e.name.startsWith('scheduled')),
    ).toHaveLength(attackerVpcs.length + 1);
  });
});
