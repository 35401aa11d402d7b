// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${Name} are the policy placeholders, not template strings.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import {
  type HubConfig,
  loadConfigFile,
  parseConfig,
  type SpokeAccess,
  spokeRoleName,
  spokeServiceNames,
} from '#shared/config';
import { resourceNames } from './config';
import {
  APPROVER_POLICY_STATEMENTS,
  FUNCTION_SPECS,
  hostedZoneIds,
  routeTableIds,
  securityGroupIds,
} from './permissions';
import { HubStack } from './stacks/hub-stack';
import { SpokeStack } from './stacks/spoke-stack';

/**
 * The IAM policies the CDK app synthesizes, as the local twin evaluates them (`local/iam.ts`): every hub function
 * role's identity policy and the spoke execution role's identity and trust policies, taken from the synthesized
 * templates of the example configuration, with every configuration value replaced by a placeholder
 * (`${HubAccount}`, `${RouteTableIds}`...). The local hub instantiates them for its own configuration, so the local
 * runner never loads aws-cdk-lib. Policies that depend on the shape of the configuration (the per-account TGW share)
 * are generated once per variant.
 *
 * Regenerate with `npm run iam:generate` after changing infra/permissions.ts or the stacks; a test checks that the
 * committed file equals this output.
 */

const REPO = join(__dirname, '..');
export const EXAMPLE_CONFIG_PATH = join(REPO, 'config', 'example.hub.json');
/** The peered example: its first region's hub carries the inter-region reach grants (`peering` below). */
export const PEERED_CONFIG_PATH = join(REPO, 'config', 'example-two-regions.hub.json');
export const IAM_POLICIES_PATH = join(REPO, 'local', 'iam-policies.generated.json');
export const IAM_GENERATE_COMMAND = 'npm run iam:generate';

export interface PolicyStatementJson {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
  Principal?: unknown;
}

export interface PolicyDocumentJson {
  Version: '2012-10-17';
  Statement: PolicyStatementJson[];
}

/** One variant: identity policies by role name placeholder, and the spoke role's trust. */
export interface IamPolicyVariant {
  /** Function folder name -> identity policy of `<prefix>-fn-<name>`. */
  functions: Record<string, PolicyDocumentJson>;
  /** The spoke roles by access: `write` (`<spokeRole.name>`) and `read` (`<spokeRole.name>-read`). */
  spokeRoles: Record<SpokeAccess, { identity: PolicyDocumentJson; trust: PolicyDocumentJson }>;
}

export type IamPolicyVariantName =
  | 'perAccountShare'
  | 'organizationShareOnly'
  | 'perAccountShareProfile'
  | 'organizationShareOnlyProfile';

export interface IamPolicyFile {
  comment: string;
  /** Documented operator policies (`approver`: docs/lifecycle.md), evaluated for the role `<prefix>-<name>`. */
  operators: Record<string, PolicyDocumentJson>;
  /**
   * `perAccountShare`: the TGW is shared per account (no organization share, or external accounts configured);
   * `...Profile`: the same with DNS mode `profile` (the hub's Route 53 Profile instead of zone associations).
   */
  variants: Record<IamPolicyVariantName, IamPolicyVariant>;
  /**
   * Inter-region reach (infra/permissions.ts, `peeringGrants`): the statements a hub with `peers` adds to a function's
   * policy (their Sids name `Peering`), from the synth of config/example-two-regions.hub.json's first region, with
   * `${PeerRouteTableIds}` (every peer's `routeTableIds`) and `${PeerAssociationRouteTableIds}`.
   */
  peering: Record<string, PolicyDocumentJson>;
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Values of the configuration, longest first, each with its placeholder. Lists expand to one resource per value. */
function placeholdersOf(config: HubConfig): [string, string][] {
  const names = resourceNames(config);
  const pairs: [string, string][] = [
    [config.spokeRole.name, '${SpokeRoleName}'],
    [config.spokeRole.externalId, '${SpokeExternalId}'],
    [names.stateMachine('onboard'), '${Prefix}-onboard'],
    [config.hub.transitGatewayId, '${TransitGatewayId}'],
    [config.organization.id, '${OrganizationId}'],
    [config.hub.accountId, '${HubAccount}'],
    [config.hub.region, '${HubRegion}'],
    ...routeTableIds(config).map((id): [string, string] => [id, '${RouteTableIds}']),
    ...hostedZoneIds(config).map((id): [string, string] => [id, '${HostedZoneIds}']),
    ...securityGroupIds(config).map((id): [string, string] => [id, '${SecurityGroupIds}']),
    ...Object.values(config.endpointServices).map((s): [string, string] => [s.serviceId, '${EndpointServiceIds}']),
    ...spokeServiceNames(config).map((n): [string, string] => [n, '${SpokeServiceNames}']),
    // Only in role ARNs (`iam::<account>:role/`): a bare 12-digit id could also be part of another value.
    ...config.organization.externalAccounts.map((a): [string, string] => [
      `::${a}:role/`,
      '::${ExternalAccounts}:role/',
    ]),
  ];
  pairs.push([`${config.prefix}-`, '${Prefix}-']);
  return pairs.sort((a, b) => b[0].length - a[0].length);
}

/** Resolves the CloudFormation intrinsics of a policy value (Fn::Join, Ref, Fn::GetAtt ... Arn). */
function resolve(value: unknown, resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>) {
  const go = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(go);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (Array.isArray(o['Fn::Join'])) {
      const [separator, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(go(p))).join(separator);
    }
    if (typeof o.Ref === 'string') {
      if (o.Ref === 'AWS::Partition') return '${Partition}';
      if (o.Ref === 'AWS::AccountId') return '${SpokeAccount}';
      if (o.Ref === 'AWS::Region') return '${SpokeRegion}';
      return arnOf(o.Ref);
    }
    if (Array.isArray(o['Fn::GetAtt'])) return arnOf((o['Fn::GetAtt'] as string[])[0]!);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, go(x)]));
  };
  const arnOf = (logicalId: string): string => {
    const r = resources[logicalId];
    const p = r?.Properties ?? {};
    const base = 'arn:${Partition}';
    switch (r?.Type) {
      case 'AWS::DynamoDB::Table':
        return `${base}:dynamodb:\${HubRegion}:\${HubAccount}:table/${String(p.TableName)}`;
      case 'AWS::SNS::Topic':
        return `${base}:sns:\${HubRegion}:\${HubAccount}:${String(p.TopicName)}`;
      default:
        // Resources the twin does not model (KMS keys, log groups...): named, never matched by a twin call.
        return `${base}:cloudformation:\${HubRegion}:\${HubAccount}:unmodeled/${logicalId}`;
    }
  };
  return go(value);
}

/** Replaces configuration values by placeholders; a list-valued placeholder appears once. */
function templatize(value: unknown, pairs: [string, string][]): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => templatize(v, pairs));
    return out.every((v) => typeof v === 'string') ? [...new Set(out as string[])] : out;
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templatize(v, pairs)]));
  }
  if (typeof value !== 'string') return value;
  let out = value;
  for (const [from, to] of pairs) out = out.split(from).join(to);
  return out;
}

interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

function roleStatements(template: CfnTemplate, roleId: string): PolicyStatementJson[] {
  const out: PolicyStatementJson[] = [];
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = asList(r.Properties?.Roles as unknown).map((x) => (x as { Ref?: string }).Ref);
    if (!roles.includes(roleId)) continue;
    out.push(...((r.Properties?.PolicyDocument as PolicyDocumentJson | undefined)?.Statement ?? []));
  }
  const role = template.Resources[roleId];
  for (const inline of (role?.Properties?.Policies ?? []) as { PolicyDocument: PolicyDocumentJson }[]) {
    out.push(...inline.PolicyDocument.Statement);
  }
  return out;
}

function roleIdNamed(template: CfnTemplate, name: string): string | undefined {
  return Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties?.RoleName === name,
  )?.[0];
}

const doc = (Statement: PolicyStatementJson[]): PolicyDocumentJson => ({ Version: '2012-10-17', Statement });

function newApp(): App {
  const cdkJson = JSON.parse(readFileSync(join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
}

function hubStackOf(app: App, config: HubConfig): HubStack {
  return new HubStack(app, `${config.prefix}-hub`, {
    env: { account: config.hub.accountId, region: config.hub.region },
    config,
    functionsDir: join(REPO, 'test', 'infra', 'fixtures', 'functions'),
    stateMachinesDir: join(REPO, 'statemachines'),
  });
}

/** The peering statements of each function of a peered hub (see IamPolicyFile.peering), templatized. */
export function peeringPolicies(config: HubConfig): Record<string, PolicyDocumentJson> {
  const app = newApp();
  const hub = hubStackOf(app, config);
  const template = app.synth().getStackByName(hub.stackName).template as CfnTemplate;
  const peers = Object.values(config.hub.peers);
  const list = (ids: string[], placeholder: string) =>
    [...new Set(ids)].map((id): [string, string] => [id, placeholder]);
  const tables = list(
    peers.flatMap((p) => p.routeTableIds),
    '${PeerRouteTableIds}',
  );
  const associations = list(
    peers.map((p) => p.associationRouteTableId),
    '${PeerAssociationRouteTableIds}',
  );
  // The peer tables first (a table may also be a segment's): equal lengths keep their order in the sort.
  const base = placeholdersOf(config);
  const sorted = (first: [string, string][]) => [...first, ...base].sort((a, b) => b[0].length - a[0].length);
  const names = resourceNames(config);
  const out: Record<string, PolicyDocumentJson> = {};
  for (const name of Object.keys(FUNCTION_SPECS).sort()) {
    const id = roleIdNamed(template, names.functionRole(name));
    if (!id) continue;
    const statements = (resolve(roleStatements(template, id), template.Resources) as PolicyStatementJson[])
      .filter((s) => s.Sid?.includes('Peering'))
      .map(
        (s) => templatize(s, sorted(s.Sid === 'AssociateHubPeering' ? associations : tables)) as PolicyStatementJson,
      );
    if (statements.length > 0) out[name] = doc(statements);
  }
  return out;
}

/** The policies of one configuration, templatized with that configuration's values. */
export function policyVariant(config: HubConfig): IamPolicyVariant {
  const app = newApp();
  const hub = hubStackOf(app, config);
  const spoke = new SpokeStack(app, `${config.prefix}-spoke`, { config });
  const hubTemplate = app.synth().getStackByName(hub.stackName).template as CfnTemplate;
  const spokeTemplate = app.synth().getStackByName(spoke.stackName).template as CfnTemplate;
  const pairs = placeholdersOf(config);
  const names = resourceNames(config);
  const functions: Record<string, PolicyDocumentJson> = {};
  for (const name of Object.keys(FUNCTION_SPECS).sort()) {
    const id = roleIdNamed(hubTemplate, names.functionRole(name));
    if (!id) continue;
    const statements = resolve(roleStatements(hubTemplate, id), hubTemplate.Resources) as PolicyStatementJson[];
    functions[name] = templatize(doc(statements), pairs) as PolicyDocumentJson;
  }
  const spokeRoleOf = (access: SpokeAccess) => {
    const name = spokeRoleName(config, access);
    const spokeId = roleIdNamed(spokeTemplate, name);
    if (!spokeId) throw new Error(`the spoke stack has no role named ${name}`);
    const role = spokeTemplate.Resources[spokeId]!;
    const trust = resolve(role.Properties?.AssumeRolePolicyDocument, spokeTemplate.Resources) as PolicyDocumentJson;
    const identity = doc(
      resolve(roleStatements(spokeTemplate, spokeId), spokeTemplate.Resources) as PolicyStatementJson[],
    );
    return {
      identity: templatize(identity, pairs) as PolicyDocumentJson,
      trust: templatize(trust, pairs) as PolicyDocumentJson,
    };
  };
  return { functions, spokeRoles: { read: spokeRoleOf('read'), write: spokeRoleOf('write') } };
}

/** A documented operator policy (`<region>`, `<hub>`, `<prefix>` as in the docs) with the file's placeholders. */
export function operatorPolicy(statements: readonly object[]): PolicyDocumentJson {
  const text = JSON.stringify(statements)
    .replaceAll('<region>', '${HubRegion}')
    .replaceAll('<hub>', '${HubAccount}')
    .replaceAll('<prefix>', '${Prefix}');
  return doc(JSON.parse(text) as PolicyStatementJson[]);
}

/** The generated file's content (stable JSON, newline-terminated). */
export function generateIamPolicies(): string {
  const example = loadConfigFile(EXAMPLE_CONFIG_PATH);
  const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { organization: Record<string, unknown> };
  const orgOnlyRaw = { ...raw, organization: { ...raw.organization, shareTransitGateway: true, externalAccounts: [] } };
  const orgOnly = parseConfig(orgOnlyRaw, 'example configuration without external accounts');
  const profile = (base: object, what: string) => parseConfig({ ...base, dns: { mode: 'profile' } }, what);
  const file: IamPolicyFile = {
    comment:
      `Generated by \`${IAM_GENERATE_COMMAND}\` from the synth of config/example.hub.json (peering: ` +
      'config/example-two-regions.hub.json): do not edit.',
    operators: { approver: operatorPolicy(APPROVER_POLICY_STATEMENTS) },
    variants: {
      perAccountShare: policyVariant(example),
      organizationShareOnly: policyVariant(orgOnly),
      perAccountShareProfile: policyVariant(profile(raw, 'example configuration in profile mode')),
      organizationShareOnlyProfile: policyVariant(
        profile(orgOnlyRaw, 'example configuration without external accounts, in profile mode'),
      ),
    },
    peering: peeringPolicies(loadConfigFile(PEERED_CONFIG_PATH)),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
