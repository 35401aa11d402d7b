import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AcceptTransitGatewayVpcAttachmentCommand,
  AcceptVpcEndpointConnectionsCommand,
  CreateSubnetCommand,
  CreateTransitGatewayCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeTransitGatewaysCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicesCommand,
  GetTransitGatewayAttachmentPropagationsCommand,
  RejectTransitGatewayVpcAttachmentCommand,
  RejectVpcEndpointConnectionsCommand,
} from '@aws-sdk/client-ec2';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  AcceptResourceShareInvitationCommand,
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  DisassociateResourceShareCommand,
  GetResourceShareInvitationsCommand,
  GetResourceSharesCommand,
  ListResourcesCommand,
  RejectResourceShareInvitationCommand,
} from '@aws-sdk/client-ram';
import {
  CreateVPCAssociationAuthorizationCommand,
  DeleteVPCAssociationAuthorizationCommand,
  GetHostedZoneLimitCommand,
  ListVPCAssociationAuthorizationsCommand,
} from '@aws-sdk/client-route-53';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SERVICE_MODULES } from '#twin/services/index';
import { route53profiles } from '#twin/services/route53profiles';
import { ListProfilesCommand, Route53ProfilesClient } from '../sdk/client-route53profiles';
import { type Clients, MOTO_ACCOUNT, motoTarget, REGION, type ScenarioEnv } from './harness/compare';
import { useMoto } from './harness/suite';

/**
 * What the twin models that moto cannot check, with the reason, and a probe that keeps the list true as moto evolves:
 * the probe calls moto and the test asserts that moto still cannot answer it (no handler at all, or an answer that shows
 * the behaviour is missing). Each is covered instead by the twin's own behaviour tests against the AWS documentation
 * (`coveredBy`). Results and reasons are summarized in docs/twin-moto.md.
 */

type TwinService = 'ec2' | 'route53' | 'route53profiles' | 'ram' | 'sts' | 'organizations' | 'iam';

/** What moto answered: its output, or the error the SDK raised (name and HTTP status). */
type Outcome = { ok: true; value: unknown } | { ok: false; name: string; status?: number };

interface NoHandler {
  kind: 'no handler';
  /** moto's response method that would implement the operation (moto/<service>/responses). */
  handler: string;
  call: (clients: Clients) => Promise<unknown>;
}

/** moto has no module for the service at all: no operation of it can be compared. */
interface NoService {
  kind: 'no service';
  /** The moto package that would implement it. */
  module: string;
  call: (endpoint: string) => Promise<unknown>;
}

interface MissingBehaviour {
  kind: 'missing behaviour';
  call: (clients: Clients, env: ScenarioEnv) => Promise<unknown>;
  /** What moto's answer shows (asserted by `check`). */
  shows: string;
  check: (outcome: Outcome) => void;
}

interface NotCheckable {
  service: TwinService;
  operation: string;
  /** Set when only a variant of an operation that is otherwise compared cannot be checked. */
  variant?: string;
  reason: string;
  coveredBy: string;
  probe: NoHandler | NoService | MissingBehaviour;
}

const SPOKE = '222222222222';
const ATTACHMENT = 'tgw-attach-0aaaaaaaaaaaaaaaa';
const ZONE = 'Z0AAAAAAAAAAAAAAAAAA';
const VPC = { VPCId: 'vpc-0aaaaaaaaaaaaaaaa', VPCRegion: REGION } as const;
const SHARE = `arn:aws:ram:${REGION}:${MOTO_ACCOUNT}:resource-share/00000000-0000-4000-a000-000000000000`;
const INVITATION = `arn:aws:ram:${REGION}:${MOTO_ACCOUNT}:resource-share-invitation/00000000-0000-4000-a000-000000000000`;

const noCrossAccountAttachments =
  'moto has no cross-account TGW attachments (no pendingAcceptance; its same-account attachments are available at once)';

/**
 * Route 53 Profiles: moto has no `route53profiles` service. The twin's model follows the API reference
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Route_53_Profiles.html), the quotas page
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-profiles) and the
 * developer guide's Profiles chapter (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profiles.html).
 */
const PROFILES_NOT_CHECKABLE: NotCheckable[] = Object.keys(route53profiles.operations).map((operation) => ({
  service: 'route53profiles',
  operation,
  reason:
    'moto does not implement Route 53 Profiles (no moto.route53profiles); the model follows the Route 53 Profiles ' +
    'API reference, the Route 53 quotas page (Profiles) and the developer guide chapter on Profiles',
  coveredBy: 'test/twin/route53profiles.test.ts',
  probe: {
    kind: 'no service',
    module: 'moto.route53profiles',
    call: (endpoint) =>
      new Route53ProfilesClient({
        region: REGION,
        endpoint,
        credentials: { accessKeyId: 'AKIAMOTOTESTER000001', secretAccessKey: 'moto' },
        maxAttempts: 1,
      }).send(new ListProfilesCommand({})),
  },
}));

const NOT_CHECKABLE: NotCheckable[] = [
  ...PROFILES_NOT_CHECKABLE,
  {
    service: 'iam',
    operation: 'SimulatePrincipalPolicy',
    reason:
      'moto does not implement the IAM policy simulator; the twin answers it from the policies it evaluates on every ' +
      'call (IAM API reference, SimulatePrincipalPolicy)',
    coveredBy: 'test/lifecycle/preflight.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'simulate_principal_policy',
      call: ({ iam }) =>
        iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/spokelink-fn-validate`,
            ActionNames: ['ec2:DescribeVpcs'],
          }),
        ),
    },
  },
  {
    service: 'ec2',
    operation: 'AcceptTransitGatewayVpcAttachment',
    reason: noCrossAccountAttachments,
    coveredBy: 'test/twin/ec2-tgw.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'accept_transit_gateway_vpc_attachment',
      call: ({ ec2 }) =>
        ec2.send(new AcceptTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: ATTACHMENT })),
    },
  },
  {
    service: 'ec2',
    operation: 'RejectTransitGatewayVpcAttachment',
    reason: noCrossAccountAttachments,
    coveredBy: 'test/twin/ec2-tgw.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'reject_transit_gateway_vpc_attachment',
      call: ({ ec2 }) =>
        ec2.send(new RejectTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: ATTACHMENT })),
    },
  },
  {
    service: 'ec2',
    operation: 'GetTransitGatewayAttachmentPropagations',
    reason: 'moto does not implement the operation',
    coveredBy: 'test/twin/ec2-tgw.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'get_transit_gateway_attachment_propagations',
      call: ({ ec2 }) =>
        ec2.send(new GetTransitGatewayAttachmentPropagationsCommand({ TransitGatewayAttachmentId: ATTACHMENT })),
    },
  },
  {
    service: 'ec2',
    operation: 'DescribeVpcEndpointConnections',
    reason: 'moto does not implement endpoint connections (no consumer accounts, no acceptance)',
    coveredBy: 'test/twin/ec2-endpoints.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'describe_vpc_endpoint_connections',
      call: ({ ec2 }) => ec2.send(new DescribeVpcEndpointConnectionsCommand({})),
    },
  },
  {
    service: 'ec2',
    operation: 'AcceptVpcEndpointConnections',
    reason: 'moto does not implement endpoint connections (no consumer accounts, no acceptance)',
    coveredBy: 'test/twin/ec2-endpoints.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'accept_vpc_endpoint_connections',
      call: ({ ec2 }) =>
        ec2.send(
          new AcceptVpcEndpointConnectionsCommand({
            ServiceId: 'vpce-svc-0aaaaaaaaaaaaaaaa',
            VpcEndpointIds: ['vpce-0aaaaaaaaaaaaaaaa'],
          }),
        ),
    },
  },
  {
    service: 'ec2',
    operation: 'RejectVpcEndpointConnections',
    reason: 'moto does not implement endpoint connections (no consumer accounts, no acceptance or rejection)',
    coveredBy: 'test/twin/ec2-endpoints.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'reject_vpc_endpoint_connections',
      call: ({ ec2 }) =>
        ec2.send(
          new RejectVpcEndpointConnectionsCommand({
            ServiceId: 'vpce-svc-0aaaaaaaaaaaaaaaa',
            VpcEndpointIds: ['vpce-0aaaaaaaaaaaaaaaa'],
          }),
        ),
    },
  },
  {
    service: 'ec2',
    operation: 'CreateTransitGatewayVpcAttachment',
    variant: 'cross-account, to a TGW shared through RAM',
    reason:
      'moto keeps each account apart and does not apply RAM shares: a TGW shared with a spoke stays invisible to it (the twin makes it visible after the share visibility delay, then the attachment waits in pendingAcceptance)',
    coveredBy: 'test/twin/ram-tgw.test.ts',
    probe: {
      kind: 'missing behaviour',
      shows: 'the spoke still gets InvalidTransitGatewayID.NotFound (or nothing) for the shared TGW',
      call: async ({ ec2, ram, sts }, env) => {
        const tgw = await ec2.send(new CreateTransitGatewayCommand({}));
        const tgwId = tgw.TransitGateway?.TransitGatewayId ?? 'tgw-missing';
        await ram.send(
          new CreateResourceShareCommand({
            name: 'hub-tgw',
            resourceArns: [tgw.TransitGateway?.TransitGatewayArn ?? ''],
            principals: [SPOKE],
          }),
        );
        const assumed = await sts.send(
          new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${SPOKE}:role/spoke`, RoleSessionName: 'probe' }),
        );
        const spoke = env.clientsFor({
          accessKeyId: assumed.Credentials?.AccessKeyId ?? '',
          secretAccessKey: assumed.Credentials?.SecretAccessKey ?? '',
          sessionToken: assumed.Credentials?.SessionToken,
        });
        const seen = await spoke.ec2.send(new DescribeTransitGatewaysCommand({ TransitGatewayIds: [tgwId] }));
        return seen.TransitGateways ?? [];
      },
      check: (outcome) => {
        if (outcome.ok) expect(outcome.value).toEqual([]);
        else expect(outcome.name).toBe('InvalidTransitGatewayID.NotFound');
      },
    },
  },
  {
    service: 'route53',
    operation: 'CreateVPCAssociationAuthorization',
    reason: 'moto has no cross-account VPC association authorizations',
    coveredBy: 'test/twin/route53.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'create_vpc_association_authorization',
      call: ({ route53 }) => route53.send(new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: ZONE, VPC })),
    },
  },
  {
    service: 'route53',
    operation: 'ListVPCAssociationAuthorizations',
    reason: 'moto has no cross-account VPC association authorizations',
    coveredBy: 'test/twin/route53.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'list_vpc_association_authorizations',
      call: ({ route53 }) => route53.send(new ListVPCAssociationAuthorizationsCommand({ HostedZoneId: ZONE })),
    },
  },
  {
    service: 'route53',
    operation: 'DeleteVPCAssociationAuthorization',
    reason: 'moto has no cross-account VPC association authorizations',
    coveredBy: 'test/twin/route53.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'delete_vpc_association_authorization',
      call: ({ route53 }) => route53.send(new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: ZONE, VPC })),
    },
  },
  {
    service: 'route53',
    operation: 'GetHostedZoneLimit',
    reason: 'moto does not implement hosted zone limits',
    coveredBy: 'test/twin/route53.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'get_hosted_zone_limit',
      call: ({ route53 }) =>
        route53.send(new GetHostedZoneLimitCommand({ HostedZoneId: ZONE, Type: 'MAX_VPCS_ASSOCIATED_BY_ZONE' })),
    },
  },
  {
    service: 'ram',
    operation: 'AssociateResourceShare',
    reason: 'moto cannot add principals or resources to an existing share',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'associate_resource_share',
      call: ({ ram }) => ram.send(new AssociateResourceShareCommand({ resourceShareArn: SHARE, principals: [SPOKE] })),
    },
  },
  {
    service: 'ram',
    operation: 'DisassociateResourceShare',
    reason: 'moto cannot remove principals or resources from a share',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'disassociate_resource_share',
      call: ({ ram }) =>
        ram.send(new DisassociateResourceShareCommand({ resourceShareArn: SHARE, principals: [SPOKE] })),
    },
  },
  {
    service: 'ram',
    operation: 'GetResourceShareInvitations',
    reason: 'moto has no invitations (no principals outside an organization, no receiving account)',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'get_resource_share_invitations',
      call: ({ ram }) => ram.send(new GetResourceShareInvitationsCommand({})),
    },
  },
  {
    service: 'ram',
    operation: 'AcceptResourceShareInvitation',
    reason: 'moto has no invitations',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'accept_resource_share_invitation',
      call: ({ ram }) => ram.send(new AcceptResourceShareInvitationCommand({ resourceShareInvitationArn: INVITATION })),
    },
  },
  {
    service: 'ram',
    operation: 'RejectResourceShareInvitation',
    reason: 'moto has no invitations',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'reject_resource_share_invitation',
      call: ({ ram }) => ram.send(new RejectResourceShareInvitationCommand({ resourceShareInvitationArn: INVITATION })),
    },
  },
  {
    service: 'ram',
    operation: 'ListResources',
    reason: 'moto does not implement the operation',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'no handler',
      handler: 'list_resources',
      call: ({ ram }) => ram.send(new ListResourcesCommand({ resourceOwner: 'SELF' })),
    },
  },
  {
    service: 'ram',
    operation: 'GetResourceShares',
    variant: 'resourceOwner OTHER-ACCOUNTS (the principal side of a share)',
    reason: 'moto raises NotImplementedError for OTHER-ACCOUNTS: the spoke view of a share cannot be compared',
    coveredBy: 'test/twin/ram.test.ts',
    probe: {
      kind: 'missing behaviour',
      shows: "an HTTP 500 (moto: \"Value 'OTHER-ACCOUNTS' for parameter 'resourceOwner' not implemented\")",
      call: ({ ram }) => ram.send(new GetResourceSharesCommand({ resourceOwner: 'OTHER-ACCOUNTS' })),
      check: (outcome) => {
        expect(outcome).toMatchObject({ ok: false, status: 500 });
      },
    },
  },
  {
    service: 'sts',
    operation: 'AssumeRole',
    variant: 'trust policy and external id (who may assume which role)',
    reason:
      'moto issues credentials for any role ARN, whether the role exists or trusts the caller; the twin answers AccessDenied unless the role exists and its trust (principal, external id, organization) allows the caller',
    coveredBy: 'test/twin/core.test.ts',
    probe: {
      kind: 'missing behaviour',
      shows: 'credentials for a role that does not exist, with a wrong external id',
      call: ({ sts }) =>
        sts.send(
          new AssumeRoleCommand({
            RoleArn: 'arn:aws:iam::333333333333:role/does-not-exist',
            RoleSessionName: 'probe',
            ExternalId: 'wrong',
          }),
        ),
      check: (outcome) => {
        expect(outcome.ok).toBe(true);
      },
    },
  },
  {
    service: 'ec2',
    operation: 'CreateVpcEndpoint',
    variant: 'ServiceRegion (a cross-region interface endpoint)',
    reason:
      "moto ignores ServiceRegion: no check of the service's SupportedRegions, of the partition or of the Availability Zone ids AWS excludes, no Regional-only DNS entries, no ServiceRegion in the answer (https://docs.aws.amazon.com/vpc/latest/privatelink/privatelink-share-your-services.html, Cross-Region access)",
    coveredBy: 'test/twin/ec2-cross-region-endpoints.test.ts',
    probe: {
      kind: 'missing behaviour',
      shows: 'an endpoint created to a service of another region that does not exist, with no ServiceRegion',
      call: async ({ ec2 }) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.92.0.0/16' }));
        const subnet = await ec2.send(
          new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: '10.92.1.0/24', AvailabilityZone: `${REGION}a` }),
        );
        return ec2.send(
          new CreateVpcEndpointCommand({
            VpcEndpointType: 'Interface',
            VpcId: vpc.Vpc?.VpcId,
            ServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0aaaaaaaaaaaaaaaa',
            ServiceRegion: 'eu-west-1',
            SubnetIds: [subnet.Subnet?.SubnetId ?? ''],
          }),
        );
      },
      check: (outcome) => {
        expect(outcome.ok).toBe(true);
        const created = (outcome as { value: { VpcEndpoint?: { ServiceRegion?: string } } }).value;
        expect(created.VpcEndpoint?.ServiceRegion).toBeUndefined();
      },
    },
  },
  {
    service: 'ec2',
    operation: 'DescribeVpcEndpointServices',
    variant: 'ServiceRegions (the services of another region a consumer may connect to)',
    reason:
      "moto ignores ServiceRegions and lists its own region's services (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-cross-region-privatelink-support.html shows the call with --service-region)",
    coveredBy: 'test/twin/ec2-cross-region-endpoints.test.ts',
    probe: {
      kind: 'missing behaviour',
      shows: `services of ${REGION} when eu-west-1's are asked for`,
      call: ({ ec2 }) => ec2.send(new DescribeVpcEndpointServicesCommand({ ServiceRegions: ['eu-west-1'] })),
      check: (outcome) => {
        expect(outcome.ok).toBe(true);
        const names = (outcome as { value: { ServiceNames?: string[] } }).value.ServiceNames ?? [];
        expect(names.some((n) => n.includes(`.${REGION}.`))).toBe(true);
      },
    },
  },
];

/** Twin operations compared against moto, with the file that compares them. */
const COMPARED: Record<TwinService, Record<string, string>> = {
  route53profiles: {},
  ec2: {
    ...Object.fromEntries(
      [
        'DescribeVpcs',
        'CreateVpc',
        'DeleteVpc',
        'DescribeVpcAttribute',
        'ModifyVpcAttribute',
        'DescribeSubnets',
        'CreateSubnet',
        'DeleteSubnet',
        'DescribeRouteTables',
        'CreateRouteTable',
        'AssociateRouteTable',
        'CreateRoute',
        'DeleteRoute',
        'AssociateVpcCidrBlock',
        'DisassociateVpcCidrBlock',
        'AssociateSubnetCidrBlock',
      ].map((op) => [op, 'ec2-vpc.test.ts']),
    ),
    ...Object.fromEntries(
      [
        'CreateTransitGatewayPeeringAttachment',
        'AcceptTransitGatewayPeeringAttachment',
        'RejectTransitGatewayPeeringAttachment',
        'DeleteTransitGatewayPeeringAttachment',
        'DescribeTransitGatewayPeeringAttachments',
      ].map((op) => [op, 'ec2-tgw-peering.test.ts']),
    ),
    ...Object.fromEntries(
      [
        'CreateSecurityGroup',
        'DescribeSecurityGroups',
        'DescribeSecurityGroupRules',
        'AuthorizeSecurityGroupIngress',
        'RevokeSecurityGroupIngress',
        'UpdateSecurityGroupRuleDescriptionsIngress',
      ].map((op) => [op, 'ec2-security-groups.test.ts']),
    ),
    ...Object.fromEntries(['CreateTags', 'DeleteTags', 'DescribeTags'].map((op) => [op, 'ec2-tags.test.ts'])),
    ...Object.fromEntries(
      [
        'CreateTransitGateway',
        'DescribeTransitGateways',
        'CreateTransitGatewayRouteTable',
        'DescribeTransitGatewayRouteTables',
        'AssociateTransitGatewayRouteTable',
        'DisassociateTransitGatewayRouteTable',
        'EnableTransitGatewayRouteTablePropagation',
        'DisableTransitGatewayRouteTablePropagation',
        'GetTransitGatewayRouteTableAssociations',
        'GetTransitGatewayRouteTablePropagations',
        'SearchTransitGatewayRoutes',
        'CreateTransitGatewayRoute',
        'DeleteTransitGatewayRoute',
        'CreateTransitGatewayVpcAttachment',
        'DescribeTransitGatewayVpcAttachments',
        'DescribeTransitGatewayAttachments',
        'DeleteTransitGatewayVpcAttachment',
        'ModifyTransitGatewayVpcAttachment',
      ].map((op) => [op, 'ec2-tgw.test.ts']),
    ),
    ...Object.fromEntries(
      [
        'DescribeVpcEndpointServiceConfigurations',
        'DescribeVpcEndpointServicePermissions',
        'ModifyVpcEndpointServicePermissions',
        'CreateVpcEndpoint',
        'DescribeVpcEndpoints',
        'ModifyVpcEndpointServiceConfiguration',
        'DescribeVpcEndpointServices',
      ].map((op) => [op, 'ec2-endpoints.test.ts']),
    ),
    ...Object.fromEntries(
      ['ModifyVpcEndpoint', 'DeleteVpcEndpoints', 'DeleteSecurityGroup'].map((op) => [
        op,
        'ec2-aws-service-endpoints.test.ts',
      ]),
    ),
  },
  route53: Object.fromEntries(
    [
      'CreateHostedZone',
      'GetHostedZone',
      'ListHostedZones',
      'ListHostedZonesByVPC',
      'DeleteHostedZone',
      'GetChange',
      'AssociateVPCWithHostedZone',
      'DisassociateVPCFromHostedZone',
    ].map((op) => [op, 'route53.test.ts']),
  ),
  ram: Object.fromEntries(
    [
      'EnableSharingWithAwsOrganization',
      'CreateResourceShare',
      'DeleteResourceShare',
      'GetResourceShares',
      'GetResourceShareAssociations',
    ].map((op) => [op, 'ram.test.ts']),
  ),
  sts: { GetCallerIdentity: 'sts.test.ts', AssumeRole: 'sts.test.ts' },
  organizations: Object.fromEntries(
    [
      'DescribeOrganization',
      'ListParents',
      'DescribeAccount',
      'ListAccounts',
      'ListAccountsForParent',
      'ListOrganizationalUnitsForParent',
      'ListAWSServiceAccessForOrganization',
    ].map((op) => [op, 'sts.test.ts']),
  ),
  iam: {},
};

const RESPONSE_CLASSES: Partial<Record<TwinService, [module: string, cls: string]>> = {
  ec2: ['moto.ec2.responses', 'EC2Response'],
  route53: ['moto.route53.responses', 'Route53'],
  ram: ['moto.ram.responses', 'ResourceAccessManagerResponse'],
  iam: ['moto.iam.responses', 'IamResponse'],
};

/** Which of the named handlers moto's response classes have (one python3 run for the whole table). */
function motoHandlers(entries: { service: TwinService; handler: string }[]): Record<string, boolean> {
  const wanted = entries.map((e) => {
    const where = RESPONSE_CLASSES[e.service];
    if (!where) throw new Error(`no moto response class known for ${e.service}`);
    return [...where, e.handler];
  });
  const script = [
    'import importlib, json, sys',
    'out = {}',
    'for module, cls, handler in json.loads(sys.argv[1]):',
    '    out[handler] = hasattr(getattr(importlib.import_module(module), cls), handler)',
    'print(json.dumps(out))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify(wanted)], { encoding: 'utf8' })) as Record<
    string,
    boolean
  >;
}

async function outcomeOf(call: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    return { ok: false, name: e.name ?? 'Error', status: e.$metadata?.httpStatusCode };
  }
}

describe('Not checkable against moto', () => {
  const moto = useMoto();

  describe('moto has no handler for these operations', () => {
    const entries = NOT_CHECKABLE.flatMap((e) =>
      e.probe.kind === 'no handler' ? [{ ...e, probe: e.probe, handler: e.probe.handler }] : [],
    );
    let handlers: Record<string, boolean> = {};
    beforeAll(() => {
      handlers = motoHandlers(entries);
    });

    it.each(entries.map((e) => [`${e.service}:${e.operation}`, e] as const))(
      '%s: moto has no handler and answers with no AWS error',
      async (_name, entry) => {
        expect(handlers[entry.handler]).toBe(false);
        const outcome = await outcomeOf(() => entry.probe.call(motoTarget(moto().endpoint).clients));
        // An HTML error page (404 unrouted path, 500 NotImplementedError) that the SDK cannot parse as an AWS error.
        expect(outcome).toMatchObject({ ok: false });
        expect([404, 500]).toContain(outcome.ok ? undefined : outcome.status);
      },
    );
  });

  describe('moto has no module for these services', () => {
    const entries = NOT_CHECKABLE.flatMap((e) => (e.probe.kind === 'no service' ? [{ ...e, probe: e.probe }] : []));
    it.each(entries.map((e) => [`${e.service}:${e.operation}`, e] as const))(
      '%s: moto has no such service and answers with no AWS error',
      async (_name, entry) => {
        const script = `import importlib.util, sys; print(importlib.util.find_spec(sys.argv[1]) is None)`;
        expect(execFileSync('python3', ['-c', script, entry.probe.module], { encoding: 'utf8' }).trim()).toBe('True');
        const outcome = await outcomeOf(() => entry.probe.call(moto().endpoint));
        expect(outcome).toMatchObject({ ok: false });
        expect(outcome.ok ? undefined : outcome.name).not.toMatch(/Exception$/);
      },
    );
  });

  describe('moto lacks the behaviour of these variants', () => {
    const entries = NOT_CHECKABLE.flatMap((e) =>
      e.probe.kind === 'missing behaviour' ? [{ ...e, probe: e.probe }] : [],
    );
    it.each(entries.map((e) => [`${e.service}:${e.operation} (${e.variant})`, e] as const))(
      '%s: moto shows the gap',
      async (_name, entry) => {
        const target = motoTarget(moto().endpoint);
        entry.probe.check(await outcomeOf(() => entry.probe.call(target.clients, target.env)));
      },
    );
  });

  it('accounts for every operation the twin models: compared against moto, or listed as not checkable', () => {
    const whole = new Set(NOT_CHECKABLE.filter((e) => !e.variant).map((e) => `${e.service}:${e.operation}`));
    for (const module of SERVICE_MODULES) {
      const service = module.name as TwinService;
      for (const operation of Object.keys(module.operations)) {
        const key = `${service}:${operation}`;
        const file = COMPARED[service]?.[operation];
        expect({ key, accounted: Boolean(file) !== whole.has(key) }).toEqual({ key, accounted: true });
        if (file) expect(readFileSync(join(__dirname, file), 'utf8')).toContain(`new ${operation}Command(`);
      }
    }
    // Every variant names an operation that is compared otherwise.
    for (const e of NOT_CHECKABLE.filter((x) => x.variant)) expect(COMPARED[e.service][e.operation]).toBeDefined();
  });
});
