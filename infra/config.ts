import { isAbsolute, resolve } from 'node:path';
import type { Node } from 'constructs';
import { type HubConfig, loadConfigFile, registryTableName, servedRegions } from '#shared/config';

/**
 * What the CDK app reads besides the hub configuration: where the configuration, the Lambda entries and the ASL
 * files live. Every value comes from CDK context (`cdk.json`, or `-c key=value`), so tests and forks can point the
 * stacks at other directories without code changes. Relative paths are resolved against the repository root, never
 * against the shell's working directory, so `npx cdk synth` behaves the same from any folder.
 */
export interface InfraSettings {
  /** Hub configuration file. Context `config`. @default config/example.hub.json */
  readonly configPath: string;
  /** Folder holding `<name>/handler.ts` Lambda entries. Context `functionsDir`. @default functions */
  readonly functionsDir: string;
  /** Folder holding `*.asl.json` workflows. Context `stateMachinesDir`. @default statemachines */
  readonly stateMachinesDir: string;
  /**
   * Account that owns the spoke StackSet: the organization's management account (`callAs: SELF`) or, by default, the
   * hub account registered as a delegated administrator for CloudFormation StackSets (`callAs: DELEGATED_ADMIN`).
   * Context `stackSetAccount`.
   */
  readonly stackSetAccount?: string;
}

/** The repository root (this file lives in `<root>/infra`). */
export const REPO_ROOT = resolve(__dirname, '..');

export const DEFAULT_CONFIG_PATH = 'config/example.hub.json';
export const DEFAULT_FUNCTIONS_DIR = 'functions';
export const DEFAULT_STATE_MACHINES_DIR = 'statemachines';

function fromRoot(path: string): string {
  return isAbsolute(path) ? path : resolve(REPO_ROOT, path);
}

function contextString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new Error(`CDK context "${key}" must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** Reads the settings from CDK context, with the repository's defaults. */
export function readSettings(node: Node): InfraSettings {
  const stackSetAccount = contextString(node, 'stackSetAccount');
  if (stackSetAccount !== undefined && !/^\d{12}$/.test(stackSetAccount)) {
    throw new Error(`CDK context "stackSetAccount" must be a 12-digit account id, got "${stackSetAccount}"`);
  }
  return {
    configPath: fromRoot(contextString(node, 'config') ?? DEFAULT_CONFIG_PATH),
    functionsDir: fromRoot(contextString(node, 'functionsDir') ?? DEFAULT_FUNCTIONS_DIR),
    stateMachinesDir: fromRoot(contextString(node, 'stateMachinesDir') ?? DEFAULT_STATE_MACHINES_DIR),
    stackSetAccount,
  };
}

/** Loads and validates the hub configuration (the same zod schema the Lambdas and the CLI use). */
export function loadHubConfig(path: string): HubConfig {
  return loadConfigFile(fromRoot(path));
}

/** Names of everything spokelink deploys, all derived from `config.prefix`: nothing account-specific is hard-coded. */
export interface ResourceNames {
  readonly hubStack: string;
  readonly spokeStack: string;
  readonly stackSetStack: string;
  readonly stackSet: string;
  readonly hubBus: string;
  readonly registryTable: string;
  /** Physical name of a step's Lambda function. */
  function(name: string): string;
  /** IAM role of a step's Lambda function; the spoke roles trust exactly the roles of the steps that need them. */
  functionRole(name: string): string;
  /** Physical name of the state machine built from `<id>.asl.json`. */
  stateMachine(id: string): string;
}

/**
 * A short code of a region for names that must differ across regions: `us-east-1` -> `use1`,
 * `ap-southeast-1` -> `apse1`, `eu-central-1` -> `euc1`.
 */
export function regionCode(region: string): string {
  const [area = '', direction = '', ...rest] = region.split('-');
  return area + direction.replace(/north|south|east|west|central/g, (w) => w.charAt(0)) + rest.join('');
}

export function resourceNames(config: HubConfig): ResourceNames {
  const { prefix } = config;
  // With several served regions, each region deploys its own hub stack: the names IAM makes global (function roles)
  // and the stack ids of one CDK app carry the region's code. One region keeps the names it always had.
  const regional = servedRegions(config).length > 1 ? `-${regionCode(config.hub.region)}` : '';
  return {
    hubStack: `${prefix}-hub${regional}`,
    spokeStack: `${prefix}-spoke`,
    stackSetStack: `${prefix}-spoke-stackset`,
    stackSet: `${prefix}-spoke`,
    hubBus: `${prefix}-hub`,
    registryTable: registryTableName(config),
    function: (name) => `${prefix}-${name}`,
    functionRole: (name) => `${prefix}-fn-${name}${regional}`,
    stateMachine: (id) => `${prefix}-${id}`,
  };
}

/** AWS partition of a region (the hub's ARNs are built from configuration, before any deployment). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/** ARN of the hub event bus the spoke rules forward to. */
export function hubBusArn(config: HubConfig, region = config.hub.region): string {
  const { accountId } = config.hub;
  return `arn:${partitionOf(config.hub.region)}:events:${region}:${accountId}:event-bus/${resourceNames(config).hubBus}`;
}
