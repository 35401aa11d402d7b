import { join } from 'node:path';
import {
  attachmentLimits,
  attachmentRefusal,
  holdsAttachment,
  hubAttachmentLimitsOf,
  peeringAttachmentsOf,
  spokeAttachmentRoom,
  unregisteredAttachmentsOf,
} from '#shared/attachment-quota';
import { loadConfigFile, regionalConfig } from '#shared/config';
import { usageFromRecords } from '#shared/headroom';
import type { ConsumerRecord } from '#shared/registry/model';

/**
 * How spokelink counts the hub TGW's 5,000 attachments (#shared/attachment-quota): the registry's slots, plus
 * `capacity.otherAttachments` and one peering attachment per configured peer of the region, counted automatically.
 */

const ROOT = join(__dirname, '..', '..');
const twoRegions = loadConfigFile(join(ROOT, 'config/example-two-regions.hub.json'));
const single = loadConfigFile(join(ROOT, 'config/example.hub.json'));

describe('The TGW attachment quota as spokelink counts it', () => {
  it("counts each region's configured peers as peering attachments on top of capacity.otherAttachments", () => {
    expect(peeringAttachmentsOf(twoRegions)).toBe(1);
    expect(unregisteredAttachmentsOf(twoRegions)).toBe(2);
    expect(spokeAttachmentRoom(twoRegions)).toBe(4_998);
    // The other region's view: its own peer (us-east-1), its own TGW.
    const eu = regionalConfig(twoRegions, 'eu-west-1');
    expect(peeringAttachmentsOf(eu)).toBe(1);
    expect(attachmentLimits(eu)).toEqual({ free: 4_998, budget: 100 });
    expect(peeringAttachmentsOf(single)).toBe(0);
    expect(spokeAttachmentRoom(single)).toBe(4_999);
  });

  it("gives migrate's backfill every served region's hub TGW with that region's limits", () => {
    expect(hubAttachmentLimitsOf(twoRegions)).toEqual([
      { region: 'us-east-1', transitGatewayId: 'tgw-0a1b2c3d4e5f60718', free: 4_998, budget: 100, unregistered: 2 },
      { region: 'eu-west-1', transitGatewayId: 'tgw-0e1b2c3d4e5f60719', free: 4_998, budget: 100, unregistered: 2 },
    ]);
    expect(hubAttachmentLimitsOf(single)).toEqual([
      { region: 'us-east-1', transitGatewayId: 'tgw-0a1b2c3d4e5f60718', free: 4_999, budget: 100, unregistered: 1 },
    ]);
  });

  it('names the quota, the TGW and what fills it in a capacity rejection; the budget in a budget one', () => {
    const vpc = { vpcId: 'vpc-0e000000000000009', accountId: '333333333333' };
    const refusals = [
      attachmentRefusal(twoRegions, vpc, { full: 4_998 }),
      attachmentRefusal(single, vpc, { overBudget: 100 }),
    ];
    expect(refusals.map((r) => [r.reason, r.message])).toEqual([
      [
        'capacity',
        'capacity: Attachments per transit gateway (5,000, not adjustable) reached on tgw-0a1b2c3d4e5f60718: 4,998 ' +
          'spoke VPCs, 1 other and 1 peering attachments; no attachment left for vpc-0e000000000000009',
      ],
      [
        'budget-exceeded',
        'budget-exceeded: budgets.attachmentsPerAccount: account 333333333333 would hold 101 attachments on Transit ' +
          'Gateway tgw-0a1b2c3d4e5f60718, over its budget of 100 (100 used by its other VPCs)',
      ],
    ]);
  });

  it('counts a member that holds its attachment, never a disconnected one', () => {
    const record = (status: ConsumerRecord['status'], attachmentId?: string) =>
      ({ vpcId: 'vpc-1', status, ...(attachmentId ? { attachmentId } : {}) }) as ConsumerRecord;
    expect(holdsAttachment(record('connected', 'tgw-attach-1'))).toBe(true);
    expect(holdsAttachment(record('failed', 'tgw-attach-1'))).toBe(true);
    expect(holdsAttachment(record('onboarding'))).toBe(false);
    expect(holdsAttachment(record('disconnected', 'tgw-attach-1'))).toBe(false);
    expect(holdsAttachment(undefined)).toBe(false);
  });

  it('adds the peering attachments to the headroom and preflight usage of the registry', () => {
    const usage = usageFromRecords(twoRegions, [], 'registry');
    expect({ attachments: usage.attachments, peering: usage.peeringAttachments }).toEqual({
      attachments: 2,
      peering: 1,
    });
    expect(usageFromRecords(single, [], 'registry').attachments).toBe(1);
  });
});
