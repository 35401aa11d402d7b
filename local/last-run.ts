import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { twinPlugin } from '#twin/plugin';
import { Twin } from '#twin/twin';
import { LocalLambdas } from './lambda';
import { LocalStepFunctions, readSavedRun, type SavedRun } from './sfn';

/**
 * The last `spokelink simulate` run (`.spokelink/last-run/`), readable through the Step Functions API: `client` is a
 * real `SFNClient` answered from the saved executions and histories (ListExecutions, DescribeExecution,
 * GetExecutionHistory, ...), so `spokelink audit` renders a local run with the same code as a real one.
 */
export interface LastRun {
  dir: string;
  run: SavedRun;
  /** An SFNClient of the hub account, answered from the saved run. */
  client: SFNClient;
  /** ARNs of the saved state machines, by name (`spokelink-onboard`). */
  stateMachines: Record<string, string>;
  /** The registry table's items at the end of the run. */
  registry: Record<string, unknown>[];
}

/** Opens a saved run; throws naming the folder when there is none. */
export function openLastRun(dir: string): LastRun {
  if (!existsSync(join(dir, 'executions.json'))) {
    throw new Error(`no saved run in ${dir}: run "spokelink simulate" (or "npm run demo") first`);
  }
  const run = readSavedRun(dir);
  const twin = new Twin({ services: [] });
  const sfn = new LocalStepFunctions({
    twin,
    lambdas: new LocalLambdas({ region: run.region, accountId: run.accountId }),
    region: run.region,
    accountId: run.accountId,
    roleArn: run.stateMachines[0]?.roleArn ?? `arn:aws:iam::${run.accountId}:role/spokelink-statemachine`,
  });
  sfn.attach();
  sfn.load(run);
  const reader = twin.credentialsFor(`arn:aws:iam::${run.accountId}:role/spokelink-auditor`);
  const client = new SFNClient({
    region: run.region,
    credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey },
  });
  client.middlewareStack.use(twinPlugin(twin));
  const registryPath = join(dir, 'registry.json');
  const registry = existsSync(registryPath)
    ? (JSON.parse(readFileSync(registryPath, 'utf8')) as Record<string, unknown>[])
    : [];
  return {
    dir,
    run,
    client,
    stateMachines: Object.fromEntries(run.stateMachines.map((m) => [m.name, m.arn])),
    registry,
  };
}

/**
 * The served regions whose registries a saved run holds (its `registry.json` has every served region's items): the
 * first region's (`executions.json`), then each other region's (`regions/<region>/executions.json`, as `LocalHub.save`
 * writes them). A run of one region, older saved runs included, holds that region's. Undefined without
 * `executions.json` (a registry saved on its own: its regions are not known).
 */
export function savedRunRegions(dir: string): string[] | undefined {
  if (!existsSync(join(dir, 'executions.json'))) return undefined;
  const others = join(dir, 'regions');
  const more = existsSync(others)
    ? readdirSync(others)
        .filter((name) => existsSync(join(others, name, 'executions.json')))
        .map((name) => readSavedRun(join(others, name)).region)
    : [];
  return [readSavedRun(dir).region, ...more.sort()];
}
