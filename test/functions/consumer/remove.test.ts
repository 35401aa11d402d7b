import 'aws-sdk-client-mock-jest';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecurityGroupRulesCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  RejectVpcEndpointConnectionsCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
  type State,
} from '@aws-sdk/client-ec2';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { SecurityGroupRuleRecord } from '#shared/registry/model';
import { type ConsumerRemovalDeps, removeEndpointAccess } from '../../../functions/consumer/remove';
import { mockClientForFile } from '../../mock-client';
import { SPOKE, VPC } from '../helpers';
import { examplePlan } from '../plan-fixture';

const hubEc2 = new EC2Client({ region: 'us-east-1' });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ec2 = mockClientForFile(hubEc2);
const dynamo = mockClientForFile(documents);
const SERVICE = 'vpce-svc-0d000000000000001';
const PRINCIPAL = `arn:aws:iam::${SPOKE}:root`;
const DESCRIPTION = `spokelink ${VPC} ${SPOKE}`;
const VPC_REF = { vpcId: VPC, accountId: SPOKE, region: 'us-east-1', exists: true, spokeReachable: true };

/** A rule as the registration records it ahead of its authorize: no id yet. */
const INTENDED: SecurityGroupRuleRecord = {
  endpoint: 'ssm',
  groupId: 'sg-0e55e0000000000a1',
  cidr: '10.1.0.0/16',
  port: 443,
  description: DESCRIPTION,
};

let item: Record<string, unknown>;
let deps: ConsumerRemovalDeps;

/** The consumer record as the registry holds it (GetCommand reads it, UpdateCommand's SET writes it). */
function useRegistry(initial: Record<string, unknown>) {
  item = { vpcId: VPC, accountId: SPOKE, status: 'offboarding', ...initial };
  dynamo.on(GetCommand).callsFake(() => ({ Item: structuredClone(item) }));
  dynamo.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    for (const [alias, name] of Object.entries(input.ExpressionAttributeNames ?? {})) {
      item[name] = structuredClone(input.ExpressionAttributeValues?.[alias.replace('#a', ':v')]);
    }
    return {};
  });
  // No other VPC of the account uses its grants.
  dynamo.on(QueryCommand).resolves({ Items: [] });
}

function rule(id: string, description: string): SecurityGroupRule {
  return {
    SecurityGroupRuleId: id,
    GroupId: INTENDED.groupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 443,
    ToPort: 443,
    CidrIpv4: INTENDED.cidr,
    Description: description,
  };
}

describe('Function: consumer (remove)', () => {
  beforeEach(() => {
    ec2.reset();
    dynamo.reset();
    deps = {
      hubEc2,
      registry: { dynamo: documents, tableName: 'spokelink-registry' },
      now: () => Date.now(),
      serviceNameOf: (serviceId) => (serviceId === SERVICE ? 'payments-api' : undefined),
    };
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2.on(ModifyVpcEndpointServicePermissionsCommand).resolves({ ReturnValue: true });
  });

  it('rejects the connections it accepted for the VPC when offboarding, and forgets them', async () => {
    const connection = { serviceId: SERVICE, vpcEndpointId: 'vpce-0123' };
    useRegistry({ endpointConnections: [connection, { serviceId: SERVICE, vpcEndpointId: 'vpce-0gone' }] });
    ec2.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [
        { ServiceId: SERVICE, VpcEndpointId: 'vpce-0123', VpcEndpointState: 'available' as State },
      ],
    });
    ec2.on(RejectVpcEndpointConnectionsCommand).resolves({ Unsuccessful: [] });

    const result = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(ec2).toHaveReceivedCommandWith(RejectVpcEndpointConnectionsCommand, {
      ServiceId: SERVICE,
      VpcEndpointIds: ['vpce-0123'],
    });
    expect(result.connectionsRejected).toEqual([connection]);
    // Deleted by its owner meanwhile: nothing to reject.
    expect(result.connectionsGone).toEqual([{ serviceId: SERVICE, vpcEndpointId: 'vpce-0gone' }]);
    expect(item.endpointConnections).toEqual([]);
  });

  it('after a change, rejects the connections and removes the principal of a service the plan no longer has', async () => {
    useRegistry({
      services: ['payments-api', 'ssm'],
      endpointServicePrincipals: [{ serviceId: SERVICE, principal: PRINCIPAL }],
      endpointConnections: [{ serviceId: SERVICE, vpcEndpointId: 'vpce-0123' }],
    });
    ec2.on(DescribeVpcEndpointConnectionsCommand).resolves({
      VpcEndpointConnections: [
        { ServiceId: SERVICE, VpcEndpointId: 'vpce-0123', VpcEndpointState: 'available' as State },
      ],
    });
    ec2.on(RejectVpcEndpointConnectionsCommand).resolves({ Unsuccessful: [] });
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({ AllowedPrincipals: [{ Principal: PRINCIPAL }] });

    const result = await removeEndpointAccess(VPC_REF, examplePlan({ endpointServices: [] }), deps);

    expect(result.connectionsRejected).toEqual([{ serviceId: SERVICE, vpcEndpointId: 'vpce-0123' }]);
    expect(result.principalsRemoved).toEqual([{ serviceId: SERVICE, principal: PRINCIPAL }]);
  });

  it('after a change, keeps the connections and principal of a service the plan still has', async () => {
    useRegistry({
      endpointServicePrincipals: [{ serviceId: SERVICE, principal: PRINCIPAL }],
      endpointConnections: [{ serviceId: SERVICE, vpcEndpointId: 'vpce-0123' }],
    });

    const result = await removeEndpointAccess(VPC_REF, examplePlan(), deps);

    expect(ec2).not.toHaveReceivedCommand(RejectVpcEndpointConnectionsCommand);
    expect(ec2).not.toHaveReceivedCommand(ModifyVpcEndpointServicePermissionsCommand);
    expect(result.principalsRemoved).toEqual([]);
  });

  it('keeps the principal while another VPC of the account asked for the service, not for another one', async () => {
    useRegistry({ endpointServicePrincipals: [{ serviceId: SERVICE, principal: PRINCIPAL }] });
    const other = { vpcId: 'vpc-0other', accountId: SPOKE, status: 'connected', endpointServicePrincipals: [] };
    dynamo.on(QueryCommand).resolves({ Items: [{ ...other, services: ['payments-api'] }] });
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({ AllowedPrincipals: [{ Principal: PRINCIPAL }] });

    const kept = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(kept.principalsKept).toEqual([{ serviceId: SERVICE, principal: PRINCIPAL, usedBy: ['vpc-0other'] }]);
    expect(ec2).not.toHaveReceivedCommand(ModifyVpcEndpointServicePermissionsCommand);

    // The other VPC asks only for ssm: the principal goes.
    useRegistry({ endpointServicePrincipals: [{ serviceId: SERVICE, principal: PRINCIPAL }] });
    dynamo.on(QueryCommand).resolves({ Items: [{ ...other, services: ['ssm'] }] });

    const removed = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(removed.principalsRemoved).toEqual([{ serviceId: SERVICE, principal: PRINCIPAL }]);
  });

  it('removes a recorded principal the endpoint service allows', async () => {
    useRegistry({ endpointServicePrincipals: [{ serviceId: SERVICE, principal: PRINCIPAL }] });
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({ AllowedPrincipals: [{ Principal: PRINCIPAL }] });

    const result = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(ec2).toHaveReceivedCommandWith(ModifyVpcEndpointServicePermissionsCommand, {
      ServiceId: SERVICE,
      RemoveAllowedPrincipals: [PRINCIPAL],
    });
    expect(result.principalsRemoved).toEqual([{ serviceId: SERVICE, principal: PRINCIPAL }]);
    expect(item.endpointServicePrincipals).toEqual([]);
  });

  it('forgets a recorded principal the service does not allow (written ahead, never added)', async () => {
    useRegistry({ endpointServicePrincipals: [{ serviceId: SERVICE, principal: PRINCIPAL }] });
    ec2.on(DescribeVpcEndpointServicePermissionsCommand).resolves({ AllowedPrincipals: [] });

    const result = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(ec2).not.toHaveReceivedCommand(ModifyVpcEndpointServicePermissionsCommand);
    expect(result).toMatchObject({
      principalsRemoved: [],
      principalsAbsent: [{ serviceId: SERVICE, principal: PRINCIPAL }],
    });
    expect(item.endpointServicePrincipals).toEqual([]);
  });

  it('revokes a rule recorded ahead, without an id, found by group, CIDR, port and description', async () => {
    useRegistry({ securityGroupRules: [INTENDED] });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [rule('sgr-made', DESCRIPTION)] });

    const result = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(ec2).toHaveReceivedCommandWith(RevokeSecurityGroupIngressCommand, {
      GroupId: INTENDED.groupId,
      SecurityGroupRuleIds: ['sgr-made'],
    });
    expect(result.rulesRevoked).toEqual([{ ...INTENDED, ruleId: 'sgr-made' }]);
    expect(item.securityGroupRules).toEqual([]);
  });

  it('forgets a rule recorded ahead of an authorize that never took effect, revoking nothing', async () => {
    useRegistry({ securityGroupRules: [INTENDED] });

    const result = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(result.rulesVanished).toEqual([INTENDED]);
    expect(item.securityGroupRules).toEqual([]);
  });

  it('leaves alone an equivalent rule someone else described, though spokelink recorded it ahead', async () => {
    useRegistry({ securityGroupRules: [INTENDED] });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [rule('sgr-theirs', 'platform team')] });

    const result = await removeEndpointAccess(VPC_REF, undefined, deps);

    expect(ec2).not.toHaveReceivedCommand(RevokeSecurityGroupIngressCommand);
    expect(result.rulesNotOurs).toEqual([{ ...INTENDED, foundDescription: 'platform team' }]);
    expect(item.securityGroupRules).toEqual([]);
  });
});
