import type { LocalHub } from '#local/hub';
import { advance, claims, lifecycleHub, networkDiff, PAYMENTS, registryOf, settle, statusOf } from './helpers';

/** Runs until an execution of the VPC has entered `state`. */
async function runUntilState(hub: LocalHub, state: string): Promise<void> {
  let reached = false;
  const stop = hub.onProgress((p) => {
    if (p.kind === 'state' && p.event === 'entered' && p.state === state) reached = true;
  });
  const run = await hub.runUntil(() => reached, { maxVirtualMs: 3_600_000 });
  stop();
  if (!reached) throw new Error(`no execution reached ${state} (${run.reason})`);
}

describe('Lifecycle: offboarding while an onboarding runs for the same VPC', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('waits for the onboarding, then removes everything it made: connected, then disconnected, nothing orphaned', async () => {
    hub = await lifecycleHub();
    const before = hub.twin.snapshot();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await runUntilState(hub, 'WaitForAttachment'); // attachment created, zones and rules being added

    await hub.untagVpc(PAYMENTS, ['spokelink:connect', 'spokelink:segment']);
    await settle(hub);
    await advance(hub, 5 * 60_000);

    const runs = hub
      .executions()
      .map((e) => ({ kind: e.name.split('-')[2], status: e.status, start: e.startDate, stop: e.stopDate! }));
    expect(runs.map((r) => [r.kind, r.status])).toEqual([
      ['onboard', 'SUCCEEDED'],
      ['offboard', 'SUCCEEDED'],
    ]);
    // The intake queued the offboarding while the onboarding ran (one execution per VPC at a time) and started it
    // when that one ended (the status-change event frees the VPC).
    expect(runs[1]!.start).toBeGreaterThanOrEqual(runs[0]!.stop);
    expect(runs[1]!.start - runs[0]!.stop).toBeLessThan(60_000);
    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({
      status: 'disconnected',
      routes: [],
      zones: [],
      securityGroupRules: [],
      endpointServicePrincipals: [],
    });
    expect(await claims(hub)).not.toHaveProperty(PAYMENTS);
    expect(networkDiff(hub, before)).toEqual([]);
  });

  it('never connects a VPC untagged before its onboarding read it', async () => {
    // Both events are on their way (EventBridge delivers seconds later) when the onboarding first reads the VPC.
    hub = await lifecycleHub({ events: { delayMs: 5_000 } });
    const before = hub.twin.snapshot();
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true' });
    await hub.untagVpc(PAYMENTS, ['spokelink:connect']);
    await settle(hub);

    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(statusOf(hub, PAYMENTS).status).toBeUndefined();
    expect(await registryOf(hub, PAYMENTS)).toEqual({});
    expect(networkDiff(hub, before)).toEqual([]);
  });
});
