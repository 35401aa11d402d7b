import {
  AssociateTransitGatewayRouteTableCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewayPeeringAttachmentsCommand,
  DisassociateTransitGatewayRouteTableCommand,
  type EC2Client,
  RejectTransitGatewayPeeringAttachmentCommand,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import { loadConfigFile, regionalConfig } from '#shared/config';
import { reconcilePeerings } from '../../../functions/transit-gateway/peering';
import { advance, ec2In, HUB, regionalTgwTwin } from '../../twin/regions-helpers';

/**
 * Inter-region reach (functions/transit-gateway/peering.ts): each regional hub's reconcile moves the peering of the
 * hubs one step (request by the region that sorts first, acceptance by the other) and, once available, keeps one
 * static route per supernet of the peer region in the configured route tables, on both sides.
 */

const role = `arn:aws:iam::${HUB}:role/spokelink-functions`;
const config = loadConfigFile('config/example-two-regions.hub.json');
const us = config;
const eu = regionalConfig(config, 'eu-west-1');

function setup() {
  const twin = regionalTgwTwin(role, [
    {
      id: us.hub.transitGatewayId,
      region: 'us-east-1',
      tables: ['tgw-rtb-0a000000000000001', 'tgw-rtb-0b000000000000002', 'tgw-rtb-0c000000000000003'],
    },
    {
      id: eu.hub.transitGatewayId,
      region: 'eu-west-1',
      tables: ['tgw-rtb-0e000000000000011', 'tgw-rtb-0e000000000000012', 'tgw-rtb-0e000000000000013'],
    },
  ]);
  return { twin, usEc2: ec2In(twin, role, 'us-east-1'), euEc2: ec2In(twin, role, 'eu-west-1') };
}

async function staticRoutes(ec2: EC2Client, table: string) {
  const { Routes = [] } = await ec2.send(
    new SearchTransitGatewayRoutesCommand({
      TransitGatewayRouteTableId: table,
      Filters: [{ Name: 'type', Values: ['static'] }],
    }),
  );
  return Routes.map((r) => `${r.DestinationCidrBlock} ${r.TransitGatewayAttachments?.[0]?.ResourceType} ${r.State}`);
}

async function associationOf(ec2: EC2Client, attachmentId: string) {
  const { TransitGatewayAttachments = [] } = await ec2.send(
    new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [attachmentId] }),
  );
  const association = TransitGatewayAttachments[0]?.Association;
  return `${association?.TransitGatewayRouteTableId} ${association?.State}`;
}

afterEach(() => jest.useRealTimers());

describe('Inter-region reach: TGW peering of the regional hubs', () => {
  it('requests, accepts and routes each peer supernet over the peering on both sides, then changes nothing', async () => {
    const { usEc2, euEc2 } = setup();
    // eu-west-1 sorts first: its hub requests; us-east-1 waits for it.
    expect(await reconcilePeerings(us, usEc2)).toEqual([
      { peerRegion: 'eu-west-1', state: 'waiting-for-request', changes: [] },
    ]);
    const [requested] = await reconcilePeerings(eu, euEc2);
    expect(requested).toMatchObject({ state: 'initiatingRequest', changes: ['peering with us-east-1 requested'] });
    advance(60_000);
    // A second run of the requester does not ask again.
    expect(await reconcilePeerings(eu, euEc2)).toEqual([
      { peerRegion: 'us-east-1', attachmentId: requested!.attachmentId, state: 'pendingAcceptance', changes: [] },
    ]);
    expect(await reconcilePeerings(us, usEc2)).toEqual([
      {
        peerRegion: 'eu-west-1',
        attachmentId: requested!.attachmentId,
        state: 'pending',
        changes: ['peering with eu-west-1 accepted'],
      },
    ]);
    advance(90_000);
    const [usSide] = await reconcilePeerings(us, usEc2);
    const [euSide] = await reconcilePeerings(eu, euEc2);
    expect(usSide!.changes.sort()).toEqual([
      'peering with eu-west-1 associated with tgw-rtb-0c000000000000003',
      'route 10.32.0.0/12 in tgw-rtb-0a000000000000001',
      'route 10.32.0.0/12 in tgw-rtb-0c000000000000003',
    ]);
    expect(euSide!.changes.sort()).toEqual([
      'peering with us-east-1 associated with tgw-rtb-0e000000000000013',
      'route 10.0.0.0/12 in tgw-rtb-0e000000000000011',
      'route 10.0.0.0/12 in tgw-rtb-0e000000000000013',
      'route 2600:1f00::/40 in tgw-rtb-0e000000000000011',
      'route 2600:1f00::/40 in tgw-rtb-0e000000000000013',
    ]);
    expect(await staticRoutes(usEc2, 'tgw-rtb-0a000000000000001')).toEqual(['10.32.0.0/12 peering active']);
    // A segment whose table is not listed does not reach the other region.
    expect(await staticRoutes(euEc2, 'tgw-rtb-0e000000000000012')).toEqual([]);
    expect((await reconcilePeerings(us, usEc2))[0]!.changes).toEqual([]);
    // Each side's association, with its own table: what arrives over the peering is routed back to that side's spokes.
    advance(60_000);
    expect(await associationOf(usEc2, usSide!.attachmentId!)).toEqual('tgw-rtb-0c000000000000003 associated');
    expect(await associationOf(euEc2, usSide!.attachmentId!)).toEqual('tgw-rtb-0e000000000000013 associated');
    expect(await reconcilePeerings(eu, euEc2)).toEqual([
      { peerRegion: 'us-east-1', attachmentId: usSide!.attachmentId, state: 'available', changes: [] },
    ]);
    const { TransitGatewayPeeringAttachments = [] } = await usEc2.send(
      new DescribeTransitGatewayPeeringAttachmentsCommand({}),
    );
    expect(TransitGatewayPeeringAttachments.map((a) => a.State)).toEqual(['available']);
  });

  it('asks again when the peering was rejected, and leaves a hub without peers alone', async () => {
    const { usEc2, euEc2 } = setup();
    const [first] = await reconcilePeerings(eu, euEc2);
    advance(60_000);
    await usEc2.send(
      new RejectTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: first!.attachmentId }),
    );
    advance(60_000);
    const [again] = await reconcilePeerings(eu, euEc2);
    expect(again).toMatchObject({ state: 'initiatingRequest', changes: ['peering with us-east-1 requested'] });
    expect(again!.attachmentId).not.toBe(first!.attachmentId);
    const single = loadConfigFile('config/example.hub.json');
    expect(await reconcilePeerings(single, usEc2)).toEqual([]);
  });

  it("reports a peering associated with another table on its side and never moves the platform team's association", async () => {
    const { usEc2, euEc2 } = setup();
    const [requested] = await reconcilePeerings(eu, euEc2);
    advance(60_000);
    await reconcilePeerings(us, usEc2);
    advance(90_000);
    const attachmentId = requested!.attachmentId!;
    // The platform team associated the peering with the nonprod table of eu-west-1 by hand.
    await euEc2.send(
      new AssociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: 'tgw-rtb-0e000000000000012',
        TransitGatewayAttachmentId: attachmentId,
      }),
    );
    advance(60_000);
    const [euSide] = await reconcilePeerings(eu, euEc2);
    expect(euSide).toMatchObject({ state: 'association-conflict' });
    expect(euSide!.changes).toContain(
      'peering with us-east-1 is associated with tgw-rtb-0e000000000000012, not tgw-rtb-0e000000000000013: ' +
        'disassociate it to let spokelink associate it',
    );
    expect(await associationOf(euEc2, attachmentId)).toEqual('tgw-rtb-0e000000000000012 associated');
    // Once disassociated, the next run associates it with the configured table.
    await euEc2.send(
      new DisassociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: 'tgw-rtb-0e000000000000012',
        TransitGatewayAttachmentId: attachmentId,
      }),
    );
    advance(60_000);
    const [fixed] = await reconcilePeerings(eu, euEc2);
    expect(fixed).toMatchObject({
      state: 'available',
      changes: ['peering with us-east-1 associated with tgw-rtb-0e000000000000013'],
    });
  });
});
