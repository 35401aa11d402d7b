/** Shared helpers of the infra tests: a fresh app with the project's context, fixtures, IAM and pattern readers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { type HubConfig, loadConfigFile, parseConfig } from '#shared/config';
import { HubStack, type HubStackProps } from '../../infra/stacks/hub-stack';
import { SpokeStack } from '../../infra/stacks/spoke-stack';

// The first synthesis of a file loads aws-cdk-lib and compiles the infra code (15-20 s on a busy machine).
jest.setTimeout(120_000);

export const REPO = join(__dirname, '..', '..');
export const FIXTURES = join(__dirname, 'fixtures');
export const FIXTURE_FUNCTIONS = join(FIXTURES, 'functions');
export const FIXTURE_STATE_MACHINES = join(FIXTURES, 'statemachines');
export const EXAMPLE_CONFIG_PATH = join(REPO, 'config', 'example.hub.json');

const cdkJson = JSON.parse(readFileSync(join(REPO, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };

/**
 * A fresh App with cdk.json's context (the same feature flags as `cdk synth`), pointed at the fixtures, and with
 * bundling disabled (`aws:cdk:bundling-stacks: []`) so no test runs esbuild. Without the creation stack traces
 * (`aws:cdk:creationStack` metadata, which no template holds): aws-cdk-lib captures one per CloudFormation element,
 * and under jest each goes through its source maps, about a tenth of the infra tests' CPU.
 */
export function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    context: {
      ...cdkJson.context,
      functionsDir: FIXTURE_FUNCTIONS,
      stateMachinesDir: FIXTURE_STATE_MACHINES,
      'aws:cdk:bundling-stacks': [],
      'aws:cdk:disable-creation-stack-traces': true,
      ...context,
    },
  });
}

/** The committed example configuration, validated, optionally with top-level fields replaced. */
export function exampleConfig(overrides: Record<string, unknown> = {}): HubConfig {
  if (Object.keys(overrides).length === 0) return loadConfigFile(EXAMPLE_CONFIG_PATH);
  const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  return parseConfig({ ...raw, ...overrides }, 'test configuration');
}

/** A hub stack on the fixtures, in a fresh app. */
export function newHubStack(props: Partial<HubStackProps> = {}, app: App = newApp()): HubStack {
  const config = props.config ?? exampleConfig();
  return new HubStack(app, `${config.prefix}-hub`, {
    env: { account: config.hub.accountId, region: config.hub.region },
    functionsDir: FIXTURE_FUNCTIONS,
    stateMachinesDir: FIXTURE_STATE_MACHINES,
    ...props,
    config,
  });
}

/** The example configuration in DNS mode `profile` (one Route 53 Profile instead of zone associations). */
export function profileConfig(): HubConfig {
  return parseConfig({ ...JSON.parse(JSON.stringify(exampleConfig())), dns: { mode: 'profile' } }, 'profile mode');
}

/** The example configuration with aggregated ingress: a supernet per segment admitted on the endpoint groups. */
export function withSupernets(): HubConfig {
  const raw = JSON.parse(JSON.stringify(exampleConfig())) as { segments: Record<string, Record<string, unknown>> };
  raw.segments.prod!.aggregatedIngress = ['10.64.0.0/10', '2600:1f18:100::/40'];
  raw.segments.nonprod!.aggregatedIngress = ['10.128.0.0/10'];
  return parseConfig(raw, 'aggregated ingress');
}

export function newSpokeStack(config: HubConfig = exampleConfig(), app: App = newApp()): SpokeStack {
  return new SpokeStack(app, `${config.prefix}-spoke`, { config });
}

let hubOfExample: Template | undefined;
let spokeOfExample: Template | undefined;

/**
 * The hub stack's template on the example configuration, synthesized once per test file (a synthesis takes about
 * half a second): for the many assertions that read it and never change it.
 */
export function exampleHubTemplate(): Template {
  hubOfExample ??= Template.fromStack(newHubStack());
  return hubOfExample;
}

/** The spoke stack's template on the example configuration, synthesized once per test file. */
export function exampleSpokeTemplate(): Template {
  spokeOfExample ??= Template.fromStack(newSpokeStack());
  return spokeOfExample;
}

let hubOfTwoRegions: Template | undefined;

/** The two-region example configuration (config/example-two-regions.hub.json). */
export function twoRegionsConfig(): HubConfig {
  return loadConfigFile(join(REPO, 'config', 'example-two-regions.hub.json'));
}

/** The hub stack's template on the two-region example (a peered hub), synthesized once per test file. */
export function twoRegionsHubTemplate(): Template {
  hubOfTwoRegions ??= Template.fromStack(newHubStack({ config: twoRegionsConfig() }));
  return hubOfTwoRegions;
}

/** Flattens CloudFormation references the way cdk-nag shows them (`arn:<AWS::Partition>:...`, `<Table.Arn>`). */
export function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::Join'])) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(flat).join(separator);
    }
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  }
  return JSON.stringify(value);
}

const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

export interface IamStatement {
  /** Logical id of the AWS::IAM::Policy or AWS::IAM::Role holding it. */
  readonly holder: string;
  /** Logical ids of the roles the statement applies to. */
  readonly roles: string[];
  readonly sid?: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: Record<string, Record<string, unknown>>;
}

interface RawStatement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function toStatement(holder: string, roles: string[], s: RawStatement): IamStatement {
  return {
    holder,
    roles,
    sid: s.Sid,
    effect: s.Effect,
    actions: asList(s.Action),
    resources: asList(s.Resource as unknown).map(flat),
    condition: s.Condition,
  };
}

/** Every identity-policy statement of a template (AWS::IAM::Policy documents and roles' inline policies). */
export function identityStatements(template: Template): IamStatement[] {
  const statements: IamStatement[] = [];
  for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
    const roles = asList(policy.Properties.Roles as unknown).map((r) => flat(r).replace(/[<>]/g, ''));
    for (const s of policy.Properties.PolicyDocument.Statement as RawStatement[]) {
      statements.push(toStatement(id, roles, s));
    }
  }
  for (const [id, role] of Object.entries(template.findResources('AWS::IAM::Role'))) {
    for (const inline of (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: RawStatement[] } }[]) {
      for (const s of inline.PolicyDocument.Statement) statements.push(toStatement(id, [id], s));
    }
  }
  return statements;
}

/** Logical id of the role named `roleName`. */
export function roleId(template: Template, roleName: string): string {
  const found = Object.entries(template.findResources('AWS::IAM::Role')).find(
    ([, role]) => role.Properties.RoleName === roleName,
  );
  if (!found) throw new Error(`no role named ${roleName}`);
  return found[0];
}

/** Every statement that applies to the role named `roleName`. */
export function statementsOfRole(template: Template, roleName: string): IamStatement[] {
  const id = roleId(template, roleName);
  return identityStatements(template).filter((s) => s.roles.includes(id));
}

/** Every action the role named `roleName` is allowed, sorted. */
export function actionsOfRole(template: Template, roleName: string): string[] {
  return [
    ...new Set(
      statementsOfRole(template, roleName)
        .filter((s) => s.effect === 'Allow')
        .flatMap((s) => s.actions),
    ),
  ].sort();
}

/** Resources a role may use `action` on. */
export function resourcesOf(template: Template, roleName: string, action: string): string[] {
  return statementsOfRole(template, roleName)
    .filter((s) => s.effect === 'Allow' && s.actions.includes(action))
    .flatMap((s) => s.resources)
    .sort();
}

/**
 * A tiny EventBridge matcher for the subset of pattern syntax spokelink uses: every field of the pattern must match;
 * a list matches when any element matches; an event list matches when the two share an element; `{ exists }` tests
 * presence. Enough to prove what the patterns let through, not a full implementation.
 */
export function matches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(event) ? event : [event];
    return pattern.some((rule) => {
      if (rule && typeof rule === 'object' && 'exists' in rule) {
        return (rule as { exists: boolean }).exists === (event !== undefined);
      }
      return values.some((value) => value === rule);
    });
  }
  if (pattern && typeof pattern === 'object') {
    if (!event || typeof event !== 'object') return false;
    return Object.entries(pattern).every(([key, sub]) => matches(sub, (event as Record<string, unknown>)[key]));
  }
  return pattern === event;
}

/** cdk-nag's findings in `scope` (AWS Solutions and Serverless packs), as `<rule> at <construct path>`. */
export function violations(scope: IConstruct): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(scope)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath)}`),
  );
}
