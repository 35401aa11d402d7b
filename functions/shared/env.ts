import { ConfigurationError } from './errors';

/**
 * Reads a required environment variable (set by CDK and by the local runner). Fails fast, naming the variable, so a
 * missing setting is a deployment error at the first invocation rather than an obscure AWS error later.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '')
    throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/** ARN of the onboarding or offboarding state machine (`ONBOARD_STATE_MACHINE_ARN`, `OFFBOARD_STATE_MACHINE_ARN`). */
export function workflowArnFromEnv(kind: 'onboard' | 'offboard', env: NodeJS.ProcessEnv = process.env): string {
  return requireEnv(kind === 'onboard' ? 'ONBOARD_STATE_MACHINE_ARN' : 'OFFBOARD_STATE_MACHINE_ARN', env);
}
