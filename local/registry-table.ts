import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The consumer registry table as spokelink deploys it (see functions/shared/registry/model.ts): string keys `pk`/`sk`,
 * GSI `byAccount` on `accountId`/`sk` projecting everything, on-demand billing. One definition for every local
 * emulator (dynalite here, moto's DynamoDB in the moto tier), so both run the registry code against the same shape
 * the CDK stack creates.
 */
export function registryTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'accountId', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byAccount',
        KeySchema: [
          { AttributeName: 'accountId', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Name of the registry's account index. */
export const REGISTRY_ACCOUNT_INDEX = 'byAccount';
