import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVpcEndpointConnectionsCommand,
  DescribeVpcEndpointServicePermissionsCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan, SecurityGroupRulePlan } from '#shared/plan';
import { mergeIntoRecord, type RegistryTable } from '#shared/registry';
import type { EndpointServicePrincipalRecord, SecurityGroupRuleRecord } from '#shared/registry-model';
import { EndpointAcceptanceError, quotaErrorOf } from '#shared/workflow-errors';

/**
 * RegisterConsumer (hub account): ingress on each selected endpoint's security group for each spoke CIDR and port,
 * described `spokelink <vpcId> <accountId>` so offboarding finds exactly these rules; the spoke account's root ARN
 * added to the allowed principals of each configured endpoint service (never `*`, which would make it public); and,
 * where configured, the account's pending endpoint connections accepted. Idempotent: existing rules and principals
 * are found first, `InvalidPermission.Duplicate` means done.
 */

export interface ConsumerDeps {
  hubEc2: EC2Client;
  registry: RegistryTable;
  now: () => number;
}

export interface ConsumerResult {
  rulesCreated: number;
  rulesExisting: number;
  /** Matching rules that carry another description: they grant the access but are not spokelink's to remove. */
  rulesNotOurs: number;
  principalsAdded: string[];
  connectionsAccepted: string[];
}

/** The ingress rules of the given security groups (all pages). */
export async function ingressRules(ec2: EC2Client, groupIds: string[]): Promise<SecurityGroupRule[]> {
  const out: SecurityGroupRule[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: groupIds }], NextToken }),
    );
    out.push(...(page.SecurityGroupRules ?? []).filter((r) => !r.IsEgress));
    NextToken = page.NextToken;
  } while (NextToken);
  return out;
}

const matches = (planned: SecurityGroupRulePlan) => (rule: SecurityGroupRule) =>
  rule.GroupId === planned.groupId &&
  rule.IpProtocol === 'tcp' &&
  rule.FromPort === planned.port &&
  rule.ToPort === planned.port &&
  rule.CidrIpv4 === planned.cidr;

/** Registers the spoke as a consumer of the hub's endpoints; records what it made, also when failing half-way. */
export async function registerConsumer(plan: Plan, deps: ConsumerDeps): Promise<ConsumerResult> {
  const result: ConsumerResult = {
    rulesCreated: 0,
    rulesExisting: 0,
    rulesNotOurs: 0,
    principalsAdded: [],
    connectionsAccepted: [],
  };
  const rules: SecurityGroupRuleRecord[] = [];
  const principals: EndpointServicePrincipalRecord[] = [];
  const record = async () => {
    await mergeIntoRecord(deps.registry, plan.vpcId, 'securityGroupRules', rules, deps.now());
    await mergeIntoRecord(deps.registry, plan.vpcId, 'endpointServicePrincipals', principals, deps.now());
  };

  try {
    await authorizeRules(plan, deps.hubEc2, rules, result);
    for (const service of plan.endpointServices) {
      await allowPrincipal(plan, service.serviceId, deps.hubEc2, result);
      principals.push({ serviceId: service.serviceId, principal: plan.principal });
      if (service.acceptConnections) await acceptConnections(plan, service.serviceId, deps.hubEc2, result);
    }
  } catch (error) {
    await record().catch((recordError: unknown) =>
      logger.error('could not record what was registered before the failure', { recordError }),
    );
    throw error;
  }
  await record();
  return result;
}

async function authorizeRules(
  plan: Plan,
  ec2: EC2Client,
  rules: SecurityGroupRuleRecord[],
  result: ConsumerResult,
): Promise<void> {
  if (plan.securityGroupRules.length === 0) return;
  const groupIds = [...new Set(plan.securityGroupRules.map((r) => r.groupId))].sort();
  let existing = await ingressRules(ec2, groupIds);
  const unknownIds: SecurityGroupRuleRecord[] = [];

  for (const planned of plan.securityGroupRules) {
    const found = existing.find(matches(planned));
    if (found) {
      if (found.Description === planned.description) {
        rules.push({ ...planned, ruleId: found.SecurityGroupRuleId });
        result.rulesExisting += 1;
      } else {
        // The same permission under another description: access works, but the rule is not ours to remove later.
        result.rulesNotOurs += 1;
        logger.info('an equivalent rule exists with another description; not recording it as spokelink\u2019s', {
          groupId: planned.groupId,
          ruleId: found.SecurityGroupRuleId,
        });
      }
      continue;
    }
    try {
      const { SecurityGroupRules = [] } = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: planned.groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: planned.port,
              ToPort: planned.port,
              IpRanges: [{ CidrIp: planned.cidr, Description: planned.description }],
            },
          ],
        }),
      );
      const rule: SecurityGroupRuleRecord = { ...planned, ruleId: SecurityGroupRules[0]?.SecurityGroupRuleId };
      rules.push(rule);
      if (!rule.ruleId) unknownIds.push(rule);
      result.rulesCreated += 1;
    } catch (error) {
      if (!isAwsError(error, 'InvalidPermission.Duplicate')) {
        throw quotaErrorOf(error, `ingress on ${planned.groupId}`) ?? error;
      }
      // Added meanwhile (a retried invocation): its id is looked up below.
      const rule: SecurityGroupRuleRecord = { ...planned };
      rules.push(rule);
      unknownIds.push(rule);
      result.rulesExisting += 1;
    }
  }

  if (unknownIds.length > 0) {
    existing = await ingressRules(ec2, groupIds);
    for (const rule of unknownIds) rule.ruleId = existing.find(matches(rule))?.SecurityGroupRuleId;
  }
}

async function allowPrincipal(plan: Plan, serviceId: string, ec2: EC2Client, result: ConsumerResult): Promise<void> {
  const allowed: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(new DescribeVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, NextToken }));
    allowed.push(...(page.AllowedPrincipals ?? []).map((p) => p.Principal ?? ''));
    NextToken = page.NextToken;
  } while (NextToken);
  if (allowed.includes(plan.principal)) return;
  await ec2.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: [plan.principal] }),
  );
  result.principalsAdded.push(serviceId);
}

async function acceptConnections(plan: Plan, serviceId: string, ec2: EC2Client, result: ConsumerResult) {
  const pending: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeVpcEndpointConnectionsCommand({
        Filters: [
          { Name: 'service-id', Values: [serviceId] },
          { Name: 'vpc-endpoint-state', Values: ['pendingAcceptance'] },
          { Name: 'vpc-endpoint-owner', Values: [plan.accountId] },
        ],
        NextToken,
      }),
    );
    for (const c of page.VpcEndpointConnections ?? []) {
      if (c.VpcEndpointOwner === plan.accountId && c.VpcEndpointId) pending.push(c.VpcEndpointId);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  if (pending.length === 0) return;

  const { Unsuccessful = [] } = await ec2.send(
    new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: pending }),
  );
  const failed = Unsuccessful.filter((u) => u.ResourceId);
  result.connectionsAccepted.push(...pending.filter((id) => !failed.some((u) => u.ResourceId === id)));
  if (failed.length > 0) {
    const list = failed.map((u) => `${u.ResourceId}: ${u.Error?.Code ?? '?'} ${u.Error?.Message ?? ''}`.trim());
    throw new EndpointAcceptanceError(`${serviceId} could not accept ${list.join('; ')}`);
  }
}
