import type {
  AcceptTransitGatewayPeeringAttachmentRequest,
  CreateTransitGatewayPeeringAttachmentRequest,
  DeleteTransitGatewayPeeringAttachmentRequest,
  DescribeTransitGatewayPeeringAttachmentsRequest,
  RejectTransitGatewayPeeringAttachmentRequest,
  TransitGatewayPeeringAttachment as SdkPeeringAttachment,
} from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { CallContext, OperationHandler } from '../../types';
import {
  addAttachment,
  applyFilters,
  ec2State,
  emitCreationTags,
  err,
  incorrectState,
  paginate,
  quotas,
  requireParam,
  selectIds,
  stateAt,
  type TgwAttachment,
  tagList,
  transition,
} from './model';
import {
  attachmentState,
  deleteAttachment,
  newAttachment,
  nonDeleted,
  rejectAttachment,
  requirePendingAcceptance,
  visibleAttachment,
} from './transit-gateways';

/**
 * Transit Gateway peering attachments (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html): the owner of
 * the requester TGW asks, in the requester's region, to peer with a TGW of any account and region; the attachment is
 * `initiatingRequest`, then `pendingAcceptance` "indefinitely until it's either accepted or rejected", which only the
 * accepter TGW's owner does, from the accepter's region, "even if both transit gateways are in the same account"
 * (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering-accept-reject.html); then `pending` and `available`. One
 * attachment id, seen by both sides; each side associates it with its own route tables and routes to it with
 * static routes only (propagation is refused, transit-gateways.ts). 50 peering attachments per TGW
 * (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html). A peer TGW that does not exist (or is not
 * where the request says) makes the attachment `failed` rather than failing the call, as AWS checks it
 * asynchronously. Twin timings: `initiatingRequest` lasts `settings.associationMs`, `pending` the attachment timing
 * (`timings.attachmentPendingMs`); AWS publishes neither.
 */

function peeringView(ctx: CallContext, att: TgwAttachment): SdkPeeringAttachment {
  const s = ec2State(ctx.twin);
  const requester = s.transitGateways[att.transitGatewayId]!;
  const peering = att.peering!;
  return {
    TransitGatewayAttachmentId: att.id,
    RequesterTgwInfo: { TransitGatewayId: requester.id, OwnerId: requester.ownerId, Region: att.region },
    AccepterTgwInfo: {
      TransitGatewayId: peering.peerTransitGatewayId,
      OwnerId: peering.peerAccountId,
      Region: peering.peerRegion,
    },
    Status: { Code: attachmentState(att, ctx.now), Message: attachmentState(att, ctx.now) },
    State: attachmentState(att, ctx.now) as SdkPeeringAttachment['State'],
    CreationTime: new Date(att.createdAt),
    Tags: att.ownerId === ctx.caller.accountId ? tagList(att.tags) : [],
  };
}

/** Non-deleted peering attachments on either side of `tgwId`. */
function peeringsOf(ctx: CallContext, tgwId: string): TgwAttachment[] {
  return nonDeleted(
    ec2State(ctx.twin),
    ctx.now,
    (a) => a.peering !== undefined && (a.transitGatewayId === tgwId || a.peering.peerTransitGatewayId === tgwId),
  );
}

function checkPeeringQuota(ctx: CallContext, tgwId: string): void {
  const limit = quotas(ctx.twin).peeringAttachmentsPerTransitGateway;
  if (peeringsOf(ctx, tgwId).length >= limit) {
    // AWS documents no code for this quota: twin's choice, as for the other attachment quotas (docs/twin-ec2.md).
    throw err(
      'TransitGatewayAttachmentLimitExceeded',
      `Transit gateway ${tgwId} has reached the maximum number of peering attachments (${limit}).`,
    );
  }
}

/** The accepter side only: its owner, calling from its region. */
function accepterOnly(ctx: CallContext, att: TgwAttachment): void {
  const peering = att.peering!;
  if (peering.peerAccountId !== ctx.caller.accountId || peering.peerRegion !== ctx.region) {
    // AWS documents no code for the requester accepting its own request: twin's choice.
    throw errors.invalidParameter(
      `${att.id} can be accepted or rejected only by the accepter transit gateway's owner (${peering.peerAccountId}) ` +
        `in ${peering.peerRegion}.`,
    );
  }
}

export const tgwPeeringOperations: Record<string, OperationHandler> = {
  CreateTransitGatewayPeeringAttachment(ctx, input: CreateTransitGatewayPeeringAttachmentRequest) {
    const s = ec2State(ctx.twin);
    const tgwId = requireParam(input.TransitGatewayId, 'TransitGatewayId');
    const peerTransitGatewayId = requireParam(input.PeerTransitGatewayId, 'PeerTransitGatewayId');
    const peerAccountId = requireParam(input.PeerAccountId, 'PeerAccountId');
    const peerRegion = requireParam(input.PeerRegion, 'PeerRegion');
    // The requester owns its TGW, in the call's region.
    const tgw = s.transitGateways[tgwId];
    if (!tgw || tgw.ownerId !== ctx.caller.accountId || tgw.region !== ctx.region || ctx.now < tgw.visibleAt) {
      throw err('InvalidTransitGatewayID.NotFound', `Transit Gateway ${tgwId} was deleted or does not exist.`);
    }
    const tgwState = stateAt(tgw.timeline, ctx.now);
    if (tgwState !== 'available') throw incorrectState(tgw.id, tgwState);
    if (peerTransitGatewayId === tgwId) {
      throw errors.invalidParameter(`Transit Gateway ${tgwId} cannot be peered with itself.`);
    }
    checkPeeringQuota(ctx, tgwId);
    const peer = s.transitGateways[peerTransitGatewayId];
    const peerFound =
      peer !== undefined &&
      peer.ownerId === peerAccountId &&
      peer.region === peerRegion &&
      stateAt(peer.timeline, ctx.now) === 'available';
    if (peerFound) checkPeeringQuota(ctx, peerTransitGatewayId);
    const att = newAttachment(ctx, input.TagSpecifications, {
      transitGatewayId: tgwId,
      vpcId: '',
      vpcOwnerId: peerAccountId,
      subnetIds: [],
      peering: { peerTransitGatewayId, peerAccountId, peerRegion },
    });
    const asked = ctx.now + s.settings.associationMs;
    transition(att.timeline, ctx.now, [
      { at: ctx.now, state: 'initiatingRequest' },
      { at: asked, state: peerFound ? 'pendingAcceptance' : 'failed' },
    ]);
    addAttachment(s, att);
    emitCreationTags(ctx, att);
    return { TransitGatewayPeeringAttachment: peeringView(ctx, att) };
  },

  AcceptTransitGatewayPeeringAttachment(ctx, input: AcceptTransitGatewayPeeringAttachmentRequest) {
    const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId, 'peering');
    accepterOnly(ctx, att);
    requirePendingAcceptance(ctx, att);
    transition(att.timeline, ctx.now, [
      { at: ctx.now, state: 'pending' },
      { at: ctx.now + ctx.twin.draw(ctx.twin.timings.attachmentPendingMs), state: 'available' },
    ]);
    return { TransitGatewayPeeringAttachment: peeringView(ctx, att) };
  },

  RejectTransitGatewayPeeringAttachment(ctx, input: RejectTransitGatewayPeeringAttachmentRequest) {
    const att = rejectAttachment(ctx, input.TransitGatewayAttachmentId, 'peering', (a) => accepterOnly(ctx, a));
    return { TransitGatewayPeeringAttachment: peeringView(ctx, att) };
  },

  DeleteTransitGatewayPeeringAttachment(ctx, input: DeleteTransitGatewayPeeringAttachmentRequest) {
    // Either side may delete it.
    return { TransitGatewayPeeringAttachment: peeringView(ctx, deleteAttachment(ctx, input, 'peering')) };
  },

  DescribeTransitGatewayPeeringAttachments(ctx, input: DescribeTransitGatewayPeeringAttachmentsRequest) {
    const s = ec2State(ctx.twin);
    const pool = Object.values(s.attachments).filter((a) => {
      if (!a.peering) return false;
      try {
        visibleAttachment(ctx, a.id, 'peering');
        return true;
      } catch {
        return false;
      }
    });
    const filtered = applyFilters(selectIds(pool, input.TransitGatewayAttachmentIds), input.Filters, {
      'transit-gateway-attachment-id': (a) => a.id,
      'transit-gateway-id': (a) => [a.transitGatewayId, a.peering!.peerTransitGatewayId],
      state: (a) => attachmentState(a, ctx.now),
      'requester-tgw-info.transit-gateway-id': (a) => a.transitGatewayId,
      'requester-tgw-info.region': (a) => a.region,
      'accepter-tgw-info.transit-gateway-id': (a) => a.peering!.peerTransitGatewayId,
      'accepter-tgw-info.region': (a) => a.peering!.peerRegion,
    });
    const { page, NextToken } = paginate(filtered, input);
    return { TransitGatewayPeeringAttachments: page.map((a) => peeringView(ctx, a)), NextToken };
  },
};
