import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { REGISTRY_TABLE_SHAPE } from '#shared/registry/table';

/**
 * The consumer registry table as spokelink deploys it, built from the one definition the CDK stack also reads
 * (`REGISTRY_TABLE_SHAPE`): string keys, the account index projecting everything, on-demand billing. Every local
 * emulator (dynalite here, moto's DynamoDB in the moto tier) creates this, so both run the registry code against the
 * shape the CDK stack creates. (dynalite has no TTL; nothing in a run depends on items expiring.)
 */
export function registryTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, accountIndex } = REGISTRY_TABLE_SHAPE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
      { AttributeName: accountIndex.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: accountIndex.name,
        KeySchema: [
          { AttributeName: accountIndex.partitionKey, KeyType: 'HASH' },
          { AttributeName: accountIndex.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}
