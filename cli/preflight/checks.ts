import {
  DescribeTransitGatewaysCommand,
  type EC2Client,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  paginateDescribeTransitGatewayRouteTables,
  paginateDescribeVpcEndpointServiceConfigurations,
} from '@aws-sdk/client-ec2';
import { type IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { ListAWSServiceAccessForOrganizationCommand, type OrganizationsClient } from '@aws-sdk/client-organizations';
import { GetResourceShareAssociationsCommand, paginateGetResourceShares, type RAMClient } from '@aws-sdk/client-ram';
import { GetHostedZoneCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { aggregatedIngressRules } from '#shared/aggregated-ingress';
import { ruleAllows } from '#shared/cidr';
import { type HubConfig, organizationShareOf } from '#shared/config';
import { isAwsError } from '#shared/errors';
import { hostedZoneIds, routeTableIds, securityGroupIds } from '../../infra/permissions';
import type { QuotaCapacity } from './capacity';

/**
 * `spokelink preflight --aws`: reads a hub through the same SDK clients the workflow uses and checks what spokelink
 * relies on before the first onboarding. Each check is one `PreflightCheck`; the command runs a list of them. The
 * offline capacity checks (capacity.ts, `--add N`) are checks of the same shape over a capacity context.
 */

export interface PreflightClients {
  ec2: EC2Client;
  route53: Route53Client;
  ram: RAMClient;
  organizations: OrganizationsClient;
  iam: IAMClient;
}

export interface PreflightContext {
  config: HubConfig;
  clients: PreflightClients;
  /** The policy each hub function's role must have (the synthesized one), by function name. */
  expectedPolicies: Record<string, { roleArn: string; policy: { Statement: unknown[] } }>;
}

export interface Finding {
  check: string;
  ok: boolean;
  /** What was found, in words. */
  detail: string;
  /** What is missing (ids, grants), one entry each. */
  missing: string[];
  /** Capacity checks (capacity.ts): the quotas measured, with what one more VPC takes of each. */
  capacity?: QuotaCapacity[];
}

/** One check of a hub; `C` is what it reads (the AWS clients of `--aws`, or the offline capacity context). */
export interface PreflightCheck<C = PreflightContext> {
  id: string;
  run(ctx: C): Promise<Omit<Finding, 'check'>>;
}

const result = (detail: string, missing: string[] = []) => ({ ok: missing.length === 0, detail, missing });

/** `N of M <what> exist`: ok when nothing of what is wanted is missing. */
const tally = (wanted: readonly unknown[], missing: string[], what: string) =>
  result(`${wanted.length - missing.length} of ${wanted.length} ${what} exist`, missing);

/** Every item the pages list (`itemsOf` one page). */
async function collect<P, T>(pages: AsyncIterable<P>, itemsOf: (page: P) => T[] | undefined): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...(itemsOf(page) ?? []));
  return items;
}

/** `N of M <what> exist`, of the configured ids `wanted`: missing, those the describe's pages (`idsOf` one) omit. */
async function tallyListed<P>(
  wanted: readonly string[],
  pages: AsyncIterable<P>,
  idsOf: (page: P) => (string | undefined)[] | undefined,
  what: string,
) {
  const seen = new Set(await collect(pages, idsOf));
  const missing = wanted.filter((id) => !seen.has(id));
  return tally(wanted, missing, what);
}

const transitGateway: PreflightCheck = {
  id: 'transit-gateway',
  async run({ config, clients }) {
    const id = config.hub.transitGatewayId;
    try {
      const { TransitGateways = [] } = await clients.ec2.send(
        new DescribeTransitGatewaysCommand({ TransitGatewayIds: [id] }),
      );
      const tgw = TransitGateways[0];
      if (tgw?.State !== 'available') return result(`${id} is ${tgw?.State ?? 'absent'}`, [id]);
      // spokelink accepts only the attachments it expects (docs/deploy.md, prerequisites).
      if (tgw.Options?.AutoAcceptSharedAttachments === 'enable') {
        return result(`${id} accepts shared attachments automatically`, [`${id} AutoAcceptSharedAttachments=disable`]);
      }
      return result(`${id} available, auto-accept disabled`);
    } catch (error) {
      if (!isAwsError(error, 'InvalidTransitGatewayID.NotFound')) throw error;
      return result(`${id} not found`, [id]);
    }
  },
};

const routeTables: PreflightCheck = {
  id: 'route-tables',
  async run({ config, clients }) {
    return tallyListed(
      routeTableIds(config),
      paginateDescribeTransitGatewayRouteTables(
        { client: clients.ec2 },
        { Filters: [{ Name: 'transit-gateway-id', Values: [config.hub.transitGatewayId] }] },
      ),
      (page) => page.TransitGatewayRouteTables?.map((table) => table.TransitGatewayRouteTableId),
      'configured TGW route tables',
    );
  },
};

const hostedZones: PreflightCheck = {
  id: 'hosted-zones',
  async run({ config, clients }) {
    const wanted = hostedZoneIds(config);
    const missing: string[] = [];
    for (const id of wanted) {
      try {
        const { HostedZone } = await clients.route53.send(new GetHostedZoneCommand({ Id: id }));
        if (HostedZone?.Config?.PrivateZone !== true) missing.push(`${id} (not a private hosted zone)`);
      } catch (error) {
        if (!isAwsError(error, 'NoSuchHostedZone')) throw error;
        missing.push(id);
      }
    }
    return tally(wanted, missing, 'private hosted zones');
  },
};

const securityGroups: PreflightCheck = {
  id: 'security-groups',
  async run({ config, clients }) {
    const wanted = securityGroupIds(config);
    return tallyListed(
      wanted,
      paginateDescribeSecurityGroups({ client: clients.ec2 }, { Filters: [{ Name: 'group-id', Values: wanted }] }),
      (page) => page.SecurityGroups?.map((group) => group.GroupId),
      'endpoint security groups',
    );
  },
};

/** The segments' aggregated ingress rules the hub stack deploys (functions/shared/aggregated-ingress.ts). */
const aggregatedIngress: PreflightCheck = {
  id: 'aggregated-ingress',
  async run({ config, clients }) {
    const wanted = aggregatedIngressRules(config);
    if (wanted.length === 0) return result('no aggregated ingress configured (segments.*.aggregatedIngress)');
    const groups = [...new Set(wanted.map((r) => r.groupId))].sort();
    const found = await collect(
      paginateDescribeSecurityGroupRules({ client: clients.ec2 }, { Filters: [{ Name: 'group-id', Values: groups }] }),
      (page) => page.SecurityGroupRules?.filter((r) => !r.IsEgress),
    );
    const missing = wanted
      .filter((w) => !found.some(ruleAllows(w)))
      .map((w) => `${w.groupId} tcp ${w.port} from ${w.cidr} (${w.description}: the hub stack deploys it)`);
    return tally(wanted, missing, 'aggregated ingress rules');
  },
};

const endpointServices: PreflightCheck = {
  id: 'endpoint-services',
  async run({ config, clients }) {
    const wanted = [...new Set(Object.values(config.endpointServices).map((s) => s.serviceId))].sort();
    if (wanted.length === 0) return result('no endpoint services configured');
    return tallyListed(
      wanted,
      paginateDescribeVpcEndpointServiceConfigurations(
        { client: clients.ec2 },
        { Filters: [{ Name: 'service-id', Values: wanted }] },
      ),
      (page) => page.ServiceConfigurations?.map((s) => s.ServiceId),
      'endpoint services',
    );
  },
};

const organizationShare: PreflightCheck = {
  id: 'organization-share',
  async run({ config, clients }) {
    const share = organizationShareOf(config);
    if (!share) return result('no organization share configured (organization.shareTransitGateway)');
    const arns: string[] = [];
    const pages = paginateGetResourceShares(
      { client: clients.ram },
      { resourceOwner: 'SELF', name: share.name, resourceShareStatus: 'ACTIVE' },
    );
    for await (const page of pages) for (const s of page.resourceShares ?? []) arns.push(s.resourceShareArn ?? '');
    if (arns.length === 0) {
      return result(`no active RAM share ${share.name} (the hub stack deploys it)`, [
        `RAM share ${share.name} of ${share.transitGatewayArn} with ${share.organizationArn}`,
      ]);
    }
    const { resourceShareAssociations = [] } = await clients.ram.send(
      new GetResourceShareAssociationsCommand({ associationType: 'PRINCIPAL', resourceShareArns: arns }),
    );
    const associated = resourceShareAssociations.some(
      (a) => a.associatedEntity === share.organizationArn && a.status === 'ASSOCIATED',
    );
    return associated
      ? result(`${share.name} shares the TGW with ${config.organization.id}`)
      : result(`${share.name} is not associated with ${share.organizationArn}`, [
          `principal ${share.organizationArn} on ${share.name}`,
        ]);
  },
};

/** Trusted access the spoke StackSet (service-managed) needs (CloudFormation StackSets user guide). */
export const STACKSETS_PRINCIPAL = 'member.org.stacksets.cloudformation.amazonaws.com';

const stackSetsAccess: PreflightCheck = {
  id: 'stacksets-trusted-access',
  async run({ clients }) {
    const { EnabledServicePrincipals = [] } = await clients.organizations.send(
      new ListAWSServiceAccessForOrganizationCommand({}),
    );
    return EnabledServicePrincipals.some((p) => p.ServicePrincipal === STACKSETS_PRINCIPAL)
      ? result('StackSets has trusted access to the organization')
      : result('StackSets has no trusted access to the organization (service-managed StackSets need it)', [
          `trusted access for ${STACKSETS_PRINCIPAL}`,
        ]);
  },
};

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

/**
 * A concrete resource for a policy's resource pattern: wildcards filled with ids of the right shape (an account, an
 * organizational unit, a root), so that the simulation recognizes the resource type.
 */
function sampleResource(pattern: string, account: string): string {
  if (pattern === '*') return '*';
  const parts = pattern.split(':');
  // The hub's own account: the simulation evaluates identity policies only, as for a call in the caller's account.
  if (parts[4] === '*') parts[4] = account;
  return parts
    .join(':')
    .replace(/(:ou\/o-[a-z0-9]+\/)\*/, '$1ou-0000-00000000')
    .replace(/(:root\/o-[a-z0-9]+\/)\*/, '$1r-0000')
    .replace(/(:account\/o-[a-z0-9]+\/)\*/, '$1000000000000')
    .replace(/\*/g, 'preflight');
}

/** Context entries that satisfy a statement's simple conditions (equality and patterns), for the simulation. */
function contextOf(statement: Statement, account: string) {
  const entries: { ContextKeyName: string; ContextKeyValues: string[]; ContextKeyType: 'string' | 'stringList' }[] = [];
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (!/^(ForAllValues:|ForAnyValue:)?(StringEquals|StringLike|ArnEquals|ArnLike)$/.test(operator)) continue;
    for (const [key, value] of Object.entries(keys)) {
      const values = [value].flat().map((v) => sampleResource(v, account));
      entries.push({
        ContextKeyName: key,
        ContextKeyValues: operator.startsWith('For') ? values : values.slice(0, 1),
        ContextKeyType: operator.startsWith('For') ? 'stringList' : 'string',
      });
    }
  }
  return entries;
}

/**
 * The services whose calls spokelink's code makes (the workflow steps, the intake, the dispatcher, the reconcile).
 * The rest of a role's policy (CloudWatch Logs, X-Ray, KMS) is what CDK grants the Lambda runtime itself.
 */
const SPOKELINK_SERVICES = new Set(['ec2', 'route53', 'ram', 'sts', 'organizations', 'states', 'sns', 'dynamodb']);

const roleGrants: PreflightCheck = {
  id: 'function-roles',
  async run({ config, clients, expectedPolicies }) {
    const account = config.hub.accountId;
    const missing: string[] = [];
    let checked = 0;
    for (const [name, { roleArn, policy }] of Object.entries(expectedPolicies)) {
      for (const statement of policy.Statement as Statement[]) {
        if (statement.Effect !== 'Allow') continue;
        const actions = [statement.Action ?? []].flat().filter((a) => SPOKELINK_SERVICES.has(a.split(':')[0]!));
        if (actions.length === 0) continue;
        const resources = [statement.Resource ?? '*'].flat().map((r) => sampleResource(r, account));
        try {
          const { EvaluationResults = [] } = await clients.iam.send(
            new SimulatePrincipalPolicyCommand({
              PolicySourceArn: roleArn,
              ActionNames: actions,
              ResourceArns: resources,
              ContextEntries: contextOf(statement, account),
            }),
          );
          // A statement lists resources of several types for several actions: an action is granted when it is
          // allowed on at least one of them (each call of it names a resource of its own type).
          for (const action of actions) {
            checked += 1;
            const results = EvaluationResults.filter((r) => r.EvalActionName === action);
            if (results.some((r) => r.EvalDecision === 'allowed')) continue;
            const decisions = [...new Set(results.map((r) => r.EvalDecision))].join('/');
            missing.push(`${name}: ${action} on ${resources.join(', ')} (${decisions})`);
          }
        } catch (error) {
          if (!isAwsError(error, 'NoSuchEntity')) throw error;
          missing.push(`${name}: role ${roleArn} not found (deploy the hub stack)`);
          break;
        }
      }
    }
    return result(`${checked} actions of ${Object.keys(expectedPolicies).length} function roles simulated`, missing);
  },
};

/** The checks of a hub as it stands (capacity checks for `--add N` are added to this list by the command). */
export const HUB_CHECKS: readonly PreflightCheck[] = [
  transitGateway,
  routeTables,
  hostedZones,
  securityGroups,
  aggregatedIngress,
  endpointServices,
  organizationShare,
  stackSetsAccess,
  roleGrants,
];

/** Runs `checks` in order; a check that throws is a finding too (its error), never a crash of the others. */
export async function runPreflight<C>(checks: readonly PreflightCheck<C>[], ctx: C): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const check of checks) {
    try {
      findings.push({ check: check.id, ...(await check.run(ctx)) });
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      findings.push({ check: check.id, ok: false, detail: `could not check: ${name}: ${message}`, missing: [] });
    }
  }
  return findings;
}
