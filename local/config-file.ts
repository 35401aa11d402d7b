import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDigest, configEnvironment, configText, type HandlerEnvironment } from '#shared/env';

let dir: string | undefined;

/**
 * Writes the configuration file a deployment would bundle into the functions' packages (functions/shared/env.ts,
 * `configText`) to this process's temporary directory, named by its digest, and returns its path: the local runner,
 * the moto runner and the tests point `SPOKELINK_CONFIG_FILE` at it. The directory is removed when the process exits.
 */
export function writeConfigFile(config: unknown): string {
  if (dir === undefined) {
    const created = mkdtempSync(join(tmpdir(), 'spokelink-config-'));
    process.once('exit', () => rmSync(created, { recursive: true, force: true }));
    dir = created;
  }
  const text = configText(config);
  const path = join(dir, `${configDigest(text)}.json`);
  if (!existsSync(path)) writeFileSync(path, text);
  return path;
}

/**
 * What a deployment of the hub stack with `config` does to the running functions, in this process: their next
 * invocation reads the new configuration file (a new package in Lambda, a new file here).
 */
export function deployConfig(config: unknown, env: HandlerEnvironment | NodeJS.ProcessEnv = process.env): void {
  Object.assign(env, configEnvironment(config, writeConfigFile(config)));
}
