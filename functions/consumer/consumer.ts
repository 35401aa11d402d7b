import {
  AcceptVpcEndpointConnectionsCommand,
  AuthorizeSecurityGroupIngressCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  paginateDescribeSecurityGroupRules,
  paginateDescribeVpcEndpointConnections,
  paginateDescribeVpcEndpointServicePermissions,
  paginateDescribeVpcEndpoints,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { isIpv6Cidr, ruleAllows } from '#shared/cidr';
import { EndpointAcceptanceError, isAwsError, quotaErrorOf } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import { recordingProgress } from '#shared/progress';
import { changeRecordItems, type RegistryTable, recordItemKey } from '#shared/registry';
import type {
  EndpointConnectionRecord,
  EndpointServicePrincipalRecord,
  SecurityGroupRuleRecord,
} from '#shared/registry/model';
import type { ConsumerResult } from './contract';

/**
 * RegisterConsumer (hub account): ingress on each selected endpoint's security group for each spoke CIDR and port,
 * described `spokelink <vpcId> <accountId>` so offboarding finds exactly these rules; the spoke account's root ARN
 * added to the allowed principals of each endpoint service the VPC asked for and may use (never `*`, which would make
 * it public); and, where configured, the pending connections of the endpoints that live in THIS VPC accepted.
 *
 * Which VPC an endpoint lives in: the provider side (DescribeVpcEndpointConnections) names only the endpoint and its
 * owner account, not its VPC (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_VpcEndpointConnection.html),
 * so the spoke role asks DescribeVpcEndpoints in the VPC's account, filtered by `vpc-id`: EC2's own answer, which the
 * tenant cannot forge (tags could be). A pending connection of the account whose endpoint is elsewhere (an untagged
 * VPC, a VPC not validated for the service) stays pending and is reported in `connectionsLeftPending`.
 *
 * Write-ahead: the rules and principals are recorded BEFORE they are created. A call can take effect in AWS while
 * every response is lost (the SDK's retries too) or while the Lambda dies: the record still names what may exist,
 * and offboarding (remove.ts) removes it, treating a recorded rule or principal it does not find as already gone.
 * Idempotent: each rule is authorized first (no describe on a first onboarding); `InvalidPermission.Duplicate` means
 * it exists, and only then are the rules described, for its id and whose it is (its description).
 */

export interface ConsumerDeps {
  hubEc2: EC2Client;
  /** EC2 as the spoke execution role in the plan's account and region (asked only when connections are pending). */
  spokeEc2: () => Promise<EC2Client>;
  registry: RegistryTable;
  now: () => number;
}

/** The ingress rules of the given security groups (all pages). */
export async function ingressRules(ec2: EC2Client, groupIds: string[]): Promise<SecurityGroupRule[]> {
  const out: SecurityGroupRule[] = [];
  const pages = paginateDescribeSecurityGroupRules(
    { client: ec2 },
    { Filters: [{ Name: 'group-id', Values: groupIds }] },
  );
  for await (const page of pages) out.push(...(page.SecurityGroupRules ?? []).filter((r) => !r.IsEgress));
  return out;
}

const groupsOf = (rules: readonly { groupId: string }[]) => [...new Set(rules.map((r) => r.groupId))].sort();

/**
 * The permission's range for `cidr`: `Ipv6Ranges` for an IPv6 block (counted against the group's separate IPv6 rules
 * quota, https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html#vpc-limits-security-groups).
 */
function ipRanges(cidr: string, description: string) {
  return isIpv6Cidr(cidr)
    ? { Ipv6Ranges: [{ CidrIpv6: cidr, Description: description }] }
    : { IpRanges: [{ CidrIp: cidr, Description: description }] };
}

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
    connectionsLeftPending: [],
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
    // recorded with its id stays (the removal reports it as redescribed, as before).
    const drop = rules.notOurs.filter((r) => !confirmedBefore.has(recordItemKey('securityGroupRules', r)));
    if (rules.ours.length === 0 && drop.length === 0) return;
    await changeRecordItems(deps.registry, plan.vpcId, { securityGroupRules: { put: rules.ours, drop } }, deps.now());
  };

  await recordingProgress(
    'what was registered',
    async () => {
      // A retried attempt (or a later execution) finds rules an earlier one confirmed: one describe tells which planned
      // rules exist already, so they are not sent again. Every call counts against EC2's request rate, a refused
      // duplicate too: re-sending them spent the attempt's tokens before it reached the rules still missing.
      const known = confirmedBefore.size > 0 ? await ingressRules(deps.hubEc2, groupsOf(planned)) : undefined;
      await authorizeRules(planned, deps.hubEc2, rules, result, known);
      for (const service of plan.endpointServices) await allowPrincipal(plan, service.serviceId, deps.hubEc2, result);
      const accepting = plan.endpointServices.filter((s) => s.acceptConnections).map((s) => s.serviceId);
      if (accepting.length > 0) await acceptConnections(plan, accepting, deps, result);
    },
    record,
  );
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
  known?: SecurityGroupRule[],
): Promise<void> {
  const lookUp: { rule: SecurityGroupRuleRecord; created: boolean }[] = [];
  for (const rule of planned) {
    if (known?.some(ruleAllows(rule))) {
      // Exists already (described above): judged like a duplicate, without sending it.
      lookUp.push({ rule, created: false });
      continue;
    }
    try {
      const { SecurityGroupRules = [] } = await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: rule.groupId,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: rule.port,
              ToPort: rule.port,
              ...ipRanges(rule.cidr, rule.description),
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

  // The describe made before, unless a duplicate it did not show needs a fresh one.
  const existing =
    known && lookUp.every((x) => known.some(ruleAllows(x.rule)))
      ? known
      : await ingressRules(ec2, groupsOf(lookUp.map((x) => x.rule)));
  for (const { rule, created } of lookUp) {
    const found = existing.find(ruleAllows(rule));
    if (created || !found || found.Description === rule.description) {
      // Ours (or, not visible yet, assumed ours as before: the removal checks the description before removing). Without an
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
  for await (const page of paginateDescribeVpcEndpointServicePermissions({ client: ec2 }, { ServiceId: serviceId })) {
    allowed.push(...(page.AllowedPrincipals ?? []).map((p) => p.Principal ?? ''));
  }
  if (allowed.includes(plan.principal)) return;
  await ec2.send(
    new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: serviceId, AddAllowedPrincipals: [plan.principal] }),
  );
  result.principalsAdded.push(serviceId);
}

/** The account's `pendingAcceptance` connections to a service (provider side). */
async function pendingConnections(ec2: EC2Client, serviceId: string, accountId: string): Promise<string[]> {
  const pending: string[] = [];
  const pages = paginateDescribeVpcEndpointConnections(
    { client: ec2 },
    {
      Filters: [
        { Name: 'service-id', Values: [serviceId] },
        { Name: 'vpc-endpoint-state', Values: ['pendingAcceptance'] },
        { Name: 'vpc-endpoint-owner', Values: [accountId] },
      ],
    },
  );
  for await (const page of pages) {
    for (const c of page.VpcEndpointConnections ?? []) {
      if (c.VpcEndpointOwner === accountId && c.ServiceId === serviceId && c.VpcEndpointId) {
        pending.push(c.VpcEndpointId);
      }
    }
  }
  return pending;
}

/** The ids of the endpoints in the VPC, as EC2 answers the VPC's owner (the spoke role). */
export async function endpointsInVpc(spokeEc2: EC2Client, vpcId: string): Promise<Set<string>> {
  const ids = new Set<string>();
  const pages = paginateDescribeVpcEndpoints({ client: spokeEc2 }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] });
  for await (const page of pages) {
    for (const e of page.VpcEndpoints ?? []) if (e.VpcId === vpcId && e.VpcEndpointId) ids.add(e.VpcEndpointId);
  }
  return ids;
}

/**
 * Accepts the pending connections whose endpoint lives in the plan's VPC, recorded before the accept (offboarding
 * rejects what the record names; a recorded connection the accept never reached is rejected just the same, it is an
 * endpoint of this VPC). The others are left pending and reported.
 */
async function acceptConnections(plan: Plan, serviceIds: string[], deps: ConsumerDeps, result: ConsumerResult) {
  const pending: EndpointConnectionRecord[] = [];
  for (const serviceId of serviceIds) {
    for (const vpcEndpointId of await pendingConnections(deps.hubEc2, serviceId, plan.accountId)) {
      pending.push({ serviceId, vpcEndpointId });
    }
  }
  if (pending.length === 0) return;
  const inVpc = await endpointsInVpc(await deps.spokeEc2(), plan.vpcId);
  const ours = pending.filter((c) => inVpc.has(c.vpcEndpointId));
  for (const c of pending.filter((x) => !inVpc.has(x.vpcEndpointId))) {
    result.connectionsLeftPending.push({ ...c, reason: `its endpoint is not in ${plan.vpcId}` });
  }
  if (result.connectionsLeftPending.length > 0) {
    logger.warn('pending endpoint connections of the account left pending: their endpoints are not in this VPC', {
      connections: result.connectionsLeftPending,
    });
  }
  if (ours.length === 0) return;
  await changeRecordItems(deps.registry, plan.vpcId, { endpointConnections: { intend: ours } }, deps.now());

  const failures: string[] = [];
  for (const serviceId of [...new Set(ours.map((c) => c.serviceId))]) {
    const ids = ours.filter((c) => c.serviceId === serviceId).map((c) => c.vpcEndpointId);
    const { Unsuccessful = [] } = await deps.hubEc2.send(
      new AcceptVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: ids }),
    );
    const failed = Unsuccessful.filter((u) => u.ResourceId);
    result.connectionsAccepted.push(...ids.filter((id) => !failed.some((u) => u.ResourceId === id)));
    failures.push(
      ...failed.map((u) => `${serviceId}: ${u.ResourceId}: ${u.Error?.Code ?? '?'} ${u.Error?.Message ?? ''}`.trim()),
    );
  }
  if (failures.length > 0) throw new EndpointAcceptanceError(`could not accept ${failures.join('; ')}`);
}
