import type { LocalHub } from '#local/hub';
import {
  ANALYTICS,
  changeConfig,
  LOGS,
  lifecycleConfig,
  lifecycleHub,
  PAYMENTS,
  registryOf,
  runReconcile,
  settle,
  statusOf,
} from './helpers';

/**
 * Configuration rollouts in canary batches (functions/reconcile/rollout.ts): a configuration change reaches a first
 * batch of members (`operations.rollout.canaryVpcs`), the rest only on a later run once the canary succeeded; a
 * canary whose failures exceed `maxCanaryFailures` stops the rollout, with a failure notification.
 */

// Two members: the canary (one VPC) and the rest.
const MEMBERS = [ANALYTICS, PAYMENTS].sort();

/** The lifecycle hub with two connected members and a canary of one VPC. */
async function hubWithMembers(): Promise<LocalHub> {
  const hub = await lifecycleHub({
    config: lifecycleConfig((raw) => {
      raw.operations = { rollout: { canaryVpcs: 1, maxCanaryFailures: 0 } };
    }),
  });
  for (const vpcId of MEMBERS) await hub.tagVpc(vpcId, { 'spokelink:connect': 'true' });
  await settle(hub);
  for (const vpcId of MEMBERS) expect(statusOf(hub, vpcId).status).toBe('connected');
  return hub;
}

/** The catalog gains a `logs` endpoint every segment may use (its security group: `group`). */
const addLogs = (hub: LocalHub, group: string) =>
  changeConfig(hub, (raw) => {
    (raw.endpoints as Record<string, unknown>).logs = { privateHostedZoneIds: [LOGS.zone], securityGroupId: group };
  });

const hasLogs = async (hub: LocalHub, vpcId: string) =>
  ((await registryOf(hub, vpcId)).CURRENT!.zones as { zoneId: string }[]).some((z) => z.zoneId === LOGS.zone);

describe('Lifecycle: configuration rollouts in canary batches', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('re-plans one canary VPC first and the rest on the next run once it succeeded', async () => {
    hub = await hubWithMembers();
    addLogs(hub, LOGS.group);

    const first = await runReconcile(hub);
    expect(first.summary).toMatchObject({ onboard: 1, rolloutHeld: 1 });
    expect(first.summary.rollout).toMatchObject({ stage: 'canary', canary: [MEMBERS[0]] });
    expect(await hasLogs(hub, MEMBERS[0]!)).toBe(true);
    expect(await hasLogs(hub, MEMBERS[1]!)).toBe(false);

    const rest = await runReconcile(hub);
    expect(rest.summary).toMatchObject({ onboard: 1, rolloutHeld: 0 });
    expect(rest.summary.rollout).toMatchObject({ stage: 'rest', failed: [] });
    for (const vpcId of MEMBERS) {
      expect(await hasLogs(hub, vpcId)).toBe(true);
      expect(statusOf(hub, vpcId).status).toBe('connected');
    }
    expect(hub.sns.messages.filter((m) => m.subject?.includes('rollout'))).toEqual([]);
  });

  it('stops the rollout when the canary fails, says so, and leaves the other VPCs on the previous configuration', async () => {
    hub = await hubWithMembers();
    // A security group that does not exist: the canary's AuthorizeSecurityGroupIngress fails.
    addLogs(hub, 'sg-0e55e00000000dead');

    const canary = await runReconcile(hub);
    expect(canary.summary).toMatchObject({ onboard: 1, rolloutHeld: 1 });
    expect(statusOf(hub, MEMBERS[0]!).status).toBe('failed');

    const stopped = await runReconcile(hub);
    // Held: the other member, and the failed canary's retry (it would fail the same way every run).
    expect(stopped.summary).toMatchObject({ onboard: 0, rolloutHeld: 2 });
    expect(stopped.summary.rollout).toMatchObject({ stage: 'stopped', failed: [MEMBERS[0]] });
    const notices = hub.sns.messages.filter((m) => m.subject === 'spokelink: configuration rollout stopped');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.message).toMatch(
      new RegExp(
        `1 of 1 canary VPC\\(s\\) failed \\(${MEMBERS[0]}\\), more than operations.rollout.maxCanaryFailures \\(0\\)`,
      ),
    );
    for (const vpcId of MEMBERS.slice(1)) {
      expect(statusOf(hub, vpcId).status).toBe('connected');
      expect(await hasLogs(hub, vpcId)).toBe(false);
    }
    // Still stopped on the next run: nothing more starts, no second notification.
    const still = await runReconcile(hub);
    expect(still.summary).toMatchObject({ onboard: 0, rolloutHeld: 2 });
    expect(hub.sns.messages.filter((m) => m.subject === 'spokelink: configuration rollout stopped')).toHaveLength(1);

    // The fixed configuration is a new rollout: a new canary.
    addLogs(hub, LOGS.group);
    const fixed = await runReconcile(hub);
    expect(fixed.summary.rollout).toMatchObject({ stage: 'canary' });
  });
});
