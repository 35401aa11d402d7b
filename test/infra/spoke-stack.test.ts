import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfigFile, parseConfig } from '#shared/config';
import { STATUS_TAG_KEYS } from '#shared/tags';
import { exampleConfig, exampleSpokeTemplate, newSpokeStack, resourcesOf, statementsOfRole } from './helpers';

const HUB_BUS_ARN = 'arn:aws:events:us-east-1:111111111111:event-bus/spokelink-hub';

describe('Spoke stack: execution role', () => {
  // Function names are pinned here (a later issue renames them): the trust names each role, no wildcard.
  it('is trusted only by the exact roles of the hub steps that change spoke networks, with the external id', () => {
    const template = exampleSpokeTemplate();
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'spokelink-spoke',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } },
            Condition: {
              StringEquals: { 'sts:ExternalId': 'spokelink-example-external-id' },
              ArnEquals: {
                'aws:PrincipalArn': [
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-routes'],
                    ],
                  },
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-status'],
                    ],
                  },
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-transit-gateway'],
                    ],
                  },
                  {
                    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-zones']],
                  },
                ],
              },
            },
          },
        ],
      },
    });
  });

  it('has a read-only sibling trusted only by the exact roles of the read-only steps', () => {
    const template = exampleSpokeTemplate();
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'spokelink-spoke-read',
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } },
            Condition: {
              StringEquals: { 'sts:ExternalId': 'spokelink-example-external-id' },
              ArnEquals: {
                'aws:PrincipalArn': [
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-consumer'],
                    ],
                  },
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-reconcile'],
                    ],
                  },
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-rollback'],
                    ],
                  },
                  {
                    'Fn::Join': [
                      '',
                      ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:role/spokelink-fn-validate'],
                    ],
                  },
                ],
              },
            },
          },
        ],
      },
    });
    const actions = [...new Set(statementsOfRole(template, 'spokelink-spoke-read').flatMap((s) => s.actions))].sort();
    expect(actions).toEqual([
      'ec2:DescribeRouteTables',
      'ec2:DescribeSubnets',
      'ec2:DescribeTransitGatewayAttachments',
      'ec2:DescribeTransitGatewayVpcAttachments',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeVpcEndpoints',
      'ec2:DescribeVpcs',
      'route53:ListHostedZonesByVPC',
    ]);
  });

  it('takes its name and external id from the configuration', () => {
    const config = exampleConfig({ spokeRole: { name: 'net-hub-access', externalId: 'another-external-id' } });
    const template = Template.fromStack(newSpokeStack(config));
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'net-hub-access',
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: Match.objectLike({ StringEquals: { 'sts:ExternalId': 'another-external-id' } }),
          }),
        ],
      },
    });
  });

  it('writes only the spokelink status tag keys on VPCs, and never deletes tags without naming them', () => {
    const template = exampleSpokeTemplate();
    const tagging = statementsOfRole(template, 'spokelink-spoke').filter((s) => s.actions.includes('ec2:DeleteTags'));
    expect(tagging).toHaveLength(1);
    expect(tagging[0]).toMatchObject({
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: ['arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:vpc/*'],
      condition: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': [...STATUS_TAG_KEYS] },
        Null: { 'aws:TagKeys': 'false' },
      },
    });
  });

  it('tags attachments while creating them, and existing ones only with the Name and spokelink:vpc keys', () => {
    const template = exampleSpokeTemplate();
    const onAttachments = statementsOfRole(template, 'spokelink-spoke').filter(
      (s) =>
        s.actions.includes('ec2:CreateTags') &&
        !s.actions.includes('ec2:DeleteTags') &&
        s.resources.some((r: string) => r.includes(':transit-gateway-attachment/')),
    );
    const attachments = ['arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:transit-gateway-attachment/*'];
    expect(onAttachments).toEqual([
      expect.objectContaining({
        resources: attachments,
        condition: { StringEquals: { 'ec2:CreateAction': 'CreateTransitGatewayVpcAttachment' } },
      }),
      expect.objectContaining({
        resources: attachments,
        condition: {
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['Name', 'spokelink:vpc'] },
          Null: { 'aws:TagKeys': 'false' },
        },
      }),
    ]);
  });

  it('creates attachments only to the hub transit gateway, from its own VPCs and subnets', () => {
    const template = exampleSpokeTemplate();
    expect(resourcesOf(template, 'spokelink-spoke', 'ec2:CreateTransitGatewayVpcAttachment')).toEqual([
      'arn:<AWS::Partition>:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718',
      'arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:subnet/*',
      'arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:transit-gateway-attachment/*',
      'arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:vpc/*',
    ]);
  });

  it('allows exactly the spoke-side calls of the workflow', () => {
    const template = exampleSpokeTemplate();
    const actions = [...new Set(statementsOfRole(template, 'spokelink-spoke').flatMap((s) => s.actions))].sort();
    expect(actions).toEqual([
      // Spoke placement (the example catalog places sts `either`): the local endpoints and their groups.
      'ec2:AuthorizeSecurityGroupIngress',
      'ec2:CreateRoute',
      'ec2:CreateSecurityGroup',
      'ec2:CreateTags',
      'ec2:CreateTransitGatewayVpcAttachment',
      'ec2:CreateVpcEndpoint',
      'ec2:DeleteRoute',
      'ec2:DeleteSecurityGroup',
      'ec2:DeleteTags',
      'ec2:DeleteVpcEndpoints',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSubnets',
      'ec2:DescribeTransitGatewayAttachments',
      'ec2:DescribeTransitGatewayVpcAttachments',
      'ec2:DescribeVpcAttribute',
      'ec2:DescribeVpcEndpoints',
      'ec2:DescribeVpcs',
      // A reused attachment of a dual-stack VPC gets IPv6 support.
      'ec2:ModifyTransitGatewayVpcAttachment',
      // A move between hub and spoke: private DNS on or off on spokelink's own endpoint.
      'ec2:ModifyVpcEndpoint',
      'ram:AcceptResourceShareInvitation',
      'ram:GetResourceShareInvitations',
      'route53:AssociateVPCWithHostedZone',
      'route53:DisassociateVPCFromHostedZone',
      'route53:GetChange',
      'route53:ListHostedZonesByVPC',
      // Both modes: a hub switched back to zones removes the Profile associations it made.
      'route53profiles:DisassociateProfile',
    ]);
  });

  it('lets the spoke role make interface endpoints only for placeable catalog services, tagged, and delete only tagged ones', () => {
    const template = exampleSpokeTemplate();
    const statements = statementsOfRole(template, 'spokelink-spoke');
    const create = statements.find((s) => s.sid === 'CreateSpokeEndpointsForCatalogServices');
    expect(create).toMatchObject({
      actions: ['ec2:CreateVpcEndpoint'],
      condition: {
        StringEquals: {
          'ec2:VpceServiceName': ['com.amazonaws.us-east-1.sts'],
          'aws:RequestTag/spokelink:managed': 'true',
        },
      },
    });
    expect(statements.find((s) => s.sid === 'DeleteOwnSpokeEndpoints')).toMatchObject({
      actions: ['ec2:DeleteVpcEndpoints'],
      condition: {
        StringEquals: {
          'ec2:ResourceTag/spokelink:managed': 'true',
          'ec2:VpceServiceName': ['com.amazonaws.us-east-1.sts'],
        },
      },
    });
    // Moves toggle private DNS only on spokelink-tagged endpoints.
    expect(statements.find((s) => s.sid === 'TogglePrivateDnsOfOwnSpokeEndpoints')).toMatchObject({
      actions: ['ec2:ModifyVpcEndpoint'],
      condition: { StringEquals: { 'ec2:ResourceTag/spokelink:managed': 'true' } },
    });
    expect(statements.find((s) => s.sid === 'ManageOwnSpokeEndpointGroups')?.condition).toEqual({
      StringEquals: { 'ec2:ResourceTag/spokelink:managed': 'true' },
    });
  });

  it('in DNS mode profile, adds AssociateProfile and reading the VPC’s own Profile associations, and nothing else', () => {
    const raw = JSON.parse(JSON.stringify(exampleConfig())) as Record<string, unknown>;
    const config = parseConfig({ ...raw, dns: { mode: 'profile' } }, 'profile mode');
    const template = Template.fromStack(newSpokeStack(config));
    const zonesMode = new Set(statementsOfRole(exampleSpokeTemplate(), 'spokelink-spoke').flatMap((s) => s.actions));
    const added = [...new Set(statementsOfRole(template, 'spokelink-spoke').flatMap((s) => s.actions))]
      .filter((a) => !zonesMode.has(a))
      .sort();
    expect(added).toEqual([
      'route53profiles:AssociateProfile',
      'route53profiles:GetProfileAssociation',
      'route53profiles:ListProfileAssociations',
    ]);
    const read = [...new Set(statementsOfRole(template, 'spokelink-spoke-read').flatMap((s) => s.actions))];
    expect(read.filter((a) => a.startsWith('route53profiles:')).sort()).toEqual([
      'route53profiles:GetProfileAssociation',
      'route53profiles:ListProfileAssociations',
    ]);
  });

  it("associates only the catalog hosted zones and accepts only the invitations to the hub's TGW and Profile shares", () => {
    const template = exampleSpokeTemplate();
    expect(resourcesOf(template, 'spokelink-spoke', 'route53:AssociateVPCWithHostedZone')).toEqual([
      'arn:<AWS::Partition>:route53:::hostedzone/Z0SECRETS000000000001',
      'arn:<AWS::Partition>:route53:::hostedzone/Z0SSM00000000000000001',
      'arn:<AWS::Partition>:route53:::hostedzone/Z0STS00000000000000001',
    ]);
    const accept = statementsOfRole(template, 'spokelink-spoke').find((s) =>
      s.actions.includes('ram:AcceptResourceShareInvitation'),
    );
    expect(accept?.condition).toEqual({
      StringEquals: {
        'ram:ShareOwnerAccountId': '111111111111',
        'ram:ResourceShareName': ['spokelink-tgw', 'spokelink-profile'],
      },
    });
  });

  it("covers the hub's region in its resource ARNs (the only region a configuration may serve)", () => {
    const template = Template.fromStack(newSpokeStack(exampleConfig({ regions: ['us-east-1'] })));
    expect(resourcesOf(template, 'spokelink-spoke', 'ec2:CreateRoute')).toEqual([
      'arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:route-table/*',
    ]);
  });

  it('is created in the hub region only, since IAM roles are global and the StackSet deploys per region', () => {
    const template = exampleSpokeTemplate();
    template.hasCondition('IsRoleRegion', { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    template.hasResource('AWS::IAM::Role', { Condition: 'IsRoleRegion', Properties: { RoleName: 'spokelink-spoke' } });
  });
});

describe('Spoke stack: event forwarding', () => {
  it('forwards to the hub bus with a role allowed only events:PutEvents on that bus', () => {
    const template = exampleSpokeTemplate();
    const rules = template.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(2);
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          Arn: HUB_BUS_ARN,
          RoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^ForwardingRole/), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/^ForwardingDlq/), 'Arn'] } },
        }),
      ]);
    }
    const forwardingRole = Object.entries(template.findResources('AWS::IAM::Role')).find(([id]) =>
      id.startsWith('ForwardingRole'),
    )!;
    expect(forwardingRole[1].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === forwardingRole[0]),
    );
    expect(policies.flatMap((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: HUB_BUS_ARN },
    ]);
  });

  it("with several served regions, forwards each region's events to that region's hub bus, and keeps one role", () => {
    const config = loadConfigFile(join(__dirname, '..', '..', 'config', 'example-two-regions.hub.json'));
    const template = Template.fromStack(newSpokeStack(config));
    const regionalBus = {
      'Fn::Join': ['', ['arn:aws:events:', { Ref: 'AWS::Region' }, ':111111111111:event-bus/spokelink-hub']],
    };
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: regionalBus })]);
    }
    // IAM is global: the spoke role is created once, in the first served region.
    template.hasCondition('IsRoleRegion', { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    template.hasResource('AWS::IAM::Role', { Condition: 'IsRoleRegion', Properties: { RoleName: 'spokelink-spoke' } });
    // It may work on the VPCs of every served region.
    expect(resourcesOf(template, 'spokelink-spoke', 'ec2:CreateRoute')).toEqual([
      'arn:<AWS::Partition>:ec2:eu-west-1:<AWS::AccountId>:route-table/*',
      'arn:<AWS::Partition>:ec2:us-east-1:<AWS::AccountId>:route-table/*',
    ]);
  });

  it("with several served regions, grants what each region's hub does in its region: its TGW, zones and shares", () => {
    const config = loadConfigFile(join(__dirname, '..', '..', 'config', 'example-two-regions.hub.json'));
    const template = Template.fromStack(newSpokeStack(config));
    // Attachments to each regional hub's TGW (and to no other TGW).
    expect(
      resourcesOf(template, 'spokelink-spoke', 'ec2:CreateTransitGatewayVpcAttachment').filter((r) =>
        r.includes(':transit-gateway/'),
      ),
    ).toEqual([
      'arn:<AWS::Partition>:ec2:eu-west-1:111111111111:transit-gateway/tgw-0e1b2c3d4e5f60719',
      'arn:<AWS::Partition>:ec2:us-east-1:111111111111:transit-gateway/tgw-0a1b2c3d4e5f60718',
    ]);
    // The zones of every region's catalog: eu-west-1's own ssm zone too, and us-east-1's cross-region ledger's.
    expect(resourcesOf(template, 'spokelink-spoke', 'route53:AssociateVPCWithHostedZone')).toEqual([
      'arn:<AWS::Partition>:route53:::hostedzone/Z0LEDGER000000000001',
      'arn:<AWS::Partition>:route53:::hostedzone/Z0SECRETS000000000001',
      'arn:<AWS::Partition>:route53:::hostedzone/Z0SSM00000000000000001',
      'arn:<AWS::Partition>:route53:::hostedzone/Z0SSMEU0000000000001',
      'arn:<AWS::Partition>:route53:::hostedzone/Z0STS00000000000000001',
    ]);
    // The RAM invitations of each regional hub's shares, in its region.
    expect(resourcesOf(template, 'spokelink-spoke', 'ram:AcceptResourceShareInvitation')).toEqual([
      'arn:<AWS::Partition>:ram:eu-west-1:*:resource-share-invitation/*',
      'arn:<AWS::Partition>:ram:us-east-1:*:resource-share-invitation/*',
    ]);
  });

  it('is account- and region-agnostic and needs no CDK bootstrap', () => {
    const stack = newSpokeStack();
    const text = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(stack.account).toMatch(/^\$\{Token/);
    expect(stack.region).toMatch(/^\$\{Token/);
    expect(text).not.toContain('BootstrapVersion');
    expect(text).not.toContain('AWS::CDK::Metadata');
    // The only literal accounts are the hub's (trust, TGW, bus, invitations).
    expect(new Set(text.match(/(?<=[:"])\d{12}(?=[:"])/g))).toEqual(new Set(['111111111111']));
  });
});
