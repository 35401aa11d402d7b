import {
  DescribeVpcEndpointServicePermissionsCommand,
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import {
  forgetInRecord,
  getRecord,
  otherVpcsUsingAccountGrants,
  type RegistryTable,
  type VpcRef,
} from '#shared/registry';
import type { EndpointServicePrincipalRecord, SecurityGroupRuleRecord } from '#shared/registry-model';
import { ingressRules } from './consumer';

/**
 * RevokeEndpointAccess (offboarding) and PruneEndpointAccess (after a change), in the hub account:
 * - the security group rules the record says spokelink added, except those the plan still wants, matched by rule id
 *   and by the description spokelink wrote: a rule whose description someone changed is no longer spokelink's
 *   (reported, left alone, no longer recorded);
 * - offboarding only: the account's principal on each recorded endpoint service, when no other VPC of the account
 *   still uses it. The registry's account index is eventually consistent, so the check is made again after removing
 *   and the principal is put back if another VPC of the account turned up meanwhile.
 * The registration records rules and principals before creating them (write-ahead), so a recorded rule (matched by
 * group, CIDR and port when it has no id yet) or principal that does not exist is reported as gone, never an error.
 */

export interface ConsumerRemovalDeps {
  hubEc2: EC2Client;
  registry: RegistryTable;
  now: () => number;
}

export interface ConsumerRemovalResult {
  rulesRevoked: SecurityGroupRuleRecord[];
  rulesVanished: SecurityGroupRuleRecord[];
  /** Rules whose description changed: not spokelink's any more (drift to report). */
  rulesNotOurs: (SecurityGroupRuleRecord & { foundDescription: string })[];
  principalsRemoved: EndpointServicePrincipalRecord[];
  /**
   * Recorded principals the service does not allow: written ahead of an add whose call never took effect, or removed
   * by someone else. Nothing to remove; forgotten.
   */
  principalsAbsent: EndpointServicePrincipalRecord[];
  /** Principals kept because other VPCs of the account still use them. */
  principalsKept: (EndpointServicePrincipalRecord & { usedBy: string[] })[];
}

const ruleKey = (r: { groupId: string; cidr: string; port: number }) => `${r.groupId}|${r.cidr}|${r.port}`;

/** Matches a recorded rule by its id, else by group, protocol, port and CIDR. */
function findRule(rules: SecurityGroupRule[], recorded: SecurityGroupRuleRecord): SecurityGroupRule | undefined {
  if (recorded.ruleId) return rules.find((r) => r.SecurityGroupRuleId === recorded.ruleId);
  return rules.find(
    (r) =>
      r.GroupId === recorded.groupId &&
      r.IpProtocol === 'tcp' &&
      r.FromPort === recorded.port &&
      r.ToPort === recorded.port &&
      r.CidrIpv4 === recorded.cidr,
  );
}

/** Removes the endpoint access the record holds and `keep` (a change's plan) does not want; all when offboarding. */
export async function revokeEndpointAccess(vpc: VpcRef, keep: Plan | undefined, deps: ConsumerRemovalDeps) {
  const result: ConsumerRemovalResult = {
    rulesRevoked: [],
    rulesVanished: [],
    rulesNotOurs: [],
    principalsRemoved: [],
    principalsAbsent: [],
    principalsKept: [],
  };
  const record = await getRecord(deps.registry, vpc.vpcId);
  if (!record) return result;
  const wanted = new Set((keep?.securityGroupRules ?? []).map(ruleKey));
  const rules = (record.securityGroupRules ?? []).filter((r) => !wanted.has(ruleKey(r)));

  const forget = async () => {
    const rulesGone = [
      ...result.rulesRevoked,
      ...result.rulesVanished,
      ...result.rulesNotOurs.map(({ foundDescription: _f, ...r }) => r),
    ];
    await forgetInRecord(deps.registry, vpc.vpcId, 'securityGroupRules', rulesGone, deps.now());
    await forgetInRecord(
      deps.registry,
      vpc.vpcId,
      'endpointServicePrincipals',
      [...result.principalsRemoved, ...result.principalsAbsent],
      deps.now(),
    );
  };
  try {
    if (rules.length > 0) await revokeRules(rules, deps.hubEc2, result);
    if (!keep) await removePrincipals(vpc, record.endpointServicePrincipals ?? [], deps, result);
  } catch (error) {
    await forget().catch((recordError: unknown) =>
      logger.error('could not record the access removed before the failure', { recordError }),
    );
    throw error;
  }
  await forget();
  return result;
}

async function revokeRules(rules: SecurityGroupRuleRecord[], ec2: EC2Client, result: ConsumerRemovalResult) {
  const groupIds = [...new Set(rules.map((r) => r.groupId))].sort();
  const existing = await ingressRules(ec2, groupIds);
  for (const recorded of rules) {
    const found = findRule(existing, recorded);
    if (!found?.SecurityGroupRuleId) {
      result.rulesVanished.push(recorded);
      continue;
    }
    if (found.Description !== recorded.description) {
      logger.warn('a recorded rule now carries another description: left alone', {
        ruleId: found.SecurityGroupRuleId,
        groupId: recorded.groupId,
      });
      result.rulesNotOurs.push({ ...recorded, foundDescription: found.Description ?? '' });
      continue;
    }
    try {
      await ec2.send(
        new RevokeSecurityGroupIngressCommand({
          GroupId: recorded.groupId,
          SecurityGroupRuleIds: [found.SecurityGroupRuleId],
        }),
      );
      result.rulesRevoked.push({ ...recorded, ruleId: found.SecurityGroupRuleId });
    } catch (error) {
      if (!isAwsError(error, 'InvalidSecurityGroupRuleId.NotFound', 'InvalidPermission.NotFound')) throw error;
      result.rulesVanished.push(recorded);
    }
  }
}

async function isAllowed(ec2: EC2Client, serviceId: string, principal: string): Promise<boolean> {
  let NextToken: string | undefined;
  do {
    const page = await ec2.send(
      new DescribeVpcEndpointServicePermissionsCommand({
        ServiceId: serviceId,
        Filters: [{ Name: 'principal', Values: [principal] }],
        NextToken,
      }),
    );
    if ((page.AllowedPrincipals ?? []).some((p) => p.Principal === principal)) return true;
    NextToken = page.NextToken;
  } while (NextToken);
  return false;
}

async function removePrincipals(
  vpc: VpcRef,
  principals: EndpointServicePrincipalRecord[],
  deps: ConsumerRemovalDeps,
  result: ConsumerRemovalResult,
): Promise<void> {
  if (principals.length === 0) return;
  const users = await otherVpcsUsingAccountGrants(deps.registry, vpc.accountId, vpc.vpcId);
  if (users.length > 0) {
    result.principalsKept.push(...principals.map((p) => ({ ...p, usedBy: users })));
    // Still in use by the account: no longer this VPC's to remove.
    await forgetInRecord(deps.registry, vpc.vpcId, 'endpointServicePrincipals', principals, deps.now());
    return;
  }
  const removed: EndpointServicePrincipalRecord[] = [];
  for (const p of principals) {
    // A principal recorded ahead of its add (consumer.ts) may never have been added: not present is already removed.
    if (!(await isAllowed(deps.hubEc2, p.serviceId, p.principal))) {
      result.principalsAbsent.push(p);
      continue;
    }
    await deps.hubEc2.send(
      new ModifyVpcEndpointServicePermissionsCommand({
        ServiceId: p.serviceId,
        RemoveAllowedPrincipals: [p.principal],
      }),
    );
    removed.push(p);
  }
  // Another VPC of the account may have begun onboarding while the (eventually consistent) index was read.
  const lateUsers = await otherVpcsUsingAccountGrants(deps.registry, vpc.accountId, vpc.vpcId);
  if (lateUsers.length > 0) {
    logger.info('another VPC of the account began onboarding meanwhile: its principal goes back', { lateUsers });
    for (const p of removed) {
      await deps.hubEc2.send(
        new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: p.serviceId, AddAllowedPrincipals: [p.principal] }),
      );
    }
    result.principalsKept.push(...removed.map((p) => ({ ...p, usedBy: lateUsers })));
  } else {
    result.principalsRemoved.push(...removed);
  }
  // Either way the principals are no longer this VPC's.
  await forgetInRecord(deps.registry, vpc.vpcId, 'endpointServicePrincipals', principals, deps.now());
}
