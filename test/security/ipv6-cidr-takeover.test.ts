import { AssociateSubnetCidrBlockCommand, AssociateVpcCidrBlockCommand } from '@aws-sdk/client-ec2';
import type { BusEvent } from '#local/eventbridge';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import type { World } from '#twin/world';
import {
  appTeamEc2,
  claims,
  connectVpc,
  hubRoutesFor,
  lifecycleHub,
  lifecycleWorld,
  PAYMENTS,
  rulesAdmitting,
  runReconcile,
  SCRATCH,
  settle,
  statusOf,
} from '../lifecycle/helpers';

/**
 * The secondary-CIDR takeover with IPv6 (issue 22). Two IPAMs may hand out the same private IPv6 range (each
 * organization's own ULA space, or a partner's): the victim (SCRATCH) owns fd12:3456:7800::/56 from its pool, the
 * attacker (PAYMENTS, connected) allocates the same /56 from its own pool, adds it to its VPC and gives its attachment
 * subnets IPv6, so that the block could be carried. The hub must never route the range back to the attacker nor admit
 * it for the attacker, whether the CloudTrail event arrives or is lost: the block is quarantined.
 */

const STOLEN = 'fd12:3456:7800::/56';
const VICTIM_POOL = 'ipam-pool-0e3000000000000aa';
const ATTACKER_POOL = 'ipam-pool-0a2000000000000aa';

/** The lifecycle world with the two overlapping pools and the victim's IPv6 block on SCRATCH. */
function world(): World {
  const w = lifecycleWorld();
  w.ec2!.ipv6Pools.push(
    { id: VICTIM_POOL, ownerId: '333333333333', region: 'us-east-1', cidrs: ['fd12:3456:7800::/40'] },
    { id: ATTACKER_POOL, ownerId: '222222222222', region: 'us-east-1', cidrs: ['fd12:3456:7800::/40'] },
  );
  const victim = w.ec2!.vpcs.find((v) => v.id === SCRATCH)!;
  victim.ipv6CidrBlocks = [{ cidrBlock: STOLEN, pool: VICTIM_POOL }];
  victim.subnets[0]!.ipv6CidrBlock = 'fd12:3456:7800::/64';
  victim.subnets[1]!.ipv6CidrBlock = 'fd12:3456:7800:1::/64';
  return w;
}

/** The attacker allocates the victim's range from its own pool and makes it carriable (IPv6 in its subnets). */
async function takeRange(hub: LocalHub): Promise<void> {
  const team = appTeamEc2(hub, PAYMENTS);
  await team.send(
    new AssociateVpcCidrBlockCommand({ VpcId: PAYMENTS, Ipv6IpamPoolId: ATTACKER_POOL, Ipv6CidrBlock: STOLEN }),
  );
  for (const [subnetId, cidr] of [
    ['subnet-0a200000000000101', 'fd12:3456:7800:10::/64'],
    ['subnet-0a200000000000102', 'fd12:3456:7800:11::/64'],
  ] as const) {
    await team.send(new AssociateSubnetCidrBlockCommand({ SubnetId: subnetId, Ipv6CidrBlock: cidr }));
  }
}

function expectVictimRoutedAndAttackerEmptyHanded(hub: LocalHub): void {
  const routes = hubRoutesFor(hub, STOLEN);
  expect(routes.length).toBeGreaterThan(0);
  expect(routes.every((r) => r.endsWith(`-> ${SCRATCH}`))).toBe(true);
  const admitted = rulesAdmitting(hub, STOLEN);
  expect(admitted.length).toBeGreaterThan(0);
  expect(admitted.every((vpc) => vpc === SCRATCH)).toBe(true);
  const attachment = Object.values(ec2State(hub.twin).attachments).find((a) => a.vpcId === PAYMENTS);
  // The attacker's attachment was never given IPv6 support for the stolen block.
  expect(attachment?.ipv6Support).toBe('disable');
}

describe('Security: a tenant adds another VPC’s IPv6 range (from its own IPAM pool) to its connected VPC', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('the added IPv6 block is quarantined: no hub route or rule for the attacker, the victim keeps both', async () => {
    hub = await lifecycleHub({ world: world() });
    await connectVpc(hub, SCRATCH);
    await connectVpc(hub, PAYMENTS);
    expectVictimRoutedAndAttackerEmptyHanded(hub);

    await takeRange(hub);
    await settle(hub);

    const { status, detail } = statusOf(hub, PAYMENTS);
    expect(status).toBe('quarantined');
    expect(detail).toContain(`${STOLEN} overlaps ${STOLEN} of ${SCRATCH}`);
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    expect((await claims(hub))[PAYMENTS]).toEqual(['10.1.0.0/16']);
    expect((await claims(hub))[SCRATCH]?.sort()).toEqual(['10.31.0.0/16', STOLEN]);
  });

  it('with the CloudTrail event lost, the range still gains nothing, and the reconcile quarantines it', async () => {
    const drop = (event: BusEvent) => JSON.stringify(event).includes('VpcCidrBlock');
    hub = await lifecycleHub({ world: world(), events: { drop } });
    await connectVpc(hub, SCRATCH);
    await connectVpc(hub, PAYMENTS);

    await takeRange(hub);
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expectVictimRoutedAndAttackerEmptyHanded(hub);

    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 1 });
    expect(statusOf(hub, PAYMENTS).status).toBe('quarantined');
    expectVictimRoutedAndAttackerEmptyHanded(hub);
    expect((await runReconcile(hub)).summary).toMatchObject({ onboard: 0, offboard: 0 });
  });
});
