import type { Plan } from '#shared/plan';
import { SPOKE, VPC } from './helpers';

/** The plan ValidateAndPlan makes for the example VPC (nonprod, ssm + sts, two AZs, two route tables). */
export function examplePlan(overrides: Partial<Plan> = {}): Plan {
  return {
    vpcId: VPC,
    accountId: SPOKE,
    region: 'us-east-1',
    externalAccount: false,
    segment: 'nonprod',
    services: ['ssm', 'sts'],
    cidrs: ['10.1.0.0/16'],
    transitGatewayId: 'tgw-0a1b2c3d4e5f60718',
    shareName: 'spokelink-tgw',
    attachmentName: `spokelink-${VPC}`,
    subnetSelection: 'one-per-az',
    attachmentSubnets: [
      { subnetId: 'subnet-0000000000000000a', availabilityZone: 'us-east-1a', cidr: '10.1.0.0/24' },
      { subnetId: 'subnet-0000000000000000c', availabilityZone: 'us-east-1b', cidr: '10.1.2.0/24' },
    ],
    attachmentSubnetIds: ['subnet-0000000000000000a', 'subnet-0000000000000000c'],
    routeTableIds: ['rtb-00000000000000main', 'rtb-0000000000000priv'],
    destinations: ['10.0.0.0/16'],
    associationRouteTableId: 'tgw-rtb-0b000000000000002',
    propagationRouteTableIds: ['tgw-rtb-0c000000000000003'],
    zones: [
      { endpoint: 'ssm', zoneId: 'Z0SSM00000000000000001', zoneName: 'ssm.us-east-1.amazonaws.com' },
      { endpoint: 'sts', zoneId: 'Z0STS00000000000000001', zoneName: 'sts.us-east-1.amazonaws.com' },
    ],
    securityGroupRules: [
      {
        endpoint: 'ssm',
        groupId: 'sg-0e55e0000000000a1',
        cidr: '10.1.0.0/16',
        port: 443,
        description: `spokelink ${VPC} ${SPOKE}`,
      },
      {
        endpoint: 'sts',
        groupId: 'sg-0e55e0000000000a2',
        cidr: '10.1.0.0/16',
        port: 443,
        description: `spokelink ${VPC} ${SPOKE}`,
      },
    ],
    endpointServices: [{ name: 'payments-api', serviceId: 'vpce-svc-0d000000000000001', acceptConnections: true }],
    principal: `arn:aws:iam::${SPOKE}:root`,
    ...overrides,
  };
}
