import { createHash } from 'node:crypto';
import { ConfigurationError } from './errors';

/**
 * Reads a required environment variable (set by CDK and by the local runner). Fails fast, naming the variable, so a
 * missing setting is a deployment error at the first invocation rather than an obscure AWS error later. Only a name of
 * `HANDLER_ENV_KEYS` compiles: a variable no runner sets cannot be read.
 */
export function requireEnv(name: HandlerEnvKey, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '')
    throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/** What every handler is told by its environment: set by the CDK stack, the local runner and the moto runner alike. */
export interface HandlerEnvironmentValues {
  /**
   * The parsed hub configuration: its file (`configText`) travels in the function's package, the environment only
   * names it and carries its digest (configEnvironment).
   */
  config: unknown;
  /** Where the handlers read the configuration file: `BUNDLED_CONFIG_PATH` in Lambda, a local file elsewhere. */
  configFile: string;
  registryTableName: string;
  /** Powertools service name (the configuration's prefix). */
  serviceName: string;
  logLevel: string;
  onboardStateMachineArn?: string;
  offboardStateMachineArn?: string;
  approvalTopicArn?: string;
  failureTopicArn?: string;
}

/** The handler environment's variable names, once: what `handlerEnvironment` sets and a runner must restore. */
export const HANDLER_ENV_KEYS = [
  'SPOKELINK_CONFIG_FILE',
  'SPOKELINK_CONFIG_SHA256',
  'REGISTRY_TABLE_NAME',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_LOG_LEVEL',
  'ONBOARD_STATE_MACHINE_ARN',
  'OFFBOARD_STATE_MACHINE_ARN',
  'APPROVAL_TOPIC_ARN',
  'FAILURE_TOPIC_ARN',
] as const;

export type HandlerEnvKey = (typeof HANDLER_ENV_KEYS)[number];

export type HandlerEnvironment = Partial<Record<HandlerEnvKey, string>>;

/**
 * The environment every handler gets, from one definition (CDK, `local/hub.ts` and the moto runner call this): a
 * variable the handlers read cannot be set under another name, or forgotten, in one of them. Unset optional values
 * are left out rather than set empty.
 */
export function handlerEnvironment(values: HandlerEnvironmentValues): HandlerEnvironment {
  const env: HandlerEnvironment = {
    ...configEnvironment(values.config, values.configFile),
    REGISTRY_TABLE_NAME: values.registryTableName,
    POWERTOOLS_SERVICE_NAME: values.serviceName,
    POWERTOOLS_LOG_LEVEL: values.logLevel,
    ONBOARD_STATE_MACHINE_ARN: values.onboardStateMachineArn,
    OFFBOARD_STATE_MACHINE_ARN: values.offboardStateMachineArn,
    APPROVAL_TOPIC_ARN: values.approvalTopicArn,
    FAILURE_TOPIC_ARN: values.failureTopicArn,
  };
  for (const key of HANDLER_ENV_KEYS) if (env[key] === undefined) delete env[key];
  return env;
}

/**
 * The configuration file's name in every function's package (written beside `index.mjs` by the hub stack's bundling),
 * and where Lambda puts it: the package is extracted to `LAMBDA_TASK_ROOT`, `/var/task`
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html, "Defined runtime environment variables").
 * The configuration travels in the package rather than the environment, which Lambda limits to 4 KB for all variables
 * together (same page): a configuration change reaches the functions by a deployment of the hub stack, as the grants,
 * rules and state machines derived from it do (docs/deploy.md, "How the functions get the configuration").
 */
export const BUNDLED_CONFIG_NAME = 'spokelink-config.json';
export const BUNDLED_CONFIG_PATH = `/var/task/${BUNDLED_CONFIG_NAME}`;

/** The configuration file's text, as every runner writes it (the digest is of exactly these bytes). */
export function configText(config: unknown): string {
  return `${JSON.stringify(config)}\n`;
}

/** SHA-256 (hex) of a configuration file's text. */
export function configDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The variables that point the handlers at a configuration file: its path and the digest of the text the deployment
 * wrote there. The digest makes a configuration change a change of every function's environment (a redeploy updates
 * each function) and lets a handler refuse a file that is not the one its environment was deployed with.
 */
export function configEnvironment(
  config: unknown,
  file: string,
): Required<Pick<HandlerEnvironment, 'SPOKELINK_CONFIG_FILE' | 'SPOKELINK_CONFIG_SHA256'>> {
  return { SPOKELINK_CONFIG_FILE: file, SPOKELINK_CONFIG_SHA256: configDigest(configText(config)) };
}

/** ARN of the onboarding or offboarding state machine (`ONBOARD_STATE_MACHINE_ARN`, `OFFBOARD_STATE_MACHINE_ARN`). */
export function workflowArnFromEnv(kind: 'onboard' | 'offboard', env: NodeJS.ProcessEnv = process.env): string {
  return requireEnv(kind === 'onboard' ? 'ONBOARD_STATE_MACHINE_ARN' : 'OFFBOARD_STATE_MACHINE_ARN', env);
}
