import {
  AcceptTransitGatewayPeeringAttachmentCommand,
  CreateTransitGatewayCommand,
  CreateTransitGatewayPeeringAttachmentCommand,
  DeleteTransitGatewayPeeringAttachmentCommand,
  DescribeTransitGatewayPeeringAttachmentsCommand,
  RejectTransitGatewayPeeringAttachmentCommand,
  type TransitGatewayPeeringAttachment,
} from '@aws-sdk/client-ec2';
import { type KnownDifference, MOTO_ACCOUNT, REGION } from './harness/compare';
import { expectOnlyKnownDifferences, useMoto } from './harness/suite';

const moto = useMoto();

/** Longer than any of the twin's default TGW/attachment timings (90 s, 5 s): everything has settled. */
const SETTLE_MS = 120_000;

const isolated = {
  AutoAcceptSharedAttachments: 'disable',
  DefaultRouteTableAssociation: 'disable',
  DefaultRouteTablePropagation: 'disable',
} as const;

const view = (p: TransitGatewayPeeringAttachment | undefined) => ({
  State: p?.State,
  Requester: p?.RequesterTgwInfo?.TransitGatewayId !== undefined,
  AccepterRegion: p?.AccepterTgwInfo?.Region,
  AccepterOwner: p?.AccepterTgwInfo?.OwnerId,
});

describe('Twin vs moto: TGW peering attachments', () => {
  it('requests, accepts, rejects, describes and deletes peering attachments (intra-region peering)', async () => {
    const attachmentDoc =
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayPeeringAttachment.html';
    const known: KnownDifference[] = [
      {
        step: 'CreateTransitGatewayPeeringAttachment',
        why: 'A new peering attachment is `initiatingRequest` before it is `pendingAcceptance` (TransitGatewayAttachmentState; the twin holds it for settings.associationMs, a twin timing); moto answers `pendingAcceptance` at once. Once settled both describe it `pendingAcceptance`.',
        awsDoc: attachmentDoc,
      },
      {
        step: 'AcceptTransitGatewayPeeringAttachment',
        why: 'An accepted attachment is `pending` before `available` (the twin holds it for attachmentPendingMs); moto answers `available` at once. Once settled both describe it `available`.',
        awsDoc: attachmentDoc,
      },
      {
        step: 'RejectTransitGatewayPeeringAttachment',
        why: 'A rejected attachment is `rejecting` before `rejected`; moto answers `rejected` at once.',
        awsDoc: attachmentDoc,
      },
      {
        step: 'DeleteTransitGatewayPeeringAttachment',
        why: 'A deleted attachment is `deleting` before `deleted`; moto answers `deleted` at once.',
        awsDoc: attachmentDoc,
      },
    ];
    await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace, env) => {
        const tgw = async () =>
          (await ec2.send(new CreateTransitGatewayCommand({ Options: isolated }))).TransitGateway?.TransitGatewayId ??
          'tgw-missing';
        const requester = await tgw();
        const accepter = await tgw();
        const other = await tgw();
        env.advance(SETTLE_MS);
        const ask = (peer: string) =>
          ec2.send(
            new CreateTransitGatewayPeeringAttachmentCommand({
              TransitGatewayId: requester,
              PeerTransitGatewayId: peer,
              PeerAccountId: MOTO_ACCOUNT,
              PeerRegion: REGION,
            }),
          );
        const created = await trace.step(
          'CreateTransitGatewayPeeringAttachment',
          () => ask(accepter),
          (o) => view(o.TransitGatewayPeeringAttachment),
        );
        const id = created?.TransitGatewayPeeringAttachment?.TransitGatewayAttachmentId ?? 'tgw-attach-missing';
        env.advance(SETTLE_MS);
        await trace.step(
          'DescribeTransitGatewayPeeringAttachments before acceptance',
          () => ec2.send(new DescribeTransitGatewayPeeringAttachmentsCommand({ TransitGatewayAttachmentIds: [id] })),
          (o) => (o.TransitGatewayPeeringAttachments ?? []).map(view),
        );
        await trace.step(
          'AcceptTransitGatewayPeeringAttachment',
          () => ec2.send(new AcceptTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id })),
          (o) => view(o.TransitGatewayPeeringAttachment),
        );
        env.advance(SETTLE_MS);
        await trace.step(
          'DescribeTransitGatewayPeeringAttachments once accepted',
          () => ec2.send(new DescribeTransitGatewayPeeringAttachmentsCommand({ TransitGatewayAttachmentIds: [id] })),
          (o) => (o.TransitGatewayPeeringAttachments ?? []).map(view),
        );
        const second = await ask(other);
        const secondId = second.TransitGatewayPeeringAttachment?.TransitGatewayAttachmentId ?? 'tgw-attach-missing';
        env.advance(SETTLE_MS);
        await trace.step(
          'RejectTransitGatewayPeeringAttachment',
          () => ec2.send(new RejectTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: secondId })),
          (o) => view(o.TransitGatewayPeeringAttachment),
        );
        await trace.step(
          'DeleteTransitGatewayPeeringAttachment',
          () => ec2.send(new DeleteTransitGatewayPeeringAttachmentCommand({ TransitGatewayAttachmentId: id })),
          (o) => view(o.TransitGatewayPeeringAttachment),
        );
      },
      known,
    );
  });
});
