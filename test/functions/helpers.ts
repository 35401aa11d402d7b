import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployConfig } from '#local/config-file';
import { resetClients } from '#shared/aws';
import { type HubConfig, parseConfig, resetConfigCache } from '#shared/config';

const ROOT = join(__dirname, '..', '..');

/** The example hub configuration, also installed as the handlers' configuration file (clients and config caches reset). */
export function useExampleConfig(overrides: (raw: Record<string, unknown>) => void = () => {}): HubConfig {
  const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'example.hub.json'), 'utf8')) as Record<string, unknown>;
  overrides(raw);
  deployConfig(raw);
  process.env.REGISTRY_TABLE_NAME = 'spokelink-registry';
  resetConfigCache();
  resetClients();
  return parseConfig(raw);
}

/** A JSON event fixture of test/fixtures/events. */
export function loadEvent(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'events', `${name}.json`), 'utf8'));
}

/** An error shaped like an AWS SDK service exception (`name` = the AWS error code, `$metadata` present). */
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export const HUB = '111111111111';
export const SPOKE = '222222222222';
export const EXTERNAL = '555555555555';
export const VPC = 'vpc-0a1b2c3d4e5f60001';
export const EXECUTION_ARN = `arn:aws:states:us-east-1:${HUB}:execution:spokelink-onboard:${VPC}-onboard-6a7e8febb491`;
