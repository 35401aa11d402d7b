import type { LocalHub } from '#local/hub';
import { statusChangeEvent } from '#local/intake-dispatch';
import type { ExecutionRecord } from '#local/sfn';
import { lifecycleHub } from '../lifecycle/helpers';

/**
 * Attack: a tenant makes its executions fail by the hundred (or they fail on their own), so that the platform team's
 * mailbox fills with one message per failed execution and another account's single failure drowns. Failures are
 * summed up per account: at most one message per account per 15 minutes (notifications.failureWindowMinutes), with
 * the counts, none lost; messages never carry raw control or bidi characters.
 */

const ATTACKER = '222222222222';
const VICTIM = '333333333333';
const MINUTE = 60_000;

function ended(hub: LocalHub, account: string, n: number, status: 'FAILED' | 'TIMED_OUT' = 'FAILED') {
  const name = `vpc-0a20000000000000${n % 10}-onboard-${String(n).padStart(12, '0')}`;
  const execution = {
    executionArn: `${hub.sfn.arnOf('spokelink-onboard').replace(':stateMachine:', ':execution:')}:${name}`,
    stateMachineArn: hub.sfn.arnOf('spokelink-onboard'),
    name,
    startDate: hub.clock.now() - 1_000,
    stopDate: hub.clock.now(),
    // The execution's input is the tag event: its account is the tenant's.
    input: JSON.stringify({ account: account, detail: { tags: { Name: 'x\u001b[2J\u202e' } } }),
    error: 'StepFailedError\u001b]0;pwned\u0007',
  } as unknown as ExecutionRecord;
  return statusChangeEvent(execution, status, hub.config.hub.accountId, hub.config.hub.region);
}

async function advance(hub: LocalHub, ms: number): Promise<void> {
  let reached = false;
  setTimeout(() => {
    reached = true;
  }, ms);
  await hub.runUntil(() => reached);
}

describe('Security: failure notifications are summed up per account', () => {
  let hub: LocalHub | undefined;
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
  });

  it('sends at most one message per account per 15 minutes, with the counts, and none lost', async () => {
    hub = await lifecycleHub();
    // The notifier as its rule and schedule invoke it, the virtual clock running while it works.
    const notify = async (event: unknown) => {
      let done = false;
      const call = hub!.lambdas.invoke('notify-failures', event).finally(() => {
        done = true;
      });
      await hub!.runUntil(() => done);
      return call;
    };
    const failures = () => hub!.sns.messages.filter((m) => m.topicArn.endsWith(':spokelink-failures'));

    // 100 failures of the attacker within 10 minutes, one of the victim in between.
    for (let i = 0; i < 100; i += 1) {
      await notify(ended(hub, ATTACKER, i, i % 10 === 0 ? 'TIMED_OUT' : 'FAILED'));
      if (i === 50) await notify(ended(hub, VICTIM, 1000));
      await advance(hub, 6_000);
    }
    // The first failure of each account went out at once; the rest of the attacker's wait for its window.
    expect(failures().map((m) => m.subject)).toEqual([
      `spokelink: 1 unsuccessful execution(s) in account ${ATTACKER}`,
      `spokelink: 1 unsuccessful execution(s) in account ${VICTIM}`,
    ]);

    // The minute schedule sends the counts once the window is over: 99 more, in one message.
    for (let minute = 0; minute < 10; minute += 1) {
      await notify({ source: 'schedule' });
      await advance(hub, MINUTE);
    }
    const all = failures();
    expect(all).toHaveLength(3);
    expect(all[2]!.subject).toBe(`spokelink: 99 unsuccessful execution(s) in account ${ATTACKER}`);
    expect(all[2]!.message).toMatch(/: 90 FAILED, 9 TIMED_OUT\./);
    // Never two messages of one account within 15 minutes.
    const attacker = all.filter((m) => m.subject?.endsWith(ATTACKER));
    expect(attacker[1]!.at - attacker[0]!.at).toBeGreaterThanOrEqual(15 * MINUTE);
    // Nothing raw from the failing executions reaches a message.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for raw control characters.
    const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    for (const m of all) expect(`${m.subject}${m.message}`).not.toMatch(raw);
    expect(all[2]!.message).toContain('\\u001b');

    // Nothing pending: the next scheduled pass sends nothing.
    await notify({ source: 'schedule' });
    expect(failures()).toHaveLength(3);
  });
});
