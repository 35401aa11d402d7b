import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AssociateVPCWithHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  DeleteVPCAssociationAuthorizationCommand,
  ListHostedZonesByVPCCommand,
  Route53Client,
  type VPC as VpcRef,
} from '@aws-sdk/client-route-53';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ConflictError, QuotaExceededError } from '#shared/errors';
import { associateZones, type ZonesDeps } from '../../../functions/zones/zones';
import { awsError, HUB, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const hub = new Route53Client({ region: 'us-east-1' });
const spoke = new Route53Client({ region: 'us-east-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const hubMock = mockClient(hub);
const spokeMock = mockClient(spoke);
const dynamo = mockClient(documents);
const SSM = 'Z0SSM00000000000000001';
const STS = 'Z0STS00000000000000001';
const VPC_REF: VpcRef = { VPCId: VPC, VPCRegion: 'us-east-1' };

let deps: ZonesDeps;

function recordedZones(): unknown {
  const calls = dynamo.commandCalls(UpdateCommand);
  return calls[calls.length - 1]?.args[0].input.ExpressionAttributeValues?.[':v0'];
}

describe('Function: zones', () => {
  beforeEach(() => {
    for (const mock of [hubMock, spokeMock, dynamo]) mock.reset();
    deps = {
      hubRoute53: hub,
      spokeRoute53: async () => spoke,
      hubAccountId: HUB,
      registry: { dynamo: documents, tableName: 'spokelink-registry' },
      now: () => Date.now(),
    };
    dynamo.on(GetCommand).resolves({ Item: { vpcId: VPC, zones: [] } });
    dynamo.on(UpdateCommand).resolves({});
    spokeMock.on(ListHostedZonesByVPCCommand).resolves({ HostedZoneSummaries: [] });
    hubMock.on(CreateVPCAssociationAuthorizationCommand).resolves({ HostedZoneId: SSM, VPC: VPC_REF });
    hubMock.on(DeleteVPCAssociationAuthorizationCommand).resolves({});
    spokeMock
      .on(AssociateVPCWithHostedZoneCommand)
      .resolves({ ChangeInfo: { Id: 'c', Status: 'PENDING', SubmittedAt: new Date() } });
  });

  it('authorizes in the hub, associates as the spoke, then deletes the authorization, zone by zone', async () => {
    const sequence: string[] = [];
    const track = (step: string) => (input: { HostedZoneId: string }) => {
      sequence.push(`${step} ${input.HostedZoneId}`);
      return {};
    };
    hubMock.on(CreateVPCAssociationAuthorizationCommand).callsFake(track('authorize'));
    spokeMock.on(AssociateVPCWithHostedZoneCommand).callsFake(track('associate'));
    hubMock.on(DeleteVPCAssociationAuthorizationCommand).callsFake(track('delete authorization'));

    const result = await associateZones(examplePlan(), deps);

    expect(result.associated.map((z) => z.zoneId)).toEqual([SSM, STS]);
    for (const zone of [SSM, STS]) {
      expect(hubMock).toHaveReceivedCommandWith(CreateVPCAssociationAuthorizationCommand, {
        HostedZoneId: zone,
        VPC: VPC_REF,
      });
      expect(spokeMock).toHaveReceivedCommandWith(AssociateVPCWithHostedZoneCommand, {
        HostedZoneId: zone,
        VPC: VPC_REF,
      });
      expect(hubMock).toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, {
        HostedZoneId: zone,
        VPC: VPC_REF,
      });
    }
    expect(hubMock).not.toHaveReceivedCommand(AssociateVPCWithHostedZoneCommand);
    expect(sequence.slice(0, 3)).toEqual([`authorize ${SSM}`, `associate ${SSM}`, `delete authorization ${SSM}`]);
    expect(recordedZones()).toEqual(examplePlan().zones);
  });

  it('skips zones the VPC is already associated with', async () => {
    spokeMock.on(ListHostedZonesByVPCCommand).resolves({
      HostedZoneSummaries: [{ HostedZoneId: SSM, Name: 'ssm.us-east-1.amazonaws.com.', Owner: { OwningAccount: HUB } }],
    });

    const result = await associateZones(examplePlan(), deps);

    expect(result.alreadyAssociated.map((z) => z.zoneId)).toEqual([SSM]);
    expect(spokeMock).toHaveReceivedCommandTimes(AssociateVPCWithHostedZoneCommand, 1);
    expect(spokeMock).toHaveReceivedCommandWith(AssociateVPCWithHostedZoneCommand, { HostedZoneId: STS });
    expect(hubMock).not.toHaveReceivedCommandWith(CreateVPCAssociationAuthorizationCommand, { HostedZoneId: SSM });
  });

  it('reports ConflictingDomainExists as a ConflictError naming the zone, and removes the authorization', async () => {
    spokeMock
      .on(ListHostedZonesByVPCCommand)
      .resolvesOnce({ HostedZoneSummaries: [] })
      .resolves({ HostedZoneSummaries: [{ HostedZoneId: 'Z0THER', Name: 'ssm.us-east-1.amazonaws.com.', Owner: {} }] });
    spokeMock.on(AssociateVPCWithHostedZoneCommand, { HostedZoneId: SSM }).rejects(awsError('ConflictingDomainExists'));

    const error = await associateZones(examplePlan(), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain('zone ssm.us-east-1.amazonaws.com (Z0SSM00000000000000001');
    expect((error as Error).message).toContain('Z0THER');
    expect(hubMock).toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, { HostedZoneId: SSM });
  });

  it('treats ConflictingDomainExists for the very same zone (a retried association) as success', async () => {
    spokeMock
      .on(ListHostedZonesByVPCCommand)
      .resolvesOnce({ HostedZoneSummaries: [] })
      .resolves({ HostedZoneSummaries: [{ HostedZoneId: SSM, Name: 'ssm.us-east-1.amazonaws.com.', Owner: {} }] });
    spokeMock.on(AssociateVPCWithHostedZoneCommand, { HostedZoneId: SSM }).rejects(awsError('ConflictingDomainExists'));

    await expect(associateZones(examplePlan(), deps)).resolves.toMatchObject({
      associated: [expect.objectContaining({ zoneId: SSM }), expect.objectContaining({ zoneId: STS })],
    });
  });

  it('lets PriorRequestNotComplete propagate for the ASL to retry, recording the zones done so far', async () => {
    spokeMock.on(AssociateVPCWithHostedZoneCommand, { HostedZoneId: STS }).rejects(awsError('PriorRequestNotComplete'));

    await expect(associateZones(examplePlan(), deps)).rejects.toMatchObject({ name: 'PriorRequestNotComplete' });
    expect(recordedZones()).toEqual([examplePlan().zones[0]]);
  });

  it('reports a zone with 300 VPCs as QuotaExceededError', async () => {
    spokeMock.on(AssociateVPCWithHostedZoneCommand).rejects(awsError('LimitsExceeded'));

    await expect(associateZones(examplePlan(), deps)).rejects.toBeInstanceOf(QuotaExceededError);
  });

  it('associates a VPC of the hub account directly, without authorizations', async () => {
    await associateZones(examplePlan({ accountId: HUB }), deps);

    expect(hubMock).not.toHaveReceivedCommand(CreateVPCAssociationAuthorizationCommand);
    expect(hubMock).not.toHaveReceivedCommand(DeleteVPCAssociationAuthorizationCommand);
    expect(spokeMock).toHaveReceivedCommandTimes(AssociateVPCWithHostedZoneCommand, 2);
  });
});
