import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AcceptTransitGatewayVpcAttachmentCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateTagsCommand,
  CreateTransitGatewayRouteCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  DeleteTransitGatewayRouteCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewaysCommand,
  DescribeTransitGatewayVpcAttachmentsCommand,
  DisableTransitGatewayRouteTablePropagationCommand,
  DisassociateTransitGatewayRouteTableCommand,
  EC2Client,
  EnableTransitGatewayRouteTablePropagationCommand,
  GetTransitGatewayAttachmentPropagationsCommand,
  SearchTransitGatewayRoutesCommand,
  type TransitGatewayAttachment,
} from '@aws-sdk/client-ec2';
import {
  AcceptResourceShareInvitationCommand,
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  GetResourceShareAssociationsCommand,
  GetResourceShareInvitationsCommand,
  GetResourceSharesCommand,
  RAMClient,
} from '@aws-sdk/client-ram';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  AttachmentFailedError,
  AttachmentNotReadyError,
  LeaseLostError,
  OrganizationShareMissingError,
  QuotaExceededError,
  ShareInvitationPendingError,
} from '#shared/errors';
import {
  acceptAttachment,
  associateAndPropagate,
  createAttachment,
  shareTransitGateway,
  type TgwDeps,
  transitGatewayDefaults,
  WAIT_WITHOUT_RENEWAL_MS,
  waitForAttachment,
} from '../../../functions/transit-gateway/transit-gateway';
import { mockClientForFile } from '../../mock-client';
import { awsError, EXTERNAL, SPOKE, useExampleConfig, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const hubEc2 = new EC2Client({ region: 'us-east-1' });
const hubRam = new RAMClient({ region: 'us-east-1' });
const spokeEc2 = new EC2Client({ region: 'us-east-1' });
const spokeRam = new RAMClient({ region: 'us-east-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const hubEc2Mock = mockClientForFile(hubEc2);
const hubRamMock = mockClientForFile(hubRam);
const spokeEc2Mock = mockClientForFile(spokeEc2);
const spokeRamMock = mockClientForFile(spokeRam);
const dynamoMock = mockClientForFile(documents);

const SHARE_ARN = 'arn:aws:ram:us-east-1:111111111111:resource-share/7ab63972-b505-7e2a-420d-6f5d3EXAMPLE';
const ATTACHMENT = 'tgw-attach-0000000000000001';
const TGW = 'tgw-0a1b2c3d4e5f60718';

let deps: TgwDeps;
/** The lease renewals of the attachment wait. */
let renewLease: jest.Mock<Promise<void>, []>;
const waitDeps = () => ({ ...deps, renewLease });

function attachment(state: string, extra: Partial<TransitGatewayAttachment> = {}): TransitGatewayAttachment {
  return {
    TransitGatewayAttachmentId: ATTACHMENT,
    TransitGatewayId: TGW,
    ResourceId: VPC,
    State: state as TransitGatewayAttachment['State'],
    ...extra,
  };
}

describe('Function: transit-gateway', () => {
  beforeEach(() => {
    for (const mock of [hubEc2Mock, hubRamMock, spokeEc2Mock, spokeRamMock, dynamoMock]) mock.reset();
    const config = useExampleConfig();
    deps = {
      config,
      hub: { ec2: hubEc2, ram: hubRam },
      spoke: async () => ({ ec2: spokeEc2, ram: spokeRam }),
      registry: { dynamo: documents, tableName: 'spokelink-registry' },
      now: () => Date.parse('2026-11-27T12:00:00Z'),
    };
    dynamoMock.on(GetCommand).resolves({ Item: { vpcId: VPC, executions: [] } });
    dynamoMock.on(UpdateCommand).resolves({});
    renewLease = jest.fn(async () => undefined);
  });

  describe('ShareTransitGateway: the TGW shared with the organization (the example configuration)', () => {
    const ORG_SHARE_ARN = 'arn:aws:ram:us-east-1:111111111111:resource-share/0a0a0a0a-1111-4222-8333-444444444444';
    const ORG_ARN = 'arn:aws:organizations::999999999999:organization/o-exampleorg1';
    const TGW_ARN = `arn:aws:ec2:us-east-1:111111111111:transit-gateway/${TGW}`;
    /** The hub's shares: who holds the organization as principal and who holds the TGW as resource. */
    function hubShares(principal: { share: string; status: string }[], resource: { share: string; status: string }[]) {
      hubRamMock
        .on(GetResourceShareAssociationsCommand, { associationType: 'PRINCIPAL' })
        .resolves({
          resourceShareAssociations: principal.map((a) => ({
            resourceShareArn: a.share,
            associatedEntity: ORG_ARN,
            associationType: 'PRINCIPAL',
            status: a.status as 'ASSOCIATED',
          })),
        })
        .on(GetResourceShareAssociationsCommand, { associationType: 'RESOURCE' })
        .resolves({
          resourceShareAssociations: resource.map((a) => ({
            resourceShareArn: a.share,
            associatedEntity: TGW_ARN,
            associationType: 'RESOURCE',
            status: a.status as 'ASSOCIATED',
          })),
        });
    }

    it('does nothing for an account of the organization: no principal, no invitation, nothing to wait for', async () => {
      hubShares([{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }], [{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }]);

      const result = await shareTransitGateway(examplePlan(), deps);

      expect(result).toEqual({
        shareArn: ORG_SHARE_ARN,
        principalAdded: false,
        invitationAccepted: false,
        viaOrganization: true,
      });
      // The shares that hold the TGW, then their principals (the organization appears by its ARN).
      expect(hubRamMock).toHaveReceivedCommandWith(GetResourceShareAssociationsCommand, {
        associationType: 'RESOURCE',
        resourceArn: TGW_ARN,
      });
      expect(hubRamMock).toHaveReceivedCommandWith(GetResourceShareAssociationsCommand, {
        associationType: 'PRINCIPAL',
        resourceShareArns: [ORG_SHARE_ARN],
      });
      expect(hubRamMock).not.toHaveReceivedCommand(AssociateResourceShareCommand);
      expect(hubRamMock).not.toHaveReceivedCommand(CreateResourceShareCommand);
      expect(hubRamMock).not.toHaveReceivedCommand(GetResourceSharesCommand);
      expect(spokeRamMock.calls()).toHaveLength(0);
    });

    it('counts only a share that holds both the organization and the TGW, reading every page', async () => {
      // The TGW is in two shares (the per-account one too); only one of them has the organization as principal.
      const tgwIn = (share: string) => ({
        resourceShareArn: share,
        associatedEntity: TGW_ARN,
        status: 'ASSOCIATED' as const,
      });
      hubRamMock
        .on(GetResourceShareAssociationsCommand, { associationType: 'RESOURCE', nextToken: undefined })
        .resolves({ resourceShareAssociations: [tgwIn(SHARE_ARN)], nextToken: 'resources-2' })
        .on(GetResourceShareAssociationsCommand, { associationType: 'RESOURCE', nextToken: 'resources-2' })
        .resolves({ resourceShareAssociations: [tgwIn(ORG_SHARE_ARN)] })
        .on(GetResourceShareAssociationsCommand, { associationType: 'PRINCIPAL', nextToken: undefined })
        .resolves({
          resourceShareAssociations: [
            { resourceShareArn: SHARE_ARN, associatedEntity: EXTERNAL, status: 'ASSOCIATED' },
          ],
          nextToken: 'principals-2',
        })
        .on(GetResourceShareAssociationsCommand, { associationType: 'PRINCIPAL', nextToken: 'principals-2' })
        .resolves({
          resourceShareAssociations: [
            { resourceShareArn: ORG_SHARE_ARN, associatedEntity: ORG_ARN, status: 'ASSOCIATED' },
          ],
        });

      const result = await shareTransitGateway(examplePlan(), deps);

      expect(result).toMatchObject({ shareArn: ORG_SHARE_ARN, viaOrganization: true });
      expect(hubRamMock).toHaveReceivedCommandWith(GetResourceShareAssociationsCommand, {
        associationType: 'PRINCIPAL',
        resourceShareArns: [SHARE_ARN, ORG_SHARE_ARN],
      });
    });

    it('goes on while the organization share is still ASSOCIATING (CreateAttachment retries until RAM shows the TGW)', async () => {
      hubShares([{ share: ORG_SHARE_ARN, status: 'ASSOCIATING' }], [{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }]);

      const result = await shareTransitGateway(examplePlan(), deps);

      expect(result).toMatchObject({ shareArn: ORG_SHARE_ARN, principalAdded: false, viaOrganization: true });
      expect(hubRamMock).not.toHaveReceivedCommand(AssociateResourceShareCommand);
    });

    it.each([
      ['no share holds the TGW', [{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }], []],
      ['no share names the organization', [], [{ share: SHARE_ARN, status: 'ASSOCIATED' }]],
      [
        'the organization share lost the TGW',
        [{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }],
        [{ share: SHARE_ARN, status: 'ASSOCIATED' }],
      ],
      [
        'the organization was removed from the share',
        [{ share: ORG_SHARE_ARN, status: 'DISASSOCIATED' }],
        [{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }],
      ],
      [
        'the organization association failed',
        [{ share: ORG_SHARE_ARN, status: 'FAILED' }],
        [{ share: ORG_SHARE_ARN, status: 'ASSOCIATED' }],
      ],
    ])('fails with OrganizationShareMissingError and adds no principal when %s', async (_case, principal, resource) => {
      hubShares(principal, resource);

      const attempt = shareTransitGateway(examplePlan(), deps);

      await expect(attempt).rejects.toBeInstanceOf(OrganizationShareMissingError);
      await expect(attempt).rejects.toThrow(/spokelink-tgw-organization.*redeploy the hub stack/);
      expect(hubRamMock).not.toHaveReceivedCommand(AssociateResourceShareCommand);
      expect(hubRamMock).not.toHaveReceivedCommand(CreateResourceShareCommand);
    });

    it('keeps the per-account share and its invitation for an account outside the organization', async () => {
      hubRamMock
        .on(GetResourceSharesCommand)
        .resolves({ resourceShares: [{ resourceShareArn: SHARE_ARN, name: 'spokelink-tgw', status: 'ACTIVE' }] });
      hubRamMock.on(GetResourceShareAssociationsCommand).resolves({ resourceShareAssociations: [] });
      hubRamMock.on(AssociateResourceShareCommand).resolves({});
      const invitation = 'arn:aws:ram:us-east-1:111111111111:resource-share-invitation/1111-2222';
      spokeRamMock.on(GetResourceShareInvitationsCommand).resolves({
        resourceShareInvitations: [
          {
            resourceShareInvitationArn: invitation,
            status: 'PENDING',
            resourceShareArn: SHARE_ARN,
            resourceShareName: 'spokelink-tgw',
            senderAccountId: '111111111111',
          },
        ],
      });
      spokeRamMock.on(AcceptResourceShareInvitationCommand).resolves({});

      const result = await shareTransitGateway(examplePlan({ accountId: EXTERNAL, externalAccount: true }), deps);

      expect(result).toEqual({ shareArn: SHARE_ARN, principalAdded: true, invitationAccepted: true });
      expect(hubRamMock).toHaveReceivedCommandWith(AssociateResourceShareCommand, {
        resourceShareArn: SHARE_ARN,
        principals: [EXTERNAL],
      });
      // The organization share is never looked for (nor changed) for an outside account.
      expect(hubRamMock).not.toHaveReceivedCommandWith(GetResourceShareAssociationsCommand, {
        associationType: 'RESOURCE',
      });
      expect(spokeRamMock).toHaveReceivedCommandWith(AcceptResourceShareInvitationCommand, {
        resourceShareInvitationArn: invitation,
      });
    });

    it('shares nothing for a VPC in the hub account', async () => {
      const result = await shareTransitGateway(examplePlan({ accountId: '111111111111' }), deps);

      expect(result.skipped).toBeDefined();
      expect(hubRamMock.calls()).toHaveLength(0);
    });
  });

  describe('ShareTransitGateway: one share, each account a principal (organization sharing off)', () => {
    beforeEach(() => {
      deps.config = useExampleConfig((raw) => {
        (raw.organization as Record<string, unknown>).shareTransitGateway = false;
      });
      hubRamMock.on(GetResourceSharesCommand).resolves({
        resourceShares: [{ resourceShareArn: SHARE_ARN, name: 'spokelink-tgw', status: 'ACTIVE' }],
      });
    });

    it('adds the spoke account to the existing spokelink share when it is not a principal yet', async () => {
      hubRamMock.on(GetResourceShareAssociationsCommand).resolves({ resourceShareAssociations: [] });
      hubRamMock.on(AssociateResourceShareCommand).resolves({});

      const result = await shareTransitGateway(examplePlan(), deps);

      expect(result).toEqual({ shareArn: SHARE_ARN, principalAdded: true, invitationAccepted: false });
      expect(hubRamMock).toHaveReceivedCommandWith(GetResourceSharesCommand, {
        resourceOwner: 'SELF',
        name: 'spokelink-tgw',
      });
      expect(hubRamMock).toHaveReceivedCommandWith(AssociateResourceShareCommand, {
        resourceShareArn: SHARE_ARN,
        principals: [SPOKE],
      });
      expect(spokeRamMock).not.toHaveReceivedCommand(GetResourceShareInvitationsCommand);
    });

    it('changes nothing when the account is already a principal', async () => {
      hubRamMock.on(GetResourceShareAssociationsCommand).resolves({
        resourceShareAssociations: [{ associatedEntity: SPOKE, status: 'ASSOCIATED', resourceShareArn: SHARE_ARN }],
      });

      const result = await shareTransitGateway(examplePlan(), deps);

      expect(result.principalAdded).toBe(false);
      expect(hubRamMock).not.toHaveReceivedCommand(AssociateResourceShareCommand);
    });

    it('accepts the pending invitation as the spoke role for an account outside the organization', async () => {
      hubRamMock.on(GetResourceShareAssociationsCommand).resolves({ resourceShareAssociations: [] });
      hubRamMock.on(AssociateResourceShareCommand).resolves({});
      const invitation = 'arn:aws:ram:us-east-1:111111111111:resource-share-invitation/1111-2222';
      spokeRamMock.on(GetResourceShareInvitationsCommand).resolves({
        resourceShareInvitations: [
          {
            resourceShareInvitationArn: invitation,
            status: 'PENDING',
            resourceShareArn: SHARE_ARN,
            resourceShareName: 'spokelink-tgw',
            senderAccountId: '111111111111',
          },
        ],
      });
      spokeRamMock.on(AcceptResourceShareInvitationCommand).resolves({});

      const result = await shareTransitGateway(examplePlan({ accountId: EXTERNAL, externalAccount: true }), deps);

      expect(result).toMatchObject({ principalAdded: true, invitationAccepted: true });
      expect(spokeRamMock).toHaveReceivedCommandWith(GetResourceShareInvitationsCommand, {
        resourceShareArns: [SHARE_ARN],
      });
      expect(spokeRamMock).toHaveReceivedCommandWith(AcceptResourceShareInvitationCommand, {
        resourceShareInvitationArn: invitation,
      });
      expect(hubRamMock).not.toHaveReceivedCommand(AcceptResourceShareInvitationCommand);
    });

    it('waits (retriable error) while the outside account has no invitation yet', async () => {
      hubRamMock.on(GetResourceShareAssociationsCommand).resolves({
        resourceShareAssociations: [{ associatedEntity: EXTERNAL, status: 'ASSOCIATING' }],
      });
      spokeRamMock.on(GetResourceShareInvitationsCommand).resolves({ resourceShareInvitations: [] });

      await expect(
        shareTransitGateway(examplePlan({ accountId: EXTERNAL, externalAccount: true }), deps),
      ).rejects.toBeInstanceOf(ShareInvitationPendingError);
    });

    it('creates the share when the hub has none, then adds the principal', async () => {
      hubRamMock
        .on(GetResourceSharesCommand)
        .resolves({ resourceShares: [] })
        .on(CreateResourceShareCommand)
        .resolves({ resourceShare: { resourceShareArn: SHARE_ARN, name: 'spokelink-tgw' } });
      hubRamMock.on(GetResourceShareAssociationsCommand).resolves({ resourceShareAssociations: [] });

      await shareTransitGateway(examplePlan(), deps);

      expect(hubRamMock).toHaveReceivedCommandWith(CreateResourceShareCommand, {
        name: 'spokelink-tgw',
        resourceArns: [`arn:aws:ec2:us-east-1:111111111111:transit-gateway/${TGW}`],
        allowExternalPrincipals: true,
      });
      expect(hubRamMock).toHaveReceivedCommandWith(AssociateResourceShareCommand, { principals: [SPOKE] });
    });
  });

  describe('CreateAttachment', () => {
    it('creates the attachment from the spoke account, tagged, in the planned subnets, and records it', async () => {
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).resolves({
        TransitGatewayVpcAttachment: {
          TransitGatewayAttachmentId: ATTACHMENT,
          State: 'pendingAcceptance',
          SubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000c'],
        },
      });

      const result = await createAttachment(examplePlan(), deps);

      expect(result).toMatchObject({ attachmentId: ATTACHMENT, reused: false, state: 'pendingAcceptance' });
      expect(spokeEc2Mock).toHaveReceivedCommandWith(CreateTransitGatewayVpcAttachmentCommand, {
        TransitGatewayId: TGW,
        VpcId: VPC,
        SubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000c'],
        TagSpecifications: [
          {
            ResourceType: 'transit-gateway-attachment',
            Tags: [
              { Key: 'Name', Value: `spokelink-${VPC}` },
              { Key: 'spokelink:vpc', Value: VPC },
            ],
          },
        ],
      });
      expect(hubEc2Mock).not.toHaveReceivedCommand(CreateTransitGatewayVpcAttachmentCommand);
      // One call on the common path: EC2 itself refuses a second attachment of the VPC.
      expect(spokeEc2Mock).not.toHaveReceivedCommand(DescribeTransitGatewayVpcAttachmentsCommand);
      expect(dynamoMock).toHaveReceivedCommandWith(UpdateCommand, {
        ExpressionAttributeValues: expect.objectContaining({ ':v0': ATTACHMENT }),
      });
    });

    it('reuses the existing attachment of the VPC instead of creating a second one', async () => {
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).rejects(awsError('DuplicateTransitGatewayAttachment'));
      spokeEc2Mock.on(DescribeTransitGatewayVpcAttachmentsCommand).resolves({
        TransitGatewayVpcAttachments: [
          { TransitGatewayAttachmentId: 'tgw-attach-0ld', State: 'deleted' },
          {
            TransitGatewayAttachmentId: ATTACHMENT,
            State: 'available',
            SubnetIds: ['subnet-0000000000000000a'],
            Tags: [
              { Key: 'Name', Value: `spokelink-${VPC}` },
              { Key: 'spokelink:vpc', Value: VPC },
            ],
          },
        ],
      });

      const result = await createAttachment(examplePlan(), deps);

      expect(result).toMatchObject({ attachmentId: ATTACHMENT, reused: true, subnetIds: ['subnet-0000000000000000a'] });
      expect(spokeEc2Mock).toHaveReceivedCommandTimes(CreateTransitGatewayVpcAttachmentCommand, 1);
      expect(spokeEc2Mock).not.toHaveReceivedCommand(CreateTagsCommand);
    });

    it('tags a reused attachment that lacks the spokelink tags', async () => {
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).rejects(awsError('DuplicateTransitGatewayAttachment'));
      spokeEc2Mock.on(DescribeTransitGatewayVpcAttachmentsCommand).resolves({
        TransitGatewayVpcAttachments: [{ TransitGatewayAttachmentId: ATTACHMENT, State: 'pending', Tags: [] }],
      });
      spokeEc2Mock.on(CreateTagsCommand).resolves({});

      await createAttachment(examplePlan(), deps);

      expect(spokeEc2Mock).toHaveReceivedCommandWith(CreateTagsCommand, { Resources: [ATTACHMENT] });
    });

    it('reuses the attachment a concurrent attempt created (DuplicateTransitGatewayAttachment)', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayVpcAttachmentsCommand)
        .resolvesOnce({ TransitGatewayVpcAttachments: [] })
        .resolves({
          TransitGatewayVpcAttachments: [
            {
              TransitGatewayAttachmentId: ATTACHMENT,
              State: 'pendingAcceptance',
              Tags: [
                { Key: 'Name', Value: `spokelink-${VPC}` },
                { Key: 'spokelink:vpc', Value: VPC },
              ],
            },
          ],
        });
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).rejects(awsError('DuplicateTransitGatewayAttachment'));

      // Not visible yet on the first look (eventual consistency): the ASL retries, the next look reuses it.
      await expect(createAttachment(examplePlan(), deps)).rejects.toBeInstanceOf(AttachmentNotReadyError);
      await expect(createAttachment(examplePlan(), deps)).resolves.toMatchObject({
        attachmentId: ATTACHMENT,
        reused: true,
      });
    });

    it('lets InvalidTransitGatewayID.NotFound (RAM not propagated yet) reach the ASL retry, one call per attempt', async () => {
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).rejects(awsError('InvalidTransitGatewayID.NotFound'));

      await expect(createAttachment(examplePlan(), deps)).rejects.toMatchObject({
        name: 'InvalidTransitGatewayID.NotFound',
      });
      expect(spokeEc2Mock.calls()).toHaveLength(1);
    });

    it('waits while a previous attachment of the VPC is still being deleted', async () => {
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).rejects(awsError('DuplicateTransitGatewayAttachment'));
      spokeEc2Mock.on(DescribeTransitGatewayVpcAttachmentsCommand).resolves({
        TransitGatewayVpcAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0ld', State: 'deleting' }],
      });

      await expect(createAttachment(examplePlan(), deps)).rejects.toThrow(/tgw-attach-0ld .* is deleting/);
      await expect(createAttachment(examplePlan(), deps)).rejects.toBeInstanceOf(AttachmentNotReadyError);
    });

    it('fails for good when the VPC keeps a failed attachment to the TGW (it must be deleted first)', async () => {
      spokeEc2Mock.on(CreateTransitGatewayVpcAttachmentCommand).rejects(awsError('DuplicateTransitGatewayAttachment'));
      spokeEc2Mock.on(DescribeTransitGatewayVpcAttachmentsCommand).resolves({
        TransitGatewayVpcAttachments: [{ TransitGatewayAttachmentId: 'tgw-attach-0ld', State: 'failed' }],
      });

      await expect(createAttachment(examplePlan(), deps)).rejects.toBeInstanceOf(AttachmentFailedError);
    });

    it('reports a reached attachment quota as QuotaExceededError', async () => {
      spokeEc2Mock
        .on(CreateTransitGatewayVpcAttachmentCommand)
        .rejects(awsError('TransitGatewayAttachmentLimitExceeded'));

      await expect(createAttachment(examplePlan(), deps)).rejects.toBeInstanceOf(QuotaExceededError);
    });
  });

  describe('AcceptAttachment and WaitForAttachment', () => {
    it('accepts a pendingAcceptance attachment from the hub (the TGW owner)', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('pendingAcceptance')] });
      hubEc2Mock.on(AcceptTransitGatewayVpcAttachmentCommand).resolves({});

      const result = await acceptAttachment(ATTACHMENT, deps);

      expect(result).toEqual({ attachmentId: ATTACHMENT, state: 'pending', accepted: true });
      expect(hubEc2Mock).toHaveReceivedCommandWith(AcceptTransitGatewayVpcAttachmentCommand, {
        TransitGatewayAttachmentId: ATTACHMENT,
      });
    });

    it('polls the attachment from the spoke account, never from the hub (the hub describe bucket is shared)', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('pending')] });

      await expect(acceptAttachment(ATTACHMENT, deps)).resolves.toMatchObject({ accepted: false });
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);

      expect(spokeEc2Mock).toHaveReceivedCommandTimes(DescribeTransitGatewayAttachmentsCommand, 2);
      expect(hubEc2Mock).not.toHaveReceivedCommand(DescribeTransitGatewayAttachmentsCommand);
    });

    it('accepts from the hub an attachment the spoke still sees in pendingAcceptance while waiting', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('pendingAcceptance')] });
      hubEc2Mock.on(AcceptTransitGatewayVpcAttachmentCommand).resolves({});

      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);
      expect(hubEc2Mock).toHaveReceivedCommandWith(AcceptTransitGatewayVpcAttachmentCommand, {
        TransitGatewayAttachmentId: ATTACHMENT,
      });
    });

    it('has nothing to accept once the attachment is pending or available', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('pending')] });

      await expect(acceptAttachment(ATTACHMENT, deps)).resolves.toMatchObject({ accepted: false, state: 'pending' });
      expect(hubEc2Mock).not.toHaveReceivedCommand(AcceptTransitGatewayVpcAttachmentCommand);
    });

    it('is not ready to accept while the attachment is still initiating or not visible yet', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolvesOnce({ TransitGatewayAttachments: [attachment('initiating')] })
        .rejectsOnce(awsError('InvalidTransitGatewayAttachmentID.NotFound'));

      await expect(acceptAttachment(ATTACHMENT, deps)).rejects.toBeInstanceOf(AttachmentNotReadyError);
      await expect(acceptAttachment(ATTACHMENT, deps)).rejects.toBeInstanceOf(AttachmentNotReadyError);
    });

    it('waits with AttachmentNotReadyError until the attachment is available', async () => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolvesOnce({ TransitGatewayAttachments: [attachment('pending')] })
        .resolves({ TransitGatewayAttachments: [attachment('available')] });

      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).resolves.toEqual({
        attachmentId: ATTACHMENT,
        state: 'available',
      });
    });

    it('renews the lease only when it is due: before accepting, past 5 minutes of the attachment, or its age unknown', async () => {
      const now = deps.now();
      const pending = (ageMs: number | undefined, state = 'pending') =>
        spokeEc2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
          TransitGatewayAttachments: [
            attachment(state, ageMs === undefined ? {} : { CreationTime: new Date(now - ageMs) }),
          ],
        });
      hubEc2Mock.on(AcceptTransitGatewayVpcAttachmentCommand).resolves({});
      // A poll of a young attachment reads and writes nothing.
      pending(WAIT_WITHOUT_RENEWAL_MS);
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);
      pending(0, 'available');
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).resolves.toMatchObject({ state: 'available' });
      expect(renewLease).not.toHaveBeenCalled();
      // Older, or of unknown age (reused), it renews at each poll.
      pending(WAIT_WITHOUT_RENEWAL_MS + 1);
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);
      pending(undefined);
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);
      expect(renewLease).toHaveBeenCalledTimes(2);
      // Before it accepts, always; a lease lost is LeaseLostError and nothing is accepted.
      pending(0, 'pendingAcceptance');
      renewLease.mockRejectedValueOnce(new LeaseLostError(`${VPC}: taken over`));
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(LeaseLostError);
      expect(hubEc2Mock).not.toHaveReceivedCommand(AcceptTransitGatewayVpcAttachmentCommand);
      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentNotReadyError);
      expect(renewLease).toHaveBeenCalledTimes(4);
      expect(hubEc2Mock).toHaveReceivedCommandTimes(AcceptTransitGatewayVpcAttachmentCommand, 1);
    });

    it.each(['failed', 'rejected', 'deleted'])('fails for good on an attachment that is %s', async (state) => {
      spokeEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment(state)] });

      await expect(waitForAttachment(ATTACHMENT, waitDeps())).rejects.toBeInstanceOf(AttachmentFailedError);
    });
  });

  describe('AssociateAndPropagate', () => {
    const plan = examplePlan();
    const HUB_TABLE = 'tgw-rtb-0c000000000000003';
    const staticRoute = (cidr: string, attachmentId: string, state: 'active' | 'blackhole' = 'active') => ({
      DestinationCidrBlock: cidr,
      TransitGatewayAttachments: [
        { TransitGatewayAttachmentId: attachmentId, ResourceId: VPC, ResourceType: 'vpc' as const },
      ],
      Type: 'static' as const,
      State: state,
    });

    beforeEach(() => {
      hubEc2Mock.on(SearchTransitGatewayRoutesCommand).resolves({ Routes: [] });
      hubEc2Mock
        .on(GetTransitGatewayAttachmentPropagationsCommand)
        .resolves({ TransitGatewayAttachmentPropagations: [] });
    });

    it('associates with the segment table and routes only the claimed CIDRs statically, propagating nothing', async () => {
      hubEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('available')] });

      const result = await associateAndPropagate(plan, ATTACHMENT, deps);

      expect(hubEc2Mock).toHaveReceivedCommandWith(AssociateTransitGatewayRouteTableCommand, {
        TransitGatewayRouteTableId: 'tgw-rtb-0b000000000000002',
        TransitGatewayAttachmentId: ATTACHMENT,
      });
      expect(hubEc2Mock).toHaveReceivedCommandTimes(CreateTransitGatewayRouteCommand, 1);
      expect(hubEc2Mock).toHaveReceivedCommandWith(CreateTransitGatewayRouteCommand, {
        TransitGatewayRouteTableId: HUB_TABLE,
        DestinationCidrBlock: '10.1.0.0/16',
        TransitGatewayAttachmentId: ATTACHMENT,
      });
      expect(hubEc2Mock).not.toHaveReceivedCommand(EnableTransitGatewayRouteTablePropagationCommand);
      expect(result).toMatchObject({ routeTableIds: [HUB_TABLE], routedCidrs: ['10.1.0.0/16'] });
      expect(result.changes).toEqual([
        'associated with tgw-rtb-0b000000000000002',
        `route 10.1.0.0/16 in ${HUB_TABLE}`,
      ]);
    });

    it('changes nothing when the association and the static routes are already right', async () => {
      hubEc2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
        TransitGatewayAttachments: [
          attachment('available', {
            Association: { TransitGatewayRouteTableId: 'tgw-rtb-0b000000000000002', State: 'associated' },
          }),
        ],
      });
      hubEc2Mock.on(SearchTransitGatewayRoutesCommand).resolves({ Routes: [staticRoute('10.1.0.0/16', ATTACHMENT)] });

      const result = await associateAndPropagate(plan, ATTACHMENT, deps);

      expect(result.changes).toEqual([]);
      expect(hubEc2Mock).not.toHaveReceivedCommand(AssociateTransitGatewayRouteTableCommand);
      expect(hubEc2Mock).not.toHaveReceivedCommand(CreateTransitGatewayRouteCommand);
      expect(hubEc2Mock).not.toHaveReceivedCommand(DeleteTransitGatewayRouteCommand);
    });

    it('removes the static route of a CIDR the plan no longer claims, and ignores routes of other attachments', async () => {
      hubEc2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
        TransitGatewayAttachments: [
          attachment('available', {
            Association: { TransitGatewayRouteTableId: 'tgw-rtb-0b000000000000002', State: 'associated' },
          }),
        ],
      });
      hubEc2Mock.on(SearchTransitGatewayRoutesCommand).resolves({
        Routes: [
          staticRoute('10.1.0.0/16', ATTACHMENT),
          staticRoute('10.9.0.0/16', ATTACHMENT),
          staticRoute('10.8.0.0/16', 'tgw-attach-0000000000000009'),
        ],
      });

      const result = await associateAndPropagate(plan, ATTACHMENT, deps);

      expect(hubEc2Mock).toHaveReceivedCommandTimes(DeleteTransitGatewayRouteCommand, 1);
      expect(hubEc2Mock).toHaveReceivedCommandWith(DeleteTransitGatewayRouteCommand, {
        TransitGatewayRouteTableId: HUB_TABLE,
        DestinationCidrBlock: '10.9.0.0/16',
      });
      expect(result.changes).toEqual([`route 10.9.0.0/16 removed from ${HUB_TABLE}`]);
    });

    it('moves the attachment from another route table and disables every propagation', async () => {
      hubEc2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
        TransitGatewayAttachments: [
          attachment('available', {
            Association: { TransitGatewayRouteTableId: 'tgw-rtb-0a000000000000001', State: 'associated' },
          }),
        ],
      });
      hubEc2Mock.on(GetTransitGatewayAttachmentPropagationsCommand).resolves({
        TransitGatewayAttachmentPropagations: [
          { TransitGatewayRouteTableId: HUB_TABLE, State: 'enabled' },
          { TransitGatewayRouteTableId: 'tgw-rtb-0a000000000000001', State: 'enabled' },
        ],
      });

      await associateAndPropagate(plan, ATTACHMENT, deps);

      expect(hubEc2Mock).toHaveReceivedCommandWith(DisassociateTransitGatewayRouteTableCommand, {
        TransitGatewayRouteTableId: 'tgw-rtb-0a000000000000001',
      });
      expect(hubEc2Mock).toHaveReceivedCommandWith(AssociateTransitGatewayRouteTableCommand, {
        TransitGatewayRouteTableId: 'tgw-rtb-0b000000000000002',
      });
      expect(hubEc2Mock).toHaveReceivedCommandTimes(DisableTransitGatewayRouteTablePropagationCommand, 2);
      expect(hubEc2Mock).not.toHaveReceivedCommand(EnableTransitGatewayRouteTablePropagationCommand);
    });

    it('treats Resource.AlreadyAssociated and its own RouteAlreadyExists as done; replaces a blackhole', async () => {
      hubEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolvesOnce({ TransitGatewayAttachments: [attachment('available')] })
        .resolves({
          TransitGatewayAttachments: [
            attachment('available', {
              Association: { TransitGatewayRouteTableId: 'tgw-rtb-0b000000000000002', State: 'associating' },
            }),
          ],
        });
      hubEc2Mock.on(AssociateTransitGatewayRouteTableCommand).rejects(awsError('Resource.AlreadyAssociated'));
      hubEc2Mock.on(CreateTransitGatewayRouteCommand).rejectsOnce(awsError('RouteAlreadyExists')).resolves({});
      hubEc2Mock
        .on(SearchTransitGatewayRoutesCommand)
        .resolvesOnce({ Routes: [] })
        .resolves({ Routes: [staticRoute('10.1.0.0/16', 'tgw-attach-0000000000000007', 'blackhole')] });

      await expect(associateAndPropagate(plan, ATTACHMENT, deps)).resolves.toMatchObject({
        associationRouteTableId: 'tgw-rtb-0b000000000000002',
      });
      expect(hubEc2Mock).toHaveReceivedCommandWith(DeleteTransitGatewayRouteCommand, {
        TransitGatewayRouteTableId: HUB_TABLE,
        DestinationCidrBlock: '10.1.0.0/16',
      });
      expect(hubEc2Mock).toHaveReceivedCommandTimes(CreateTransitGatewayRouteCommand, 2);
    });

    it('never overwrites an active static route to another attachment: ConflictError', async () => {
      hubEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('available')] });
      hubEc2Mock.on(CreateTransitGatewayRouteCommand).rejects(awsError('RouteAlreadyExists'));
      hubEc2Mock
        .on(SearchTransitGatewayRoutesCommand)
        .resolvesOnce({ Routes: [] })
        .resolves({ Routes: [staticRoute('10.1.0.0/16', 'tgw-attach-0000000000000007')] });

      await expect(associateAndPropagate(plan, ATTACHMENT, deps)).rejects.toMatchObject({ name: 'ConflictError' });
      expect(hubEc2Mock).not.toHaveReceivedCommand(DeleteTransitGatewayRouteCommand);
    });

    describe('an attachment this execution created (attachmentReused: false)', () => {
      const NO_DEFAULTS = { association: false, propagation: false };
      /** AssociateAndPropagate on the attachment, made by this execution unless `reused`. */
      const associateNew = (reused = false, defaults = NO_DEFAULTS) =>
        associateAndPropagate(plan, ATTACHMENT, { ...deps, defaults: async () => defaults }, reused);
      const hubReads = () =>
        hubEc2Mock
          .calls()
          .map((c) => c.args[0].constructor.name)
          .filter((name) => /^(Describe|Get|Search)/.test(name));
      const associatedWith = (table: string, state: 'associating' | 'associated' = 'associating') =>
        hubEc2Mock.on(DescribeTransitGatewayAttachmentsCommand).resolves({
          TransitGatewayAttachments: [
            attachment('available', { Association: { TransitGatewayRouteTableId: table, State: state } }),
          ],
        });

      beforeEach(() => {
        hubEc2Mock
          .on(DescribeTransitGatewayAttachmentsCommand)
          .resolves({ TransitGatewayAttachments: [attachment('available')] });
        hubEc2Mock.on(CreateTransitGatewayRouteCommand).resolves({ Route: { State: 'active' } });
      });

      it('reads only its association, then associates and routes without searching, on a TGW without defaults', async () => {
        const result = await associateNew();

        expect(hubReads()).toEqual(['DescribeTransitGatewayAttachmentsCommand']);
        expect(hubEc2Mock).toHaveReceivedCommandWith(AssociateTransitGatewayRouteTableCommand, {
          TransitGatewayRouteTableId: 'tgw-rtb-0b000000000000002',
          TransitGatewayAttachmentId: ATTACHMENT,
        });
        expect(hubEc2Mock).toHaveReceivedCommandWith(CreateTransitGatewayRouteCommand, {
          TransitGatewayRouteTableId: HUB_TABLE,
          DestinationCidrBlock: '10.1.0.0/16',
          TransitGatewayAttachmentId: ATTACHMENT,
        });
        expect(result.changes).toEqual([
          'associated with tgw-rtb-0b000000000000002',
          `route 10.1.0.0/16 in ${HUB_TABLE}`,
        ]);
        expect(result.routesActive).toBe(true);
      });

      it('spends no mutating call on what an earlier attempt made: associated already, its routes are searched', async () => {
        associatedWith('tgw-rtb-0b000000000000002');
        hubEc2Mock.on(SearchTransitGatewayRoutesCommand).resolves({ Routes: [staticRoute('10.1.0.0/16', ATTACHMENT)] });

        const result = await associateNew();

        expect(result.changes).toEqual([]);
        expect(result.routesActive).toBe(true);
        expect(hubEc2Mock).not.toHaveReceivedCommand(AssociateTransitGatewayRouteTableCommand);
        expect(hubEc2Mock).not.toHaveReceivedCommand(CreateTransitGatewayRouteCommand);
        expect(hubEc2Mock).not.toHaveReceivedCommand(GetTransitGatewayAttachmentPropagationsCommand);
        expect(hubEc2Mock).not.toHaveReceivedCommand(DeleteTransitGatewayRouteCommand);
      });

      it('creates the route an earlier attempt did not get to (its call throttled after the association)', async () => {
        associatedWith('tgw-rtb-0b000000000000002', 'associated');
        const result = await associateNew();
        expect(result.changes).toEqual([`route 10.1.0.0/16 in ${HUB_TABLE}`]);
        expect(hubEc2Mock).not.toHaveReceivedCommand(AssociateTransitGatewayRouteTableCommand);
      });

      it('converges when a route creation answered RouteAlreadyExists (its earlier answer lost): reads that route', async () => {
        hubEc2Mock.on(CreateTransitGatewayRouteCommand).rejects(awsError('RouteAlreadyExists'));
        hubEc2Mock.on(SearchTransitGatewayRoutesCommand).resolves({ Routes: [staticRoute('10.1.0.0/16', ATTACHMENT)] });
        const result = await associateNew();
        expect(result.changes).toEqual(['associated with tgw-rtb-0b000000000000002']);
        expect(result.routesActive).toBe(true);
      });

      it.each([
        ['associated with another table', () => associatedWith('tgw-rtb-0a000000000000001', 'associated')],
        [
          'associated by someone else between the read and the call',
          () => {
            hubEc2Mock
              .on(DescribeTransitGatewayAttachmentsCommand)
              .resolvesOnce({ TransitGatewayAttachments: [attachment('available')] })
              .resolves({
                TransitGatewayAttachments: [
                  attachment('available', {
                    Association: { TransitGatewayRouteTableId: 'tgw-rtb-0a000000000000001', State: 'associated' },
                  }),
                ],
              });
            hubEc2Mock
              .on(AssociateTransitGatewayRouteTableCommand)
              .rejectsOnce(awsError('Resource.AlreadyAssociated'))
              .resolves({});
          },
        ],
      ])('reads everything first when the new attachment is %s', async (_, arrange) => {
        arrange();
        const result = await associateNew();

        expect(hubEc2Mock).toHaveReceivedCommandWith(DisassociateTransitGatewayRouteTableCommand, {
          TransitGatewayRouteTableId: 'tgw-rtb-0a000000000000001',
        });
        expect(hubEc2Mock).toHaveReceivedCommand(GetTransitGatewayAttachmentPropagationsCommand);
        expect(result.changes).toContain('associated with tgw-rtb-0b000000000000002');
      });

      it.each([
        ['default propagation', { association: false, propagation: true }],
        ['default association', { association: true, propagation: false }],
      ])('reads first on a TGW with %s enabled, and disables the propagation AWS made', async (_, defaults) => {
        hubEc2Mock.on(GetTransitGatewayAttachmentPropagationsCommand).resolves({
          TransitGatewayAttachmentPropagations: [{ TransitGatewayRouteTableId: HUB_TABLE, State: 'enabled' }],
        });

        await associateNew(false, defaults);

        expect(hubEc2Mock).toHaveReceivedCommand(GetTransitGatewayAttachmentPropagationsCommand);
        expect(hubEc2Mock).toHaveReceivedCommandWith(DisableTransitGatewayRouteTablePropagationCommand, {
          TransitGatewayRouteTableId: HUB_TABLE,
          TransitGatewayAttachmentId: ATTACHMENT,
        });
      });

      it('reads everything first for a reused attachment (it may carry other links)', async () => {
        await associateNew(true);
        expect(hubEc2Mock).toHaveReceivedCommand(DescribeTransitGatewayAttachmentsCommand);
        expect(hubEc2Mock).toHaveReceivedCommand(GetTransitGatewayAttachmentPropagationsCommand);
        expect(hubEc2Mock).toHaveReceivedCommand(SearchTransitGatewayRoutesCommand);
      });

      it('says routesActive false when a route was not answered active', async () => {
        hubEc2Mock.on(CreateTransitGatewayRouteCommand).resolves({ Route: { State: 'blackhole' } });
        const result = await associateNew();
        expect(result.routesActive).toBe(false);
      });

      it("reads the TGW's default options, an unreadable one counting as enabled", async () => {
        hubEc2Mock.on(DescribeTransitGatewaysCommand).resolves({
          TransitGateways: [
            {
              TransitGatewayId: TGW,
              Options: { DefaultRouteTableAssociation: 'disable', DefaultRouteTablePropagation: 'enable' },
            },
          ],
        });
        await expect(transitGatewayDefaults(hubEc2, TGW)).resolves.toEqual({ association: false, propagation: true });
        hubEc2Mock.on(DescribeTransitGatewaysCommand).resolves({ TransitGateways: [] });
        await expect(transitGatewayDefaults(hubEc2, TGW)).resolves.toEqual({ association: true, propagation: true });
      });
    });

    it('lets IncorrectState propagate for the ASL to retry', async () => {
      hubEc2Mock
        .on(DescribeTransitGatewayAttachmentsCommand)
        .resolves({ TransitGatewayAttachments: [attachment('available')] });
      hubEc2Mock
        .on(GetTransitGatewayAttachmentPropagationsCommand)
        .resolves({ TransitGatewayAttachmentPropagations: [] });
      hubEc2Mock.on(AssociateTransitGatewayRouteTableCommand).rejects(awsError('IncorrectState'));

      await expect(associateAndPropagate(plan, ATTACHMENT, deps)).rejects.toMatchObject({ name: 'IncorrectState' });
    });
  });
});
