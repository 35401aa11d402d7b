import {
  AcceptTransitGatewayPeeringAttachmentCommand,
  AcceptTransitGatewayVpcAttachmentCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateTransitGatewayPeeringAttachmentCommand,
  CreateTransitGatewayRouteCommand,
  DeleteTransitGatewayPeeringAttachmentCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewayPeeringAttachmentsCommand,
  DescribeTransitGatewaysCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  type EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
  RejectTransitGatewayPeeringAttachmentCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { advance, ec2In, HUB, regionalTgwTwin } from './regions-helpers';

/**
 * TGW peering attachments (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html) in a twin of two regions: the
 * SDK client's region selects the twin's region; the requester asks, only the accepter's owner accepts from the
 * accepter's region, both sides see one attachment, routes across it are static only, 50 per TGW.
 */

const role = `arn:aws:iam::${HUB}:role/spokelink`;
const US_TGW = 'tgw-0a1b2c3d4e5f60718';
const EU_TGW = 'tgw-0e1b2c3d4e5f60719';
const US_RTB = 'tgw-rtb-0a000000000000001';
const EU_RTB = 'tgw-rtb-0e000000000000011';
const PENDING_MS = 90_000;
const INITIATING_MS = 5_000;

function setup() {
  const twin = regionalTgwTwin(role, [
    { id: US_TGW, region: 'us-east-1', tables: [US_RTB] },
    { id: EU_TGW, region: 'eu-west-1', tables: [EU_RTB] },
  ]);
  return { twin, us: ec2In(twin, role, 'us-east-1'), eu: ec2In(twin, role, 'eu-west-1') };
}

async function request(us: EC2Client, peer = EU_TGW, peerRegion = 'eu-west-1') {
  const out = await us.send(
    new CreateTransitGatewayPeeringAttachmentCommand({
      TransitGatewayId: US_TGW,
      PeerTransitGatewayId: peer,
      PeerAccountId: HUB,
      PeerRegion: peerRegion,
    }),
  );
  return out.TransitGatewayPeeringAttachment!;
}

async function stateIn(client: EC2Client, id: string) {
  const out = await client.send(
    new DescribeTransitGatewayPeeringAttachmentsCommand({ TransitGatewayAttachmentIds: [id] }),
  );
  return out.TransitGatewayPeeringAttachments?.[0]?.State;
}

/** An available peering: requested in us-east-1, accepted in eu-west-1. */
async function availablePeering(us: EC2Client, eu: EC2Client) {
  const id = (await request(us)).TransitGatewayAttachmentId!;
  advance(INITIATING_MS);
  await eu.send(new AcceptTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id }));
  advance(PENDING_MS);
  return id;
}

afterEach(() => jest.useRealTimers());

describe('Twin: several regions', () => {
  it("selects the twin's region by the SDK client's region: each region has its own TGWs", async () => {
    const { us, eu } = setup();
    const ids = async (c: EC2Client) =>
      (await c.send(new DescribeTransitGatewaysCommand({}))).TransitGateways?.map((t) => t.TransitGatewayId);
    expect(await ids(us)).toEqual([US_TGW]);
    expect(await ids(eu)).toEqual([EU_TGW]);
  });
});

describe('Twin EC2: TGW peering attachments', () => {
  it('moves initiatingRequest -> pendingAcceptance -> (accepter accepts) pending -> available, one id on both sides', async () => {
    const { us, eu } = setup();
    const created = await request(us);
    expect(created).toMatchObject({
      State: 'initiatingRequest',
      RequesterTgwInfo: { TransitGatewayId: US_TGW, OwnerId: HUB, Region: 'us-east-1' },
      AccepterTgwInfo: { TransitGatewayId: EU_TGW, OwnerId: HUB, Region: 'eu-west-1' },
    });
    const id = created.TransitGatewayAttachmentId!;
    advance(INITIATING_MS);
    expect(await stateIn(us, id)).toBe('pendingAcceptance');
    // It stays pending "indefinitely until it's either accepted or rejected".
    advance(7 * 24 * 3_600_000);
    expect(await stateIn(eu, id)).toBe('pendingAcceptance');
    // The requester cannot accept, even in the same account: the accepter's owner does, from the accepter's region.
    await expect(
      us.send(new AcceptTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('only by the accepter transit gateway'),
    });
    const accepted = await eu.send(
      new AcceptTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id }),
    );
    expect(accepted.TransitGatewayPeeringAttachment?.State).toBe('pending');
    advance(PENDING_MS - 1);
    expect(await stateIn(us, id)).toBe('pending');
    advance(1);
    expect(await stateIn(us, id)).toBe('available');
    expect(await stateIn(eu, id)).toBe('available');
    await expect(
      eu.send(new AcceptTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id })),
    ).rejects.toMatchObject({ name: 'IncorrectState' });
  });

  it('lists the peering among the attachments as ResourceType peering, never among the VPC attachments', async () => {
    const { us, eu } = setup();
    const id = await availablePeering(us, eu);
    const all = await eu.send(new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [id] }));
    expect(all.TransitGatewayAttachments).toEqual([
      expect.objectContaining({ ResourceType: 'peering', ResourceId: EU_TGW, State: 'available' }),
    ]);
    const vpcAttachments = await us.send(new DescribeTransitGatewayVpcAttachmentsCommand({}));
    expect(vpcAttachments.TransitGatewayVpcAttachments).toEqual([]);
    // A VPC-attachment call does not find a peering attachment.
    await expect(
      us.send(new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id })),
    ).rejects.toMatchObject({ name: 'InvalidTransitGatewayAttachmentID.NotFound' });
  });

  it('routes across a peering with static routes on each side, and refuses propagation (static routes only)', async () => {
    const { us, eu } = setup();
    const id = await availablePeering(us, eu);
    await expect(
      us.send(
        new EnableTransitGatewayRouteTablePropagationCommand({
          TransitGatewayRouteTableId: US_RTB,
          TransitGatewayAttachmentId: id,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('static routes only') });
    for (const [client, rtb, cidr] of [
      [us, US_RTB, '10.32.0.0/12'],
      [eu, EU_RTB, '10.0.0.0/12'],
    ] as const) {
      await client.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: rtb,
          TransitGatewayAttachmentId: id,
        }),
      );
      await client.send(
        new CreateTransitGatewayRouteCommand({
          TransitGatewayRouteTableId: rtb,
          DestinationCidrBlock: cidr,
          TransitGatewayAttachmentId: id,
        }),
      );
      const routes = await client.send(
        new SearchTransitGatewayRoutesCommand({
          TransitGatewayRouteTableId: rtb,
          Filters: [{ Name: 'type', Values: ['static'] }],
        }),
      );
      expect(routes.Routes).toEqual([
        {
          DestinationCidrBlock: cidr,
          TransitGatewayAttachments: [{ ResourceId: EU_TGW, TransitGatewayAttachmentId: id, ResourceType: 'peering' }],
          Type: 'static',
          State: 'active',
        },
      ]);
    }
    // Each side sees its own association.
    const euView = await eu.send(new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [id] }));
    expect(euView.TransitGatewayAttachments?.[0]?.Association?.TransitGatewayRouteTableId).toBe(EU_RTB);
    // Deleting the peering blackholes the routes across it.
    await eu.send(new DeleteTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id }));
    const after = await us.send(
      new SearchTransitGatewayRoutesCommand({
        TransitGatewayRouteTableId: US_RTB,
        Filters: [{ Name: 'type', Values: ['static'] }],
      }),
    );
    expect(after.Routes?.[0]?.State).toBe('blackhole');
  });

  it('ends a request to a TGW that is not where it says failed, and a rejected one rejected', async () => {
    const { us, eu } = setup();
    const wrongRegion = (await request(us, EU_TGW, 'ap-southeast-1')).TransitGatewayAttachmentId!;
    advance(INITIATING_MS);
    expect(await stateIn(us, wrongRegion)).toBe('failed');
    const id = (await request(us)).TransitGatewayAttachmentId!;
    advance(INITIATING_MS);
    await eu.send(new RejectTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id }));
    advance(INITIATING_MS);
    expect(await stateIn(eu, id)).toBe('rejected');
  });

  it('refuses a peering with itself and the 51st peering attachment of a TGW', async () => {
    const { us } = setup();
    await expect(request(us, US_TGW, 'us-east-1')).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: expect.stringContaining('cannot be peered with itself'),
    });
    for (let n = 0; n < 50; n++) {
      await request(us);
      advance(1_000); // past the mutating-call token bucket (throttling is not what this test is about)
    }
    await expect(request(us)).rejects.toMatchObject({
      name: 'TransitGatewayAttachmentLimitExceeded',
      message: `Transit gateway ${US_TGW} has reached the maximum number of peering attachments (50).`,
    });
  });

  it('keeps the peering out of sight of the regions and accounts it does not touch', async () => {
    const { twin, us } = setup();
    const id = (await request(us)).TransitGatewayAttachmentId!;
    advance(INITIATING_MS);
    const elsewhere = ec2In(twin, role, 'ap-southeast-1');
    await expect(
      elsewhere.send(new DescribeTransitGatewayPeeringAttachmentsCommand({ TransitGatewayAttachmentIds: [id] })),
    ).rejects.toMatchObject({ name: 'InvalidTransitGatewayAttachmentID.NotFound' });
  });
});
