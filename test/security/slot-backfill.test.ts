import { CreateTagsCommand, CreateTransitGatewayVpcAttachmentCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import { type HubConfig, parseConfig } from '#shared/config';
import { type RegistryTable, readAttachmentSlots } from '#shared/registry';
import { ec2State } from '#twin/services/ec2/model';
import { attachmentState } from '#twin/services/ec2/transit-gateways';
import { parseWorld } from '#twin/world';
import { appTeamEc2, settle, statusOf } from '../lifecycle/helpers';
import { type HubWithoutSlots, hubWithoutSlots, migrate } from '../lifecycle/without-slots';
import { ACCOUNTS, exampleConfig, exampleWorld, scenarioVpc, scenarioVpcId, TGW, withVpcs } from '../workflow/helpers';

/**
 * Attack: on a hub upgraded from a release without attachment slots, a tenant at its attachment budget tries to make
 * `spokelink migrate`'s backfill give a slot to a VPC the hub never attached. A member is worth having: a VPC that
 * holds one passes validation without the capacity and budget conditions. The tenant attaches its VPC to the shared
 * hub TGW itself (the request waits for an acceptance the hub never gives) and forges spokelink's tags on the VPC and
 * on the attachment. The backfill counts only what the hub's own registry record says it attached, so the tenant
 * gains nothing: no member, and its VPC is `rejected: budget-exceeded` when it asks.
 */

const TENANT = scenarioVpcId(1);
const FORGED = scenarioVpcId(2);

function budgetConfig(): HubConfig {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, unknown>;
  raw.budgets = { attachmentsPerAccount: 1 };
  return parseConfig(raw, 'example configuration, 1 attachment per account');
}

function world() {
  return parseWorld(
    withVpcs(
      exampleWorld(),
      scenarioVpc(1, { ownerId: ACCOUNTS.analytics, cidrs: ['10.41.0.0/16'] }),
      scenarioVpc(2, { ownerId: ACCOUNTS.analytics, cidrs: ['10.42.0.0/16'] }),
    ),
    'example world, two VPCs of one tenant',
  );
}

const FORGED_TAGS = [
  { Key: 'spokelink:status', Value: 'connected' },
  { Key: 'spokelink:managed', Value: 'true' },
  { Key: 'spokelink:vpc', Value: FORGED },
];

describe('Security: a tenant cannot make the attachment slot backfill count a VPC the hub never attached', () => {
  let hub: LocalHub;
  let table: RegistryTable;
  let upgraded: HubWithoutSlots;
  const config = budgetConfig();
  beforeAll(async () => {
    upgraded = await hubWithoutSlots(config, world(), [TENANT]);
    ({ hub, table } = upgraded);
    // The tenant's own attachment to the shared TGW, and spokelink's tags forged on it and on the VPC.
    const tenant = appTeamEc2(hub, FORGED);
    const subnets = Object.values(ec2State(hub.twin).subnets)
      .filter((s) => s.vpcId === FORGED)
      .map((s) => s.id);
    const { TransitGatewayVpcAttachment } = await tenant.send(
      new CreateTransitGatewayVpcAttachmentCommand({
        TransitGatewayId: TGW,
        VpcId: FORGED,
        SubnetIds: subnets,
        TagSpecifications: [{ ResourceType: 'transit-gateway-attachment', Tags: FORGED_TAGS }],
      }),
    );
    expect(TransitGatewayVpcAttachment?.TransitGatewayAttachmentId).toMatch(/^tgw-attach-/);
    await tenant.send(new CreateTagsCommand({ Resources: [FORGED], Tags: FORGED_TAGS }));
  });
  afterAll(() => hub?.close());

  it('backfills the slot of the VPC the hub attached, and none for the forged one', async () => {
    const report = await migrate(upgraded);

    expect(report.attachmentSlots.transitGateways.map((t) => t.added)).toEqual([
      [{ vpcId: TENANT, accountId: ACCOUNTS.analytics }],
    ]);
    expect(await readAttachmentSlots(table, TGW)).toMatchObject({
      members: { [TENANT]: { accountId: ACCOUNTS.analytics } },
      accounts: { [ACCOUNTS.analytics]: 1 },
    });
    expect(Object.keys((await readAttachmentSlots(table, TGW)).members)).toEqual([TENANT]);
  });

  it('refuses the forged VPC when it asks: budget-exceeded, its attachment never accepted', async () => {
    await hub.tagVpc(FORGED, { 'spokelink:connect': 'true' });
    await settle(hub);

    expect(statusOf(hub, FORGED)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^budget-exceeded: budgets\.attachmentsPerAccount: account \d+ would hold 2 /),
    });
    const attachments = Object.values(ec2State(hub.twin).attachments).filter((a) => a.vpcId === FORGED);
    expect(attachments.map((a) => attachmentState(a, hub.clock.now()))).toEqual(['pendingAcceptance']);
    expect(Object.keys((await readAttachmentSlots(table, TGW)).members)).toEqual([TENANT]);
  });
});
