import { ec2State } from '#twin/services/ec2/model';
import {
  ACCOUNTS,
  exampleWorld,
  HUB_ACCOUNT,
  perAccountShareConfig,
  startWorkflowHub,
  type WorkflowHub,
} from './helpers';

/**
 * The Transit Gateway branch against the twin's asynchronous TGW and RAM: a cross-account attachment to a TGW with
 * auto-accept disabled waits in `pendingAcceptance` until the hub accepts it; right after the share, the TGW is
 * invisible to the spoke (`InvalidTransitGatewayID.NotFound`) until RAM has propagated it. The first describe shares
 * the TGW per account (the path of accounts outside the organization, and of a hub without the organization share).
 */

const ANALYTICS_VPC = 'vpc-0b300000000000001';

/** The attachment's timeline (state and twin time of each transition). */
function timelineOf(w: WorkflowHub, vpcId: string) {
  const attachment = Object.values(ec2State(w.twin).attachments).find((a) => a.vpcId === vpcId);
  if (!attachment) throw new Error(`no attachment for ${vpcId}`);
  return { id: attachment.id, timeline: attachment.timeline.map((t) => ({ ...t })) };
}

describe('Transit Gateway with auto-accept disabled (the example hub), shared per account', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    w = await startWorkflowHub({ config: perAccountShareConfig() });
    const [execution] = await w.onboard(ANALYTICS_VPC);
    expect(execution!.status).toBe('SUCCEEDED');
  });
  afterAll(() => w?.close());

  it('accepts the attachment from the hub account while it waits in pendingAcceptance, once', () => {
    const { id, timeline } = timelineOf(w, ANALYTICS_VPC);
    expect(timeline.map((t) => t.state)).toEqual(['pendingAcceptance', 'pending', 'available']);
    const accepts = w.twin.calls.filter((c) => c.operation === 'AcceptTransitGatewayVpcAttachment');
    expect(accepts.map((c) => [c.accountId, c.error])).toEqual([[HUB_ACCOUNT, undefined]]);
    // Accepted as soon as it could be: the AcceptAttachment state follows CreateAttachment directly.
    expect(accepts[0]!.at - timeline[0]!.at).toBeLessThan(3_000);
    expect(timeline[1]!.at).toBe(accepts[0]!.at);
    expect(w.status(ANALYTICS_VPC)).toMatchObject({
      status: 'connected',
      detail: expect.stringContaining(`via ${id};`),
    });
  });

  it('retries the attachment through the RAM propagation delay (InvalidTransitGatewayID.NotFound, then created)', () => {
    const share = w.twin.calls.find((c) => c.operation === 'AssociateResourceShare' && !c.error);
    expect(share).toMatchObject({ accountId: HUB_ACCOUNT });
    const creates = w.twin.calls.filter((c) => c.operation === 'CreateTransitGatewayVpcAttachment');
    expect(creates.length).toBeGreaterThan(1);
    expect(creates.map((c) => c.accountId)).toEqual(creates.map(() => ACCOUNTS.analytics));
    expect(creates.slice(0, -1).map((c) => c.error)).toEqual(
      creates.slice(0, -1).map(() => 'InvalidTransitGatewayID.NotFound'),
    );
    expect(creates.at(-1)!.error).toBeUndefined();
    // Created once RAM made the TGW visible (30 s after the association on the twin's default timings), not much later.
    const visibleAt = share!.at + w.twin.timings.ramShareVisibilityMs;
    expect(creates.at(-1)!.at).toBeGreaterThanOrEqual(visibleAt);
    expect(creates.at(-1)!.at - visibleAt).toBeLessThan(10_000);
    // The ASL retried the state (it is not the SDK hiding the error): every failed invocation is the RAM error.
    const [execution] = w.executionsOf(ANALYTICS_VPC);
    const errors = w.invocationErrors('CreateAttachment', execution);
    expect(errors.length).toBeGreaterThan(0);
    expect(new Set(errors)).toEqual(new Set(['InvalidTransitGatewayID.NotFound']));
  });

  it('shares the TGW with an organization account without an invitation to accept', () => {
    expect(w.twin.calls.filter((c) => c.operation === 'AcceptResourceShareInvitation')).toEqual([]);
  });
});

describe('Transit Gateway shared with the organization (the example hub)', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    w = await startWorkflowHub({});
    const [execution] = await w.onboard(ANALYTICS_VPC);
    expect(execution!.status).toBe('SUCCEEDED');
  });
  afterAll(() => w?.close());

  it('attaches an organization account at once: no account share, no RAM propagation delay', () => {
    expect(w.twin.calls.filter((c) => c.operation === 'AssociateResourceShare')).toEqual([]);
    const creates = w.twin.calls.filter((c) => c.operation === 'CreateTransitGatewayVpcAttachment');
    expect(creates.map((c) => [c.accountId, c.error])).toEqual([[ACCOUNTS.analytics, undefined]]);
    expect(w.status(ANALYTICS_VPC).status).toBe('connected');
  });
});

describe('Transit Gateway with auto-accept enabled', () => {
  let w: WorkflowHub;
  beforeAll(async () => {
    const world = exampleWorld();
    world.ec2!.transitGateways![0]!.options!.autoAcceptSharedAttachments = 'enable';
    w = await startWorkflowHub({ world });
    const [execution] = await w.onboard(ANALYTICS_VPC);
    expect(execution!.status).toBe('SUCCEEDED');
  });
  afterAll(() => w?.close());

  it('never calls AcceptTransitGatewayVpcAttachment: the attachment goes straight to pending', () => {
    expect(timelineOf(w, ANALYTICS_VPC).timeline.map((t) => t.state)).toEqual(['pending', 'available']);
    expect(w.twin.calls.filter((c) => c.operation === 'AcceptTransitGatewayVpcAttachment')).toEqual([]);
    expect(w.status(ANALYTICS_VPC).status).toBe('connected');
  });
});

describe('Transit Gateway that propagates new attachments by default', () => {
  // AssociateAndPropagate makes a new attachment's links without reading first only when the TGW's default
  // association and propagation are disabled (the example hub). Here AWS propagates every new attachment to the
  // default route table (the shared table, one of the configuration's), which would route whatever CIDRs the VPC
  // has, validated or not: the step must read the new attachment's propagations and disable that one.
  const SHARED_TABLE = 'tgw-rtb-0c000000000000003';
  let w: WorkflowHub;
  beforeAll(async () => {
    const world = exampleWorld();
    const tgw = world.ec2!.transitGateways![0]!;
    tgw.options!.defaultRouteTablePropagation = 'enable';
    tgw.routeTables!.find((t) => t.id === SHARED_TABLE)!.default = true;
    w = await startWorkflowHub({ world });
    const [execution] = await w.onboard(ANALYTICS_VPC);
    expect(execution!.status).toBe('SUCCEEDED');
  });
  afterAll(() => w?.close());

  it("disables the propagation AWS made before 'connected', and routes back with the static route alone", () => {
    const { id } = timelineOf(w, ANALYTICS_VPC);
    const shared = ec2State(w.twin).tgwRouteTables[SHARED_TABLE]!;
    expect(shared.propagations.filter((l) => l.attachmentId === id && l.goneAt === undefined)).toEqual([]);
    expect(shared.staticRoutes.filter((r) => r.attachmentId === id).map((r) => r.cidr)).toEqual(['10.3.0.0/16']);
    const ok = (operation: string) => w.twin.calls.filter((c) => c.operation === operation && !c.error);
    expect(ok('DescribeTransitGateways').map((c) => c.accountId)).toEqual([HUB_ACCOUNT]);
    expect(ok('GetTransitGatewayAttachmentPropagations').length).toBeGreaterThan(0);
    expect(ok('DisableTransitGatewayRouteTablePropagation').map((c) => c.accountId)).toEqual([HUB_ACCOUNT]);
    expect(w.status(ANALYTICS_VPC).status).toBe('connected');
  });
});
