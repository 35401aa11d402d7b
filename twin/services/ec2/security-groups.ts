import type {
  AuthorizeSecurityGroupIngressRequest,
  CreateSecurityGroupRequest,
  DeleteSecurityGroupRequest,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupsRequest,
  IpPermission,
  RevokeSecurityGroupIngressRequest,
  SecurityGroupRule as SdkRule,
  SecurityGroup as SdkSecurityGroup,
  UpdateSecurityGroupRuleDescriptionsIngressRequest,
} from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { CallContext, OperationHandler } from '../../types';
import {
  applyFilters,
  canonicalCidr,
  canonicalIpv6Cidr,
  creationTags,
  ec2State,
  emitCreationTags,
  err,
  isIpv6Cidr,
  notFound,
  owned,
  ownedList,
  paginate,
  putResource,
  quotas,
  removeResource,
  requireParam,
  type SecurityGroup,
  type SecurityGroupRule,
  selectIds,
  stateAt,
  tagList,
} from './model';

type RuleKey = Pick<SecurityGroupRule, 'protocol' | 'fromPort' | 'toPort' | 'cidr'>;

const PROTOCOL_NUMBERS: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', all: '-1' };

function sameRule(a: RuleKey, b: RuleKey): boolean {
  return a.protocol === b.protocol && a.fromPort === b.fromPort && a.toPort === b.toPort && a.cidr === b.cidr;
}

function describeRule(r: RuleKey): string {
  return `peer: ${r.cidr}, ${r.protocol === '-1' ? 'ALL' : r.protocol.toUpperCase()}, from port: ${r.fromPort}, to port: ${r.toPort}, ALLOW`;
}

/** Description characters EC2 allows (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html). */
function validDescription(description: string | undefined): string | undefined {
  if (description === undefined) return undefined;
  if (description.length > 255 || !/^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/.test(description)) {
    throw errors.invalidParameter(
      `Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*`,
    );
  }
  return description;
}

/** Expands IpPermissions into one rule per CIDR, validated as EC2 validates them. */
function rulesOf(permissions: IpPermission[] | undefined): (RuleKey & { description?: string })[] {
  const out: (RuleKey & { description?: string })[] = [];
  for (const p of permissions ?? []) {
    const raw = (requireParam(p.IpProtocol, 'IpPermissions.IpProtocol') ?? '').toLowerCase();
    const protocol = PROTOCOL_NUMBERS[raw] ?? raw;
    if (!['tcp', 'udp', 'icmp', '-1'].includes(protocol)) {
      throw new Error(`twin: security group protocol ${raw} is not modeled`);
    }
    let fromPort = p.FromPort ?? -1;
    let toPort = p.ToPort ?? -1;
    if (protocol === '-1') {
      fromPort = -1;
      toPort = -1;
    } else if (protocol !== 'icmp') {
      if (p.FromPort === undefined || p.ToPort === undefined) {
        throw errors.invalidParameter(
          `Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange`,
        );
      }
      if (fromPort < 0 || toPort > 65535 || fromPort > toPort) {
        throw errors.invalidParameter(`Invalid port range ${fromPort}-${toPort}`);
      }
    }
    if ((p.UserIdGroupPairs?.length ?? 0) > 0 || (p.PrefixListIds?.length ?? 0) > 0) {
      throw new Error('twin: security group rules referencing groups or prefix lists are not modeled');
    }
    for (const range of p.IpRanges ?? []) {
      const cidr = requireParam(range.CidrIp, 'IpRanges.CidrIp');
      if (canonicalCidr(cidr) !== cidr) {
        throw errors.invalidParameter(`CIDR block ${cidr} is malformed`);
      }
      out.push({ protocol, fromPort, toPort, cidr, description: validDescription(range.Description) });
    }
    // IPv6 ranges (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Ipv6Range.html). Twin's choice: only
    // the canonical form (lower case, zeros compressed, host bits cleared) is accepted, as for IPv4 above.
    for (const range of p.Ipv6Ranges ?? []) {
      const cidr = requireParam(range.CidrIpv6, 'Ipv6Ranges.CidrIpv6');
      if (canonicalIpv6Cidr(cidr) !== cidr) {
        throw errors.invalidParameter(`CIDR block ${cidr} is malformed`);
      }
      out.push({ protocol, fromPort, toPort, cidr, description: validDescription(range.Description) });
    }
  }
  return out;
}

function group(ctx: CallContext, groupId: string | undefined): SecurityGroup {
  // Only the owner sees a security group: any other account gets InvalidGroup.NotFound.
  return owned(ctx, 'securityGroups', groupId, 'GroupId');
}

/** `CidrIpv4` or `CidrIpv6`, as the rule's family. */
const cidrField = (cidr: string) => (isIpv6Cidr(cidr) ? { CidrIpv6: cidr } : { CidrIpv4: cidr });

function ruleView(g: SecurityGroup, r: SecurityGroupRule): SdkRule {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: g.id,
    GroupOwnerId: g.ownerId,
    IsEgress: r.isEgress,
    IpProtocol: r.protocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    ...cidrField(r.cidr),
    ...(r.description !== undefined ? { Description: r.description } : {}),
    SecurityGroupRuleArn: `arn:aws:ec2:${g.region}:${g.ownerId}:security-group-rule/${r.id}`,
    Tags: [],
  };
}

function permissionsView(rules: SecurityGroupRule[]): IpPermission[] {
  const out: IpPermission[] = [];
  for (const r of rules) {
    let p = out.find((x) => x.IpProtocol === r.protocol && x.FromPort === r.fromPort && x.ToPort === r.toPort);
    if (!p) {
      p = {
        IpProtocol: r.protocol,
        ...(r.protocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
        UserIdGroupPairs: [],
      };
      out.push(p);
    }
    const description = r.description !== undefined ? { Description: r.description } : {};
    if (isIpv6Cidr(r.cidr)) p.Ipv6Ranges!.push({ CidrIpv6: r.cidr, ...description });
    else p.IpRanges!.push({ CidrIp: r.cidr, ...description });
  }
  return out;
}

function groupView(g: SecurityGroup): SdkSecurityGroup {
  return {
    GroupId: g.id,
    GroupName: g.name,
    Description: g.description,
    OwnerId: g.ownerId,
    VpcId: g.vpcId,
    SecurityGroupArn: `arn:aws:ec2:${g.region}:${g.ownerId}:security-group/${g.id}`,
    IpPermissions: permissionsView(g.rules.filter((r) => !r.isEgress)),
    IpPermissionsEgress: permissionsView(g.rules.filter((r) => r.isEgress)),
    Tags: tagList(g.tags),
  };
}

/** Legacy top-level parameters (CidrIp, IpProtocol, FromPort, ToPort) as one IpPermission. */
function permissionsOf(
  input: AuthorizeSecurityGroupIngressRequest | RevokeSecurityGroupIngressRequest,
): IpPermission[] {
  if (input.CidrIp !== undefined || input.IpProtocol !== undefined) {
    if (input.IpPermissions?.length) {
      throw err('InvalidParameterCombination', 'The parameter IpPermissions cannot be used with CidrIp or IpProtocol');
    }
    return [
      {
        IpProtocol: input.IpProtocol,
        FromPort: input.FromPort,
        ToPort: input.ToPort,
        IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [],
      },
    ];
  }
  return input.IpPermissions ?? [];
}

export const securityGroupOperations: Record<string, OperationHandler> = {
  CreateSecurityGroup(ctx, input: CreateSecurityGroupRequest) {
    const name = requireParam(input.GroupName, 'GroupName');
    const description = requireParam(input.Description, 'GroupDescription');
    if (!input.VpcId) throw err('VPCIdNotSpecified', 'No default VPC for this user');
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    if (name === 'default' || name.startsWith('sg-')) {
      throw errors.invalidParameter(`Group names may not be '${name}' or start with 'sg-'`);
    }
    const s = ec2State(ctx.twin);
    if (Object.values(s.securityGroups).some((g) => g.vpcId === vpc.id && g.name === name)) {
      throw err('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpc.id}'`);
    }
    validDescription(description);
    const g: SecurityGroup = {
      id: ctx.twin.newId('sg'),
      ownerId: vpc.ownerId,
      region: vpc.region,
      tags: creationTags(input.TagSpecifications, 'security-group'),
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      vpcId: vpc.id,
      name,
      description,
      isDefault: false,
      // A new group allows all outbound traffic (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html).
      rules: [
        { id: ctx.twin.newId('sgr'), isEgress: true, protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' },
      ],
    };
    putResource(s, 'securityGroups', g);
    emitCreationTags(ctx, g);
    return { GroupId: g.id, Tags: tagList(g.tags), SecurityGroupArn: groupView(g).SecurityGroupArn };
  },

  /**
   * DeleteSecurityGroup by id (by name is not modeled): a VPC's default group cannot be deleted (`CannotDelete`), a
   * group still used by an endpoint that is not `deleted` answers `DependencyViolation`
   * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSecurityGroup.html; an endpoint being deleted
   * still holds its network interfaces).
   */
  DeleteSecurityGroup(ctx, input: DeleteSecurityGroupRequest) {
    if (input.GroupName !== undefined) throw new Error('twin: DeleteSecurityGroup by GroupName is not modeled');
    const g = owned(ctx, 'securityGroups', input.GroupId, 'GroupId');
    if (g.isDefault)
      throw err('CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
    const s = ec2State(ctx.twin);
    const user = Object.values(s.endpoints).find(
      (e) => e.securityGroupIds.includes(g.id) && stateAt(e.timeline, ctx.now) !== 'deleted',
    );
    if (user) throw err('DependencyViolation', `resource ${g.id} has a dependent object`);
    removeResource(s, 'securityGroups', g.id);
    return { Return: true, GroupId: g.id };
  },

  DescribeSecurityGroups(ctx, input: DescribeSecurityGroupsRequest) {
    if (input.GroupNames?.length) throw new Error('twin: DescribeSecurityGroups by GroupNames is not modeled');
    const groups = applyFilters(selectIds(ownedList(ctx, 'securityGroups'), input.GroupIds), input.Filters, {
      'group-id': (g) => g.id,
      'group-name': (g) => g.name,
      'vpc-id': (g) => g.vpcId,
      'owner-id': (g) => g.ownerId,
      description: (g) => g.description,
    });
    const { page, NextToken } = paginate(groups, input);
    return { SecurityGroups: page.map(groupView), NextToken };
  },

  DescribeSecurityGroupRules(ctx, input: DescribeSecurityGroupRulesRequest) {
    let rules = ownedList(ctx, 'securityGroups').flatMap((g) => g.rules.map((r) => ({ g, r, tags: {} })));
    if (input.SecurityGroupRuleIds?.length) {
      for (const id of input.SecurityGroupRuleIds) if (!rules.some((x) => x.r.id === id)) throw notFound(id);
      rules = rules.filter((x) => input.SecurityGroupRuleIds!.includes(x.r.id));
    }
    rules = applyFilters(rules, input.Filters, {
      'group-id': (x) => x.g.id,
      'security-group-rule-id': (x) => x.r.id,
    });
    const { page, NextToken } = paginate(rules, input);
    return { SecurityGroupRules: page.map((x) => ruleView(x.g, x.r)), NextToken };
  },

  AuthorizeSecurityGroupIngress(ctx, input: AuthorizeSecurityGroupIngressRequest) {
    if (!input.GroupId) throw new Error('twin: AuthorizeSecurityGroupIngress by GroupName is not modeled');
    const g = group(ctx, input.GroupId);
    const wanted = rulesOf(permissionsOf(input));
    if (wanted.length === 0) throw errors.missingParameter('IpPermissions');
    // All or nothing: one duplicate (with the group or within the request) fails the whole request.
    wanted.forEach((w, i) => {
      if (g.rules.some((r) => !r.isEgress && sameRule(r, w)) || wanted.slice(0, i).some((x) => sameRule(x, w))) {
        throw err('InvalidPermission.Duplicate', `the specified rule "${describeRule(w)}" already exists`);
      }
    });
    // 60 inbound rules per security group, "enforced separately for IPv4 rules and IPv6 rules"
    // (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
    for (const v6 of [false, true]) {
      const inbound = g.rules.filter((r) => !r.isEgress && isIpv6Cidr(r.cidr) === v6).length;
      const adding = wanted.filter((w) => isIpv6Cidr(w.cidr) === v6).length;
      if (adding > 0 && inbound + adding > quotas(ctx.twin).rulesPerSecurityGroup) {
        throw err(
          'RulesPerSecurityGroupLimitExceeded',
          'The maximum number of rules per security group has been reached.',
        );
      }
    }
    const added = wanted.map((w) => ({ id: ctx.twin.newId('sgr'), isEgress: false, ...w }));
    g.rules.push(...added);
    return { Return: true, SecurityGroupRules: added.map((r) => ruleView(g, r)) };
  },

  RevokeSecurityGroupIngress(ctx, input: RevokeSecurityGroupIngressRequest) {
    if (!input.GroupId) throw new Error('twin: RevokeSecurityGroupIngress by GroupName is not modeled');
    const g = group(ctx, input.GroupId);
    const ingress = g.rules.filter((r) => !r.isEgress);
    let revoked: SecurityGroupRule[];
    if (input.SecurityGroupRuleIds?.length) {
      revoked = input.SecurityGroupRuleIds.map(
        (id) =>
          ingress.find((r) => r.id === id) ??
          ((): never => {
            throw notFound(id);
          })(),
      );
    } else {
      const wanted = rulesOf(permissionsOf(input));
      if (wanted.length === 0) throw errors.missingParameter('IpPermissions');
      // In a non-default VPC, a rule that does not match exactly fails the request and nothing is revoked
      // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RevokeSecurityGroupIngress.html).
      revoked = wanted.map(
        (w) =>
          ingress.find((r) => sameRule(r, w)) ??
          ((): never => {
            throw err('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
          })(),
      );
    }
    g.rules = g.rules.filter((r) => !revoked.includes(r));
    return {
      Return: true,
      RevokedSecurityGroupRules: revoked.map((r) => ({
        SecurityGroupRuleId: r.id,
        GroupId: g.id,
        IsEgress: false,
        IpProtocol: r.protocol,
        FromPort: r.fromPort,
        ToPort: r.toPort,
        ...cidrField(r.cidr),
        ...(r.description !== undefined ? { Description: r.description } : {}),
      })),
    };
  },

  UpdateSecurityGroupRuleDescriptionsIngress(ctx, input: UpdateSecurityGroupRuleDescriptionsIngressRequest) {
    if (!input.GroupId) throw new Error('twin: UpdateSecurityGroupRuleDescriptionsIngress by GroupName is not modeled');
    const g = group(ctx, input.GroupId);
    const ingress = g.rules.filter((r) => !r.isEgress);
    const updates: [SecurityGroupRule, string | undefined][] = [];
    if (input.SecurityGroupRuleDescriptions?.length) {
      for (const d of input.SecurityGroupRuleDescriptions) {
        const rule = ingress.find((r) => r.id === d.SecurityGroupRuleId);
        if (!rule) throw notFound(d.SecurityGroupRuleId ?? '');
        updates.push([rule, validDescription(d.Description)]);
      }
    } else {
      for (const w of rulesOf(input.IpPermissions)) {
        const rule = ingress.find((r) => sameRule(r, w));
        if (!rule) {
          throw err('InvalidPermission.NotFound', 'The specified rule does not exist in this security group.');
        }
        updates.push([rule, w.description]);
      }
    }
    for (const [rule, description] of updates) rule.description = description;
    return { Return: true };
  },
};
