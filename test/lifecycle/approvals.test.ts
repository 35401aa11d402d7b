import type { LocalHub } from '#local/hub';
import { registryTable } from '#shared/registry';
import { ApprovalExpiredError, type Decision, decide, NoPendingApprovalError } from '../../functions/approval/decide';
import { ANALYTICS, advance, lifecycleHub, networkDiff, registryOf, settle, statusOf } from './helpers';

const RESTRICTED = { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' };

function answer(hub: LocalHub, decision: Omit<Decision, 'vpcId'>) {
  return decide(
    { vpcId: ANALYTICS, ...decision },
    { registry: registryTable(hub.config), sfn: hub.approverSfn(), now: () => Date.now() },
  );
}

describe('Lifecycle: approvals', () => {
  let hub: LocalHub;
  let before: Record<string, unknown>;
  beforeEach(async () => {
    hub = await lifecycleHub();
    before = hub.twin.snapshot();
    await hub.tagVpc(ANALYTICS, RESTRICTED);
    await settle(hub);
  });
  afterEach(() => hub?.close());

  it('pauses before changing anything: status pending-approval, the request published, the token in the registry', async () => {
    expect(statusOf(hub, ANALYTICS)).toMatchObject({
      status: 'pending-approval',
      detail: expect.stringContaining('segment restricted requires approval'),
    });
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:'))).toEqual([]);
    const [message] = hub.sns.messages;
    expect(message).toMatchObject({ topicArn: expect.stringMatching(/:spokelink-approvals$/) });
    expect(message!.message).toMatch(
      /vpc-0b300000000000001 \(account 333333333333, us-east-1\) asks to join segment restricted/,
    );
    expect(message!.message).toContain('spokelink approve vpc-0b300000000000001');
    expect(message!.message).not.toContain(hub.sfn.waitingForTokens()[0]!.token);
    const items = await registryOf(hub, ANALYTICS);
    expect(items.APPROVAL).toMatchObject({ segment: 'restricted', taskToken: hub.sfn.waitingForTokens()[0]!.token });
    expect(items.CURRENT).toBeUndefined();
    expect(items.LEASE).toBeUndefined();
  });

  it('connects once approved, and clears the pending approval', async () => {
    const result = await answer(hub, { decision: 'approve', reason: 'ticket NET-42', by: 'alice' });
    await settle(hub);

    expect(result).toMatchObject({ vpcId: ANALYTICS, decision: 'approve', segment: 'restricted' });
    expect(JSON.stringify(result)).not.toMatch(/AQCE/);
    expect(statusOf(hub, ANALYTICS)).toMatchObject({
      status: 'connected',
      detail: expect.stringContaining('segment restricted'),
    });
    const items = await registryOf(hub, ANALYTICS);
    expect(items.APPROVAL).toBeUndefined();
    expect(items.CURRENT).toMatchObject({ status: 'connected', segment: 'restricted' });
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED']);
  });

  it('rejects when denied, with the reason, and changes nothing', async () => {
    await answer(hub, { decision: 'deny', reason: 'not a restricted workload', by: 'bob' });
    await settle(hub);

    expect(statusOf(hub, ANALYTICS)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^approval-denied: not a restricted workload \(by bob, /),
    });
    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:'))).toEqual([]);
    expect(await registryOf(hub, ANALYTICS)).toEqual({});
  });

  it('rejects when nobody decides in time ("approval timed out"), and changes nothing', async () => {
    await advance(hub, 11 * 60_000);

    expect(statusOf(hub, ANALYTICS)).toMatchObject({
      status: 'rejected',
      detail: 'approval-timeout: approval timed out (no decision within 600 seconds)',
    });
    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:'))).toEqual([]);
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED']);
    // A late answer finds the execution no longer waiting (Step Functions: TaskTimedOut).
    await expect(answer(hub, { decision: 'approve' })).rejects.toBeInstanceOf(ApprovalExpiredError);
    await expect(answer(hub, { decision: 'approve' })).rejects.toBeInstanceOf(NoPendingApprovalError);
  });

  it('does not connect a VPC that stopped asking while it waited', async () => {
    await hub.untagVpc(ANALYTICS, ['spokelink:connect']);
    await settle(hub);
    await answer(hub, { decision: 'approve' });
    await settle(hub);

    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:'))).toEqual([]);
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toBeUndefined();
  });

  it('does not ask again for a services change of an approved member', async () => {
    await answer(hub, { decision: 'approve' });
    await settle(hub);
    await hub.tagVpc(ANALYTICS, { 'spokelink:services': 'ssm' });
    await settle(hub);

    expect(hub.sfn.waitingForTokens()).toEqual([]);
    expect(statusOf(hub, ANALYTICS).status).toBe('connected');
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toMatchObject({ services: ['ssm'], segment: 'restricted' });
  });
});
