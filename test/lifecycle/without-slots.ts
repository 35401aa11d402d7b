import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalHub } from '#local/hub';
import { hubAttachmentLimitsOf } from '#shared/attachment-quota';
import { type HubConfig, registryTableName } from '#shared/config';
import type { RegistryTable } from '#shared/registry';
import { type MigrationReport, migrateRegistry } from '#shared/registry/schema';
import type { World } from '#twin/world';
import { connectVpc, lifecycleHub } from './helpers';

/** A local hub as a release without attachment slots left it: its registry table, and the config it runs. */
export interface HubWithoutSlots {
  hub: LocalHub;
  table: RegistryTable;
  config: HubConfig;
}

/**
 * A local hub whose `connected` VPCs were onboarded by a release without attachment slots: connected, holding their
 * attachments, and no `TGW#<tgw id>` / `ATTACHMENTS` item (deleted after they connected).
 */
export async function hubWithoutSlots(config: HubConfig, world: World, connected: string[]): Promise<HubWithoutSlots> {
  const hub = await lifecycleHub({ config, world });
  const table = { dynamo: DynamoDBDocumentClient.from(hub.dynamo.client()), tableName: registryTableName(config) };
  for (const vpcId of connected) await connectVpc(hub, vpcId);
  await table.dynamo.send(
    new DeleteCommand({
      TableName: table.tableName,
      Key: { pk: `TGW#${config.hub.transitGatewayId}`, sk: 'ATTACHMENTS' },
    }),
  );
  return { hub, table, config };
}

/** `spokelink migrate` on the hub's table: the records migrated, the attachment slots backfilled. */
export function migrate({ hub, table, config }: HubWithoutSlots): Promise<MigrationReport> {
  return migrateRegistry(table, { dryRun: false, now: hub.clock.now(), hubs: hubAttachmentLimitsOf(config) });
}
