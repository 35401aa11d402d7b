import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfigFile, registryTableName } from '#shared/config';
import { RegistrySchemaError } from '#shared/errors';
import type { RegistryTable } from '#shared/registry';
import { type MigrationReport, migrateRegistry } from '#shared/registry/schema';
import { DEFAULT_CONFIG, explainAwsError, SourceAccessError, splitSourceFlags } from '../audit/source';
import { parseFlags, withExitCodes } from './command';
import type { CommandIo } from './cost';

export const MIGRATE_USAGE = `usage: spokelink migrate [--dry-run] [--json] [--config FILE] [--local [--run-dir DIR] | --region R --profile P]
  brings every record of a hub's registry to the current registry schema (docs/deploy.md, "Upgrading");
  idempotent and resumable: run it again after an interruption, it migrates what is left
  --dry-run        read and report what would change; write nothing
  --json           one JSON document on stdout
  --config FILE    hub configuration: the registry table's name and region (default ${DEFAULT_CONFIG})
  --local          the last "spokelink simulate" run (.spokelink/last-run/registry.json), migrated in place
  --run-dir DIR    with --local: another saved run folder
  --region R       AWS: the registry table's region (default: the hub region of --config)
  --profile P      AWS: a named profile of the standard credential chain
`;

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A registry to migrate: the table, what it is (for the output), and what to do once migrated. */
interface Target {
  table: RegistryTable;
  describe: string;
  /** Writes a local registry back to its file (nothing for AWS). */
  finish: (dryRun: boolean) => Promise<void>;
}

/** Dependencies of the command (tests: a registry table of their own). */
export interface MigrateDeps {
  open?: (
    selection: ReturnType<typeof splitSourceFlags>['selection'],
    tableName: string,
    region: string,
  ) => Promise<Target>;
  now?: () => number;
}

/**
 * The saved run's registry (`<dir>/registry.json`) in a local DynamoDB (dynalite): migrated by the same calls as the
 * table in AWS, then written back to the file.
 */
async function localTarget(runDir: string, tableName: string): Promise<Target> {
  const path = join(runDir, 'registry.json');
  if (!existsSync(path)) {
    throw new SourceAccessError(`no saved registry at ${path}: run "spokelink simulate" (or "npm run demo") first`);
  }
  const items = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(items)) throw new SourceAccessError(`${path}: not a registry (a JSON array of items)`);
  const { startDynalite } = require('../../local/dynamo') as typeof import('../../local/dynamo');
  const dynamo = await startDynalite();
  const client = DynamoDBDocumentClient.from(dynamo.client());
  await dynamo.createRegistryTable(tableName);
  for (const item of items as Record<string, unknown>[]) {
    await client.send(new PutCommand({ TableName: tableName, Item: item }));
  }
  return {
    table: { dynamo: client, tableName },
    describe: `registry of the last simulate run (${path})`,
    finish: async (dryRun) => {
      try {
        if (!dryRun) writeFileSync(path, `${JSON.stringify(await dynamo.scan(tableName), null, 2)}\n`);
      } finally {
        await dynamo.stop();
      }
    },
  };
}

async function openTarget(
  selection: ReturnType<typeof splitSourceFlags>['selection'],
  tableName: string,
  region: string,
): Promise<Target> {
  if (selection.local) return localTarget(selection.runDir, tableName);
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region,
      maxAttempts: 8,
      retryMode: 'adaptive',
      ...(selection.profile ? { profile: selection.profile } : {}),
    }),
  );
  return {
    table: { dynamo: client, tableName },
    describe: `registry table ${tableName} in ${region}`,
    finish: async () => {},
  };
}

function render(report: MigrationReport, describe: string): string {
  const found = Object.entries(report.found)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([version, n]) => `${n} at schema ${version}`);
  const lines = [
    `spokelink migrate: ${describe}${report.dryRun ? ' (dry run: nothing written)' : ''}`,
    `records: ${found.join(', ') || 'none'} (current schema ${report.target})`,
    `${report.dryRun ? 'would migrate' : 'migrated'}: ${report.migrated.length}; already current: ${report.alreadyCurrent}`,
    ...report.migrated.map(
      (m) => `  ${m.pk} ${m.sk}  ${m.from} -> ${m.to}  adds ${Object.keys(m.set).sort().join(', ')}`,
    ),
  ];
  if (report.replans.length > 0) {
    lines.push(
      `re-planned by the next reconcile (schema-upgrade: static return routes instead of propagation): ${report.replans.join(', ')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function execute(argv: string[], io: CommandIo, deps: MigrateDeps): Promise<number> {
  const { selection, rest } = splitSourceFlags(argv);
  const flags: { 'dry-run'?: boolean; json?: boolean; config?: string; help?: boolean } = parseFlags(
    rest,
    OPTIONS,
  ).values;
  if (flags.help) {
    io.stdout(MIGRATE_USAGE);
    return 0;
  }
  const config = loadConfigFile(flags.config ?? DEFAULT_CONFIG);
  const tableName = registryTableName(config);
  const region = selection.region ?? config.hub.region;
  const target = await (deps.open ?? openTarget)(selection, tableName, region);
  const dryRun = flags['dry-run'] === true;
  let report: MigrationReport;
  try {
    report = await migrateRegistry(target.table, { dryRun, now: (deps.now ?? Date.now)() });
  } catch (error) {
    await target.finish(true);
    if (error instanceof RegistrySchemaError) throw error;
    if (selection.local) throw error;
    explainAwsError(error, `migrating the ${target.describe}`, { region, table: tableName });
  }
  await target.finish(dryRun);
  io.stdout(
    flags.json
      ? `${JSON.stringify({ registry: target.describe, ...report }, null, 2)}\n`
      : render(report, target.describe),
  );
  return 0;
}

/**
 * `spokelink migrate`: exit 0 when every record is (or, with --dry-run, would be) at the current schema; 1 when the
 * registry holds a record of a newer schema (nothing written) or on anything unexpected; 2 on bad flags or a source
 * that cannot be read.
 */
export async function run(argv: string[], io: CommandIo, deps: MigrateDeps = {}): Promise<number> {
  return withExitCodes('migrate', io, async () => {
    try {
      return await execute(argv, io, deps);
    } catch (error) {
      // Not a malfunction: the registry holds a record of a newer schema, nothing was written.
      if (!(error instanceof RegistrySchemaError)) throw error;
      io.stderr(`spokelink migrate: ${error.message}\n`);
      return 1;
    }
  });
}
