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
import { changeRecordItems, type RegistryTable, recordItemKey } from '#shared/registry';
import type { EndpointServicePrincipalRecord, SecurityGroupRuleRecord } from '#shared/registry-model';
import { EndpointAcceptanceError, quotaErrorOf } from '#shared/workflow-errors';

/**
 * RegisterConsumer (hub account): ingress on each selected endpoint's security group for each spoke CIDR and port,
 * described `spokelink <vpcId> <accountId>` so offboarding finds exactly these rules; the spoke account's root ARN
 * added to the allowed principals of each configured endpoint service (never `*`, which would make it public); and,
 * where configured, the account's pending endpoint connections accepted.
 *
 * Write-ahead: the rules and principals are recorded BEFORE they are created. A call can take effect in AWS while
 * every response is lost (the SDK's retries too) or while the Lambda dies: the record still names what may exist,
 * and offboarding (revoke.ts) removes it, treating a recorded rule or principal it does not find as already gone.
 * Idempotent: each rule is authorized first (no describe on a first onboarding); `InvalidPermission.Duplicate` means
 * it exists, and only then are the rules described, for its id and whose it is (its description).
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

/** The rules an attempt confirmed (recorded with their ids) and those it found to be someone else's. */
interface RuleOutcome {
  ours: SecurityGroupRuleRecord[];
  notOurs: SecurityGroupRuleRecord[];
}

/** Registers the spoke as a consumer of the hub's endpoints; records what it may make before making it. */
export async function registerConsumer(plan: Plan, deps: ConsumerDeps): Promise<ConsumerResult> {
  const result: ConsumerResult = {
    rulesCreated: 0,
    rulesExisting: 0,
    rulesNotOurs: 0,
    principalsAdded: [],
    connectionsAccepted: [],
  };
  const planned: SecurityGroupRuleRecord[] = plan.securityGroupRules.map((r) => ({ ...r }));
  const principals: EndpointServicePrincipalRecord[] = plan.endpointServices.map((s) => ({
    serviceId: s.serviceId,
    principal: plan.principal,
  }));
  if (planned.length === 0 && principals.length === 0) return result;

  // Write-ahead, one registry write for all of it (nothing is written when an earlier attempt recorded it already).
  const before = await changeRecordItems(
    deps.registry,
    plan.vpcId,
    { securityGroupRules: { intend: planned }, endpointServicePrincipals: { intend: principals } },
    deps.now(),
  );
  const confirmedBefore = new Set(
    (before.securityGroupRules ?? []).filter((r) => r.ruleId).map((r) => recordItemKey('securityGroupRules', r)),
  );
  const rules: RuleOutcome = { ours: [], notOurs: [] };
  const record = async () => {
    // An intent that turned out to be someone else's rule is not spokelink's to remove; a rule an earlier run
    // recorded with its id stays (revoke reports it as redescribed, as before).
    const drop = rules.notOurs.filter((r) => !confirmedBefore.has(recordItemKey('securityGroupRules', r)));
    if (rules.ours.length === 0 && drop.length === 0) return;
    await changeRecordItems(deps.registry, plan.vpcId, { securityGroupRules: { put: rules.ours, drop } }, deps.now());
  };

  try {
    await authorizeRules(planned, deps.hubEc2, rules, result);
    for (const service of plan.endpointServices) {
      await allowPrincipal(plan, service.serviceId, deps.hubEc2, result);
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

/**
 * Authorizes each planned rule without describing first: a first onboarding needs no DescribeSecurityGroupRules
 * (describing first cost the 1,000-VPC run over 9,000 hub describes). `InvalidPermission.Duplicate` is EC2's client
 * error for a rule that already exists, whatever its description
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): only then, one describe of the groups
 * concerned gives the rule's id and tells whether it is ours.
 */
async function authorizeRules(
  planned: SecurityGroupRuleRecord[],
  ec2: EC2Client,
  rules: RuleOutcome,
  result: ConsumerResult,
): Promise<void> {
  const lookUp: { rule: SecurityGroupRuleRecord; created: boolean }[] = [];
  for (const rule of planned) {
    try {
      const { SecurityGroupRules = [] } = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: rule.groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: rule.port,
              ToPort: rule.port,
              IpRanges: [{ CidrIp: rule.cidr, Description: rule.description }],
            },
          ],
        }),
      );
      result.rulesCreated += 1;
      const ruleId = SecurityGroupRules[0]?.SecurityGroupRuleId;
      if (ruleId) rules.ours.push({ ...rule, ruleId });
      else lookUp.push({ rule, created: true });
    } catch (error) {
      if (!isAwsError(error, 'InvalidPermission.Duplicate')) {
        throw quotaErrorOf(error, `ingress on ${rule.groupId}`) ?? error;
      }
      lookUp.push({ rule, created: false });
    }
  }
  if (lookUp.length === 0) return;

  const existing = await ingressRules(ec2, [...new Set(lookUp.map((x) => x.rule.groupId))].sort());
  for (const { rule, created } of lookUp) {
    const found = existing.find(matches(rule));
    if (created || !found || found.Description === rule.description) {
      // Ours (or, not visible yet, assumed ours as before: revoke checks the description before removing). Without an
      // id the write-ahead item stands for it (an id an earlier run recorded is not overwritten).
      if (found?.SecurityGroupRuleId) rules.ours.push({ ...rule, ruleId: found.SecurityGroupRuleId });
      if (!created) result.rulesExisting += 1;
      continue;
    }
    // The same permission under another description: access works, but the rule is not ours to remove later.
    rules.notOurs.push(rule);
    result.rulesNotOurs += 1;
    logger.info('an equivalent rule exists with another description; not recording it as spokelink\u2019s', {
      groupId: rule.groupId,
      ruleId: found.SecurityGroupRuleId,
    });
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
