import {
  type EC2Client,
  ModifyVpcEndpointServicePermissionsCommand,
  paginateDescribeVpcEndpointConnections,
  paginateDescribeVpcEndpointServicePermissions,
  RejectVpcEndpointConnectionsCommand,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { ruleAllows } from '#shared/cidr';
import { EndpointAcceptanceError, isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import { recordingProgress } from '#shared/progress';
import { forgetInRecord, getRecord, otherVpcsUsingEndpointService, type RegistryTable } from '#shared/registry';
import type {
  EndpointConnectionRecord,
  EndpointServicePrincipalRecord,
  SecurityGroupRuleRecord,
} from '#shared/registry/model';
import type { RemovalTarget } from '#shared/vpc-ref';
import { ingressRules } from './consumer';
import type { ConsumerRemovalResult } from './contract';

/**
 * RemoveEndpointAccess (offboarding) and PruneEndpointAccess (after a change), in the hub account:
 * - the security group rules the record says spokelink added, except those the plan still wants, matched by rule id
 *   and by the description spokelink wrote: a rule whose description someone changed is no longer spokelink's
 *   (reported, left alone, no longer recorded);
 * - the endpoint service connections spokelink accepted for the VPC (`RejectVpcEndpointConnections`): all of them
 *   when offboarding, those of a service the plan no longer asks for after a change. Removing a principal does not
 *   affect existing connections, so an accepted endpoint would stay usable without this
 *   (https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#accept-reject-connection-requests);
 * - the account's principal on each recorded endpoint service (offboarding: all; a change: those of a dropped
 *   service), when no other VPC of the account still uses that service. The registry's account index is eventually
 *   consistent, so the check is made again after removing and the principal is put back if another VPC of the account
 *   turned up meanwhile.
 * The registration records rules and principals before creating them (write-ahead), so a recorded rule (matched by
 * group, CIDR and port when it has no id yet) or principal that does not exist is reported as gone, never an error.
 */

export interface ConsumerRemovalDeps {
  hubEc2: EC2Client;
  registry: RegistryTable;
  now: () => number;
  /** The catalog name of a configured endpoint service (how other VPCs ask for it), by service id. */
  serviceNameOf: (serviceId: string) => string | undefined;
}

const ruleKey = (r: { groupId: string; cidr: string; port: number }) => `${r.groupId}|${r.cidr}|${r.port}`;

/** Matches a recorded rule by its id, else by group, protocol, port and CIDR. */
function findRule(rules: SecurityGroupRule[], recorded: SecurityGroupRuleRecord): SecurityGroupRule | undefined {
  if (recorded.ruleId) return rules.find((r) => r.SecurityGroupRuleId === recorded.ruleId);
  return rules.find(ruleAllows(recorded));
}

/** Removes the endpoint access the record holds and `keep` (a change's plan) does not want; all when offboarding. */
export async function removeEndpointAccess(vpc: RemovalTarget, keep: Plan | undefined, deps: ConsumerRemovalDeps) {
  const result: ConsumerRemovalResult = {
    rulesRevoked: [],
    rulesVanished: [],
    rulesNotOurs: [],
    principalsRemoved: [],
    principalsAbsent: [],
    principalsKept: [],
    connectionsRejected: [],
    connectionsGone: [],
  };
  const record = await getRecord(deps.registry, vpc.vpcId);
  if (!record) return result;
  const wanted = new Set((keep?.securityGroupRules ?? []).map(ruleKey));
  const rules = (record.securityGroupRules ?? []).filter((r) => !wanted.has(ruleKey(r)));
  // Offboarding drops every service; a change those its plan no longer has.
  const keptServices = new Set((keep?.endpointServices ?? []).map((s) => s.serviceId));
  const connections = (record.endpointConnections ?? []).filter((c) => !keptServices.has(c.serviceId));
  const principals = (record.endpointServicePrincipals ?? []).filter((p) => !keptServices.has(p.serviceId));

  const forget = async () => {
    const rulesGone = [
      ...result.rulesRevoked,
      ...result.rulesVanished,
      ...result.rulesNotOurs.map(({ foundDescription: _f, ...r }) => r),
    ];
    const principalsGone = [...result.principalsRemoved, ...result.principalsAbsent];
    const connectionsGone = [...result.connectionsRejected, ...result.connectionsGone];
    await forgetInRecord(deps.registry, vpc.vpcId, 'securityGroupRules', rulesGone, deps.now());
    await forgetInRecord(deps.registry, vpc.vpcId, 'endpointServicePrincipals', principalsGone, deps.now());
    await forgetInRecord(deps.registry, vpc.vpcId, 'endpointConnections', connectionsGone, deps.now());
  };
  await recordingProgress(
    'the access removed',
    async () => {
      if (rules.length > 0) await revokeRules(rules, deps.hubEc2, result);
      if (connections.length > 0) await rejectConnections(connections, deps.hubEc2, result);
      if (principals.length > 0) await removePrincipals(vpc, principals, deps, result);
    },
    forget,
  );
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

/**
 * States of a connection that still lets (or will let) its endpoint reach the service: what a rejection stops.
 * Compared in lower case: the wire says `pendingAcceptance`, the SDK's State enum spells `PendingAcceptance`.
 */
const LIVE = new Set(['pendingacceptance', 'pending', 'available']);

/**
 * Rejects the recorded connections that are still live (the provider side says so; a connection already rejected or
 * deleted, or absent, is reported as gone). `Unsuccessful[]` items are checked as for the accept.
 */
async function rejectConnections(
  recorded: EndpointConnectionRecord[],
  ec2: EC2Client,
  result: ConsumerRemovalResult,
): Promise<void> {
  const failures: string[] = [];
  for (const serviceId of [...new Set(recorded.map((c) => c.serviceId))].sort()) {
    const ids = recorded.filter((c) => c.serviceId === serviceId).map((c) => c.vpcEndpointId);
    const live = new Set<string>();
    const pages = paginateDescribeVpcEndpointConnections(
      { client: ec2 },
      {
        Filters: [
          { Name: 'service-id', Values: [serviceId] },
          { Name: 'vpc-endpoint-id', Values: ids },
        ],
      },
    );
    for await (const page of pages) {
      for (const c of page.VpcEndpointConnections ?? []) {
        if (c.VpcEndpointId && LIVE.has((c.VpcEndpointState ?? '').toLowerCase())) live.add(c.VpcEndpointId);
      }
    }
    const toReject = ids.filter((id) => live.has(id));
    result.connectionsGone.push(
      ...ids.filter((id) => !live.has(id)).map((vpcEndpointId) => ({ serviceId, vpcEndpointId })),
    );
    if (toReject.length === 0) continue;
    const { Unsuccessful = [] } = await ec2.send(
      new RejectVpcEndpointConnectionsCommand({ ServiceId: serviceId, VpcEndpointIds: toReject }),
    );
    for (const vpcEndpointId of toReject) {
      const failed = Unsuccessful.find((u) => u.ResourceId === vpcEndpointId);
      if (!failed) result.connectionsRejected.push({ serviceId, vpcEndpointId });
      else if (failed.Error?.Code === 'InvalidVpcEndpointId.NotFound') {
        result.connectionsGone.push({ serviceId, vpcEndpointId });
      } else {
        failures.push(
          `${serviceId}: ${vpcEndpointId}: ${failed.Error?.Code ?? '?'} ${failed.Error?.Message ?? ''}`.trim(),
        );
      }
    }
  }
  if (failures.length > 0) throw new EndpointAcceptanceError(`could not reject ${failures.join('; ')}`);
}

async function isAllowed(ec2: EC2Client, serviceId: string, principal: string): Promise<boolean> {
  const pages = paginateDescribeVpcEndpointServicePermissions(
    { client: ec2 },
    { ServiceId: serviceId, Filters: [{ Name: 'principal', Values: [principal] }] },
  );
  for await (const page of pages) {
    if ((page.AllowedPrincipals ?? []).some((p) => p.Principal === principal)) return true;
  }
  return false;
}

/** Other VPCs of the account that use the principal's service (it stays for them). */
function usersOf(vpc: RemovalTarget, p: EndpointServicePrincipalRecord, deps: ConsumerRemovalDeps): Promise<string[]> {
  return otherVpcsUsingEndpointService(deps.registry, vpc.accountId, vpc.vpcId, {
    serviceId: p.serviceId,
    name: deps.serviceNameOf(p.serviceId),
  });
}

async function removePrincipals(
  vpc: RemovalTarget,
  principals: EndpointServicePrincipalRecord[],
  deps: ConsumerRemovalDeps,
  result: ConsumerRemovalResult,
): Promise<void> {
  const removed: EndpointServicePrincipalRecord[] = [];
  for (const p of principals) {
    const users = await usersOf(vpc, p, deps);
    if (users.length > 0) {
      // Still in use by the account for this service: no longer this VPC's to remove.
      result.principalsKept.push({ ...p, usedBy: users });
      continue;
    }
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
  for (const p of removed) {
    const lateUsers = await usersOf(vpc, p, deps);
    if (lateUsers.length > 0) {
      logger.info('another VPC of the account began using the service meanwhile: its principal goes back', {
        serviceId: p.serviceId,
        lateUsers,
      });
      await deps.hubEc2.send(
        new ModifyVpcEndpointServicePermissionsCommand({ ServiceId: p.serviceId, AddAllowedPrincipals: [p.principal] }),
      );
      result.principalsKept.push({ ...p, usedBy: lateUsers });
    } else {
      result.principalsRemoved.push(p);
    }
  }
  // Either way the principals are no longer this VPC's.
  await forgetInRecord(deps.registry, vpc.vpcId, 'endpointServicePrincipals', principals, deps.now());
}
