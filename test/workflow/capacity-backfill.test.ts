import type { LocalHub } from '#local/hub';
import { type HubConfig, parseConfig } from '#shared/config';
import { type RegistryTable, readAttachmentSlots } from '#shared/registry';
import { ec2State } from '#twin/services/ec2/model';
import { parseWorld } from '#twin/world';
import { connectVpc, settle, statusOf } from '../lifecycle/helpers';
import { type HubWithoutSlots, hubWithoutSlots, migrate } from '../lifecycle/without-slots';
import { ACCOUNTS, exampleConfig, exampleWorld, scenarioVpc, scenarioVpcId, TGW, withVpcs } from './helpers';

/**
 * A running hub upgraded from a release without attachment slots: its connected VPCs hold their attachments but no
 * slot (the slots item deleted after they connected, as that release left it), so the hub undercounts its TGW and the
 * account budgets. `spokelink migrate` (migrateRegistry on the local table) backfills the slots; then the TGW's quota
 * and the account's budget bind again: the tenant's next VPC is `rejected: budget-exceeded`, and the VPC past the
 * quota `rejected: capacity`, nothing made.
 */

const REQUEST = { 'spokelink:connect': 'true' };
const [ONE, TWO, THREE, FOUR, FIVE] = [1, 2, 3, 4, 5].map(scenarioVpcId) as [string, string, string, string, string];

/** Room for 3 spoke VPCs on the TGW (4,997 other attachments), 2 per account. */
function upgradedConfig(): HubConfig {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, unknown>;
  raw.capacity = { otherAttachments: 4_997 };
  raw.budgets = { attachmentsPerAccount: 2 };
  return parseConfig(raw, 'example configuration, room for 3 spoke VPCs, 2 per account');
}

/** The attachments of `vpcId` in the twin (any state). */
const attachmentsOf = (hub: LocalHub, vpcId: string) =>
  Object.values(ec2State(hub.twin).attachments).filter((a) => a.vpcId === vpcId);

function world() {
  const w = exampleWorld();
  for (const [i, owner] of [
    [1, ACCOUNTS.analytics],
    [2, ACCOUNTS.analytics],
    [3, ACCOUNTS.reporting],
    [4, ACCOUNTS.analytics],
    [5, ACCOUNTS.reporting],
  ] as const) {
    withVpcs(w, scenarioVpc(i, { ownerId: owner, cidrs: [`10.4${i}.0.0/16`] }));
  }
  return parseWorld(w, 'example world, five scenario VPCs');
}

describe('Workflow: upgrading a hub whose connected VPCs hold no attachment slot', () => {
  let hub: LocalHub;
  let table: RegistryTable;
  let upgraded: HubWithoutSlots;
  const config = upgradedConfig();
  beforeAll(async () => {
    upgraded = await hubWithoutSlots(config, world(), [ONE, TWO]);
    ({ hub, table } = upgraded);
  });
  afterAll(() => hub?.close());

  it('backfills a slot for each connected VPC with migrate, once', async () => {
    expect((await readAttachmentSlots(table, TGW)).members).toEqual({});

    const report = await migrate(upgraded);

    expect(report.attachmentSlots.transitGateways).toEqual([
      expect.objectContaining({
        transitGatewayId: TGW,
        added: [
          { vpcId: ONE, accountId: ACCOUNTS.analytics },
          { vpcId: TWO, accountId: ACCOUNTS.analytics },
        ],
        spokeVpcs: 2,
        attachments: 4_999,
        overQuota: false,
        accountsOverBudget: [],
      }),
    ]);
    expect(await readAttachmentSlots(table, TGW)).toMatchObject({ accounts: { [ACCOUNTS.analytics]: 2 } });
  });

  it("refuses the tenant's next VPC over its budget: budget-exceeded, nothing made", async () => {
    await hub.tagVpc(FOUR, REQUEST);
    await settle(hub);

    expect(statusOf(hub, FOUR)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^budget-exceeded: budgets\.attachmentsPerAccount: account \d+ would hold 3 /),
    });
    expect(attachmentsOf(hub, FOUR)).toEqual([]);
    expect(Object.keys((await readAttachmentSlots(table, TGW)).members).sort()).toEqual([ONE, TWO]);
  });

  it('connects another account into the last slot, then rejects the VPC past the quota: capacity', async () => {
    await connectVpc(hub, THREE);
    await hub.tagVpc(FIVE, REQUEST);
    await settle(hub);

    expect(statusOf(hub, FIVE)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^capacity: Attachments per transit gateway \(5,000, not adjustable\) reached on /),
    });
    expect(attachmentsOf(hub, FIVE)).toEqual([]);
    expect(Object.keys((await readAttachmentSlots(table, TGW)).members).sort()).toEqual([ONE, TWO, THREE]);
  });
});
