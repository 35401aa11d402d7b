import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { EndpointAcceptanceError, QuotaExceededError } from '#shared/errors';
import { type ConsumerDeps, registerConsumer } from '../../../functions/consumer/consumer';
import { mockClientForFile } from '../../mock-client';
import { awsError, SPOKE, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const hubEc2 = new EC2Client({ region: 'us-east-1' });
const spokeEc2 = new EC2Client({ region: 'us-east-1' });
const spoke = mockClientForFile(spokeEc2);
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ec2 = mockClientForFile(hubEc2);
const dynamo = mockClientForFile(documents);
const SERVICE = 'vpce-svc-0d000000000000001';
const DESCRIPTION = `spokelink ${VPC} ${SPOKE}`;

let deps: ConsumerDeps;

function rule(groupId: string, description: string, id: string): SecurityGroupRule {
  return {
    SecurityGroupRuleId: id,
    GroupId: groupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 443,
    ToPort: 443,
    CidrIpv4: '10.1.0.0/16',
    Description: description,
  };
}

/** Rules that exist in AWS: described, and an authorize of the same permission answers InvalidPermission.Duplicate. */
function existing(...rules: SecurityGroupRule[]) {
  ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: rules });
  for (const r of rules) {
    ec2
      .on(AuthorizeSecurityGroupIngressCommand, { GroupId: r.GroupId })
      .rejects(awsError('InvalidPermission.Duplicate'));
  }
}

/** The consumer record as the registry holds it: GetCommand reads it, UpdateCommand's `SET #a = :v` writes it. */
let item: Record<string, unknown>;

function useRegistry(initial: Record<string, unknown>) {
  item = { vpcId: VPC, ...initial };
  dynamo.on(GetCommand).callsFake(() => ({ Item: structuredClone(item) }));
  dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    for (const [alias, name] of Object.entries(input.ExpressionAttributeNames ?? {})) {
      item[name] = structuredClone(input.ExpressionAttributeValues?.[alias.replace('#a', ':v')]);
    }
    return {};
  });
}

/** What the registry holds for an attribute of the record. */
function recorded(attribute: string): unknown {
  return item[attribute];
}

describe('Function: consumer', () => {
  beforeEach(() => {
    ec2.reset();
    spoke.reset();
    dynamo.reset();
    deps = {
      hubEc2,
      spokeEc2: async () => spokeEc2,
      registry: { dynamo: documents, tableName: 'spokelink-registry' },
      now: () => Date.now(),
    };
    useRegistry({});
    spoke.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [] });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake((input: { GroupId: string }) => ({
      Return: true,
      SecurityGroupRules: [{ SecurityGroupRuleId: `sgr-${input.GroupId.slice(-3)}` }],
    }));
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({ AllowedPrincipals: [] });
    ec2.on(ModifyVpcEndpointServicePermissionsCommand).resolves({ ReturnValue: true });
    ec2.on(DescribeVpcEndpointConnectionsCommand).resolves({ VpcEndpointConnections: [] });
  });

  it('authorizes each endpoint security group for the spoke CIDR and port, described for offboarding', async () => {
    const result = await registerConsumer(examplePlan(), deps);

    expect(result.rulesCreated).toBe(2);
    for (const groupId of ['sg-0e55e0000000000a1', 'sg-0e55e0000000000a2']) {
      expect(ec2).toHaveReceivedCommandWith(AuthorizeSecurityGroupIngressCommand, {
        GroupId: groupId,
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.1.0.0/16', Description: DESCRIPTION }],
          },
        ],
      });
    }
    expect(recorded('securityGroupRules')).toEqual([
      expect.objectContaining({ groupId: 'sg-0e55e0000000000a1', ruleId: 'sgr-0a1', description: DESCRIPTION }),
      expect.objectContaining({ groupId: 'sg-0e55e0000000000a2', ruleId: 'sgr-0a2', description: DESCRIPTION }),
    ]);
  });

  it('makes no DescribeSecurityGroupRules call when every rule is new', async () => {
    await registerConsumer(examplePlan(), deps);

    expect(ec2).not.toHaveReceivedCommand(DescribeSecurityGroupRulesCommand);
  });

  it('finds its existing rules by description and records their ids, creating none (a re-run)', async () => {
    existing(rule('sg-0e55e0000000000a1', DESCRIPTION, 'sgr-1'), rule('sg-0e55e0000000000a2', DESCRIPTION, 'sgr-2'));

    const result = await registerConsumer(examplePlan(), deps);

    expect(result).toMatchObject({ rulesCreated: 0, rulesExisting: 2, rulesNotOurs: 0 });
    // One describe for all the duplicates, not one per rule.
    expect(ec2).toHaveReceivedCommandTimes(DescribeSecurityGroupRulesCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupRulesCommand, {
      Filters: [{ Name: 'group-id', Values: ['sg-0e55e0000000000a1', 'sg-0e55e0000000000a2'] }],
    });
    expect(recorded('securityGroupRules')).toEqual([
      expect.objectContaining({ ruleId: 'sgr-1' }),
      expect.objectContaining({ ruleId: 'sgr-2' }),
    ]);
  });

  it('treats InvalidPermission.Duplicate as done and looks the rule id up', async () => {
    existing(rule('sg-0e55e0000000000a1', DESCRIPTION, 'sgr-raced'));

    await registerConsumer(examplePlan(), deps);

    expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupRulesCommand, {
      Filters: [{ Name: 'group-id', Values: ['sg-0e55e0000000000a1'] }],
    });
    expect(recorded('securityGroupRules')).toEqual([
      expect.objectContaining({ groupId: 'sg-0e55e0000000000a1', ruleId: 'sgr-raced' }),
      expect.objectContaining({ groupId: 'sg-0e55e0000000000a2', ruleId: 'sgr-0a2' }),
    ]);
  });

  it('does not record as its own an equivalent rule that someone else described', async () => {
    existing(rule('sg-0e55e0000000000a1', 'platform team rule', 'sgr-theirs'));

    const result = await registerConsumer(examplePlan(), deps);

    expect(result).toMatchObject({ rulesCreated: 1, rulesExisting: 0, rulesNotOurs: 1 });
    expect(recorded('securityGroupRules')).toEqual([expect.objectContaining({ groupId: 'sg-0e55e0000000000a2' })]);
  });

  it('records each rule and the principal before creating them (write-ahead), in one registry write', async () => {
    const atCall: Record<string, unknown> = {};
    ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake((input: { GroupId: string }) => {
      atCall[input.GroupId] = recorded('securityGroupRules');
      return { Return: true, SecurityGroupRules: [{ SecurityGroupRuleId: `sgr-${input.GroupId.slice(-3)}` }] };
    });
    ec2.on(ModifyVpcEndpointServicePermissionsCommand).callsFake(() => {
      atCall.principal = recorded('endpointServicePrincipals');
      return { ReturnValue: true };
    });

    await registerConsumer(examplePlan(), deps);

    // Both rules are recorded (without ids yet) before the first authorize.
    expect(atCall['sg-0e55e0000000000a1']).toEqual(examplePlan().securityGroupRules);
    expect(atCall['sg-0e55e0000000000a2']).toEqual(examplePlan().securityGroupRules);
    expect(atCall.principal).toEqual([{ serviceId: SERVICE, principal: `arn:aws:iam::${SPOKE}:root` }]);
    // The write-ahead and the rule ids learned: two writes, as many as before the write-ahead.
    expect(dynamo).toHaveReceivedCommandTimes(UpdateCommand, 2);
  });

  it('keeps the principal recorded when every response of the add is lost (offboarding must find it)', async () => {
    ec2
      .on(ModifyVpcEndpointServicePermissionsCommand)
      .rejects(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }));

    await expect(registerConsumer(examplePlan(), deps)).rejects.toMatchObject({ name: 'TimeoutError' });

    expect(recorded('endpointServicePrincipals')).toEqual([
      { serviceId: SERVICE, principal: `arn:aws:iam::${SPOKE}:root` },
    ]);
  });

  it('keeps a rule recorded when every response of its authorize is lost', async () => {
    ec2
      .on(AuthorizeSecurityGroupIngressCommand, { GroupId: 'sg-0e55e0000000000a2' })
      .rejects(Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }));

    await expect(registerConsumer(examplePlan(), deps)).rejects.toMatchObject({ name: 'TimeoutError' });

    const [ssm, sts] = examplePlan().securityGroupRules;
    expect(recorded('securityGroupRules')).toEqual([{ ...ssm, ruleId: 'sgr-0a1' }, sts]);
  });

  it('writes nothing ahead when an earlier attempt recorded it all', async () => {
    useRegistry({
      securityGroupRules: examplePlan().securityGroupRules.map((r) => ({ ...r, ruleId: `sgr-${r.groupId.slice(-3)}` })),
      endpointServicePrincipals: [{ serviceId: SERVICE, principal: `arn:aws:iam::${SPOKE}:root` }],
    });
    existing(
      rule('sg-0e55e0000000000a1', DESCRIPTION, 'sgr-0a1'),
      rule('sg-0e55e0000000000a2', DESCRIPTION, 'sgr-0a2'),
    );
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({
      AllowedPrincipals: [{ Principal: `arn:aws:iam::${SPOKE}:root` }],
    });

    await registerConsumer(examplePlan(), deps);

    expect(dynamo).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('adds the account root principal to the endpoint service, never "*"', async () => {
    const result = await registerConsumer(examplePlan(), deps);

    expect(ec2).toHaveReceivedCommandWith(ModifyVpcEndpointServicePermissionsCommand, {
      ServiceId: SERVICE,
      AddAllowedPrincipals: [`arn:aws:iam::${SPOKE}:root`],
    });
    expect(result.principalsAdded).toEqual([SERVICE]);
    expect(recorded('endpointServicePrincipals')).toEqual([
      { serviceId: SERVICE, principal: `arn:aws:iam::${SPOKE}:root` },
    ]);
  });

  it('leaves an already allowed principal alone', async () => {
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({
      AllowedPrincipals: [{ Principal: `arn:aws:iam::${SPOKE}:root` }],
    });

    await registerConsumer(examplePlan(), deps);

    expect(ec2).not.toHaveReceivedCommand(ModifyVpcEndpointServicePermissionsCommand);
  });

  it("accepts the account's pending connections whose endpoint the spoke role finds in the VPC, recorded first", async () => {
    ec2.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [{ ServiceId: SERVICE, VpcEndpointId: 'vpce-0123', VpcEndpointOwner: SPOKE }],
    });
    spoke.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-0123', VpcId: VPC }] });
    ec2.on(AcceptVpcEndpointConnectionsCommand).resolves({ Unsuccessful: [] });

    const result = await registerConsumer(examplePlan(), deps);

    expect(ec2).toHaveReceivedCommandWith(DescribeVpcEndpointConnectionsCommand, {
      Filters: expect.arrayContaining([{ Name: 'vpc-endpoint-owner', Values: [SPOKE] }]),
    });
    expect(spoke).toHaveReceivedCommandWith(DescribeVpcEndpointsCommand, {
      Filters: [{ Name: 'vpc-id', Values: [VPC] }],
    });
    expect(ec2).toHaveReceivedCommandWith(AcceptVpcEndpointConnectionsCommand, {
      ServiceId: SERVICE,
      VpcEndpointIds: ['vpce-0123'],
    });
    expect(result.connectionsAccepted).toEqual(['vpce-0123']);
    expect(recorded('endpointConnections')).toEqual([{ serviceId: SERVICE, vpcEndpointId: 'vpce-0123' }]);
  });

  it("leaves pending, and reports, the account's connections whose endpoint is in another VPC", async () => {
    ec2.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [
        { ServiceId: SERVICE, VpcEndpointId: 'vpce-0123', VpcEndpointOwner: SPOKE },
        { ServiceId: SERVICE, VpcEndpointId: 'vpce-0999', VpcEndpointOwner: SPOKE },
      ],
    });
    // vpce-0999 lives in another VPC of the account: the spoke role's describe of this VPC does not list it.
    spoke.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-0123', VpcId: VPC }] });
    ec2.on(AcceptVpcEndpointConnectionsCommand).resolves({ Unsuccessful: [] });

    const result = await registerConsumer(examplePlan(), deps);

    expect(ec2).toHaveReceivedCommandWith(AcceptVpcEndpointConnectionsCommand, {
      ServiceId: SERVICE,
      VpcEndpointIds: ['vpce-0123'],
    });
    expect(result.connectionsLeftPending).toEqual([
      { serviceId: SERVICE, vpcEndpointId: 'vpce-0999', reason: `its endpoint is not in ${VPC}` },
    ]);
    expect(recorded('endpointConnections')).toEqual([{ serviceId: SERVICE, vpcEndpointId: 'vpce-0123' }]);
  });

  it('accepts nothing and asks nothing of the spoke when no connection is pending', async () => {
    const result = await registerConsumer(examplePlan(), deps);

    expect(spoke).not.toHaveReceivedCommand(DescribeVpcEndpointsCommand);
    expect(ec2).not.toHaveReceivedCommand(AcceptVpcEndpointConnectionsCommand);
    expect(result.connectionsAccepted).toEqual([]);
  });

  it('fails with EndpointAcceptanceError when AcceptVpcEndpointConnections reports Unsuccessful items', async () => {
    ec2.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [{ ServiceId: SERVICE, VpcEndpointId: 'vpce-0123', VpcEndpointOwner: SPOKE }],
    });
    spoke.on(DescribeVpcEndpointsCommand).resolves({ VpcEndpoints: [{ VpcEndpointId: 'vpce-0123', VpcId: VPC }] });
    ec2.on(AcceptVpcEndpointConnectionsCommand).resolves({
      Unsuccessful: [{ ResourceId: 'vpce-0123', Error: { Code: 'IncorrectState', Message: 'not pending' } }],
    });

    const error = await registerConsumer(examplePlan(), deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(EndpointAcceptanceError);
    expect((error as Error).message).toContain('vpce-0123: IncorrectState');
    // What was made before the failure is recorded.
    expect(recorded('securityGroupRules')).toHaveLength(2);
  });

  it('does not accept connections for a service configured not to', async () => {
    await registerConsumer(examplePlan({ endpointServices: [{ serviceId: SERVICE, acceptConnections: false }] }), deps);

    expect(ec2).not.toHaveReceivedCommand(DescribeVpcEndpointConnectionsCommand);
  });

  it('reports a full security group as QuotaExceededError', async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('RulesPerSecurityGroupLimitExceeded'));

    await expect(registerConsumer(examplePlan(), deps)).rejects.toBeInstanceOf(QuotaExceededError);
  });
});
