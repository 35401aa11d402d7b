import type { LocalHub } from '#local/hub';
import { hubClients } from '#shared/aws';
import { getApproval, registryTable } from '#shared/registry';
import { localApprover, localTransport } from '../../cli/commands/approve';
import { handleDecision } from '../../functions/decision/decision';
import { ANALYTICS, advance, lifecycleHub, networkDiff, registryOf, settle, statusOf } from '../lifecycle/helpers';

// Attacks and races on approvals (docs/lifecycle.md, "Approvals"): the tenant controls its VPC's tags and can change
// them at any moment; approvers decide about the request they were shown, as the IAM identity AWS authenticated.

const RESTRICTED = { 'spokelink:connect': 'true', 'spokelink:segment': 'restricted' };

async function decide(hub: LocalHub, body: Record<string, unknown>, approver = 'alice') {
  const reply = await localTransport(hub, localApprover(hub, approver))({ vpcId: ANALYTICS, ...body } as never);
  return { statusCode: reply.statusCode, ...(JSON.parse(reply.body) as Record<string, unknown>) };
}

/** A hub where ANALYTICS asks to join the restricted segment and waits for a decision. */
async function pendingRequest(): Promise<LocalHub> {
  const hub = await lifecycleHub();
  await hub.tagVpc(ANALYTICS, RESTRICTED);
  await settle(hub);
  return hub;
}

const pending = (hub: LocalHub) => getApproval(registryTable(hub.config), ANALYTICS);
const offNetwork = (hub: LocalHub, before: Record<string, unknown>) =>
  networkDiff(hub, before).filter((p) => !p.includes('.tags.spokelink:') && !p.includes('.tags.spokelink'));

describe('Security: an approval is bound to the request the approver saw', () => {
  let hub: LocalHub;
  let before: Record<string, unknown>;
  beforeEach(async () => {
    hub = await lifecycleHub();
    before = hub.twin.snapshot();
    await hub.tagVpc(ANALYTICS, { ...RESTRICTED, 'spokelink:services': 'ssm' });
    await settle(hub);
  });
  afterEach(() => hub?.close());

  it('approving "ssm" never connects "ssm,sts" asked for just before the decision: that request needs its own approval', async () => {
    const seen = await pending(hub);
    expect(seen).toMatchObject({ services: ['ssm'] });
    // The tenant widens the request; at the same moment the approver approves what was shown.
    await hub.tagVpc(ANALYTICS, { 'spokelink:services': 'ssm,sts' });
    expect(await decide(hub, { decision: 'approve' })).toMatchObject({ statusCode: 200 });
    await settle(hub);

    expect((await registryOf(hub, ANALYTICS)).CURRENT).toBeUndefined();
    expect(offNetwork(hub, before)).toEqual([]);
    expect(statusOf(hub, ANALYTICS).status).toBe('pending-approval');
    const now = await pending(hub);
    expect(now).toMatchObject({ services: ['ssm', 'sts'] });
    expect(now!.requestDigest).not.toBe(seen!.requestDigest);
  });

  it('refuses a decision pinned to a request that is no longer the pending one (409), deciding nothing', async () => {
    const seen = (await pending(hub))!.requestDigest;
    await hub.tagVpc(ANALYTICS, { 'spokelink:services': 'ssm,sts' });
    await settle(hub);

    const reply = await decide(hub, { decision: 'approve', request: seen.slice(0, 12) });
    await settle(hub);

    expect(reply).toMatchObject({ statusCode: 409, error: expect.stringContaining('nothing decided') });
    // Only the new request waits (the replaced one was withdrawn when it was replaced): none was answered.
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
    expect((await pending(hub))!.requestDigest).not.toBe(seen);
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toBeUndefined();
    expect(offNetwork(hub, before)).toEqual([]);
  });
});

describe('Security: a withdrawn or replaced request stays withdrawn', () => {
  let hub: LocalHub;
  beforeEach(async () => {
    hub = await pendingRequest();
  });
  afterEach(() => hub?.close());

  it('a new request of the VPC ends the wait of the one it replaces: no approver can act on the old one', async () => {
    const old = (await pending(hub))!;
    await hub.tagVpc(ANALYTICS, { 'spokelink:services': 'ssm' });
    await settle(hub);

    const now = (await pending(hub))!;
    expect(now.executionArn).not.toBe(old.executionArn);
    expect(now.services).toEqual(['ssm']);
    // The replaced execution ended quietly (withdrawn), without waiting for its timeout and without a status write.
    const replaced = hub.executions().find((e) => e.executionArn === old.executionArn)!;
    expect(replaced.status).toBe('SUCCEEDED');
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
    expect(statusOf(hub, ANALYTICS).status).toBe('pending-approval');
    expect(statusOf(hub, ANALYTICS).execution).toBe(now.executionName);
    // The old request cannot be decided any more: a decision pinned to it is refused, nothing is decided.
    expect(await decide(hub, { decision: 'approve', request: old.requestDigest.slice(0, 12) })).toMatchObject({
      statusCode: 409,
    });
    await settle(hub);
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toBeUndefined();
  });

  it('offboarding withdraws the pending approval: no approver can act on it, its timeout writes nothing', async () => {
    await hub.untagVpc(ANALYTICS, ['spokelink:connect']);
    await settle(hub);

    expect(statusOf(hub, ANALYTICS).status).toBe('disconnected');
    expect(await pending(hub)).toBeUndefined();
    expect(hub.sfn.waitingForTokens()).toEqual([]);
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(await decide(hub, { decision: 'approve' })).toMatchObject({ statusCode: 404 });
    expect(await decide(hub, { decision: 'deny', reason: 'late' })).toMatchObject({ statusCode: 404 });

    await advance(hub, 11 * 60_000);
    expect(statusOf(hub, ANALYTICS).status).toBe('disconnected');
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toBeUndefined();
  });

  it("a replaced request's timeout never overwrites the status of the VPC connected since", async () => {
    // The tenant drops the segment that needs an approval: the new request connects without one.
    await hub.tagVpc(ANALYTICS, { 'spokelink:segment': 'nonprod' });
    await settle(hub);
    const connected = statusOf(hub, ANALYTICS);
    expect(connected.status).toBe('connected');

    await advance(hub, 11 * 60_000);

    expect(statusOf(hub, ANALYTICS)).toEqual(connected);
    expect((await registryOf(hub, ANALYTICS)).CURRENT).toMatchObject({ status: 'connected', segment: 'nonprod' });
  });

  it('a denial of a request changed meanwhile rejects nothing: the new request stands', async () => {
    const execution = (await pending(hub))!.executionArn;
    // The approver answers the pending request; the tenant has just asked for nonprod instead (no approval needed).
    expect(await decide(hub, { decision: 'deny', reason: 'no' })).toMatchObject({ statusCode: 200 });
    await hub.tagVpc(ANALYTICS, { 'spokelink:segment': 'nonprod' });
    await settle(hub);

    expect(statusOf(hub, ANALYTICS).status).toBe('connected');
    expect(hub.executions().find((e) => e.executionArn === execution)?.status).toBe('SUCCEEDED');
  });
});

describe('Security: decisions come through the IAM-authenticated entry point only', () => {
  let hub: LocalHub;
  beforeEach(async () => {
    hub = await pendingRequest();
  });
  afterEach(() => hub?.close());

  it("refuses a tenant's credentials (another account) with 403 before the function runs; nothing is decided", async () => {
    const tenant = hub.twin.credentialsFor('arn:aws:iam::333333333333:role/app-team');
    const reply = await hub.invokeFunctionUrl(
      'decision',
      { method: 'POST', body: JSON.stringify({ vpcId: ANALYTICS, decision: 'approve' }) },
      tenant,
    );
    await settle(hub);

    expect(reply.statusCode).toBe(403);
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
    expect(statusOf(hub, ANALYTICS).status).toBe('pending-approval');
  });

  it('refuses unknown credentials, a request without an IAM caller, and a self-asserted approver name', async () => {
    const unknown = await hub.invokeFunctionUrl(
      'decision',
      { method: 'POST', body: '{}' },
      { accessKeyId: 'AKIAFORGED' },
    );
    expect(unknown.statusCode).toBe(403);

    const deps = { registry: registryTable(hub.config), sfn: hubClients(hub.config.hub.region).sfn, now: Date.now };
    const anonymous = await handleDecision(
      { requestContext: { http: { method: 'POST' } }, body: JSON.stringify({ vpcId: ANALYTICS, decision: 'approve' }) },
      deps,
    );
    expect(anonymous.statusCode).toBe(403);

    const asserted = await decide(hub, { decision: 'approve', by: 'the-ceo' });
    expect(asserted).toMatchObject({ statusCode: 400, error: expect.stringContaining('by') });
    await settle(hub);
    expect(hub.sfn.waitingForTokens()).toHaveLength(1);
  });

  it("records the approver's authenticated ARN in the execution history", async () => {
    await decide(hub, { decision: 'approve', reason: 'NET-7' }, 'network-lead');
    await settle(hub);

    const history = JSON.stringify(hub.sfn.history(hub.executions()[0]!.executionArn));
    expect(history).toContain('arn:aws:iam::111111111111:role/network-lead');
    expect(statusOf(hub, ANALYTICS).status).toBe('connected');
  });
});
