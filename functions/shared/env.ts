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
  /** The parsed hub configuration (serialized whole into `SPOKELINK_CONFIG`). */
  config: unknown;
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
  'SPOKELINK_CONFIG',
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
    SPOKELINK_CONFIG: JSON.stringify(values.config),
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

/** ARN of the onboarding or offboarding state machine (`ONBOARD_STATE_MACHINE_ARN`, `OFFBOARD_STATE_MACHINE_ARN`). */
export function workflowArnFromEnv(kind: 'onboard' | 'offboard', env: NodeJS.ProcessEnv = process.env): string {
  return requireEnv(kind === 'onboard' ? 'ONBOARD_STATE_MACHINE_ARN' : 'OFFBOARD_STATE_MACHINE_ARN', env);
}
