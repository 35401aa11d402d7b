import {
  accountsWaitingAfter,
  enqueue,
  giveBackHubSlot,
  hubSlots,
  hubSlotsRunning,
  takeHubSlot,
} from '#shared/intake-queue';
import { dynaliteTables } from './dynalite-tables';

// The hub's slots (intake.maxConcurrentExecutions) against a DynamoDB emulator: the count is exact because each slot
// is taken and given back by one conditional update, which a mock could not show.

const tables = dynaliteTables('slots');
const freshTable = tables.fresh;

const vpc = (n: number) => `vpc-0a${String(n).padStart(15, '0')}`;

describe('The hub slots (intake.maxConcurrentExecutions)', () => {
  it('gives exactly `limit` of many racing takers a slot, the first one ever included', async () => {
    const table = await freshTable();
    const taken = await Promise.all(Array.from({ length: 12 }, (_, i) => takeHubSlot(table, vpc(i), `run-${i}`, 3)));
    expect(taken.filter(Boolean)).toHaveLength(3);
    const slots = await hubSlots(table);
    expect(slots.running).toBe(3);
    // What a dispatch pass reads: the count alone, the same.
    expect(await hubSlotsRunning(table)).toBe(3);
    expect(Object.keys(slots.holders).sort()).toEqual(taken.flatMap((t, i) => (t ? [vpc(i)] : [])).sort());
  });

  it('gives a slot back once, only for the execution that holds it, and lets the next one take it', async () => {
    const table = await freshTable();
    expect(await takeHubSlot(table, vpc(1), 'first', 1)).toBe(true);
    expect(await takeHubSlot(table, vpc(2), 'second', 1)).toBe(false);
    expect(await giveBackHubSlot(table, vpc(1), 'someone-else')).toBe(false);
    expect(await giveBackHubSlot(table, vpc(1), 'first')).toBe(true);
    expect(await giveBackHubSlot(table, vpc(1), 'first')).toBe(false);
    expect(await takeHubSlot(table, vpc(2), 'second', 1)).toBe(true);
    expect(await hubSlots(table)).toEqual({ running: 1, holders: { [vpc(2)]: 'second' } });
  });

  it("hands a VPC's slot to its next execution without counting it twice (the earlier one waits for an approval)", async () => {
    const table = await freshTable();
    expect(await takeHubSlot(table, vpc(1), 'waiting-for-approval', 1)).toBe(true);
    // The hub is full, yet the VPC's own next request takes the slot its earlier execution held.
    expect(await takeHubSlot(table, vpc(1), 'next', 1)).toBe(true);
    expect(await hubSlots(table)).toEqual({ running: 1, holders: { [vpc(1)]: 'next' } });
    expect(await giveBackHubSlot(table, vpc(1), 'waiting-for-approval')).toBe(false);
    expect(await giveBackHubSlot(table, vpc(1), 'next')).toBe(true);
    expect((await hubSlots(table)).running).toBe(0);
    expect(await hubSlotsRunning(table)).toBe(0);
  });

  it('gives back nothing, without an error, before any slot was ever taken', async () => {
    const table = await freshTable();
    expect(await hubSlotsRunning(table)).toBe(0);
    expect(await giveBackHubSlot(table, vpc(1), 'never')).toBe(false);
    expect(await hubSlots(table)).toEqual({ running: 0, holders: {} });
  });

  it('offers a freed slot to the accounts after the given one in account order, then those before it', async () => {
    const table = await freshTable();
    const accounts = ['100000000001', '100000000002', '100000000003', '100000000004'];
    for (const [i, accountId] of accounts.entries()) {
      for (const n of [1, 2]) {
        await enqueue(
          table,
          {
            accountId,
            vpcId: vpc(i * 10 + n),
            workflow: 'onboard',
            eventId: `e-${i}-${n}`,
            event: '{}',
            eventTime: '2026-03-02T09:00:00Z',
          },
          0,
          0,
        );
      }
    }
    expect(await accountsWaitingAfter(table, accounts[1]!, 5)).toEqual([accounts[2], accounts[3], accounts[0]]);
    expect(await accountsWaitingAfter(table, accounts[3]!, 2)).toEqual([accounts[0], accounts[1]]);
  });
});
