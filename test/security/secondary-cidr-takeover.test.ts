import { AssociateVpcCidrBlockCommand, DisassociateVpcCidrBlockCommand } from '@aws-sdk/client-ec2';
import type { BusEvent } from '#local/eventbridge';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import {
  appTeamEc2,
  claims,
  connectVpc,
  hubRoutesFor,
  lifecycleHub,
  PAYMENTS,
  rulesAdmitting,
  runReconcile,
  SCRATCH,
  settle,
  statusOf,
} from '../lifecycle/helpers';

/**
 * The secondary-CIDR takeover (issue 14). A tenant whose VPC is connected (the attacker, PAYMENTS 10.1.0.0/16) adds a
 * secondary block that another VPC really owns (the victim, SCRATCH 10.31.0.0/16): AssociateVpcCidrBlock needs no tag
 * change. Were the attachment propagated into the hub tables, the hub's return traffic for the victim's range would
 * go to the attacker, and the victim's security group rules would admit the attacker's new range. The hub routes back
 * only CIDRs spokelink validated and claimed (static routes), so in every ordering, whether the CIDR event arrives
 * before, after, or never, the attacker gains nothing: no hub route to the added range points to it, no rule admits
 * it for the attacker, and the victim connects and is routed correctly.
 */

const STOLEN = '10.31.0.0/16';
const PAYMENTS_CIDR = '10.1.0.0/16';

/** The attachment of a VPC to the hub TGW (live), if any. */
function attachmentOf(hub: LocalHub, vpcId: string): string | undefined {
  return Object.values(ec2State(hub.twin).attachments).find(
    (a) => a.vpcId === vpcId && !a.timeline.some((t) => t.state === 'deleting' && t.at <= hub.clock.now()),
  )?.id;
}

/** The attacker adds the victim's range to its connected VPC, as its own app team (no tag change). */
async function addStolenRange(hub: LocalHub): Promise<string> {
  const out = await appTeamEc2(hub, PAYMENTS).send(
    new AssociateVpcCidrBlockCommand({ VpcId: PAYMENTS, CidrBlock: STOLEN }),
  );
  return out.CidrBlockAssociation!.AssociationId!;
}

/** Holds back CloudTrail CIDR events about the attacker until released (or forever: a lost event). */
function cidrEventGate() {
  const held: BusEvent[] = [];
  const gate = { open: false };
  const drop = (event: BusEvent) => {
    if (gate.open) return false;
    const text = JSON.stringify(event);
    if (!text.includes('VpcCidrBlock') || !text.includes(PAYMENTS)) return false;
    held.push(event);
    return true;
  };
  /** Lets the held events through, as EventBridge delivering them late. */
  const release = (hub: LocalHub) => {
    gate.open = true;
    for (const event of held.splice(0)) hub.events.putOnHubBus(event);
  };
  return { drop, held, release };
}

/** What the attacker must never have, and what the victim must have, once the victim is connected. */
function expectVictimRoutedAndAttackerEmptyHanded(hub: LocalHub): void {
  const victimRoutes = hubRoutesFor(hub, STOLEN);
  expect(victimRoutes.length).toBeGreaterThan(0);
  expect(victimRoutes.every((r) => r.endsWith(`-> ${SCRATCH}`))).toBe(true);
  const admitted = rulesAdmitting(hub, STOLEN);
  expect(admitted.length).toBeGreaterThan(0);
  expect(admitted.every((vpc) => vpc === SCRATCH)).toBe(true);
  // The attacker's own range stays as it was: connected, routed to it.
  expect(hubRoutesFor(hub, PAYMENTS_CIDR).every((r) => r.endsWith(`-> ${PAYMENTS}`))).toBe(true);
}

describe('Security: a tenant adds another VPC’s range to its connected VPC (secondary-CIDR takeover)', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('before the event: the added range has no hub route or rule; the victim connects and is routed correctly', async () => {
    const gate = cidrEventGate();
    hub = await lifecycleHub({ events: { drop: gate.drop } });
    await connectVpc(hub, PAYMENTS);

    await addStolenRange(hub);
    await settle(hub);

    expect(gate.held).toHaveLength(1);
    expect(hubRoutesFor(hub, STOLEN)).toEqual([]);
    expect(rulesAdmitting(hub, STOLEN)).toEqual([]);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');

    await connectVpc(hub, SCRATCH);
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    expect((await claims(hub))[SCRATCH]).toEqual([STOLEN]);

    // The event arrives late: the attacker's range is quarantined, the victim keeps its route.
    gate.release(hub);
    await settle(hub);
    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('quarantined');
    expect(detail).toContain(`${STOLEN} overlaps ${STOLEN} of ${SCRATCH}`);
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    expect((await claims(hub))[PAYMENTS]).toEqual([PAYMENTS_CIDR]);
  });

  it('after the event: the added range is quarantined, never routed; the victim connects again and is routed', async () => {
    hub = await lifecycleHub();
    await connectVpc(hub, SCRATCH);
    await connectVpc(hub, PAYMENTS);
    const attachment = attachmentOf(hub, PAYMENTS);

    const association = await addStolenRange(hub);
    await settle(hub);

    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('quarantined');
    expect(detail).toMatch(/^quarantined: 10\.31\.0\.0\/16 overlaps 10\.31\.0\.0\/16 of vpc-0e3000000000000a1 /);
    expect(attachmentOf(hub, PAYMENTS)).toBe(attachment);
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    expect((await claims(hub))[PAYMENTS]).toEqual([PAYMENTS_CIDR]);

    // The victim leaves and connects again: the quarantined range was never the attacker's claim.
    await hub.untagVpc(SCRATCH, ['spokelink:connect']);
    await settle(hub);
    expect(hubRoutesFor(hub, STOLEN)).toEqual([]);
    await connectVpc(hub, SCRATCH);
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 0, offboard: 0 });
    expect(statusOf(hub, PAYMENTS).status).toBe('quarantined');

    // The tenant removes the range: the quarantine ends.
    await appTeamEc2(hub, PAYMENTS).send(new DisassociateVpcCidrBlockCommand({ AssociationId: association }));
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expectVictimRoutedAndAttackerEmptyHanded(hub);
  });

  it('with the event lost: nothing of the range reaches the hub; the reconcile quarantines it', async () => {
    const gate = cidrEventGate();
    hub = await lifecycleHub({ events: { drop: gate.drop } });
    await connectVpc(hub, PAYMENTS);
    await addStolenRange(hub);
    await settle(hub);
    expect(hubRoutesFor(hub, STOLEN)).toEqual([]);

    await connectVpc(hub, SCRATCH);
    expectVictimRoutedAndAttackerEmptyHanded(hub);

    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 1 });
    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('quarantined');
    expect(detail).toContain(`${STOLEN} overlaps ${STOLEN} of ${SCRATCH}`);
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    // Quarantined once: a second reconcile starts nothing.
    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 0, offboard: 0 });
  });

  it('a range nobody claims is validated, claimed, then routed and admitted', async () => {
    hub = await lifecycleHub();
    await connectVpc(hub, PAYMENTS);

    await appTeamEc2(hub, PAYMENTS).send(
      new AssociateVpcCidrBlockCommand({ VpcId: PAYMENTS, CidrBlock: '10.41.0.0/16' }),
    );
    await settle(hub);

    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect((await claims(hub))[PAYMENTS]?.sort()).toEqual([PAYMENTS_CIDR, '10.41.0.0/16']);
    expect(hubRoutesFor(hub, '10.41.0.0/16').every((r) => r.endsWith(`-> ${PAYMENTS}`))).toBe(true);
    expect(hubRoutesFor(hub, '10.41.0.0/16').length).toBeGreaterThan(0);
    expect(rulesAdmitting(hub, '10.41.0.0/16').every((vpc) => vpc === PAYMENTS)).toBe(true);
  });
});
