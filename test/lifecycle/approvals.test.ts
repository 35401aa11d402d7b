import type { LocalHub } from '#local/hub';
import { localApprover, localTransport } from '../../cli/commands/approve';
import type { DecisionBody } from '../../functions/decision/decision';
import { expectCalledOnFullPath } from '../sdk-path';
import { ANALYTICS, advance, lifecycleHub, networkDiff, registryOf, settle, statusOf } from './helpers';

const RESTRICTED = { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' };

/** A decision through the local hub's decision function URL, as the approver role `by` of the hub account. */
async function answer(hub: LocalHub, decision: Omit<DecisionBody, 'vpcId'> & { by?: string }) {
  const { by, ...body } = decision;
  const reply = await localTransport(hub, localApprover(hub, by))({ vpcId: ANALYTICS, ...body });
  return { statusCode: reply.statusCode, ...(JSON.parse(reply.body) as Record<string, unknown>) };
}

describe('Lifecycle: approvals', () => {
  let hub: LocalHub;
  let before: Record<string, unknown>;
  beforeEach(async () => {
    // The full SDK path: the denial's SendTaskFailure (test/infra/permissions-coverage.test.ts).
    hub = await lifecycleHub({ sdkTransport: 'sdk' });
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
    expect(items.LEASE?.owner).toBeUndefined();
  });

  it('connects once approved, and clears the pending approval', async () => {
    const result = await answer(hub, { decision: 'approve', reason: 'ticket NET-42', by: 'alice' });
    await settle(hub);

    expect(result).toMatchObject({
      statusCode: 200,
      vpcId: ANALYTICS,
      decision: 'approve',
      segment: 'restricted',
      by: 'arn:aws:iam::111111111111:role/alice',
    });
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
      detail: expect.stringMatching(
        /^approval-denied: not a restricted workload \(by arn:aws:iam::111111111111:role\/bob, /,
      ),
    });
    expect(networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:'))).toEqual([]);
    const items = await registryOf(hub, ANALYTICS);
    expect(items.CURRENT).toBeUndefined();
    expect(items.APPROVAL).toBeUndefined();
    expect(items.LEASE?.owner).toBeUndefined();
    expectCalledOnFullPath(hub, ['states:SendTaskFailure']);
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
    await expect(answer(hub, { decision: 'approve' })).resolves.toMatchObject({
      statusCode: 409,
      error: expect.stringContaining('no longer waits for an approval'),
    });
    await expect(answer(hub, { decision: 'approve' })).resolves.toMatchObject({ statusCode: 404 });
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
