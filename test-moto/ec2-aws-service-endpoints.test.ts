/**
 * Interface endpoints to an AWS service in a tenant's VPC (spoke placement), twin against moto: creation with a
 * security group, policy, private DNS and tags; the private DNS preconditions and conflicts; deletion. moto implements
 * the calls but none of the private DNS rules nor the endpoint lifecycle: each is a known difference with its page.
 */
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DeleteSecurityGroupCommand,
  DeleteVpcEndpointsCommand,
  ModifyVpcAttributeCommand,
  ModifyVpcEndpointCommand,
} from '@aws-sdk/client-ec2';
import { type KnownDifference, REGION, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, tagMap, useMoto } from './harness/suite';

const moto = useMoto();

const api = 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/';
const STS = `com.amazonaws.${REGION}.sts`;
const POLICY = JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:*', Resource: '*' }] });

describe('Twin vs moto: interface endpoints to an AWS service in a spoke VPC', () => {
  it('creates one with private DNS where the VPC allows it, refuses the conflicts, and deletes it', async () => {
    const known: KnownDifference[] = [
      {
        step: 'CreateVpcEndpoint with private DNS in a VPC whose DNS hostnames are off',
        why: 'Private DNS needs enableDnsHostnames and enableDnsSupport on the VPC (InvalidParameter); moto creates the endpoint.',
        awsDoc: `${api}API_CreateVpcEndpoint.html`,
      },
      {
        step: 'CreateVpcEndpoint (Interface) to sts with private DNS, a security group, a policy and tags',
        why: 'A new interface endpoint is `pending` before `available`; moto answers `available` at once.',
        awsDoc: `${api}API_VpcEndpoint.html`,
      },
      {
        step: 'CreateVpcEndpoint a second endpoint with private DNS for the same name',
        why: 'The VPC already holds the private DNS name (EC2 answers InvalidParameter, "a conflicting DNS domain"); moto creates a second endpoint.',
        awsDoc: 'https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html',
      },
      {
        step: 'CreateVpcEndpoint to an AWS service that does not exist',
        why: 'A service name that names no service is InvalidServiceName; moto creates an endpoint to it.',
        awsDoc: `${api}errors-overview.html`,
      },
      {
        step: 'ModifyVpcEndpoint private DNS on while another endpoint holds the name',
        why: 'The VPC already holds the private DNS name (EC2 answers InvalidParameter, "a conflicting DNS domain"); moto ignores PrivateDnsEnabled and answers true.',
        awsDoc: 'https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html',
      },
      {
        step: 'DeleteVpcEndpoints with one id that names nothing',
        why: 'An id that names no endpoint comes back in Unsuccessful; moto answers an empty Unsuccessful.',
        awsDoc: `${api}API_DeleteVpcEndpoints.html`,
      },
      {
        step: 'DeleteSecurityGroup while an endpoint being deleted still uses it',
        why: 'A group still used by a network interface is DependencyViolation (an endpoint being deleted still holds its interfaces); moto deletes it.',
        awsDoc: `${api}API_DeleteSecurityGroup.html`,
      },
    ];
    const server = moto();
    const { twin } = await expectOnlyKnownDifferences(
      server,
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.92.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const subnet = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.92.1.0/24', AvailabilityZone: `${REGION}a` }),
        );
        const subnetId = subnet.Subnet?.SubnetId ?? 'subnet-missing';
        const group = await ec2.send(
          new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'sts-endpoint', Description: 'sts endpoint' }),
        );
        const create = (serviceName: string) =>
          ec2.send(
            new CreateVpcEndpointCommand({
              VpcEndpointType: 'Interface',
              VpcId: vpcId,
              ServiceName: serviceName,
              SubnetIds: [subnetId],
              SecurityGroupIds: [group.GroupId ?? ''],
              PrivateDnsEnabled: true,
              PolicyDocument: POLICY,
              TagSpecifications: [
                { ResourceType: 'vpc-endpoint', Tags: [{ Key: 'spokelink:managed', Value: 'true' }] },
              ],
            }),
          );
        await trace.step(
          'CreateVpcEndpoint with private DNS in a VPC whose DNS hostnames are off',
          () => create(STS),
          (o) => o.VpcEndpoint?.PrivateDnsEnabled,
        );
        await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
        const endpoint = await trace.step(
          'CreateVpcEndpoint (Interface) to sts with private DNS, a security group, a policy and tags',
          () => create(STS),
          (o) => ({
            VpcEndpointType: o.VpcEndpoint?.VpcEndpointType,
            VpcId: o.VpcEndpoint?.VpcId,
            ServiceName: o.VpcEndpoint?.ServiceName,
            State: o.VpcEndpoint?.State,
            PrivateDnsEnabled: o.VpcEndpoint?.PrivateDnsEnabled,
            SubnetIds: o.VpcEndpoint?.SubnetIds,
            Groups: o.VpcEndpoint?.Groups?.map((g) => g.GroupId),
            PolicyDocument: o.VpcEndpoint?.PolicyDocument,
            Tags: tagMap(o.VpcEndpoint?.Tags),
          }),
        );
        await trace.step(
          'CreateVpcEndpoint a second endpoint with private DNS for the same name',
          () => create(STS),
          (o) => o.VpcEndpoint?.ServiceName,
        );
        await trace.step(
          'CreateVpcEndpoint to an AWS service that does not exist',
          () => create(`com.amazonaws.${REGION}.no-such-service`),
          (o) => o.VpcEndpoint?.ServiceName,
        );
        const quiet = await ec2.send(
          new CreateVpcEndpointCommand({
            VpcEndpointType: 'Interface',
            VpcId: vpcId,
            ServiceName: STS,
            SubnetIds: [],
            PrivateDnsEnabled: false,
          }),
        );
        await trace.step(
          'ModifyVpcEndpoint private DNS on while another endpoint holds the name',
          () =>
            ec2.send(
              new ModifyVpcEndpointCommand({
                VpcEndpointId: quiet.VpcEndpoint?.VpcEndpointId,
                PrivateDnsEnabled: true,
              }),
            ),
          (o) => o.Return,
        );
        const unused = await ec2.send(
          new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'unused', Description: 'unused' }),
        );
        await trace.step(
          'DeleteSecurityGroup of a group nothing uses',
          () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: unused.GroupId })),
          () => 'deleted',
        );
        await trace.step(
          'DeleteVpcEndpoints with one id that names nothing',
          () =>
            ec2.send(
              new DeleteVpcEndpointsCommand({
                VpcEndpointIds: [endpoint?.VpcEndpoint?.VpcEndpointId ?? 'vpce-missing', 'vpce-0000000000000dead'],
              }),
            ),
          (o) => (o.Unsuccessful ?? []).map((u) => u.ResourceId),
        );
        await trace.step(
          'DeleteSecurityGroup while an endpoint being deleted still uses it',
          () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: group.GroupId })),
          () => 'deleted',
        );
      },
      known,
    );
    const result = (step: string) => stepOf(twin, step)?.result;
    expect(stepOf(twin, 'CreateVpcEndpoint with private DNS in a VPC whose DNS hostnames are off')?.error).toBe(
      'InvalidParameter',
    );
    expect(
      result('CreateVpcEndpoint (Interface) to sts with private DNS, a security group, a policy and tags'),
    ).toMatchObject({
      State: 'pending',
      PrivateDnsEnabled: true,
      PolicyDocument: POLICY,
      Tags: { 'spokelink:managed': 'true' },
    });
    expect(stepOf(twin, 'CreateVpcEndpoint a second endpoint with private DNS for the same name')?.error).toBe(
      'InvalidParameter',
    );
    expect(stepOf(twin, 'CreateVpcEndpoint to an AWS service that does not exist')?.error).toBe('InvalidServiceName');
    expect(stepOf(twin, 'ModifyVpcEndpoint private DNS on while another endpoint holds the name')?.error).toBe(
      'InvalidParameter',
    );
    expect(stepOf(twin, 'DeleteSecurityGroup while an endpoint being deleted still uses it')?.error).toBe(
      'DependencyViolation',
    );
    // Ids are normalized in traces: exactly one (the unknown one) comes back.
    expect(result('DeleteVpcEndpoints with one id that names nothing')).toHaveLength(1);
  });
});
