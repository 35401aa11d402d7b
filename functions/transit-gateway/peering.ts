import {
  AcceptTransitGatewayPeeringAttachmentCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateTransitGatewayPeeringAttachmentCommand,
  type EC2Client,
  paginateDescribeTransitGatewayPeeringAttachments,
  type TransitGatewayPeeringAttachment,
} from '@aws-sdk/client-ec2';
import { type HubConfig, regionalHubOf } from '#shared/config';
import { setStaticRoutes } from './static-routes';
import { describeAttachment } from './transit-gateway';

/**
 * Inter-region reach: the hubs of two served regions that list each other under `peers` are joined by one TGW peering
 * attachment, and each side holds one static route per supernet of the other region, to the peering, in the route
 * tables its `peers.<region>.routeTableIds` names. Nothing propagates across a peering
 * (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html: static routes only), and the regional supernets are
 * disjoint, so these routes never cover a CIDR of the hub's own region. Each regional hub's reconcile runs this for
 * its own side: the region that sorts first requests the peering, the other accepts it (only the accepter's owner
 * may, from the accepter's region: https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering-accept-reject.html), and
 * each side routes once it is `available`. One run moves each peering one step; the next run goes on.
 *
 * Traffic arriving over the peering is routed by the route table the peering attachment is associated with on the
 * receiving side (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html: each attachment is associated
 * with exactly one route table), so each side associates it with its `peers.<region>.associationRouteTableId`, the
 * table that routes back to its own spokes. An association with another table is the platform team's (spokelink
 * never moves it): it is reported (`association-conflict`) and the routes are kept.
 */

export interface PeeringStatus {
  peerRegion: string;
  attachmentId?: string;
  /**
   * The attachment's state, `waiting-for-request` (the peer region's hub requests it) or, once available,
   * `association-conflict` (associated with another table than `associationRouteTableId` on this side).
   */
  state: string;
  changes: string[];
}

/** States of a peering attachment that will never carry traffic: a new request replaces it. */
const DEAD = new Set(['failed', 'failing', 'rejected', 'rejecting', 'deleted', 'deleting']);

async function peeringWith(
  ec2: EC2Client,
  tgwId: string,
  peerTgwId: string,
): Promise<TransitGatewayPeeringAttachment | undefined> {
  const found: TransitGatewayPeeringAttachment[] = [];
  for await (const page of paginateDescribeTransitGatewayPeeringAttachments(
    { client: ec2 },
    { Filters: [{ Name: 'transit-gateway-id', Values: [tgwId] }] },
  )) {
    found.push(...(page.TransitGatewayPeeringAttachments ?? []));
  }
  const sides = (a: TransitGatewayPeeringAttachment) =>
    [a.RequesterTgwInfo?.TransitGatewayId, a.AccepterTgwInfo?.TransitGatewayId].sort().join(' ');
  const pair = [tgwId, peerTgwId].sort().join(' ');
  return found.find((a) => sides(a) === pair && !DEAD.has(a.State ?? ''));
}

/** Moves each peering of this region's hub one step towards `available` with its static routes. */
export async function reconcilePeerings(config: HubConfig, ec2: EC2Client): Promise<PeeringStatus[]> {
  const region = config.hub.region;
  const statuses: PeeringStatus[] = [];
  for (const [peerRegion, peer] of Object.entries(config.hub.peers).sort(([a], [b]) => a.localeCompare(b))) {
    const peerHub = regionalHubOf(config, peerRegion);
    const attachment = await peeringWith(ec2, config.hub.transitGatewayId, peerHub.transitGatewayId);
    if (!attachment) {
      if (region.localeCompare(peerRegion) > 0) {
        statuses.push({ peerRegion, state: 'waiting-for-request', changes: [] });
        continue;
      }
      const created = await ec2.send(
        new CreateTransitGatewayPeeringAttachmentCommand({
          TransitGatewayId: config.hub.transitGatewayId,
          PeerTransitGatewayId: peerHub.transitGatewayId,
          PeerAccountId: config.hub.accountId,
          PeerRegion: peerRegion,
          TagSpecifications: [
            {
              ResourceType: 'transit-gateway-attachment',
              Tags: [
                { Key: 'Name', Value: `${config.prefix}-${region}-${peerRegion}` },
                { Key: 'spokelink:managed', Value: 'true' },
              ],
            },
          ],
        }),
      );
      const made = created.TransitGatewayPeeringAttachment;
      statuses.push({
        peerRegion,
        ...(made?.TransitGatewayAttachmentId ? { attachmentId: made.TransitGatewayAttachmentId } : {}),
        state: made?.State ?? 'initiatingRequest',
        changes: [`peering with ${peerRegion} requested`],
      });
      continue;
    }
    const attachmentId = attachment.TransitGatewayAttachmentId!;
    const accepter = attachment.AccepterTgwInfo?.TransitGatewayId === config.hub.transitGatewayId;
    if (attachment.State === 'pendingAcceptance' && accepter) {
      const accepted = await ec2.send(
        new AcceptTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: attachmentId }),
      );
      statuses.push({
        peerRegion,
        attachmentId,
        state: accepted.TransitGatewayPeeringAttachment?.State ?? 'pending',
        changes: [`peering with ${peerRegion} accepted`],
      });
      continue;
    }
    if (attachment.State !== 'available') {
      statuses.push({ peerRegion, attachmentId, state: attachment.State ?? 'unknown', changes: [] });
      continue;
    }
    const { changes } = await setStaticRoutes(ec2, {
      attachmentId,
      cidrs: peerHub.supernets,
      tables: peer.routeTableIds,
      allTables: peer.routeTableIds,
    });
    // This side's association (DescribeTransitGatewayAttachments shows the caller's side of a peering).
    const association = (await describeAttachment(ec2, attachmentId)).Association;
    const associatedWith = ['associated', 'associating'].includes(association?.State ?? '')
      ? association?.TransitGatewayRouteTableId
      : undefined;
    if (associatedWith === undefined) {
      await ec2.send(
        new AssociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: peer.associationRouteTableId,
          TransitGatewayAttachmentId: attachmentId,
        }),
      );
      changes.push(`peering with ${peerRegion} associated with ${peer.associationRouteTableId}`);
    }
    const conflict = associatedWith !== undefined && associatedWith !== peer.associationRouteTableId;
    if (conflict) {
      changes.push(
        `peering with ${peerRegion} is associated with ${associatedWith}, not ${peer.associationRouteTableId}: ` +
          'disassociate it to let spokelink associate it',
      );
    }
    statuses.push({ peerRegion, attachmentId, state: conflict ? 'association-conflict' : 'available', changes });
  }
  return statuses;
}
