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
import { ConflictError, QuotaExceededError, ZoneAuthorizationsFullError } from '#shared/errors';
import { associateZones, type ZonesDeps, zoneOrder } from '../../../functions/zones/zones';
import { mockClientForFile } from '../../mock-client';
import { awsError, HUB, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const hub = new Route53Client({ region: 'us-east-1' });
const spoke = new Route53Client({ region: 'us-east-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const hubMock = mockClientForFile(hub);
const spokeMock = mockClientForFile(spoke);
const dynamo = mockClientForFile(documents);
const SSM = 'Z0SSM00000000000000001';
const STS = 'Z0STS00000000000000001';
const VPC_REF: VpcRef = { VPCId: VPC, VPCRegion: 'us-east-1' };

let deps: ZonesDeps;
const authorized = new Set<string>();
/** The zone the example VPC handles first (zones are handled one at a time, from a VPC-dependent start). */
const [FIRST, SECOND] = zoneOrder([SSM, STS], VPC) as [string, string];

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
    authorized.clear();
    hubMock.on(CreateVPCAssociationAuthorizationCommand).callsFake((input: { HostedZoneId: string }) => {
      authorized.add(input.HostedZoneId);
      return { HostedZoneId: input.HostedZoneId, VPC: VPC_REF };
    });
    // As Route 53 answers: the spoke may associate once the zone's owner has authorized the VPC.
    spokeMock.on(AssociateVPCWithHostedZoneCommand).callsFake((input: { HostedZoneId: string }) => {
      if (!authorized.has(input.HostedZoneId)) throw awsError('NotAuthorizedException');
      return { ChangeInfo: { Id: 'c', Status: 'PENDING', SubmittedAt: new Date() } };
    });
  });

  it('authorizes in the hub, associates as the spoke, then deletes the authorization, one zone at a time', async () => {
    const sequence: string[] = [];
    const track = (step: string) => (input: { HostedZoneId: string }) => {
      sequence.push(`${step} ${input.HostedZoneId}`);
      if (step === 'authorize') authorized.add(input.HostedZoneId);
      if (step === 'associate' && !authorized.has(input.HostedZoneId)) throw awsError('NotAuthorizedException');
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
      expect(hubMock).toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, {
        HostedZoneId: zone,
        VPC: VPC_REF,
      });
    }
    expect(hubMock).not.toHaveReceivedCommand(AssociateVPCWithHostedZoneCommand);
    // The spoke tries first (not authorized yet), the hub authorizes, the spoke associates, the hub cleans up.
    expect(sequence).toEqual(
      [FIRST, SECOND].flatMap((zone) => [
        `associate ${zone}`,
        `authorize ${zone}`,
        `associate ${zone}`,
        `delete authorization ${zone}`,
      ]),
    );
    expect(recordedZones()).toEqual(examplePlan().zones);
  });

  it('spreads concurrent VPCs over the zones: the first zone depends on the VPC id', () => {
    const firsts = new Set(
      Array.from({ length: 20 }, (_, i) => zoneOrder([SSM, STS], `vpc-0a${String(i).padStart(15, '0')}`)[0]),
    );
    expect(firsts).toEqual(new Set([SSM, STS]));
    expect(zoneOrder([SSM, STS], VPC)).toEqual(zoneOrder([SSM, STS], VPC));
  });

  it('skips zones the VPC is already associated with', async () => {
    spokeMock.on(ListHostedZonesByVPCCommand).resolves({
      HostedZoneSummaries: [{ HostedZoneId: SSM, Name: 'ssm.us-east-1.amazonaws.com.', Owner: { OwningAccount: HUB } }],
    });

    dynamo.on(GetCommand).resolves({ Item: { vpcId: VPC, zones: [examplePlan().zones[0]] } });

    const result = await associateZones(examplePlan(), deps);

    expect(result.alreadyAssociated.map((z) => z.zoneId)).toEqual([SSM]);
    expect(spokeMock).not.toHaveReceivedCommandWith(AssociateVPCWithHostedZoneCommand, { HostedZoneId: SSM });
    expect(spokeMock).toHaveReceivedCommandWith(AssociateVPCWithHostedZoneCommand, { HostedZoneId: STS });
    expect(hubMock).not.toHaveReceivedCommandWith(CreateVPCAssociationAuthorizationCommand, { HostedZoneId: SSM });
    expect(hubMock).not.toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, { HostedZoneId: SSM });
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
    spokeMock
      .on(AssociateVPCWithHostedZoneCommand, { HostedZoneId: SECOND })
      .rejects(awsError('PriorRequestNotComplete'));

    await expect(associateZones(examplePlan(), deps)).rejects.toMatchObject({ name: 'PriorRequestNotComplete' });
    expect(recordedZones()).toEqual(examplePlan().zones.filter((z) => z.zoneId === FIRST));
  });

  it('waits for a busy zone holding its authorization, and retries it from the spoke without the hub', async () => {
    authorized.add(FIRST);
    spokeMock
      .on(AssociateVPCWithHostedZoneCommand, { HostedZoneId: FIRST })
      .rejectsOnce(awsError('PriorRequestNotComplete'))
      .resolves({});

    await expect(associateZones(examplePlan(), deps)).rejects.toMatchObject({ name: 'PriorRequestNotComplete' });
    expect(hubMock).not.toHaveReceivedCommand(CreateVPCAssociationAuthorizationCommand);
    expect(hubMock).not.toHaveReceivedCommand(DeleteVPCAssociationAuthorizationCommand);
    // Nothing new to record while waiting.
    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
    // One zone at a time: the second zone is not touched while the first is busy.
    expect(spokeMock).not.toHaveReceivedCommandWith(AssociateVPCWithHostedZoneCommand, { HostedZoneId: SECOND });

    await associateZones(examplePlan(), deps);
    expect(hubMock).toHaveReceivedCommandTimes(CreateVPCAssociationAuthorizationCommand, 1);
    expect(hubMock).toHaveReceivedCommandWith(CreateVPCAssociationAuthorizationCommand, { HostedZoneId: SECOND });
    expect(hubMock).toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, { HostedZoneId: FIRST });
  });

  it('deletes the authorization an attempt left when it associated and failed before deleting it', async () => {
    spokeMock.on(ListHostedZonesByVPCCommand).resolves({
      HostedZoneSummaries: [{ HostedZoneId: SSM, Name: 'ssm.us-east-1.amazonaws.com.', Owner: { OwningAccount: HUB } }],
    });
    dynamo.on(GetCommand).resolves({ Item: { vpcId: VPC, zones: [] } });

    await associateZones(examplePlan(), deps);

    expect(hubMock).toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, { HostedZoneId: SSM });
  });

  it('answers a zone full of authorizations (other onboardings waiting) with a retried error, not a quota', async () => {
    hubMock
      .on(CreateVPCAssociationAuthorizationCommand, { HostedZoneId: FIRST })
      .rejects(awsError('TooManyVPCAssociationAuthorizations'));

    const error = await associateZones(examplePlan(), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ZoneAuthorizationsFullError);
    expect((error as Error).message).toContain(FIRST);
  });

  it('reports a zone with 300 VPCs as QuotaExceededError and removes the authorization it made', async () => {
    authorized.add(FIRST);
    spokeMock.on(AssociateVPCWithHostedZoneCommand, { HostedZoneId: FIRST }).rejects(awsError('LimitsExceeded'));

    await expect(associateZones(examplePlan(), deps)).rejects.toBeInstanceOf(QuotaExceededError);
    expect(hubMock).toHaveReceivedCommandWith(DeleteVPCAssociationAuthorizationCommand, { HostedZoneId: FIRST });
  });

  it('associates a VPC of the hub account directly, without authorizations', async () => {
    spokeMock.on(AssociateVPCWithHostedZoneCommand).resolves({});

    await associateZones(examplePlan({ accountId: HUB }), deps);

    expect(hubMock).not.toHaveReceivedCommand(CreateVPCAssociationAuthorizationCommand);
    expect(hubMock).not.toHaveReceivedCommand(DeleteVPCAssociationAuthorizationCommand);
    expect(spokeMock).toHaveReceivedCommandTimes(AssociateVPCWithHostedZoneCommand, 2);
  });
});
