import { fairShare, MAX_ITEMS_PER_RUN, type ReconcileItem } from '../../../functions/reconcile/reconcile';

/**
 * The reconcile's slot sharing on its own (test/security/reconcile-fairness.scale.test.ts runs the same attack, 272
 * VPCs against the real limit of 250, on the local hub in `npm run test:scale`): the accounts take turns, so one
 * account's many repairs never take another account's slot, and repairs never run come before those that already ran.
 */

const HOUR = 3_600_000;

function candidate(accountId: string, n: number, attempted = false) {
  const vpcId = `vpc-${accountId.slice(-4)}${String(n).padStart(13, '0')}`;
  const item = {
    vpcId,
    accountId,
    region: 'us-east-1',
    action: 'onboard',
    name: `${vpcId}-reconcile`,
  } as ReconcileItem;
  return { item, attempted };
}

const vpcIds = (items: ReconcileItem[]) => items.map((i) => i.vpcId);

describe('Reconcile: fairShare', () => {
  it("keeps a slot for another account's repair when one account has more repairs than the run's limit", () => {
    const attacker = Array.from({ length: 12 }, (_, n) => candidate('111111111111', n));
    const victim = candidate('999999999999', 0);
    // The victim sorts last: a run that kept the first `limit` candidates in order would never reach it.
    for (const hour of [0, 1]) {
      const kept = fairShare([...attacker, victim], 10, hour * HOUR);
      expect(kept).toHaveLength(10);
      expect(vpcIds(kept)).toContain(victim.item.vpcId);
    }
  });

  it('gives each of A accounts at least floor(limit / A) slots', () => {
    const accounts = ['111111111111', '222222222222', '333333333333'];
    const candidates = accounts.flatMap((a) => Array.from({ length: 200 }, (_, n) => candidate(a, n)));
    const kept = fairShare(candidates, MAX_ITEMS_PER_RUN, 0);
    expect(kept).toHaveLength(MAX_ITEMS_PER_RUN);
    for (const account of accounts) {
      expect(kept.filter((i) => i.accountId === account).length).toBeGreaterThanOrEqual(
        Math.floor(MAX_ITEMS_PER_RUN / accounts.length),
      );
    }
  });

  it('puts the repairs that never ran before those that already ran once, within an account', () => {
    const ran = [0, 1, 2].map((n) => candidate('111111111111', n, true));
    const fresh = [3, 4].map((n) => candidate('111111111111', n));
    expect(vpcIds(fairShare([...ran, ...fresh], 2, 0))).toEqual(vpcIds(fresh.map((c) => c.item)));
  });

  it('keeps everything when there is room, and nothing when there is no candidate', () => {
    const all = [candidate('111111111111', 0), candidate('222222222222', 0)];
    expect(vpcIds(fairShare(all, 10, 0)).sort()).toEqual(vpcIds(all.map((c) => c.item)).sort());
    expect(fairShare([], 10, 0)).toEqual([]);
  });
});
