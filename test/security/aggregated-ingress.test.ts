import { AssociateVpcCidrBlockCommand, CreateTransitGatewayVpcAttachmentCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import { ec2State } from '#twin/services/ec2/model';
import { attachmentState, tableRoutes } from '#twin/services/ec2/transit-gateways';
import { parseWorld } from '#twin/world';
import {
  appTeamEc2,
  connectVpc,
  hubRoutesFor,
  lifecycleHub,
  runReconcile,
  settle,
  statusOf,
} from '../lifecycle/helpers';
import {
  ACCOUNTS,
  aggregatedIngressConfig,
  exampleWorld,
  scenarioVpc,
  scenarioVpcId,
  TGW,
  withVpcs,
} from '../workflow/helpers';

/**
 * Aggregated ingress trades per-VPC admission for a supernet rule: the prod endpoints' security groups admit every
 * address of 10.64.0.0/10. What keeps that from being a way in is that reaching the endpoints over the TGW takes an
 * attachment associated with a segment table and static routes back to the VPC's CIDRs, which only spokelink creates,
 * for VPCs it validated. These attacks try to use the supernet without being validated; each gains nothing: no hub
 * route to the attacker's range, no attachment that is associated anywhere.
 */

const SUPERNET = '10.64.0.0/10';
/** In the supernet, never onboarded (a tenant of the prod account). */
const IDLE = scenarioVpcId(11);
/** In the supernet, in an account prod does not admit. */
const OUTSIDER = scenarioVpcId(12);
/** A connected nonprod VPC outside the supernet. */
const NONPROD = scenarioVpcId(13);

const config = () => aggregatedIngressConfig({ prod: [SUPERNET] });

function world() {
  return parseWorld(
    withVpcs(
      exampleWorld(),
      scenarioVpc(11, { ownerId: ACCOUNTS.payments, cidrs: ['10.80.0.0/16'] }),
      scenarioVpc(12, { ownerId: ACCOUNTS.reporting, cidrs: ['10.81.0.0/16'] }),
      scenarioVpc(13, { ownerId: ACCOUNTS.analytics, cidrs: ['10.40.0.0/16'] }),
    ),
  );
}

/** Every TGW route (any table, any state but deleted) whose attachment belongs to `vpcId`. */
function tgwRoutesTo(hub: LocalHub, vpcId: string): string[] {
  const s = ec2State(hub.twin);
  return Object.values(s.tgwRouteTables).flatMap((t) =>
    tableRoutes(s, t, hub.clock.now())
      .filter((r) => r.attachment?.vpcId === vpcId)
      .map((r) => `${t.id} ${r.cidr}`),
  );
}

/** TGW route tables an attachment of `vpcId` is associated with or propagates to. */
function tgwLinksOf(hub: LocalHub, vpcId: string): string[] {
  const s = ec2State(hub.twin);
  const mine = new Set(
    Object.values(s.attachments)
      .filter((a) => a.vpcId === vpcId)
      .map((a) => a.id),
  );
  return Object.values(s.tgwRouteTables).flatMap((t) => [
    ...t.associations.filter((a) => mine.has(a.attachmentId)).map(() => `${t.id} association`),
    ...t.propagations.filter((p) => mine.has(p.attachmentId)).map(() => `${t.id} propagation`),
  ]);
}

describe('Security: a VPC inside an aggregated ingress supernet that spokelink did not validate', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('attaching itself to the shared TGW gains no association and no route, even after a reconcile', async () => {
    hub = await lifecycleHub({ config: config(), world: world() });
    const tenant = appTeamEc2(hub, IDLE);
    const subnets = Object.values(ec2State(hub.twin).subnets)
      .filter((s) => s.vpcId === IDLE)
      .map((s) => s.id);
    // The TGW is shared with the organization: the tenant may request an attachment itself.
    const out = await tenant.send(
      new CreateTransitGatewayVpcAttachmentCommand({ TransitGatewayId: TGW, VpcId: IDLE, SubnetIds: subnets }),
    );
    expect(out.TransitGatewayVpcAttachment?.TransitGatewayAttachmentId).toMatch(/^tgw-attach-/);
    await settle(hub);
    await runReconcile(hub);

    const attachment = Object.values(ec2State(hub.twin).attachments).find((a) => a.vpcId === IDLE);
    // Auto-accept is off on the hub TGW: the request waits for the hub, which never accepts what it did not make.
    expect(attachment && attachmentState(attachment, hub.clock.now())).toBe('pendingAcceptance');
    expect(tgwLinksOf(hub, IDLE)).toEqual([]);
    expect(tgwRoutesTo(hub, IDLE)).toEqual([]);
    expect(hubRoutesFor(hub, '10.80.0.0/16')).toEqual([]);
    expect(statusOf(hub, IDLE).status).toBeUndefined();
  });

  it('an account the segment does not admit asks for it from inside the supernet: refused, nothing built', async () => {
    hub = await lifecycleHub({ config: config(), world: world() });
    await hub.tagVpc(OUTSIDER, { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' });
    await settle(hub);

    expect(statusOf(hub, OUTSIDER)).toMatchObject({
      status: 'rejected',
      detail: expect.stringMatching(/^account-not-allowed/),
    });
    expect(tgwLinksOf(hub, OUTSIDER)).toEqual([]);
    expect(tgwRoutesTo(hub, OUTSIDER)).toEqual([]);
    expect(Object.values(ec2State(hub.twin).attachments).filter((a) => a.vpcId === OUTSIDER)).toEqual([]);
  });

  it('a connected VPC of another segment adds a block inside the supernet: quarantined, never routed', async () => {
    hub = await lifecycleHub({ config: config(), world: world() });
    await connectVpc(hub, NONPROD);
    await appTeamEc2(hub, NONPROD).send(
      new AssociateVpcCidrBlockCommand({ VpcId: NONPROD, CidrBlock: '10.82.0.0/16' }),
    );
    await settle(hub);
    await runReconcile(hub);

    expect(hubRoutesFor(hub, '10.82.0.0/16')).toEqual([]);
    expect(tgwRoutesTo(hub, NONPROD).filter((r) => r.endsWith('10.82.0.0/16'))).toEqual([]);
    // Its own range stays connected and routed.
    expect(hubRoutesFor(hub, '10.40.0.0/16')).toEqual([`tgw-rtb-0c000000000000003 -> ${NONPROD}`]);
    expect(statusOf(hub, NONPROD)).toMatchObject({
      status: 'quarantined',
      detail: expect.stringContaining('10.82.0.0/16'),
    });
  });
});
