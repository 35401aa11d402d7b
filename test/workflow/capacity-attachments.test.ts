import { type HubConfig, parseConfig } from '#shared/config';
import {
  ACCOUNTS,
  changesBesidesStatus,
  exampleConfig,
  exampleWorld,
  scenarioVpc,
  scenarioVpcId,
  startWorkflowHub,
  TGW,
  type TwinSnapshot,
  type WorkflowHub,
  withVpcs,
} from './helpers';

/**
 * The hub TGW's "Attachments per transit gateway" quota (5,000, not adjustable) as spokelink counts it
 * (#shared/attachment-quota): the registry's attachment slots plus `capacity.otherAttachments` and the configured
 * peers' peering attachments. Here the operator states 4,998 other attachments, so two spoke VPCs fit: the next one is
 * `rejected: capacity` naming the quota at validation, never `failed` at CreateTransitGatewayVpcAttachment, nothing
 * changed and nothing left in the registry; a member planned again never counts twice; offboarding frees the slot; of
 * two VPCs racing for the last slot one connects and the other is rejected, nothing half-made.
 */

const REQUEST = { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' };
const FULL =
  /^capacity: Attachments per transit gateway \(5,000, not adjustable\) reached on tgw-0a1b2c3d4e5f60718: 2 spoke VPCs, 4,998 other and 0 peering attachments; no attachment left for vpc-0e0+[0-9a-f]+$/;

function attachmentsConfig(otherAttachments: number): HubConfig {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, unknown>;
  raw.capacity = { otherAttachments };
  return parseConfig(raw, 'example configuration, the TGW nearly full');
}

function world(n: number) {
  const w = exampleWorld();
  for (let i = 1; i <= n; i++) withVpcs(w, scenarioVpc(i, { ownerId: ACCOUNTS.analytics, cidrs: [`10.4${i}.0.0/16`] }));
  return w;
}

/** The scenario VPCs' attachments to the hub TGW that count against its quota (not being deleted). */
const spokeAttachments = (w: WorkflowHub) =>
  w
    .snapshot()
    .ec2.transitGatewayAttachments.filter(
      (a) => a.vpcId.startsWith('vpc-0e') && a.state !== 'deleting' && a.state !== 'deleted',
    );

/** The VPCs holding an attachment slot of the hub TGW in the registry, sorted. */
async function slotHolders(w: WorkflowHub): Promise<string[]> {
  const slots = (await w.hub.registry()).find((i) => i.pk === `TGW#${TGW}`)!;
  return Object.keys(slots.members as object).sort();
}

describe('Workflow: the TGW attachment quota (capacity)', () => {
  let w: WorkflowHub;
  const [one, two, three, four, five] = [1, 2, 3, 4, 5].map(scenarioVpcId) as [string, string, string, string, string];
  beforeAll(async () => {
    w = await startWorkflowHub({ world: world(5), config: attachmentsConfig(4_998) });
  });
  afterAll(() => w?.close());

  it('rejects the VPC past a full TGW with capacity naming the quota, never failed, and changes nothing', async () => {
    await w.onboard(one, REQUEST);
    await w.onboard(two, REQUEST);
    expect([w.status(one).status, w.status(two).status]).toEqual(['connected', 'connected']);

    await w.hub.tagVpc(three, REQUEST);
    const before = w.snapshot();
    await w.hub.runUntilIdle();

    expect(w.executionsOf(three).map((e) => e.status)).toEqual(['SUCCEEDED']);
    expect(w.status(three).status).toBe('rejected');
    expect(w.status(three).detail).toMatch(FULL);
    expect(changesBesidesStatus(before, w.snapshot(), three)).toEqual([]);
    expect(await w.registryItemsAbout(three)).toEqual([]);
    expect(spokeAttachments(w)).toHaveLength(2);
  });

  it('plans a member again on the full TGW without counting it twice', async () => {
    const again = await w.repair(one, 'full');

    expect(again.status).toBe('SUCCEEDED');
    expect(w.status(one).status).toBe('connected');
    expect(await slotHolders(w)).toEqual([one, two]);
  });

  it("gives an offboarded VPC's slot back: the VPC refused before connects when it asks again", async () => {
    await w.hub.untagVpc(two, Object.keys(REQUEST));
    await w.hub.runUntilIdle();
    expect(w.status(two).status).toBe('disconnected');

    await w.onboard(three);
    expect(w.status(three).status).toBe('connected');
    expect(await slotHolders(w)).toEqual([one, three]);
  });

  it('lets one of two VPCs racing for the last slot connect and rejects the other, nothing half-made', async () => {
    await w.hub.untagVpc(three, Object.keys(REQUEST));
    await w.hub.runUntilIdle();
    await w.hub.tagVpc(four, REQUEST);
    await w.hub.tagVpc(five, REQUEST);
    const before = w.snapshot();
    await w.hub.runUntilIdle();

    const outcomes = [four, five].map((vpcId) => w.status(vpcId).status).sort();
    expect(outcomes).toEqual(['connected', 'rejected']);
    const loser = w.status(four).status === 'rejected' ? four : five;
    expect(w.status(loser).detail).toMatch(FULL);
    expect(w.executionsOf(loser).map((e) => e.status)).toEqual(['SUCCEEDED']);
    // The winner changed the hub meanwhile: what concerns the loser is its VPC, an attachment, a zone association, a rule.
    const after = w.snapshot();
    const itsVpc = (s: TwinSnapshot) => ({ ec2: { vpcs: s.ec2.vpcs.filter((v) => v.id === loser) } });
    expect(changesBesidesStatus(itsVpc(before), itsVpc(after), loser)).toEqual([]);
    expect(w.attachmentsOf(loser, after)).toEqual([]);
    expect(Object.values(after.route53.zones).filter((z) => z.vpcs.includes(`us-east-1/${loser}`))).toEqual([]);
    const rules = after.ec2.vpcs.flatMap((v) => v.securityGroups.flatMap((g) => g.rules));
    expect(rules.filter((r) => r.description?.includes(loser))).toEqual([]);
    expect(await w.registryItemsAbout(loser)).toEqual([]);
    expect(spokeAttachments(w)).toHaveLength(2);
  });
});
