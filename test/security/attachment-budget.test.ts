import { parseConfig } from '#shared/config';
import {
  ACCOUNTS,
  aggregatedIngressConfig,
  exampleWorld,
  scenarioVpc,
  scenarioVpcId,
  startWorkflowHub,
  type WorkflowHub,
  withVpcs,
} from '../workflow/helpers';

/**
 * Attack: one tenant tags many VPCs at once to take the hub TGW's attachments (5,000, not adjustable, shared by every
 * tenant). In Profile mode with aggregated ingress a VPC adds no endpoint rule and no zone association, so the rule
 * and zone budgets never bind; `budgets.attachmentsPerAccount` does, race-free (the attachment slots count each
 * account's members in the same conditional write that takes a slot): the tenant gets its budget and no more, each VPC
 * over it is `rejected` (`budget-exceeded`) with nothing made, and another tenant still connects.
 */

const REQUEST = { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' };
const BUDGET = 2;

function attackConfig() {
  const raw = JSON.parse(JSON.stringify(aggregatedIngressConfig({ nonprod: ['10.32.0.0/11'] }))) as Record<
    string,
    unknown
  >;
  raw.dns = { mode: 'profile' };
  raw.budgets = { attachmentsPerAccount: BUDGET };
  return parseConfig(raw, 'Profile mode, aggregated ingress, 2 attachments per account');
}

describe('Security: one tenant cannot take more than its budget of TGW attachments', () => {
  let w: WorkflowHub;
  const attacker = [1, 2, 3, 4, 5].map(scenarioVpcId);
  const other = scenarioVpcId(6);

  beforeAll(async () => {
    const world = exampleWorld();
    for (const n of [1, 2, 3, 4, 5]) {
      withVpcs(world, scenarioVpc(n, { ownerId: ACCOUNTS.analytics, cidrs: [`10.4${n}.0.0/16`] }));
    }
    withVpcs(world, scenarioVpc(6, { ownerId: ACCOUNTS.reporting, cidrs: ['10.46.0.0/16'] }));
    w = await startWorkflowHub({ world, config: attackConfig() });
    // The tenant tags all its VPCs at the same moment; the other tenant one VPC.
    for (const vpcId of [...attacker, other]) await w.hub.tagVpc(vpcId, REQUEST);
    await w.hub.runUntilIdle();
  });
  afterAll(() => w?.close());

  it('connects the tenant’s budget of VPCs and rejects the rest, naming the budget', () => {
    const statuses = attacker.map((vpcId) => w.status(vpcId).status);
    expect(statuses.filter((s) => s === 'connected')).toHaveLength(BUDGET);
    expect(statuses.filter((s) => s === 'rejected')).toHaveLength(attacker.length - BUDGET);
    for (const vpcId of attacker.filter((v) => w.status(v).status === 'rejected')) {
      expect(w.status(vpcId).detail).toBe(
        `budget-exceeded: budgets.attachmentsPerAccount: account ${ACCOUNTS.analytics} would hold 3 attachments on ` +
          `Transit Gateway tgw-0a1b2c3d4e5f60718, over its budget of 2 (2 used by its other VPCs)`,
      );
      expect(w.executionsOf(vpcId).map((e) => e.status)).toEqual(['SUCCEEDED']);
    }
  });

  it('gives the rejected VPCs nothing: no attachment, no Profile association, nothing in the registry', async () => {
    const rejected = attacker.filter((v) => w.status(v).status === 'rejected');
    const snapshot = w.snapshot();
    for (const vpcId of rejected) {
      expect(w.attachmentsOf(vpcId, snapshot)).toEqual([]);
      expect(await w.registryItemsAbout(vpcId)).toEqual([]);
    }
    const slots = (await w.hub.registry()).find((i) => String(i.pk).startsWith('TGW#'))!;
    expect(slots.accounts).toEqual({ [ACCOUNTS.analytics]: BUDGET, [ACCOUNTS.reporting]: 1 });
  });

  it('leaves the other tenant unaffected', () => {
    expect(w.status(other).status).toBe('connected');
  });
});
