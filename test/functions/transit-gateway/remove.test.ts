import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import {
  AssociateResourceShareCommand,
  DisassociateResourceShareCommand,
  GetResourceShareAssociationsCommand,
  GetResourceSharesCommand,
  RAMClient,
} from '@aws-sdk/client-ram';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AttachmentRemovalDeps, unshareTransitGateway } from '../../../functions/transit-gateway/remove';
import { mockClientForFile } from '../../mock-client';
import { EXTERNAL, HUB, SPOKE, VPC } from '../helpers';

const hubEc2 = new EC2Client({ region: 'us-east-1' });
const hubRam = new RAMClient({ region: 'us-east-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const hubRamMock = mockClientForFile(hubRam);
const dynamoMock = mockClientForFile(documents);

const SHARE_ARN = 'arn:aws:ram:us-east-1:111111111111:resource-share/7ab63972-b505-7e2a-420d-6f5d3EXAMPLE';
const vpcOf = (accountId: string) => ({
  vpcId: VPC,
  accountId,
  region: 'us-east-1',
  exists: true,
  spokeReachable: true,
});

function detachDeps(sharedWithOrganization: boolean): AttachmentRemovalDeps {
  return {
    hub: { ec2: hubEc2, ram: hubRam },
    transitGatewayId: 'tgw-0a1b2c3d4e5f60718',
    hubAccountId: HUB,
    shareName: 'spokelink-tgw',
    sharedWithOrganization,
    externalAccounts: [EXTERNAL],
    hubRouteTableIds: ['tgw-rtb-0a1b2c3d4e5f60718'],
    registry: { dynamo: documents, tableName: 'spokelink-registry' },
    now: () => Date.parse('2026-11-27T12:00:00Z'),
  };
}

describe('Function: transit-gateway, UnshareTransitGateway', () => {
  beforeEach(() => {
    hubRamMock.reset();
    dynamoMock.reset();
    // No other VPC of the account is in the registry.
    dynamoMock.on(QueryCommand).resolves({ Items: [] });
    hubRamMock.on(GetResourceSharesCommand).resolves({
      resourceShares: [{ resourceShareArn: SHARE_ARN, name: 'spokelink-tgw', status: 'ACTIVE' }],
    });
    hubRamMock.on(DisassociateResourceShareCommand).resolves({});
  });

  it('never touches RAM for an account of the organization when the TGW is shared with the organization', async () => {
    const result = await unshareTransitGateway(vpcOf(SPOKE), detachDeps(true));

    expect(result).toEqual({ unshared: false, kept: 'the account sees the TGW through the organization share' });
    expect(hubRamMock.calls()).toHaveLength(0);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  it('removes an account outside the organization from the per-account share, organization share or not', async () => {
    hubRamMock.on(GetResourceShareAssociationsCommand).resolves({
      resourceShareAssociations: [{ associatedEntity: EXTERNAL, status: 'ASSOCIATED', resourceShareArn: SHARE_ARN }],
    });

    const result = await unshareTransitGateway(vpcOf(EXTERNAL), detachDeps(true));

    expect(result).toEqual({ unshared: true });
    expect(hubRamMock).toHaveReceivedCommandWith(DisassociateResourceShareCommand, {
      resourceShareArn: SHARE_ARN,
      principals: [EXTERNAL],
    });
    expect(hubRamMock).not.toHaveReceivedCommand(AssociateResourceShareCommand);
  });

  it('removes an organization account from the per-account share when the TGW is not shared with the organization', async () => {
    hubRamMock.on(GetResourceShareAssociationsCommand).resolves({
      resourceShareAssociations: [{ associatedEntity: SPOKE, status: 'ASSOCIATED', resourceShareArn: SHARE_ARN }],
    });

    const result = await unshareTransitGateway(vpcOf(SPOKE), detachDeps(false));

    expect(result).toEqual({ unshared: true });
    expect(hubRamMock).toHaveReceivedCommandWith(DisassociateResourceShareCommand, { principals: [SPOKE] });
  });
});
