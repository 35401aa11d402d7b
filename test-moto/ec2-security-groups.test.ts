import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
  UpdateSecurityGroupRuleDescriptionsIngressCommand,
} from '@aws-sdk/client-ec2';
import { type KnownDifference, stepOf } from './harness/compare';
import { expectOnlyKnownDifferences, tagMap, tagSpec, useMoto } from './harness/suite';

const moto = useMoto();

const https = (cidr: string, description?: string): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: 443,
  ToPort: 443,
  IpRanges: [{ CidrIp: cidr, ...(description === undefined ? {} : { Description: description }) }],
});

const ruleView = (r: SecurityGroupRule) => ({
  SecurityGroupRuleId: r.SecurityGroupRuleId,
  GroupId: r.GroupId,
  IsEgress: r.IsEgress,
  IpProtocol: r.IpProtocol,
  FromPort: r.FromPort,
  ToPort: r.ToPort,
  CidrIpv4: r.CidrIpv4,
  Description: r.Description,
});

const byRule = (a: { IsEgress?: boolean; CidrIpv4?: string }, b: { IsEgress?: boolean; CidrIpv4?: string }) =>
  `${a.IsEgress}${a.CidrIpv4}`.localeCompare(`${b.IsEgress}${b.CidrIpv4}`);

describe('Twin vs moto: security groups', () => {
  it('creates a group, authorizes with a description, refuses a duplicate and lists rules', async () => {
    const known: KnownDifference[] = [
      {
        step: 'CreateSecurityGroup',
        why: 'The CreateSecurityGroup response carries the tags assigned at creation (`tagSet`); moto answers without them (its later Describe shows them).',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html',
      },
      {
        step: 'DescribeSecurityGroups by id',
        why: 'A request with a duplicate rule fails with InvalidPermission.Duplicate ("Returns true if the request succeeds; otherwise, returns an error"); the twin applies nothing of a failed request. moto adds the non-duplicate rule of that request before raising. AWS documents no partial effect.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html',
      },
      {
        step: 'DescribeSecurityGroupRules by group-id',
        why: 'Same cause: moto kept 10.2.0.0/16 from the failed request.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }));
        const vpcId = vpc.Vpc?.VpcId ?? 'vpc-missing';
        const created = await trace.step(
          'CreateSecurityGroup',
          () =>
            ec2.send(
              new CreateSecurityGroupCommand({
                VpcId: vpcId,
                GroupName: 'ssm-endpoint',
                Description: 'ssm endpoint',
                TagSpecifications: tagSpec('security-group', { Name: 'ssm' }),
              }),
            ),
          (o) => ({ GroupId: o.GroupId, Tags: tagMap(o.Tags) }),
        );
        const groupId = created?.GroupId ?? 'sg-missing';
        await trace.step('CreateSecurityGroup same name in the VPC', () =>
          ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'ssm-endpoint', Description: 'x' })),
        );
        await trace.step(
          'AuthorizeSecurityGroupIngress with description',
          () =>
            ec2.send(
              new AuthorizeSecurityGroupIngressCommand({
                GroupId: groupId,
                IpPermissions: [https('10.1.0.0/16', 'spoke vpc-a')],
              }),
            ),
          (o) => ({ Return: o.Return, Rules: (o.SecurityGroupRules ?? []).map(ruleView) }),
        );
        await trace.step('AuthorizeSecurityGroupIngress duplicate with another description', () =>
          ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId: groupId,
              IpPermissions: [https('10.1.0.0/16', 'another description')],
            }),
          ),
        );
        await trace.step('AuthorizeSecurityGroupIngress new rule and a duplicate in one request', () =>
          ec2.send(
            new AuthorizeSecurityGroupIngressCommand({
              GroupId: groupId,
              IpPermissions: [https('10.2.0.0/16'), https('10.1.0.0/16')],
            }),
          ),
        );
        await trace.step(
          'DescribeSecurityGroups by id',
          () => ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [groupId] })),
          (o) =>
            (o.SecurityGroups ?? []).map((g) => ({
              GroupId: g.GroupId,
              GroupName: g.GroupName,
              Description: g.Description,
              VpcId: g.VpcId,
              IpPermissions: g.IpPermissions?.map((p) => ({
                IpProtocol: p.IpProtocol,
                FromPort: p.FromPort,
                ToPort: p.ToPort,
                IpRanges: p.IpRanges,
              })),
              IpPermissionsEgress: g.IpPermissionsEgress?.map((p) => ({
                IpProtocol: p.IpProtocol,
                IpRanges: p.IpRanges,
              })),
              Tags: tagMap(g.Tags),
            })),
        );
        await trace.step(
          'DescribeSecurityGroups by vpc-id and group-name',
          () =>
            ec2.send(
              new DescribeSecurityGroupsCommand({
                Filters: [
                  { Name: 'vpc-id', Values: [vpcId] },
                  { Name: 'group-name', Values: ['ssm-endpoint'] },
                ],
              }),
            ),
          (o) => (o.SecurityGroups ?? []).map((g) => g.GroupId),
        );
        await trace.step(
          'DescribeSecurityGroupRules by group-id',
          () => ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })),
          (o) => (o.SecurityGroupRules ?? []).map(ruleView).sort(byRule),
        );
        await trace.step('DescribeSecurityGroups unknown id', () =>
          ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0aaaaaaaaaaaaaaaa'] })),
        );
      },
      known,
    );
    expect(stepOf(twin, 'CreateSecurityGroup')?.result).toEqual({ GroupId: 'sg-#1', Tags: { Name: 'ssm' } });
    expect(stepOf(twin, 'AuthorizeSecurityGroupIngress new rule and a duplicate in one request')?.error).toBe(
      'InvalidPermission.Duplicate',
    );
    expect(stepOf(twin, 'DescribeSecurityGroups by id')?.result).toEqual([
      expect.objectContaining({
        IpPermissions: [
          {
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            IpRanges: [{ CidrIp: '10.1.0.0/16', Description: 'spoke vpc-a' }],
          },
        ],
      }),
    ]);
    expect(stepOf(twin, 'DescribeSecurityGroupRules by group-id')?.result).toEqual([
      expect.objectContaining({ IsEgress: false, CidrIpv4: '10.1.0.0/16', Description: 'spoke vpc-a' }),
      expect.objectContaining({ IsEgress: true, CidrIpv4: '0.0.0.0/0' }),
    ]);
  });

  it('revokes by rule id and by IpPermissions, and answers a missing rule', async () => {
    const known: KnownDifference[] = [
      {
        step: 'RevokeSecurityGroupIngress by rule id',
        why: 'SecurityGroupRuleIds names the rules to revoke; the twin revokes the rule. moto 5.2.1 ignores SecurityGroupRuleIds and answers InvalidPermission.NotFound.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html',
      },
      {
        step: 'RevokeSecurityGroupIngress by a rule id already revoked',
        why: 'An unknown rule id is InvalidSecurityGroupRuleId.NotFound ("The specified security group rule does not exist"); moto answers InvalidPermission.NotFound for any revoke by id.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html',
      },
      {
        step: 'DescribeSecurityGroupRules after revokes',
        why: 'Consequence of the first step: moto did not revoke the rule named by id.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.61.0.0/16' }));
        const group = await ec2.send(
          new CreateSecurityGroupCommand({ VpcId: vpc.Vpc?.VpcId, GroupName: 'svc', Description: 'svc' }),
        );
        const groupId = group.GroupId ?? 'sg-missing';
        const authorized = await ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: groupId,
            IpPermissions: [https('10.1.0.0/16', 'a'), https('10.2.0.0/16', 'b')],
          }),
        );
        const ruleA = authorized.SecurityGroupRules?.find((r) => r.CidrIpv4 === '10.1.0.0/16')?.SecurityGroupRuleId;
        await trace.step(
          'RevokeSecurityGroupIngress by rule id',
          () =>
            ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleA ?? ''] })),
          (o) => ({ Return: o.Return, Unknown: o.UnknownIpPermissions ?? [] }),
        );
        await trace.step('RevokeSecurityGroupIngress by a rule id already revoked', () =>
          ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleA ?? ''] })),
        );
        await trace.step(
          'RevokeSecurityGroupIngress by IpPermissions',
          () =>
            ec2.send(
              new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [https('10.2.0.0/16')] }),
            ),
          (o) => ({ Return: o.Return, Unknown: o.UnknownIpPermissions ?? [] }),
        );
        await trace.step(
          'RevokeSecurityGroupIngress of a rule that does not exist',
          () =>
            ec2.send(
              new RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [https('10.9.0.0/16')] }),
            ),
          (o) => ({ Return: o.Return, Unknown: o.UnknownIpPermissions ?? [] }),
        );
        await trace.step(
          'DescribeSecurityGroupRules after revokes',
          () => ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] })),
          (o) => (o.SecurityGroupRules ?? []).map(ruleView).sort(byRule),
        );
      },
      known,
    );
    expect(stepOf(twin, 'RevokeSecurityGroupIngress by rule id')?.result).toEqual({ Return: true, Unknown: [] });
    expect(stepOf(twin, 'RevokeSecurityGroupIngress by a rule id already revoked')?.error).toBe(
      'InvalidSecurityGroupRuleId.NotFound',
    );
    // Non-default VPC: a rule that does not exist fails the request and nothing is revoked (same on both).
    expect(stepOf(twin, 'RevokeSecurityGroupIngress of a rule that does not exist')?.error).toBe(
      'InvalidPermission.NotFound',
    );
    expect(stepOf(twin, 'DescribeSecurityGroupRules after revokes')?.result).toEqual([
      expect.objectContaining({ IsEgress: true, CidrIpv4: '0.0.0.0/0' }),
    ]);
  });

  it('updates a rule description by IpPermissions and by rule id', async () => {
    const doc =
      'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UpdateSecurityGroupRuleDescriptionsIngress.html';
    const known: KnownDifference[] = [
      {
        step: 'UpdateSecurityGroupRuleDescriptionsIngress by IpPermissions',
        why: 'The response carries `return` ("Returns true if the request succeeds"); moto answers an empty response.',
        awsDoc: doc,
      },
      {
        step: 'UpdateSecurityGroupRuleDescriptionsIngress by rule id',
        why: 'Same: moto answers no `return`.',
        awsDoc: doc,
      },
      {
        step: 'DescribeSecurityGroupRules by rule id again',
        why: 'SecurityGroupRuleDescriptions updates the description of the rule named by id; moto ignores it and keeps the old description.',
        awsDoc: doc,
      },
      {
        step: 'UpdateSecurityGroupRuleDescriptionsIngress of a missing rule',
        why: 'The operation updates the description of an existing rule; for a rule the group does not have the twin answers InvalidPermission.NotFound ("The specified rule does not exist in this security group"), moto succeeds doing nothing.',
        awsDoc: 'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html',
      },
    ];
    const { twin } = await expectOnlyKnownDifferences(
      moto(),
      async ({ ec2 }, trace) => {
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.62.0.0/16' }));
        const group = await ec2.send(
          new CreateSecurityGroupCommand({ VpcId: vpc.Vpc?.VpcId, GroupName: 'svc', Description: 'svc' }),
        );
        const groupId = group.GroupId ?? 'sg-missing';
        const authorized = await ec2.send(
          new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: [https('10.1.0.0/16', 'old')] }),
        );
        const ruleId = authorized.SecurityGroupRules?.[0]?.SecurityGroupRuleId ?? 'sgr-missing';
        await trace.step(
          'UpdateSecurityGroupRuleDescriptionsIngress by IpPermissions',
          () =>
            ec2.send(
              new UpdateSecurityGroupRuleDescriptionsIngressCommand({
                GroupId: groupId,
                IpPermissions: [https('10.1.0.0/16', 'new')],
              }),
            ),
          (o) => o.Return,
        );
        await trace.step(
          'DescribeSecurityGroupRules by rule id',
          () => ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] })),
          (o) => (o.SecurityGroupRules ?? []).map(ruleView),
        );
        await trace.step(
          'UpdateSecurityGroupRuleDescriptionsIngress by rule id',
          () =>
            ec2.send(
              new UpdateSecurityGroupRuleDescriptionsIngressCommand({
                GroupId: groupId,
                SecurityGroupRuleDescriptions: [{ SecurityGroupRuleId: ruleId, Description: 'newer' }],
              }),
            ),
          (o) => o.Return,
        );
        await trace.step(
          'DescribeSecurityGroupRules by rule id again',
          () => ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [ruleId] })),
          (o) => (o.SecurityGroupRules ?? []).map(ruleView),
        );
        await trace.step('UpdateSecurityGroupRuleDescriptionsIngress of a missing rule', () =>
          ec2.send(
            new UpdateSecurityGroupRuleDescriptionsIngressCommand({
              GroupId: groupId,
              IpPermissions: [https('10.9.0.0/16', 'x')],
            }),
          ),
        );
      },
      known,
    );
    expect(stepOf(twin, 'UpdateSecurityGroupRuleDescriptionsIngress by IpPermissions')?.result).toBe(true);
    expect(stepOf(twin, 'UpdateSecurityGroupRuleDescriptionsIngress by rule id')?.result).toBe(true);
    expect(stepOf(twin, 'DescribeSecurityGroupRules by rule id again')?.result).toEqual([
      expect.objectContaining({ SecurityGroupRuleId: 'sgr-#1', Description: 'newer' }),
    ]);
    expect(stepOf(twin, 'UpdateSecurityGroupRuleDescriptionsIngress of a missing rule')?.error).toBe(
      'InvalidPermission.NotFound',
    );
  });
});
