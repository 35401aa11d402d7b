import { ArnFormat, type Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  type HubConfig,
  organizationShareOf,
  profileShareName,
  regionalConfig,
  type SpokeAccess,
  servedRegions,
  spokeRoleName,
  spokeServiceNames,
  tgwShareName,
  transitGatewayArn,
} from '#shared/config';
import { shardResources } from '#shared/shards';
import { ATTACHMENT_TAG_KEYS, MANAGED_TAG, STATUS_TAG_KEYS } from '#shared/tags';
import { resourceNames } from './config';

/**
 * The least-privilege manifest: for every hub Lambda, exactly the AWS calls it makes, scoped to the resources the
 * configuration names wherever the service supports resource-level permissions (Service Authorization Reference).
 * Calls made in spoke accounts are not here: they happen under the spoke execution role (`spokeExecutionPolicy`),
 * which these functions reach through `sts:AssumeRole`.
 *
 * A function the workflow references but this manifest does not list fails the synth: a new step's permissions are
 * reviewed, never defaulted. A step that calls no AWS API gets an entry with an empty `grant`.
 */

/** Hub resources the manifest scopes permissions to. */
export interface PermissionContext {
  readonly config: HubConfig;
  /** The hub stack: ARNs are built with its partition, account and region. */
  readonly stack: Stack;
  readonly registry: ITable;
  readonly approvalTopic: ITopic;
  readonly failureTopic: ITopic;
  /** ARN of the state machine built from `<id>.asl.json` (known name, so no dependency cycle). */
  stateMachineArn(id: string): string;
}

export interface FunctionSpec {
  /** What the step does, in one line (becomes the Lambda description). */
  readonly description: string;
  /**
   * The spoke role the step assumes, if any: `read` (`<spokeRole.name>-read`, describes only) or `write`. Each spoke
   * role trusts exactly the roles of the steps that declare it here (`spokeRoleUsers`), and nothing else.
   */
  readonly spokeAccess?: SpokeAccess;
  /** Adds exactly the step's permissions to its role (the spoke role's AssumeRole comes from `spokeAccess`). */
  grant(role: IGrantable, ctx: PermissionContext): void;
}

/** Grants a step its permissions: its own grants and AssumeRole on the spoke role of its `spokeAccess`. */
export function grantStep(spec: FunctionSpec, role: IGrantable, ctx: PermissionContext): void {
  spec.grant(role, ctx);
  if (spec.spokeAccess) assumeSpokeRole(role, ctx, spec.spokeAccess);
}

/** The steps (function folder names) whose roles the spoke role of `access` trusts. */
export function spokeRoleUsers(access: SpokeAccess, specs: Readonly<Record<string, FunctionSpec>> = FUNCTION_SPECS) {
  return Object.keys(specs)
    .filter((name) => specs[name]?.spokeAccess === access)
    .sort();
}

function allow(role: IGrantable, sid: string, actions: string[], resources: string[], conditions?: object): void {
  role.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ sid, actions, resources, conditions: conditions as Record<string, unknown> | undefined }),
  );
}

/** `arn:<partition>:iam::*:role/<name>`: the spoke role of `access` in any account. */
export function spokeRoleArnPattern(ctx: Pick<PermissionContext, 'config' | 'stack'>, access: SpokeAccess): string {
  return spokeRoleArn(ctx, access, '*');
}

/** The ARNs of the organization's resources of these types (`account`, `ou`, `root`) for Organizations' actions. */
function organizationArns(ctx: Pick<PermissionContext, 'config' | 'stack'>, resources: string[]): string[] {
  const org = ctx.config.organization.id;
  return resources.map((resource) =>
    ctx.stack.formatArn({ service: 'organizations', region: '', account: '*', resource, resourceName: `${org}/*` }),
  );
}

/** `arn:<partition>:iam::<account>:role/<name>`: the spoke role of `access` in `account`. */
function spokeRoleArn(ctx: Pick<PermissionContext, 'config' | 'stack'>, access: SpokeAccess, account: string): string {
  return ctx.stack.formatArn({
    service: 'iam',
    region: '',
    account,
    resource: 'role',
    resourceName: spokeRoleName(ctx.config, access),
  });
}

/**
 * Answering a waiting task (SendTaskSuccess/SendTaskFailure): these actions support no resource type (Service
 * Authorization Reference, Step Functions), so only `"Resource": "*"` grants them; the task token limits them.
 */
function answerTasks(role: IGrantable, actions: string[]): void {
  allow(role, 'AnswerApprovalTasks', actions, ['*']);
}

/**
 * AssumeRole on the spoke role of `access`: in any account of the organization (`aws:ResourceOrgID`, a global
 * condition key that AWS sets from the account owning the role:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid),
 * and in each configured account outside it by its exact ARN. A role of the same name in any other account (a
 * stranger who created one and trusts the hub) cannot be assumed, whatever its trust policy says.
 */
function assumeSpokeRole(role: IGrantable, ctx: PermissionContext, access: SpokeAccess): void {
  const sid = access === 'write' ? 'AssumeSpokeExecutionRole' : 'AssumeSpokeReadRole';
  allow(role, sid, ['sts:AssumeRole'], [spokeRoleArnPattern(ctx, access)], {
    StringEquals: { 'aws:ResourceOrgID': ctx.config.organization.id },
  });
  const outside = ctx.config.organization.externalAccounts;
  if (outside.length > 0) {
    allow(
      role,
      `${sid}OutsideOrganization`,
      ['sts:AssumeRole'],
      outside.map((account) => spokeRoleArn(ctx, access, account)),
    );
  }
}

function ec2Arn(ctx: PermissionContext, resource: string, name: string, account?: string): string {
  return ctx.stack.formatArn({ service: 'ec2', resource, resourceName: name, account });
}

/** Every TGW route table of the configuration (association and propagation tables of all segments). */
export function routeTableIds(config: HubConfig): string[] {
  const ids = Object.values(config.segments).flatMap((s) => [s.associationRouteTableId, ...s.propagationRouteTableIds]);
  return [...new Set(ids)].sort();
}

/** Every private hosted zone of the endpoint catalog and of the segments' endpoint shards. */
export function hostedZoneIds(config: HubConfig): string[] {
  const catalog = Object.values(config.endpoints).flatMap((e) => e.privateHostedZoneIds);
  return [...new Set([...catalog, ...shardResources(config).zones])].sort();
}

/** Every endpoint security group of the catalog and of the segments' endpoint shards. */
export function securityGroupIds(config: HubConfig): string[] {
  const catalog = Object.values(config.endpoints).map((e) => e.securityGroupId);
  return [...new Set([...catalog, ...shardResources(config).groups])].sort();
}

export function hostedZoneArn(stack: Stack, zoneId: string): string {
  return stack.formatArn({ service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: zoneId });
}

/**
 * Attachments are created by the spoke accounts and accepted by the hub: their ids are unknown at deploy time and the
 * account in their ARN is not documented for the accepter side, so the account is a wildcard; the region is pinned.
 */
function attachmentArns(ctx: PermissionContext): string[] {
  return [ec2Arn(ctx, 'transit-gateway-attachment', '*', '*')];
}

/**
 * Inter-region reach (functions/transit-gateway/peering.ts), when the hub has peers: request the peering from this
 * hub's TGW (transit-gateway and the new transit-gateway-attachment; its tags on create), accept one (its id is made
 * at run time, by the peer region's hub), and keep the static routes of the peer supernets in the `peers` route
 * tables (Service Authorization Reference, EC2).
 */
function peeringGrants(role: IGrantable, ctx: PermissionContext): void {
  const peers = Object.values(ctx.config.hub.peers);
  if (peers.length === 0) return;
  const newAttachments = ec2Arn(ctx, 'transit-gateway-attachment', '*');
  allow(
    role,
    'RequestHubPeering',
    ['ec2:CreateTransitGatewayPeeringAttachment'],
    [ec2Arn(ctx, 'transit-gateway', ctx.config.hub.transitGatewayId), newAttachments],
  );
  allow(role, 'TagHubPeering', ['ec2:CreateTags'], [newAttachments], {
    StringEquals: { 'ec2:CreateAction': 'CreateTransitGatewayPeeringAttachment' },
  });
  allow(role, 'AcceptHubPeering', ['ec2:AcceptTransitGatewayPeeringAttachment'], [newAttachments]);
  allow(role, 'DescribeHubPeerings', ['ec2:DescribeTransitGatewayPeeringAttachments'], ['*']);
  const tables = [...new Set(peers.flatMap((p) => p.routeTableIds))].sort();
  allow(
    role,
    'SetPeeringStaticRoutes',
    ['ec2:CreateTransitGatewayRoute', 'ec2:DeleteTransitGatewayRoute', 'ec2:SearchTransitGatewayRoutes'],
    [...tables.map((id) => ec2Arn(ctx, 'transit-gateway-route-table', id)), newAttachments],
  );
  const associationTables = [...new Set(peers.map((p) => p.associationRouteTableId))].sort();
  allow(
    role,
    'AssociateHubPeering',
    ['ec2:AssociateTransitGatewayRouteTable'],
    [...associationTables.map((id) => ec2Arn(ctx, 'transit-gateway-route-table', id)), newAttachments],
  );
}

/** `arn:...:execution:<prefix>-<id>:*`: every execution of one workflow. */
function executionArnPattern(ctx: PermissionContext, id: string): string {
  return ctx.stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${resourceNames(ctx.config).stateMachine(id)}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function stateMachineArns(ctx: PermissionContext, ids: string[]): string[] {
  return ids.map((id) => ctx.stateMachineArn(id));
}

/**
 * Write-through of a step into the VPC's registry record (`functions/shared/registry.ts`: mergeIntoRecord,
 * recordAttachment): read the record, update the step's own attributes.
 */
function updateRegistryRecord(role: IGrantable, ctx: PermissionContext): void {
  ctx.registry.grant(role, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
}

const TABLE_READ_WRITE = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;

/**
 * The intake queue's dispatcher (functions/dispatch/dispatch.ts), run by the intake inline and by the dispatch
 * function: reads the queue and the running items, writes and deletes them, starts the workflows and asks whether
 * the recorded executions still run.
 */
function dispatchIntakeQueue(role: IGrantable, ctx: PermissionContext): void {
  // UpdateItem: the account's dispatch lock (withAccountLock) is marked dirty or cleaned, and the hub's slots
  // (INTAKE#HUB / SLOTS) taken and given back. GetItem: a running execution's pending approval (it then holds no
  // slot of its account), the hub's slots.
  ctx.registry.grant(
    role,
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  );
  allow(role, 'StartWorkflows', ['states:StartExecution'], stateMachineArns(ctx, ['onboard', 'offboard']));
  allow(
    role,
    'CheckRunningExecutions',
    ['states:DescribeExecution'],
    ['onboard', 'offboard'].map((id) => executionArnPattern(ctx, id)),
  );
}

/** The manifest. Keys are function folder names (`functions/<name>/handler.ts`). */
export const FUNCTION_SPECS: Readonly<Record<string, FunctionSpec>> = {
  intake: {
    description: 'EventBridge target: queues a VPC tag or lifecycle event and starts its workflow when it may',
    grant(role, ctx) {
      // Queues the request (UpdateItem, functions/shared/intake-queue.ts), then dispatches its account's queue.
      dispatchIntakeQueue(role, ctx);
    },
  },
  dispatch: {
    description: 'Starts queued requests within the per-account limits (on execution ends and every minute)',
    grant(role, ctx) {
      dispatchIntakeQueue(role, ctx);
    },
  },
  'notify-failures': {
    description: 'Sums failed executions up per account: at most one failure message per account per window',
    grant(role, ctx) {
      // The per-account counts (NOTIFY#FAILURES items): counted and claimed with UpdateItem, listed with Query.
      ctx.registry.grant(role, 'dynamodb:UpdateItem', 'dynamodb:Query');
      ctx.failureTopic.grantPublish(role);
    },
  },
  validate: {
    description: 'Checks a request against the configuration, the organization and the registry, under the VPC lease',
    spokeAccess: 'read',
    grant(role, ctx) {
      // Reads; UpdateItem renews the execution's lease (VPC#<id> / LEASE) before it reads anything.
      ctx.registry.grant(role, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem');
      // ListParents supports the account and organizationalunit resource types; their ARNs carry the management
      // account id, which the configuration does not know, so that part is a wildcard and the organization is pinned.
      allow(role, 'ReadOrganizationParents', ['organizations:ListParents'], organizationArns(ctx, ['account', 'ou']));
      allow(role, 'DescribeAttachments', ['ec2:DescribeTransitGatewayAttachments'], ['*']);
      // Profile mode: the hub's Profile id, by its name (ListProfiles has no resource type).
      if (ctx.config.dns.mode === 'profile') allow(role, 'FindHubProfile', ['route53profiles:ListProfiles'], ['*']);
      // The catalog zones' names, for the conflict check against the zones the VPC already uses.
      const zones = hostedZoneIds(ctx.config).map((id) => hostedZoneArn(ctx.stack, id));
      if (zones.length > 0) allow(role, 'ReadCatalogZones', ['route53:GetHostedZone'], zones);
    },
  },
  lease: {
    description: 'Takes and releases the per-VPC lease in the registry table',
    grant(role, ctx) {
      ctx.registry.grant(role, ...TABLE_READ_WRITE);
      // A lease whose holder execution has ended is taken over: the holder is one of the workflow executions.
      allow(
        role,
        'CheckLeaseHolder',
        ['states:DescribeExecution'],
        ['onboard', 'offboard'].map((id) => executionArnPattern(ctx, id)),
      );
    },
  },
  records: {
    description: 'Reads and writes the consumer registry record of a VPC',
    grant(role, ctx) {
      ctx.registry.grant(role, ...TABLE_READ_WRITE);
    },
  },
  'transit-gateway': {
    description:
      'Shares the TGW, accepts the attachment, sets its route table association and propagations, waits until in effect',
    spokeAccess: 'write',
    grant(role, ctx) {
      const { config, stack } = ctx;
      const tgwArn = ec2Arn(ctx, 'transit-gateway', config.hub.transitGatewayId);
      const shareArns = [stack.formatArn({ service: 'ram', resource: 'resource-share', resourceName: '*' })];
      updateRegistryRecord(role, ctx);
      // With the TGW shared with the organization (by the hub stack), the members need nothing per account: the
      // per-account share `<prefix>-tgw` serves only the accounts outside the organization, if any are configured.
      const perAccountShare =
        organizationShareOf(config) === undefined || config.organization.externalAccounts.length > 0;
      if (!perAccountShare) {
        // ShareTransitGateway only checks that the organization share holds the organization and the TGW.
        allow(role, 'ReadShareAssociations', ['ram:GetResourceShareAssociations'], ['*']);
      } else {
        // Offboarding unshares the TGW only when no other VPC of the account uses it (registry index byAccount).
        ctx.registry.grant(role, 'dynamodb:Query');
        // CreateResourceShare has no resource type: it is scoped by what it shares, which must be the hub TGW.
        allow(role, 'CreateTransitGatewayShare', ['ram:CreateResourceShare'], ['*'], {
          StringEquals: { 'ram:RequestedResourceType': 'ec2:TransitGateway', 'ram:ResourceArn': tgwArn },
        });
        // Adding or removing principals carries no resource ARN; adding a resource must be the hub TGW.
        allow(
          role,
          'ManageTransitGatewayShare',
          ['ram:AssociateResourceShare', 'ram:DisassociateResourceShare'],
          shareArns,
          { StringEqualsIfExists: { 'ram:ResourceArn': tgwArn } },
        );
        allow(role, 'ReadShares', ['ram:GetResourceShares', 'ram:GetResourceShareAssociations'], ['*']);
      }
      allow(
        role,
        'ManageSpokeAttachments',
        ['ec2:AcceptTransitGatewayVpcAttachment', 'ec2:DeleteTransitGatewayVpcAttachment'],
        attachmentArns(ctx),
      );
      allow(
        role,
        'SetAttachmentRouting',
        [
          'ec2:AssociateTransitGatewayRouteTable',
          'ec2:DisassociateTransitGatewayRouteTable',
          // Only disabled: the hub routes back to a VPC with static routes for its claimed CIDRs, never propagation.
          'ec2:DisableTransitGatewayRouteTablePropagation',
        ],
        [...routeTableIds(config).map((id) => ec2Arn(ctx, 'transit-gateway-route-table', id)), ...attachmentArns(ctx)],
      );
      // Static routes for the claimed CIDRs: transit-gateway-route-table (required) and, for CreateTransitGatewayRoute,
      // transit-gateway-attachment (Service Authorization Reference, EC2).
      allow(
        role,
        'SetHubStaticRoutes',
        ['ec2:CreateTransitGatewayRoute', 'ec2:DeleteTransitGatewayRoute', 'ec2:SearchTransitGatewayRoutes'],
        [...routeTableIds(config).map((id) => ec2Arn(ctx, 'transit-gateway-route-table', id)), ...attachmentArns(ctx)],
      );
      allow(
        role,
        'DescribeAttachments',
        [
          'ec2:DescribeTransitGatewayAttachments',
          'ec2:DescribeTransitGatewayVpcAttachments',
          'ec2:GetTransitGatewayAttachmentPropagations',
          // The TGW's default association and propagation options (AssociateAndPropagate, a new attachment).
          'ec2:DescribeTransitGateways',
        ],
        ['*'],
      );
    },
  },
  routes: {
    description: 'Adds and removes the spoke VPC routes to the TGW (in the spoke account)',
    spokeAccess: 'write',
    grant(role, ctx) {
      updateRegistryRecord(role, ctx);
    },
  },
  status: {
    description: 'Writes the spokelink:status|detail|execution tags on the spoke VPC (in the spoke account)',
    spokeAccess: 'write',
    grant(role, ctx) {
      // Reads the VPC's lease (a failing execution that no longer holds it leaves the status to the holder), renews
      // the writer's lease and reserves the status for it by execution start time (VPC#<id> / STATUS): UpdateItem.
      ctx.registry.grant(role, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    },
  },
  zones: {
    description: 'Authorizes the spoke VPC on the catalog private hosted zones, then removes the authorization',
    spokeAccess: 'write',
    grant(role, ctx) {
      updateRegistryRecord(role, ctx);
      const zones = hostedZoneIds(ctx.config).map((id) => hostedZoneArn(ctx.stack, id));
      if (zones.length > 0) {
        allow(
          role,
          'AuthorizeCatalogZones',
          [
            'route53:CreateVPCAssociationAuthorization',
            'route53:DeleteVPCAssociationAuthorization',
            'route53:ListVPCAssociationAuthorizations',
            'route53:GetHostedZone',
          ],
          zones,
        );
        // Offboarding and pruning: the hub, as the zones' owner, disassociates the VPC (also a deleted VPC's).
        allow(role, 'DisassociateFromCatalogZones', ['route53:DisassociateVPCFromHostedZone'], zones);
      }
    },
  },
  consumer: {
    description: 'Opens the endpoint security groups to the spoke CIDRs and allows the spoke on endpoint services',
    // Which endpoints live in the VPC being registered: asked of the read-only spoke role (DescribeVpcEndpoints).
    spokeAccess: 'read',
    grant(role, ctx) {
      updateRegistryRecord(role, ctx);
      // Offboarding removes the account's principal only when no other VPC of the account uses it (index byAccount).
      ctx.registry.grant(role, 'dynamodb:Query');
      const groups = securityGroupIds(ctx.config).map((id) => ec2Arn(ctx, 'security-group', id));
      if (groups.length > 0) {
        allow(
          role,
          'ManageEndpointIngress',
          ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
          groups,
        );
      }
      const services = Object.values(ctx.config.endpointServices).map((s) =>
        ec2Arn(ctx, 'vpc-endpoint-service', s.serviceId),
      );
      if (services.length > 0) {
        allow(
          role,
          'ManageEndpointServiceConsumers',
          [
            'ec2:ModifyVpcEndpointServicePermissions',
            'ec2:AcceptVpcEndpointConnections',
            'ec2:RejectVpcEndpointConnections',
          ],
          services,
        );
      }
      allow(
        role,
        'DescribeEndpointAccess',
        [
          'ec2:DescribeSecurityGroupRules',
          'ec2:DescribeVpcEndpointServicePermissions',
          'ec2:DescribeVpcEndpointConnections',
        ],
        ['*'],
      );
    },
  },
  rollback: {
    description:
      'Plans an offboarding or an onboarding rollback: reads the VPC (through the spoke role) and its registry record',
    spokeAccess: 'read',
    grant(role, ctx) {
      // Reads; UpdateItem renews the offboarding's lease before PlanOffboarding reads the record.
      ctx.registry.grant(role, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    },
  },
  reconcile: {
    description: 'Compares the VPCs asking to connect and the configuration with the registry; lists the work to start',
    spokeAccess: 'read',
    grant(role, ctx) {
      // One scan per run: consumer records, leases (work in progress), pending approvals and the configuration
      // rollout; PutItem records the rollout's stage (functions/reconcile/rollout.ts).
      ctx.registry.grant(role, 'dynamodb:Scan', 'dynamodb:PutItem');
      // A rollout that stops (its canary failed) is told on the failure topic.
      ctx.failureTopic.grantPublish(role);
      // The member accounts: walking the spoke OUs down (the hub is a delegated administrator). The ARNs of OUs and
      // roots carry the management account id, which the configuration does not know; the organization is pinned.
      allow(
        role,
        'ListSpokeAccounts',
        ['organizations:ListAccountsForParent', 'organizations:ListOrganizationalUnitsForParent'],
        organizationArns(ctx, ['ou', 'root']),
      );
      // Drift in the hub: the endpoint rules (descriptions changed) and the attachments' associations.
      allow(
        role,
        'DescribeHubDrift',
        ['ec2:DescribeSecurityGroupRules', 'ec2:DescribeTransitGatewayAttachments'],
        ['*'],
      );
      peeringGrants(role, ctx);
      // The executions are started by the reconcile state machine (a Map bounded by MaxConcurrency), not here.
    },
  },
  approval: {
    description: 'Stores the approval task token and notifies the approvers; withdraws a request no longer asked for',
    grant(role, ctx) {
      ctx.approvalTopic.grantPublish(role);
      // The pending approval item (APPROVAL#<id> / PENDING): stored; read and deleted when offboarding withdraws it or
      // a new request of the VPC replaces it.
      // Withdrawing renews the offboarding's lease first (UpdateItem on VPC#<id> / LEASE).
      ctx.registry.grant(role, 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem');
      answerTasks(role, ['states:SendTaskFailure']);
    },
  },
  decision: {
    description: 'The decision function URL (AWS_IAM): answers a pending approval for the authenticated approver',
    grant(role, ctx) {
      // The pending approval item: read, then deleted once answered.
      ctx.registry.grant(role, 'dynamodb:GetItem', 'dynamodb:DeleteItem');
      answerTasks(role, ['states:SendTaskSuccess', 'states:SendTaskFailure']);
    },
  },
};

/**
 * Actions allowed on `Resource: "*"`, each with the reason. The cdk-nag acknowledgements are generated from this
 * table (nothing else gets acknowledged), and the infra tests hold their own copy as an allowlist.
 */
export const RESOURCE_STAR_REASONS: Readonly<Record<string, string>> = {
  'ec2:DescribeTransitGatewayAttachments': 'EC2 Describe* actions do not support resource-level permissions',
  'states:SendTaskSuccess': 'Step Functions SendTaskSuccess supports no resource type: the task token limits it',
  'states:SendTaskFailure': 'Step Functions SendTaskFailure supports no resource type: the task token limits it',
  'ec2:DescribeTransitGatewayVpcAttachments': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeTransitGateways': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeTransitGatewayPeeringAttachments': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeSecurityGroupRules': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeVpcEndpointServicePermissions': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeVpcEndpointConnections': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeVpcs': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeVpcEndpoints': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeSubnets': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeRouteTables': 'EC2 Describe* actions do not support resource-level permissions',
  'ec2:DescribeVpcAttribute': 'read-only VPC attribute lookup (enableDnsSupport/Hostnames) on VPCs chosen at run time',
  'ec2:GetTransitGatewayAttachmentPropagations':
    'GetTransitGatewayAttachmentPropagations supports no resource type (Service Authorization Reference, EC2)',
  'ram:GetResourceShares': 'RAM GetResourceShares has no resource type (Service Authorization Reference)',
  'ram:GetResourceShareAssociations': 'RAM GetResourceShareAssociations has no resource type',
  'ram:GetResourceShareInvitations': 'RAM GetResourceShareInvitations has no resource type',
  'route53:ListHostedZonesByVPC': 'Route 53 ListHostedZonesByVPC has no resource type (it is asked about a VPC)',
  'route53profiles:ListProfiles':
    'Route 53 Profiles ListProfiles has no resource type (Service Authorization Reference)',
  'route53profiles:ListProfileAssociations': 'Route 53 Profiles ListProfileAssociations has no resource type',
  'route53profiles:GetProfileAssociation': 'Route 53 Profiles GetProfileAssociation has no resource type',
  'route53profiles:AssociateProfile':
    'Route 53 Profiles AssociateProfile has no resource type; the write session narrows it to the VPC (route53profiles:ResourceIds)',
  'route53profiles:DisassociateProfile':
    'Route 53 Profiles DisassociateProfile has no resource type; the write session narrows it to the VPC (route53profiles:ResourceIds)',
  'ram:CreateResourceShare':
    'RAM CreateResourceShare has no resource type; the statement is limited by ram:ResourceArn to the hub TGW',
  'xray:PutTraceSegments': 'X-Ray trace upload does not support resource-level permissions (tracing is on)',
  'xray:PutTelemetryRecords': 'X-Ray trace upload does not support resource-level permissions (tracing is on)',
  'xray:GetSamplingRules': 'X-Ray sampling lookup does not support resource-level permissions (tracing is on)',
  'xray:GetSamplingTargets': 'X-Ray sampling lookup does not support resource-level permissions (tracing is on)',
  'logs:CreateLogDelivery': 'Step Functions logging: CloudWatch Logs vended delivery APIs take no resource ARN',
  'logs:GetLogDelivery': 'Step Functions logging: CloudWatch Logs vended delivery APIs take no resource ARN',
  'logs:UpdateLogDelivery': 'Step Functions logging: CloudWatch Logs vended delivery APIs take no resource ARN',
  'logs:DeleteLogDelivery': 'Step Functions logging: CloudWatch Logs vended delivery APIs take no resource ARN',
  'logs:ListLogDeliveries': 'Step Functions logging: CloudWatch Logs vended delivery APIs take no resource ARN',
  'logs:PutResourcePolicy': 'Step Functions logging: the log group resource policy API takes no resource ARN',
  'logs:DescribeResourcePolicies': 'Step Functions logging: the log group resource policy API takes no resource ARN',
  'logs:DescribeLogGroups': 'Step Functions logging: DescribeLogGroups takes no resource ARN',
};

/** An ARN's partition as cdk-nag shows it: literal when the stack's region is known, else the pseudo parameter. */
const P = '(?:aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|<AWS::Partition>)';
const arn = (rest: string) => new RegExp(`^Resource::arn:${P}:${rest}$`);

/** Wildcards inside otherwise scoped resources or actions, recognised by pattern, each with the reason. */
export const SCOPED_WILDCARD_REASONS: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  {
    pattern: arn('ec2:[a-z0-9-]+:\\d{12}:transit-gateway-attachment/\\*'),
    reason:
      "peering attachments of the hub account's TGWs are created at run time (by this hub or its peer region's hub)",
  },
  {
    pattern: arn('iam::\\*:role/[\\w+=,.@-]+'),
    reason: 'the spoke execution role has a fixed name in every spoke account; accounts join the org at any time',
  },
  {
    pattern: /^Resource::<[A-Za-z0-9]+\.Arn>\/index\/\*$/,
    reason: 'the registry table GSIs (byAccount), granted by the DynamoDB grant helper together with the table',
  },
  {
    pattern: /^Resource::<[A-Za-z0-9]+\.Arn>:\*$/,
    reason: 'qualified ARNs (versions, aliases) of exactly this workflow function, as added by grantInvoke',
  },
  {
    pattern: arn('ec2:[a-z0-9-]+:\\*:transit-gateway-attachment/\\*'),
    reason: 'spoke attachments are created by spoke accounts at run time; the region is pinned to the hub',
  },
  {
    pattern: arn('ram:[a-z0-9-]+:\\d{12}:resource-share/\\*'),
    reason: 'resource shares of the hub account are created at run time (their ids are unknown at deploy time)',
  },
  {
    pattern: arn('organizations::\\*:(account|ou|root)/o-[a-z0-9]+/\\*'),
    reason: 'accounts, OUs and roots of this organization only; the management account id in the ARN is not configured',
  },
  {
    pattern: arn('ec2:[a-z0-9-]+:<AWS::AccountId>:(vpc|subnet|route-table|transit-gateway-attachment)/\\*'),
    reason: 'spoke VPCs, subnets, route tables and attachments are chosen by the app team at run time (own account)',
  },
  {
    pattern: arn('ec2:[a-z0-9-]+:<AWS::AccountId>:(vpc-endpoint|security-group)/\\*'),
    reason:
      'local endpoints and their groups are created at run time in the VPC being onboarded; creation needs spokelink tags and a catalog service name, changes and deletion the spokelink tag',
  },
  {
    pattern: arn('ram:[a-z0-9-]+:\\*:resource-share-invitation/\\*'),
    reason: 'invitation ids are unknown in advance; ram:ShareOwnerAccountId limits them to the hub account',
  },
  {
    pattern: arn('states:[a-z0-9-]+:\\d{12}:execution:[\\w-]+:\\*'),
    reason: 'executions of exactly one named spokelink workflow (execution names are chosen at run time)',
  },
  {
    pattern: arn('route53:::change/\\*'),
    reason: 'Route 53 change ids are made by each association at run time; only the account that made one may read it',
  },
  {
    pattern: /^Action::kms:(GenerateDataKey|ReEncrypt)\*$/,
    reason: 'the SNS topic KMS key grant added by grantPublish (data-key generation for this one key)',
  },
];

/**
 * The policy an approver needs for `spokelink approve|deny` (documented in docs/lifecycle.md, which a test compares
 * with this): invoke the decision function URL, with IAM auth. `<region>`, `<hub>` and `<prefix>` are the hub's
 * region, account and prefix. The decision function answers the task (its own role holds `states:SendTask*`):
 * approvers need no Step Functions or DynamoDB permission and never see a task token.
 */
export const APPROVER_POLICY_STATEMENTS = [
  {
    Effect: 'Allow',
    Action: 'lambda:InvokeFunctionUrl',
    Resource: 'arn:aws:lambda:<region>:<hub>:function:<prefix>-decision',
    Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
  },
] as const;

/**
 * The read-only spoke role's permissions (`<spokeRole.name>-read`): describe the account's network and ask which
 * zones a VPC uses. Every action here supports no resource type (Service Authorization Reference), so `"*"`. The
 * read-write role holds them too.
 */
export function spokeReadStatements(config?: HubConfig): PolicyStatement[] {
  const statements = [
    new PolicyStatement({
      sid: 'ReadNetwork',
      actions: [
        'ec2:DescribeVpcs',
        'ec2:DescribeSubnets',
        'ec2:DescribeRouteTables',
        'ec2:DescribeVpcAttribute',
        'ec2:DescribeTransitGatewayAttachments',
        'ec2:DescribeTransitGatewayVpcAttachments',
        // Which VPC each endpoint to a hub endpoint service lives in (only the endpoint's owner can see it).
        'ec2:DescribeVpcEndpoints',
      ],
      resources: ['*'],
    }),
    new PolicyStatement({
      // Conflict check: the zones the VPC is already associated with (only the VPC owner may ask).
      sid: 'ListZonesOfOwnVpcs',
      actions: ['route53:ListHostedZonesByVPC'],
      resources: ['*'],
    }),
  ];
  if (config && anyProfileMode(config)) {
    statements.push(
      new PolicyStatement({
        // DNS mode profile: the VPC's Profile associations (validation's one-Profile-per-VPC check, the reconcile's
        // comparison, WaitForConnectivity's COMPLETE). Only the VPC's owner can read them; no resource type.
        sid: 'ReadProfileAssociationsOfOwnVpcs',
        actions: ['route53profiles:ListProfileAssociations', 'route53profiles:GetProfileAssociation'],
        resources: ['*'],
      }),
    );
  }
  return statements;
}

/**
 * Every served region's hub as the configuration describes it for that region (regionalConfig): the spoke roles are
 * one per account (IAM is global) and serve the hubs of every region, so they are granted what each regional hub's
 * steps do there (its TGW, its catalog's zones and spoke-placed services, its shares).
 */
function regionalViews(config: HubConfig): HubConfig[] {
  return servedRegions(config).map((region) => regionalConfig(config, region));
}

/** Whether some served region's hub runs DNS mode profile. */
function anyProfileMode(config: HubConfig): boolean {
  return regionalViews(config).some((view) => view.dns.mode === 'profile');
}

/** The spoke execution role's permissions (spoke account, every served region). */
export function spokeExecutionStatements(props: {
  config: HubConfig;
  stack: Stack;
  regions: readonly string[];
}): PolicyStatement[] {
  const { config, stack, regions } = props;
  const hub = config.hub;
  const views = regionalViews(config);
  const tgwArns = views.map((view) => transitGatewayArn(view, stack.partition));
  const own = (resource: string) =>
    regions.map((region) => stack.formatArn({ service: 'ec2', region, resource, resourceName: '*' }));
  const zones = [...new Set(views.flatMap(hostedZoneIds))].sort().map((id) => hostedZoneArn(stack, id));
  const statements = [
    new PolicyStatement({
      sid: 'CreateAttachmentToHubTransitGateway',
      actions: ['ec2:CreateTransitGatewayVpcAttachment'],
      resources: [...tgwArns, ...own('vpc'), ...own('subnet'), ...own('transit-gateway-attachment')],
    }),
    new PolicyStatement({
      // IPv6 support on a reused attachment of a dual-stack VPC (ModifyTransitGatewayVpcAttachment, Options only).
      sid: 'EnableIpv6OnOwnAttachments',
      actions: ['ec2:ModifyTransitGatewayVpcAttachment'],
      resources: own('transit-gateway-attachment'),
    }),
    new PolicyStatement({
      sid: 'TagAttachmentAtCreation',
      actions: ['ec2:CreateTags'],
      resources: own('transit-gateway-attachment'),
      conditions: { StringEquals: { 'ec2:CreateAction': 'CreateTransitGatewayVpcAttachment' } },
    }),
    new PolicyStatement({
      // A reused attachment gets spokelink's own tags (its Name and the VPC it serves), and nothing else.
      sid: 'TagOwnAttachments',
      actions: ['ec2:CreateTags'],
      resources: own('transit-gateway-attachment'),
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': [...ATTACHMENT_TAG_KEYS] },
        Null: { 'aws:TagKeys': 'false' },
      },
    }),
    new PolicyStatement({
      sid: 'RoutesToHub',
      actions: ['ec2:CreateRoute', 'ec2:DeleteRoute'],
      resources: own('route-table'),
    }),
    new PolicyStatement({
      // Only the status keys, and only when keys are named: DeleteTags without keys would delete every tag.
      sid: 'WriteStatusTagsOnly',
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: own('vpc'),
      conditions: {
        'ForAllValues:StringEquals': { 'aws:TagKeys': [...STATUS_TAG_KEYS] },
        Null: { 'aws:TagKeys': 'false' },
      },
    }),
    ...spokeReadStatements(config),
    new PolicyStatement({
      sid: 'AcceptHubShareInvitation',
      actions: ['ram:AcceptResourceShareInvitation'],
      resources: views.map((view) =>
        stack.formatArn({
          service: 'ram',
          region: view.hub.region,
          account: '*',
          resource: 'resource-share-invitation',
          resourceName: '*',
        }),
      ),
      // Only the hub's own shares: sent by the hub account, and named as the hub names them (the TGW's, the Profile's).
      conditions: {
        StringEquals: {
          'ram:ShareOwnerAccountId': hub.accountId,
          'ram:ResourceShareName': [tgwShareName(config), profileShareName(config)],
        },
      },
    }),
    new PolicyStatement({
      sid: 'ListShareInvitations',
      actions: ['ram:GetResourceShareInvitations'],
      resources: ['*'],
    }),
  ];
  // Profile mode: one AssociateProfile per VPC, from the VPC's account. DisassociateProfile in both modes: a hub
  // switched back to zones removes the Profile associations it made (README, "DNS modes"). Neither action has a
  // resource type, so the Profile cannot be named; the write session's policy narrows them to the one VPC
  // (route53profiles:ResourceIds).
  statements.push(
    new PolicyStatement({
      sid: 'AssociateHubProfile',
      actions: [
        ...(anyProfileMode(config) ? ['route53profiles:AssociateProfile'] : []),
        'route53profiles:DisassociateProfile',
      ],
      resources: ['*'],
    }),
  );
  statements.push(...spokeEndpointStatements(config, own));
  if (zones.length > 0) {
    statements.push(
      new PolicyStatement({
        sid: 'AssociateCatalogZones',
        actions: ['route53:AssociateVPCWithHostedZone', 'route53:DisassociateVPCFromHostedZone'],
        resources: zones,
      }),
      new PolicyStatement({
        // WaitForConnectivity: the association changes the spoke made are INSYNC (only their maker may ask).
        sid: 'ReadOwnZoneChanges',
        actions: ['route53:GetChange'],
        resources: [
          stack.formatArn({ service: 'route53', region: '', account: '', resource: 'change', resourceName: '*' }),
        ],
      }),
    );
  }
  return statements;
}

/**
 * Spoke placement (README, "Placement"): interface endpoints in the spoke VPC, only to the catalog's services that
 * some segment may place in the spoke (`ec2:VpceServiceName`), only tagged as spokelink's at creation
 * (`aws:RequestTag`), and only spokelink-tagged endpoints and groups changed (private DNS on or off in a move) or
 * deleted (`ec2:ResourceTag`); the
 * group an endpoint uses is spokelink's own, created tagged. Condition keys per the Service Authorization Reference,
 * EC2 (test/infra/iam-resource-types.test.ts). Nothing when no endpoint may be placed in the spoke. Deletion is
 * decided by the registry's ids; the tag condition only keeps the role from deleting anything a tenant made.
 */
function spokeEndpointStatements(config: HubConfig, own: (resource: string) => string[]): PolicyStatement[] {
  const serviceNames = [...new Set(regionalViews(config).flatMap(spokeServiceNames))].sort();
  if (serviceNames.length === 0) return [];
  const managed = { [`aws:RequestTag/${MANAGED_TAG.Key}`]: MANAGED_TAG.Value };
  const ownedByUs = { [`ec2:ResourceTag/${MANAGED_TAG.Key}`]: MANAGED_TAG.Value };
  return [
    new PolicyStatement({
      sid: 'CreateSpokeEndpointsForCatalogServices',
      actions: ['ec2:CreateVpcEndpoint'],
      resources: own('vpc-endpoint'),
      conditions: { StringEquals: { 'ec2:VpceServiceName': serviceNames, ...managed } },
    }),
    new PolicyStatement({
      sid: 'CreateSpokeEndpointsInOwnVpcs',
      actions: ['ec2:CreateVpcEndpoint'],
      resources: [...own('vpc'), ...own('subnet')],
    }),
    new PolicyStatement({
      sid: 'CreateSpokeEndpointsWithOwnGroups',
      actions: ['ec2:CreateVpcEndpoint'],
      resources: own('security-group'),
      conditions: { StringEquals: ownedByUs },
    }),
    new PolicyStatement({
      sid: 'CreateSpokeEndpointGroups',
      actions: ['ec2:CreateSecurityGroup'],
      resources: own('security-group'),
      conditions: { StringEquals: managed },
    }),
    new PolicyStatement({
      sid: 'CreateSpokeEndpointGroupsInOwnVpcs',
      actions: ['ec2:CreateSecurityGroup'],
      resources: own('vpc'),
    }),
    new PolicyStatement({
      sid: 'TagSpokeEndpointsAtCreation',
      actions: ['ec2:CreateTags'],
      resources: [...own('vpc-endpoint'), ...own('security-group')],
      conditions: { StringEquals: { 'ec2:CreateAction': ['CreateVpcEndpoint', 'CreateSecurityGroup'] } },
    }),
    new PolicyStatement({
      sid: 'ManageOwnSpokeEndpointGroups',
      actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:DeleteSecurityGroup'],
      resources: own('security-group'),
      conditions: { StringEquals: ownedByUs },
    }),
    new PolicyStatement({
      // A move between hub and spoke turns private DNS on or off on spokelink's own endpoint (functions/zones/moves.ts).
      sid: 'TogglePrivateDnsOfOwnSpokeEndpoints',
      actions: ['ec2:ModifyVpcEndpoint'],
      resources: own('vpc-endpoint'),
      conditions: { StringEquals: ownedByUs },
    }),
    new PolicyStatement({
      sid: 'DeleteOwnSpokeEndpoints',
      actions: ['ec2:DeleteVpcEndpoints'],
      resources: own('vpc-endpoint'),
      conditions: { StringEquals: { ...ownedByUs, 'ec2:VpceServiceName': serviceNames } },
    }),
  ];
}

/** ARN of the state machine `<prefix>-<id>` in the hub account. */
export function stateMachineArnFor(stack: Stack, config: HubConfig, id: string): string {
  return stack.formatArn({
    service: 'states',
    resource: 'stateMachine',
    resourceName: resourceNames(config).stateMachine(id),
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
