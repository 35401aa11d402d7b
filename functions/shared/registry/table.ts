import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hubClients } from '../aws';
import type { HubConfig } from '../config';
import { requireEnv } from '../env';
import type { LeaseFence } from '../plan';

/**
 * The registry table's shape, defined once: the CDK table (infra/stacks/hub-stack.ts), the local emulators' table
 * (local/registry-table.ts: dynalite, moto's DynamoDB) and the registry's own queries all read it. String keys; the
 * account index projects every attribute; `ttl` (epoch seconds) is the only attribute that expires items.
 */
export const REGISTRY_TABLE_SHAPE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  accountIndex: { name: 'byAccount', partitionKey: 'accountId', sortKey: 'sk' },
} as const;

/** The registry table: the hub's DynamoDB client, the table name and the fence of the writer (see index.ts). */
export interface RegistryTable {
  dynamo: DynamoDBDocumentClient;
  tableName: string;
  /** The lease the writer holds (heldRegistry): writes of the VPC's record through this table are fenced by it. */
  fence?: LeaseFence;
}

/** The registry of this Lambda: the hub's DynamoDB client and the table named by `REGISTRY_TABLE_NAME`. */
export function registryTable(config: HubConfig, env: NodeJS.ProcessEnv = process.env): RegistryTable {
  return { dynamo: hubClients(config.hub.region).dynamo, tableName: requireEnv('REGISTRY_TABLE_NAME', env) };
}
