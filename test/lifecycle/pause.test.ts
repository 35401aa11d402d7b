import type { LocalHub } from '#local/hub';
import { PAUSED_DETAIL } from '#shared/tags';
import {
  changeConfig,
  LEDGER,
  LOGS,
  lifecycleHub,
  PAYMENTS,
  registryOf,
  runReconcile,
  settle,
  statusOf,
} from './helpers';

/**
 * The pause switch (`operations.paused`, docs/deploy.md "Pausing the hub"): while it is on, no onboarding starts and
 * the reconcile rolls out no configuration change, but offboardings go on; the held requests stay in the intake queue
 * and start once it is off.
 */

const onboardingsOf = (hub: LocalHub, vpcId: string) =>
  hub.executions().filter((e) => e.name.startsWith(`${vpcId}-onboard-`) || e.name.startsWith(`${vpcId}-reconcile-`));

const queuedRequest = async (hub: LocalHub, vpcId: string) =>
  (await hub.registry()).find((i) => i.pk === 'INTAKE#QUEUE' && String(i.sk).endsWith(`#${vpcId}`));

const pause = (hub: LocalHub, paused: boolean) =>
  changeConfig(hub, (raw) => {
    raw.operations = { ...(raw.operations as object), paused };
  });

describe('Lifecycle: pausing the hub', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('holds a new onboarding in the queue, tells the VPC pending, lets an offboarding run, and resumes when unpaused', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(LEDGER, { 'spokelink:connect': 'true' });
    await settle(hub);
    expect(statusOf(hub, LEDGER).status).toBe('connected');

    pause(hub, true);
    await hub.tagVpc(PAYMENTS, { 'spokelink:connect': 'true' });
    await settle(hub);
    // Held: no execution, nothing built, the request kept in the queue with its event.
    expect(onboardingsOf(hub, PAYMENTS)).toEqual([]);
    expect(await registryOf(hub, PAYMENTS)).toEqual({});
    expect(await queuedRequest(hub, PAYMENTS)).toMatchObject({ workflow: 'onboard', vpcId: PAYMENTS });

    // An offboarding is not held.
    await hub.untagVpc(LEDGER, ['spokelink:connect']);
    await settle(hub);
    expect(statusOf(hub, LEDGER).status).toBe('disconnected');

    // The reconcile starts nothing for the held VPC and tells it why it waits.
    const run = await runReconcile(hub);
    expect(run.summary.onboard).toBe(0);
    expect(run.summary.paused).toBe(1);
    expect(statusOf(hub, PAYMENTS)).toMatchObject({ status: 'pending', detail: PAUSED_DETAIL });
    expect(onboardingsOf(hub, PAYMENTS)).toEqual([]);
    // Told once: a second run writes no status again.
    const again = await runReconcile(hub);
    expect(again.summary.reports).toBe(0);

    pause(hub, false);
    // The dispatcher's minute schedule starts the held request.
    await hub.runUntil(() => statusOf(hub, PAYMENTS).status === 'connected', { maxVirtualMs: 3_600_000 });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(await queuedRequest(hub, PAYMENTS)).toBeUndefined();
  });

  it('rolls out no configuration change while paused, and the change reaches the members once unpaused', async () => {
    hub = await lifecycleHub();
    await hub.tagVpc(LEDGER, { 'spokelink:connect': 'true' });
    await settle(hub);
    const rulesBefore = (await registryOf(hub, LEDGER)).CURRENT!.securityGroupRules;

    pause(hub, true);
    changeConfig(hub, (raw) => {
      (raw.endpoints as Record<string, unknown>).logs = {
        privateHostedZoneIds: [LOGS.zone],
        securityGroupId: LOGS.group,
      };
    });
    const paused = await runReconcile(hub);
    expect(paused.summary).toMatchObject({ onboard: 0, paused: 1 });
    expect((await registryOf(hub, LEDGER)).CURRENT!.securityGroupRules).toEqual(rulesBefore);
    expect(statusOf(hub, LEDGER).status).toBe('connected');

    pause(hub, false);
    const resumed = await runReconcile(hub);
    expect(resumed.summary).toMatchObject({ onboard: 1, paused: 0 });
    expect((await registryOf(hub, LEDGER)).CURRENT!.zones).toEqual(
      expect.arrayContaining([expect.objectContaining({ zoneId: LOGS.zone })]),
    );
  });
});
