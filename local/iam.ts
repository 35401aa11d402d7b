// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${Name} are the policy placeholders, not template strings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type HubConfig,
  organizationShareOf,
  regionalConfig,
  type SpokeAccess,
  servedRegions,
  spokeRoleName,
  spokeServiceNames,
} from '#shared/config';
import { shardResources } from '#shared/shards';
import type { IamModel, PolicyDocument } from '#twin/iam';
import { resourceNames } from '../infra/config';
import { crossRegionDeployStatements } from '../infra/cross-region';

/**
 * The IAM model of a local hub: the policies the CDK app synthesizes (local/iam-policies.generated.json, written by
 * `npm run iam:generate` from the synth of the example configuration, with placeholders for every configuration
 * value), instantiated for the hub's own configuration. The local runner never loads aws-cdk-lib.
 *
 * - Every hub function calls AWS as its own role `<prefix>-fn-<name>` (locally the functions share one set of
 *   credentials; the twin names the function making each call, and its role's policies apply).
 * - Sessions of the spoke roles `<spokeRole.name>` (write) and `<spokeRole.name>-read` in any account get that
 *   role's identity policy for that account (and the session policy the hub passed), and AssumeRole is evaluated
 *   against the role's synthesized trust policy too.
 * - The principal deploying the hub stack (`hubDeployerRoleArn`, the CDK bootstrap's CloudFormation execution role)
 *   is allowed exactly `crossRegionDeployStatements`: the local runner creates the hub's cross-region endpoints as it
 *   (local/hub.ts, `deployCrossRegionEndpoints`), so `vpce:AllowMultiRegion` is evaluated.
 * - Other principals (app teams, an operator using the functions' credentials outside a function) are not evaluated.
 */

export const IAM_POLICIES_FILE = join(__dirname, 'iam-policies.generated.json');

interface Variant {
  functions: Record<string, PolicyDocument>;
  spokeRoles: Record<SpokeAccess, { identity: PolicyDocument; trust: PolicyDocument }>;
}

/** The generated file: operator policies and the per-configuration-shape variants of the synthesized policies. */
export interface IamPolicies {
  operators: Record<string, PolicyDocument>;
  variants: Record<
    'perAccountShare' | 'organizationShareOnly' | 'perAccountShareProfile' | 'organizationShareOnlyProfile',
    Variant
  >;
  /** What a hub with `peers` adds to a function's policy (inter-region reach), by function name. */
  peering: Record<string, PolicyDocument>;
}

let cachedFile: IamPolicies | undefined;

/** The committed policies (a fresh copy when `fresh`: tests change it). */
export function iamPolicies(fresh = false): IamPolicies {
  if (fresh) return JSON.parse(readFileSync(IAM_POLICIES_FILE, 'utf8')) as IamPolicies;
  cachedFile ??= iamPolicies(true);
  return cachedFile;
}

/** List placeholders: a string holding one expands into one string per value (none: the string disappears). */
function listValues(config: HubConfig): Record<string, string[]> {
  const segments = Object.values(config.segments);
  const endpoints = Object.values(config.endpoints);
  const shards = shardResources(config);
  const uniq = (values: string[]) => [...new Set(values)].sort();
  return {
    RouteTableIds: uniq(segments.flatMap((s) => [s.associationRouteTableId, ...s.propagationRouteTableIds])),
    // The catalog's and the endpoint shards' (functions/shared/shards.ts), as infra/permissions.ts grants them.
    HostedZoneIds: uniq([...endpoints.flatMap((e) => e.privateHostedZoneIds), ...shards.zones]),
    SecurityGroupIds: uniq([...endpoints.map((e) => e.securityGroupId), ...shards.groups]),
    EndpointServiceIds: uniq(Object.values(config.endpointServices).map((s) => s.serviceId)),
    ExternalAccounts: uniq(config.organization.externalAccounts),
    SpokeServiceNames: spokeServiceNames(config),
    PeerRouteTableIds: uniq(Object.values(config.hub.peers).flatMap((p) => p.routeTableIds)),
    PeerAssociationRouteTableIds: uniq(Object.values(config.hub.peers).map((p) => p.associationRouteTableId)),
  };
}

/** Instantiates a templatized policy for a configuration (and a spoke account). */
export function instantiate(policy: PolicyDocument, config: HubConfig, spokeAccount?: string): PolicyDocument {
  const scalars: Record<string, string> = {
    Partition: 'aws',
    HubAccount: config.hub.accountId,
    HubRegion: config.hub.region,
    Prefix: config.prefix,
    TransitGatewayId: config.hub.transitGatewayId,
    OrganizationId: config.organization.id,
    SpokeRoleName: config.spokeRole.name,
    SpokeExternalId: config.spokeRole.externalId,
    SpokeAccount: spokeAccount ?? '${SpokeAccount}',
  };
  const lists = listValues(config);
  // With several served regions the function roles carry the region's code (resourceNames: IAM is global); the
  // generated policies, synthesized from one region, name them without it.
  const functionRole = new RegExp(`^(arn:aws:iam::${config.hub.accountId}:role/)${config.prefix}-fn-([a-z0-9-]+)$`);
  const names = servedRegions(config).length > 1 ? resourceNames(config) : undefined;
  const regional = (arn: string): string => {
    const m = names && functionRole.exec(arn);
    return m ? `${m[1]}${names.functionRole(m[2]!)}` : arn;
  };
  const expand = (text: string): string[] => expandScalars(text).map(regional);
  const expandScalars = (text: string): string[] => {
    let out = text.replace(/\$\{(\w+)\}/g, (whole, name: string) => scalars[name] ?? whole);
    const list = /\$\{(\w+)\}/.exec(out)?.[1];
    if (list === undefined) return [out];
    const values = lists[list];
    if (!values) throw new Error(`iam-policies: unknown placeholder \${${list}} (regenerate: npm run iam:generate)`);
    out = out.split(`\${${list}}`).join('\u0000');
    return values.flatMap((v) => expandScalars(out.split('\u0000').join(v)));
  };
  const go = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const values = expand(value);
      return values.length === 1 ? values[0] : values;
    }
    if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? expand(v) : [go(v)]));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, go(v)]));
    }
    return value;
  };
  const statements = (policy.Statement as Record<string, unknown>[])
    .map((s) => go(s) as Record<string, unknown>)
    // A statement whose resources all came from an empty list grants nothing (the CDK app leaves it out).
    .filter((s) => !(Array.isArray(s.Resource) && s.Resource.length === 0));
  return { Version: policy.Version, Statement: statements };
}

/** The role an operator policy is evaluated for: `<prefix>-<name>` in the hub account (`spokelink-approver`). */
export function operatorRoleArn(config: HubConfig, name: string): string {
  return `arn:aws:iam::${config.hub.accountId}:role/${config.prefix}-${name}`;
}

/**
 * The principal that deploys a regional hub stack: the CDK bootstrap's default CloudFormation execution role of the
 * hub account in the hub's region (`cdk-hnb659fds-cfn-exec-role-<account>-<region>`,
 * https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html).
 */
export function hubDeployerRoleArn(config: Pick<HubConfig, 'hub'>): string {
  const { accountId, region } = config.hub;
  return `arn:aws:iam::${accountId}:role/cdk-hnb659fds-cfn-exec-role-${accountId}-${region}`;
}

/** The policies of one configuration, instantiated. */
interface Instantiated {
  config: HubConfig;
  variant: Variant;
  hubRole(name: string): string;
  roles: Map<string, PolicyDocument[]>;
  /** `[access, account]` of a spoke role ARN, if it is one. */
  spokeRole(roleArn: string): [SpokeAccess, string] | undefined;
  spokeIdentity: Map<string, PolicyDocument[]>;
  spokeTrust: Map<string, PolicyDocument>;
}

function instantiateAll(config: HubConfig, policies: IamPolicies): Instantiated {
  const perAccountShare = organizationShareOf(config) === undefined || config.organization.externalAccounts.length > 0;
  const share = perAccountShare ? ('perAccountShare' as const) : ('organizationShareOnly' as const);
  const variant = policies.variants[config.dns.mode === 'profile' ? (`${share}Profile` as const) : share];
  const names = resourceNames(config);
  const hubRole = (name: string) => `arn:aws:iam::${config.hub.accountId}:role/${names.functionRole(name)}`;
  // A hub with peers: the reconcile's inter-region reach grants too (infra/permissions.ts, peeringGrants).
  const peered = Object.keys(config.hub.peers).length > 0;
  const roles = new Map<string, PolicyDocument[]>([
    ...Object.entries(variant.functions).map(([name, policy]): [string, PolicyDocument[]] => {
      const peering = peered ? policies.peering[name] : undefined;
      return [hubRole(name), [instantiate(policy, config), ...(peering ? [instantiate(peering, config)] : [])]];
    }),
    ...Object.entries(policies.operators).map(([name, policy]): [string, PolicyDocument[]] => [
      operatorRoleArn(config, name),
      [instantiate(policy, config)],
    ]),
  ]);
  const deploy = crossRegionDeployStatements(config);
  if (deploy.length > 0) roles.set(hubDeployerRoleArn(config), [{ Version: '2012-10-17', Statement: deploy }]);
  const spokeRoles = (['write', 'read'] as const).map((access): [SpokeAccess, string] => [
    access,
    spokeRoleName(config, access),
  ]);
  const spokeRole = (roleArn: string): [SpokeAccess, string] | undefined => {
    const m = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(roleArn);
    const access = m && spokeRoles.find(([, name]) => name === m[2])?.[0];
    return access && m?.[1] ? [access, m[1]] : undefined;
  };
  return { config, variant, hubRole, roles, spokeRole, spokeIdentity: new Map(), spokeTrust: new Map() };
}

/**
 * The policy every hub function's role must have for `config`, as the CDK app synthesizes it (what `spokelink
 * preflight --aws` checks the deployed roles against): role ARN -> policy, by function name.
 */
export function expectedFunctionPolicies(
  config: HubConfig,
  policies = iamPolicies(),
): Record<string, { roleArn: string; policy: PolicyDocument }> {
  const all = instantiateAll(config, policies);
  return Object.fromEntries(
    Object.keys(all.variant.functions)
      .sort()
      .map((name) => [name, { roleArn: all.hubRole(name), policy: all.roles.get(all.hubRole(name))![0]! }]),
  );
}

/**
 * The IAM model of a local hub (`functionsRoleArn`: the credentials the local functions share). `config` may be a
 * function: a configuration change is a redeploy of the hub stack, which updates the roles' policies too.
 * `policies`: other policies than the committed ones (tests that remove a grant).
 */
export function localIamModel(
  config: HubConfig | (() => HubConfig),
  functionsRoleArn: string,
  policies = iamPolicies(),
): IamModel {
  const current = typeof config === 'function' ? config : () => config;
  let cache: Instantiated | undefined;
  const all = (): Instantiated => {
    const now = current();
    if (cache?.config !== now) cache = instantiateAll(now, policies);
    return cache;
  };
  return {
    principalOf(caller, origin) {
      if (caller.arn === functionsRoleArn && origin !== undefined) return all().hubRole(origin);
      return caller.roleArn ?? caller.arn;
    },
    identityPolicies(roleArn) {
      const p = all();
      const own = p.roles.get(roleArn);
      if (own) return own;
      const spoke = p.spokeRole(roleArn);
      if (spoke === undefined) return undefined;
      const [access, account] = spoke;
      let identity = p.spokeIdentity.get(roleArn);
      if (!identity) {
        identity = [instantiate(p.variant.spokeRoles[access].identity, p.config, account)];
        p.spokeIdentity.set(roleArn, identity);
      }
      return identity;
    },
    trustPolicy(roleArn) {
      const p = all();
      const spoke = p.spokeRole(roleArn);
      if (spoke === undefined) return undefined;
      const [access, account] = spoke;
      let trust = p.spokeTrust.get(roleArn);
      if (!trust) {
        trust = instantiate(p.variant.spokeRoles[access].trust, p.config, account);
        p.spokeTrust.set(roleArn, trust);
      }
      return trust;
    },
  };
}

/**
 * The IAM model of a local hub serving several regions: each region's functions call AWS with their own credentials
 * (`functionsRoleArns[region]`) and are evaluated as that region's roles (`<prefix>-fn-<name>-<code>`, the region's
 * view of the configuration); the spoke roles and the operators, created once (IAM is global), get what every
 * regional hub grants them: the union of the regional policies, as the CDK app grants its one spoke role each
 * regional hub's steps and trusts each regional hub's roles.
 */
export function multiRegionIamModel(
  config: () => HubConfig,
  functionsRoleArns: Readonly<Record<string, string>>,
  policies = iamPolicies(),
): IamModel {
  const models = Object.entries(functionsRoleArns).map(([region, roleArn]) => {
    let view: { base: HubConfig; config: HubConfig } | undefined;
    const regional = () => {
      const base = config();
      if (view?.base !== base) view = { base, config: regionalConfig(base, region) };
      return view.config;
    };
    return { roleArn, model: localIamModel(regional, roleArn, policies) };
  });
  let merged:
    | {
        base: HubConfig;
        identity: Map<string, PolicyDocument[] | undefined>;
        trust: Map<string, PolicyDocument | undefined>;
      }
    | undefined;
  const cache = () => {
    const base = config();
    if (merged?.base !== base) merged = { base, identity: new Map(), trust: new Map() };
    return merged;
  };
  const distinct = <T>(values: (T | undefined)[]): T[] => {
    const seen = new Map<string, T>();
    for (const v of values) if (v !== undefined) seen.set(JSON.stringify(v), v);
    return [...seen.values()];
  };
  return {
    principalOf(caller, origin) {
      const own = models.find((m) => m.roleArn === caller.arn);
      return own?.model.principalOf?.(caller, origin) ?? caller.roleArn ?? caller.arn;
    },
    identityPolicies(roleArn) {
      const c = cache();
      if (!c.identity.has(roleArn)) {
        const found = distinct(models.flatMap((m) => m.model.identityPolicies(roleArn) ?? []));
        c.identity.set(roleArn, found.length === 0 ? undefined : found);
      }
      return c.identity.get(roleArn);
    },
    trustPolicy(roleArn) {
      const c = cache();
      if (!c.trust.has(roleArn)) {
        const trusts = distinct(models.map((m) => m.model.trustPolicy?.(roleArn)));
        c.trust.set(
          roleArn,
          trusts.length <= 1
            ? trusts[0]
            : { Version: trusts[0]!.Version, Statement: distinct(trusts.flatMap((t) => t.Statement as unknown[])) },
        );
      }
      return c.trust.get(roleArn);
    },
  };
}
