import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { hubAttachmentLimitsOf } from '#shared/attachment-quota';
import { loadConfigFile, registryTableName } from '#shared/config';
import { RegistrySchemaError } from '#shared/errors';
import type { RegistryTable } from '#shared/registry';
import type { SlotBackfillReport } from '#shared/registry/backfill';
import { type MigrationReport, migrateRegistry } from '#shared/registry/schema';
import {
  DEFAULT_CONFIG,
  explainAwsError,
  operatorClientSettings,
  savedRegistryItems,
  splitSourceFlags,
} from '../audit/source';
import { helpPrinted, parseFlags, withExitCodes } from './command';
import type { CommandIo } from './cost';

export const MIGRATE_USAGE = `usage: spokelink migrate [--dry-run] [--json] [--config FILE] [--local [--run-dir DIR] | --region R --profile P]
  brings every record of a hub's registry to the current registry schema and gives every VPC whose record holds an
  attachment to a hub TGW its attachment slot (docs/deploy.md, "Upgrading"); idempotent and resumable: run it again
  after an interruption, it migrates what is left. Reports a TGW or an account left over AWS's 5,000 attachments or
  budgets.attachmentsPerAccount by the backfill (information: those VPCs are connected; the exit status stays 0)
  --dry-run        read and report what would change; write nothing
  --json           one JSON document on stdout
  --config FILE    hub configuration: the registry table's name and region, the hub TGWs, capacity.otherAttachments,
                   the peers and budgets.attachmentsPerAccount (default ${DEFAULT_CONFIG})
  --local          the last "spokelink simulate" run (.spokelink/last-run/registry.json), migrated in place
  --run-dir DIR    with --local: another saved run folder
  --region R       AWS: the registry table's region (default: the hub region of --config)
  --profile P      AWS: a named profile of the standard credential chain
`;

const OPTIONS = {
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  config: { type: 'string' },
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
  const { path, items } = savedRegistryItems(runDir);
  const { startDynalite } = require('../../local/dynamo') as typeof import('../../local/dynamo');
  const dynamo = await startDynalite();
  const client = DynamoDBDocumentClient.from(dynamo.client());
  await dynamo.createRegistryTable(tableName);
  for (const item of items) {
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
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(operatorClientSettings(region, selection.profile)));
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
  lines.push(...renderSlots(report.attachmentSlots, report.dryRun));
  return `${lines.join('\n')}\n`;
}

const n = (x: number) => x.toLocaleString('en-US');

/** The attachment slots' lines: what was (would be) added per TGW, and what the hub is over. */
function renderSlots(slots: SlotBackfillReport, dryRun: boolean): string[] {
  const added = slots.transitGateways.reduce((sum, t) => sum + t.added.length, 0);
  const held = slots.transitGateways.reduce((sum, t) => sum + t.held, 0);
  const lines = [
    `attachment slots: ${dryRun ? 'would add' : 'added'} ${added} for attached VPCs that held none; ${held} held already`,
  ];
  for (const t of slots.transitGateways) {
    lines.push(
      `  ${t.transitGatewayId} (${t.region}): ${dryRun ? 'would add' : 'added'} ${t.added.length}; ` +
        `${n(t.attachments)} of ${n(t.quota)} attachments (${n(t.spokeVpcs)} spoke VPCs, ` +
        `${n(t.attachments - t.spokeVpcs)} other and peering)`,
      ...t.added.map((a) => `    + ${a.vpcId}  account ${a.accountId}`),
    );
  }
  for (const t of slots.transitGateways) {
    if (t.overQuota) {
      lines.push(
        `OVER QUOTA: ${t.transitGatewayId} counts ${n(t.attachments)} attachments, over AWS's ${n(t.quota)}: its VPCs ` +
          `are connected and stay so; every new VPC is rejected (capacity): ${n(t.attachments - t.quota + 1)} must ` +
          'be offboarded to make room for one more (check capacity.otherAttachments and the peers)',
      );
    }
    for (const a of t.accountsOverBudget) {
      lines.push(
        `OVER BUDGET: account ${a.accountId} holds ${a.attachments} attachments on ${t.transitGatewayId}, over ` +
          `budgets.attachmentsPerAccount (${a.budget}): its VPCs are connected and stay so; its next VPC is rejected ` +
          `(budget-exceeded): ${a.attachments - a.budget + 1} must be offboarded to make room for one more, or the ` +
          'budget raised',
      );
    }
  }
  lines.push(...slots.skipped.map((s) => `  no slot for ${s.vpcId}: ${s.reason}`));
  return lines;
}

async function execute(argv: string[], io: CommandIo, deps: MigrateDeps): Promise<number> {
  const { selection, rest } = splitSourceFlags(argv);
  const flags = parseFlags(rest, OPTIONS).values;
  if (helpPrinted(flags, io, MIGRATE_USAGE)) return 0;
  const config = loadConfigFile(flags.config ?? DEFAULT_CONFIG);
  const tableName = registryTableName(config);
  const region = selection.region ?? config.hub.region;
  const target = await (deps.open ?? openTarget)(selection, tableName, region);
  const dryRun = flags['dry-run'] === true;
  let report: MigrationReport;
  try {
    report = await migrateRegistry(target.table, {
      dryRun,
      now: (deps.now ?? Date.now)(),
      hubs: hubAttachmentLimitsOf(config),
    });
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
 * `spokelink migrate`: exit 0 when every record is (or, with --dry-run, would be) at the current schema and every
 * attached VPC holds its attachment slot (a TGW or an account over its quota or budget after the backfill is reported,
 * not refused: those VPCs are connected already); 1 when the
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
