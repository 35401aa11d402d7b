import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { hubClients } from '../aws';
import type { HubConfig } from '../config';
import { requireEnv } from '../env';
import type { LeaseFence } from '../plan';

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
