import { Template } from 'aws-cdk-lib/assertions';
import { FUNCTION_SPECS, RESOURCE_STAR_REASONS } from '../../infra/permissions';
import {
  actionsOfRole,
  exampleConfig,
  exampleHubTemplate,
  exampleSpokeTemplate,
  identityStatements,
  newHubStack,
  resourcesOf,
  statementsOfRole,
  twoRegionsHubTemplate,
} from './helpers';

/**
 * Actions that may use `Resource: "*"`, each because the service offers no resource-level permission for it
 * (Service Authorization Reference). Kept here on purpose, separate from infra/permissions.ts: widening it is a
 * reviewed change to this test.
 */
const STAR_RESOURCE_ALLOWLIST = [
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  'ec2:DescribeRouteTables',
  'ec2:DescribeSecurityGroupRules',
  'ec2:DescribeSubnets',
  'ec2:DescribeTransitGatewayAttachments',
  'ec2:DescribeTransitGateways',
  'ec2:DescribeTransitGatewayVpcAttachments',
  'ec2:DescribeTransitGatewayPeeringAttachments',
  'ec2:DescribeVpcAttribute',
  'ec2:DescribeVpcEndpointConnections',
  'ec2:DescribeVpcEndpointServicePermissions',
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeVpcs',
  'ec2:GetTransitGatewayAttachmentPropagations',
  'logs:CreateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:DescribeLogGroups',
  'logs:DescribeResourcePolicies',
  'logs:GetLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:UpdateLogDelivery',
  'ram:CreateResourceShare',
  'ram:GetResourceShareAssociations',
  'ram:GetResourceShareInvitations',
  'ram:GetResourceShares',
  'route53:ListHostedZonesByVPC',
  // Route 53 Profiles: none of these has a resource type (Service Authorization Reference).
  'route53profiles:AssociateProfile',
  'route53profiles:DisassociateProfile',
  'route53profiles:GetProfileAssociation',
  'route53profiles:ListProfileAssociations',
  'route53profiles:ListProfiles',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];

const SPOKE_ROLE_PATTERN = 'arn:aws:iam::*:role/spokelink-spoke';
const SPOKE_READ_ROLE_PATTERN = 'arn:aws:iam::*:role/spokelink-spoke-read';
const BASELINE = ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

function fnActions(template: Template, name: string): string[] {
  return actionsOfRole(template, `spokelink-fn-${name}`).filter((action) => !BASELINE.includes(action));
}

describe('Permissions: every role', () => {
  it.each([
    ['hub', () => exampleHubTemplate()],
    ['spoke', () => exampleSpokeTemplate()],
  ])('grants no "*" action anywhere in the %s stack', (_stack, synth) => {
    for (const statement of identityStatements(synth())) {
      for (const action of statement.actions) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
    }
  });

  it.each([
    ['hub', () => exampleHubTemplate()],
    ['peered hub', () => twoRegionsHubTemplate()],
    ['spoke', () => exampleSpokeTemplate()],
  ])('uses Resource "*" in the %s stack only for the allowlisted actions', (_stack, synth) => {
    for (const statement of identityStatements(synth())) {
      if (!statement.resources.includes('*')) continue;
      for (const action of statement.actions) {
        expect({ action, allowed: STAR_RESOURCE_ALLOWLIST.includes(action) }).toEqual({ action, allowed: true });
      }
    }
  });

  it('documents a reason for every allowlisted action in the manifest', () => {
    for (const action of STAR_RESOURCE_ALLOWLIST) expect(RESOURCE_STAR_REASONS[action]).toMatch(/\w+ \w+ \w+/);
  });

  it('lets only the functions that work in spoke accounts assume the spoke role, and only that role', () => {
    const template = exampleHubTemplate();
    const assumers = Object.keys(FUNCTION_SPECS).filter((name) =>
      actionsOfRole(template, `spokelink-fn-${name}`).includes('sts:AssumeRole'),
    );
    expect(assumers.sort()).toEqual([
      'consumer',
      'reconcile',
      'rollback',
      'routes',
      'status',
      'transit-gateway',
      'validate',
      'zones',
    ]);
    // The read-only steps get only the read-only spoke role; the others only the read-write one: in any account of
    // the organization (aws:ResourceOrgID) and in the configured outside account, by its exact ARN.
    const readOnly = new Set(['consumer', 'reconcile', 'rollback', 'validate']);
    for (const name of assumers) {
      const pattern = readOnly.has(name) ? SPOKE_READ_ROLE_PATTERN : SPOKE_ROLE_PATTERN;
      expect(resourcesOf(template, `spokelink-fn-${name}`, 'sts:AssumeRole')).toEqual([
        pattern,
        pattern.replace('::*:', '::555555555555:'),
      ]);
    }
  });
});

describe('Permissions: hub functions', () => {
  it('intake queues in the registry, and only starts and checks the onboard and offboard workflows', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'intake')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-intake', 'states:DescribeExecution')).toEqual([
      'arn:aws:states:us-east-1:111111111111:execution:spokelink-offboard:*',
      'arn:aws:states:us-east-1:111111111111:execution:spokelink-onboard:*',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-intake', 'states:StartExecution')).toEqual([
      'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-offboard',
      'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-onboard',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-intake', 'sqs:SendMessage')).toEqual([
      expect.stringMatching(/^<IntakeFailureQueue\w+\.Arn>$/),
    ]);
  });

  it('dispatch works the intake queue with the same grants as the intake', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'dispatch')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'states:DescribeExecution',
      'states:StartExecution',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-dispatch', 'states:StartExecution')).toEqual([
      'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-offboard',
      'arn:aws:states:us-east-1:111111111111:stateMachine:spokelink-onboard',
    ]);
  });

  it('notify-failures counts in the registry and publishes to the failure topic only', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'notify-failures')).toEqual([
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'sns:Publish',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-notify-failures', 'sns:Publish')).toEqual([
      expect.stringMatching(/^<FailureTopic\w+>$/),
    ]);
  });

  it('validate reads the registry and its indexes, the organization parents, the catalog zones and the attachments', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'validate')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'ec2:DescribeTransitGatewayAttachments',
      'organizations:ListParents',
      'route53:GetHostedZone',
      'sts:AssumeRole',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-validate', 'route53:GetHostedZone')).toEqual([
      'arn:aws:route53:::hostedzone/Z0SECRETS000000000001',
      'arn:aws:route53:::hostedzone/Z0SSM00000000000000001',
      'arn:aws:route53:::hostedzone/Z0STS00000000000000001',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-validate', 'dynamodb:Query')).toEqual([
      expect.stringMatching(/^<Registry\w+\.Arn>$/),
      expect.stringMatching(/^<Registry\w+\.Arn>\/index\/\*$/),
    ]);
    expect(resourcesOf(template, 'spokelink-fn-validate', 'organizations:ListParents')).toEqual([
      'arn:aws:organizations::*:account/o-exampleorg1/*',
      'arn:aws:organizations::*:ou/o-exampleorg1/*',
    ]);
  });

  it('records reads and writes the registry table only', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'records')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    for (const action of fnActions(template, 'records')) {
      for (const resource of resourcesOf(template, 'spokelink-fn-records', action)) {
        expect(resource).toMatch(/^<Registry\w+\.Arn>(\/index\/\*)?$/);
      }
    }
  });

  it('lease writes the registry and checks only whether the holding workflow execution still runs', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'lease')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'states:DescribeExecution',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-lease', 'states:DescribeExecution')).toEqual([
      'arn:aws:states:us-east-1:111111111111:execution:spokelink-offboard:*',
      'arn:aws:states:us-east-1:111111111111:execution:spokelink-onboard:*',
    ]);
  });

  it('transit-gateway shares the TGW, manages attachments and routing, and records the attachment', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'transit-gateway')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'ec2:AcceptTransitGatewayVpcAttachment',
      'ec2:AssociateTransitGatewayRouteTable',
      'ec2:CreateTransitGatewayRoute',
      'ec2:DeleteTransitGatewayRoute',
      'ec2:DeleteTransitGatewayVpcAttachment',
      'ec2:DescribeTransitGatewayAttachments',
      'ec2:DescribeTransitGatewayVpcAttachments',
      'ec2:DescribeTransitGateways',
      'ec2:DisableTransitGatewayRouteTablePropagation',
      'ec2:DisassociateTransitGatewayRouteTable',
      'ec2:GetTransitGatewayAttachmentPropagations',
      'ec2:SearchTransitGatewayRoutes',
      'ram:AssociateResourceShare',
      'ram:CreateResourceShare',
      'ram:DisassociateResourceShare',
      'ram:GetResourceShareAssociations',
      'ram:GetResourceShares',
      'sts:AssumeRole',
    ]);
  });

  it('transit-gateway only reads share associations when the organization share serves every spoke account', () => {
    const raw = exampleConfig();
    const config = exampleConfig({ organization: { ...raw.organization, externalAccounts: [] } });
    const template = Template.fromStack(newHubStack({ config }));

    const ram = fnActions(template, 'transit-gateway').filter((a) => a.startsWith('ram:'));
    expect(ram).toEqual(['ram:GetResourceShareAssociations']);
    // No per-account unsharing either: no registry query for the account's other VPCs.
    expect(fnActions(template, 'transit-gateway')).not.toContain('dynamodb:Query');
  });

  it('transit-gateway keeps the per-account share actions when the TGW is not shared with the organization', () => {
    const raw = exampleConfig();
    const config = exampleConfig({
      organization: { ...raw.organization, externalAccounts: [], shareTransitGateway: false },
    });
    const template = Template.fromStack(newHubStack({ config }));

    expect(fnActions(template, 'transit-gateway').filter((a) => a.startsWith('ram:'))).toEqual([
      'ram:AssociateResourceShare',
      'ram:CreateResourceShare',
      'ram:DisassociateResourceShare',
      'ram:GetResourceShareAssociations',
      'ram:GetResourceShares',
    ]);
  });

  it('reconcile of a peered hub requests and accepts peerings of its TGW and routes only in the `peers` tables', () => {
    const template = twoRegionsHubTemplate();
    const role = 'spokelink-fn-reconcile-use1';
    const attachments = 'arn:aws:ec2:us-east-1:111111111111:transit-gateway-attachment/*';
    expect(resourcesOf(template, role, 'ec2:CreateTransitGatewayPeeringAttachment')).toEqual([
      attachments,
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718',
    ]);
    expect(resourcesOf(template, role, 'ec2:AcceptTransitGatewayPeeringAttachment')).toEqual([attachments]);
    expect(resourcesOf(template, role, 'ec2:CreateTransitGatewayRoute')).toEqual([
      attachments,
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway-route-table/tgw-rtb-0a000000000000001',
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway-route-table/tgw-rtb-0c000000000000003',
    ]);
    // The peering's association on this side: with its associationRouteTableId only.
    expect(resourcesOf(template, role, 'ec2:AssociateTransitGatewayRouteTable')).toEqual([
      attachments,
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway-route-table/tgw-rtb-0c000000000000003',
    ]);
    // A hub without peers gets none of it.
    const single = exampleHubTemplate();
    expect(
      actionsOfRole(single, 'spokelink-fn-reconcile').filter((a) => a.includes('Peering') || a.includes('Associate')),
    ).toEqual([]);
  });

  it('transit-gateway manages attachments and routing only on the configured TGW route tables', () => {
    const template = exampleHubTemplate();
    const role = 'spokelink-fn-transit-gateway';
    expect(resourcesOf(template, role, 'ec2:AssociateTransitGatewayRouteTable')).toEqual([
      'arn:aws:ec2:us-east-1:*:transit-gateway-attachment/*',
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway-route-table/tgw-rtb-0a000000000000001',
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway-route-table/tgw-rtb-0b000000000000002',
      'arn:aws:ec2:us-east-1:111111111111:transit-gateway-route-table/tgw-rtb-0c000000000000003',
    ]);
    for (const action of ['ec2:AcceptTransitGatewayVpcAttachment', 'ec2:DeleteTransitGatewayVpcAttachment']) {
      expect(resourcesOf(template, role, action)).toEqual(['arn:aws:ec2:us-east-1:*:transit-gateway-attachment/*']);
    }
    // No resource type: only "*" grants it (Service Authorization Reference, EC2).
    expect(resourcesOf(template, role, 'ec2:GetTransitGatewayAttachmentPropagations')).toEqual(['*']);
    expect(resourcesOf(template, role, 'ram:AssociateResourceShare')).toEqual([
      'arn:aws:ram:us-east-1:111111111111:resource-share/*',
    ]);
  });

  it('transit-gateway may only create resource shares of the hub transit gateway', () => {
    const template = exampleHubTemplate();
    const create = statementsOfRole(template, 'spokelink-fn-transit-gateway').find((s) =>
      s.actions.includes('ram:CreateResourceShare'),
    );
    expect(create?.actions).toEqual(['ram:CreateResourceShare']);
    expect(create?.condition).toEqual({
      StringEquals: {
        'ram:RequestedResourceType': 'ec2:TransitGateway',
        'ram:ResourceArn': 'arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718',
      },
    });
    const associate = statementsOfRole(template, 'spokelink-fn-transit-gateway').find((s) =>
      s.actions.includes('ram:AssociateResourceShare'),
    );
    expect(associate?.condition).toEqual({
      StringEqualsIfExists: {
        'ram:ResourceArn': 'arn:aws:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718',
      },
    });
  });

  it('routes works in the spoke account and writes its routes through to the registry record', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'routes')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'sts:AssumeRole']);
  });

  it('status works in the spoke account and only reads the lease from the registry', () => {
    const template = exampleHubTemplate();
    // UpdateItem: renews the writer's lease and reserves the status by execution start time.
    expect(fnActions(template, 'status')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'sts:AssumeRole']);
    expect(resourcesOf(template, 'spokelink-fn-status', 'dynamodb:GetItem')).toEqual([
      expect.stringMatching(/^<Registry\w+\.Arn>$/),
      expect.stringMatching(/^<Registry\w+\.Arn>\/index\/\*$/),
    ]);
  });

  it('zones manages authorizations on exactly the catalog hosted zones', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'zones')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'route53:CreateVPCAssociationAuthorization',
      'route53:DeleteVPCAssociationAuthorization',
      'route53:DisassociateVPCFromHostedZone',
      'route53:GetHostedZone',
      'route53:ListVPCAssociationAuthorizations',
      'sts:AssumeRole',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-zones', 'route53:DisassociateVPCFromHostedZone')).toEqual([
      'arn:aws:route53:::hostedzone/Z0SECRETS000000000001',
      'arn:aws:route53:::hostedzone/Z0SSM00000000000000001',
      'arn:aws:route53:::hostedzone/Z0STS00000000000000001',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-zones', 'route53:CreateVPCAssociationAuthorization')).toEqual([
      'arn:aws:route53:::hostedzone/Z0SECRETS000000000001',
      'arn:aws:route53:::hostedzone/Z0SSM00000000000000001',
      'arn:aws:route53:::hostedzone/Z0STS00000000000000001',
    ]);
  });

  it('consumer changes exactly the catalog security groups and the configured endpoint services, and asks the spoke which endpoints a VPC holds', () => {
    const template = exampleHubTemplate();
    const role = 'spokelink-fn-consumer';
    expect(resourcesOf(template, role, 'ec2:AuthorizeSecurityGroupIngress')).toEqual([
      'arn:aws:ec2:us-east-1:111111111111:security-group/sg-0e55e0000000000a1',
      'arn:aws:ec2:us-east-1:111111111111:security-group/sg-0e55e0000000000a2',
      'arn:aws:ec2:us-east-1:111111111111:security-group/sg-0e55e0000000000a3',
    ]);
    for (const action of [
      'ec2:ModifyVpcEndpointServicePermissions',
      'ec2:AcceptVpcEndpointConnections',
      'ec2:RejectVpcEndpointConnections',
    ]) {
      expect(resourcesOf(template, role, action)).toEqual([
        'arn:aws:ec2:us-east-1:111111111111:vpc-endpoint-service/vpce-svc-0d000000000000001',
      ]);
    }
    expect(fnActions(template, 'consumer')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'ec2:AcceptVpcEndpointConnections',
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:DescribeSecurityGroupRules',
      'ec2:DescribeVpcEndpointConnections',
      'ec2:DescribeVpcEndpointServicePermissions',
      'ec2:ModifyVpcEndpointServicePermissions',
      'ec2:RejectVpcEndpointConnections',
      'ec2:RevokeSecurityGroupIngress',
      'sts:AssumeRole',
    ]);
  });

  it('consumer has no endpoint-service statement when none is configured', () => {
    const template = Template.fromStack(newHubStack({ config: exampleConfig({ endpointServices: {} }) }));
    expect(fnActions(template, 'consumer')).not.toContain('ec2:ModifyVpcEndpointServicePermissions');
    expect(fnActions(template, 'consumer')).not.toContain('ec2:RejectVpcEndpointConnections');
  });

  it('reconcile scans the registry, walks the spoke OUs and reads spoke VPCs and hub drift; it starts nothing itself', () => {
    const template = exampleHubTemplate();
    // PutItem: the configuration rollout's progress (ROLLOUT / CONFIG); sns:Publish (and the topic key): a rollout
    // stopped above its failure threshold is reported on the failure topic.
    expect(fnActions(template, 'reconcile')).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Scan',
      'ec2:DescribeSecurityGroupRules',
      'ec2:DescribeTransitGatewayAttachments',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'organizations:ListAccountsForParent',
      'organizations:ListOrganizationalUnitsForParent',
      'sns:Publish',
      'sts:AssumeRole',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-reconcile', 'organizations:ListAccountsForParent')).toEqual([
      'arn:aws:organizations::*:ou/o-exampleorg1/*',
      'arn:aws:organizations::*:root/o-exampleorg1/*',
    ]);
  });

  it('rollback (which also plans the offboarding) reads the VPC through the spoke role and its registry record', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'rollback')).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'sts:AssumeRole']);
  });

  it('approval publishes to the approval topic, stores tokens in the registry and withdraws a request', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'approval')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:GenerateDataKey*',
      'sns:Publish',
      'states:SendTaskFailure',
    ]);
    expect(resourcesOf(template, 'spokelink-fn-approval', 'sns:Publish')).toEqual([
      expect.stringMatching(/^<ApprovalTopic\w+>$/),
    ]);
  });

  it('decision answers tasks and reads and deletes the pending approval, nothing else; its URL needs IAM auth', () => {
    const template = exampleHubTemplate();
    expect(fnActions(template, 'decision')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'states:SendTaskFailure',
      'states:SendTaskSuccess',
    ]);
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    expect(Object.keys(template.findResources('AWS::Lambda::Url'))).toHaveLength(1);
    template.hasOutput('DecisionUrl', {});
  });

  it('writes each function log to its own log group only', () => {
    const template = exampleHubTemplate();
    for (const name of Object.keys(FUNCTION_SPECS)) {
      const resources = resourcesOf(template, `spokelink-fn-${name}`, 'logs:PutLogEvents');
      expect(resources).toHaveLength(1);
      expect(resources[0]).toMatch(/^<\w+StepLogs\w+\.Arn>$/);
    }
  });
});

describe('Permissions: resource policies', () => {
  it('allow no wildcard action, except the key policy statement that delegates the key to IAM', () => {
    const template = exampleHubTemplate();
    const documents: [string, { Statement: { Effect: string; Action: string | string[]; Principal?: unknown }[] }][] =
      [];
    for (const type of ['AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy']) {
      for (const [id, r] of Object.entries(template.findResources(type)))
        documents.push([id, r.Properties.PolicyDocument]);
    }
    for (const [id, r] of Object.entries(template.findResources('AWS::Events::EventBusPolicy'))) {
      documents.push([id, { Statement: [r.Properties.Statement] }]);
    }
    for (const [id, r] of Object.entries(template.findResources('AWS::KMS::Key')))
      documents.push([id, r.Properties.KeyPolicy]);
    expect(documents.length).toBeGreaterThan(5);
    for (const [id, document] of documents) {
      for (const statement of document.Statement) {
        if (statement.Effect !== 'Allow') continue; // denies (TLS-only guards) may be broad
        const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
        const delegatesKeyToAccount =
          id.startsWith('NotificationsKey') &&
          JSON.stringify(statement.Principal).includes(':iam::111111111111:root') &&
          actions.join() === 'kms:*';
        if (delegatesKeyToAccount) continue;
        for (const action of actions) expect(action).not.toMatch(/(^|:)\*$/);
      }
    }
  });
});
