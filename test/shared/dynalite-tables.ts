import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamo, startDynalite } from '#local/dynamo';
import type { RegistryTable } from '#shared/registry';

/**
 * Registry tables on a dynalite of the calling suite (started before its tests, stopped after them): the registry's
 * conditional writes are what make its stores race-free, so their suites test them with DynamoDB's own semantics
 * rather than a mock's. Each `fresh()` is a new, empty table named `<prefix>-<n>`.
 */
export function dynaliteTables(prefix: string): {
  fresh: () => Promise<RegistryTable>;
  /** Every item of a table, unmarshalled. */
  scan: (tableName: string) => Promise<Record<string, unknown>[]>;
} {
  let dynamo: LocalDynamo;
  let tables = 0;
  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());
  return {
    scan: (tableName) => dynamo.scan(tableName),
    async fresh() {
      tables += 1;
      const tableName = `${prefix}-${tables}`;
      const client = dynamo.client();
      await dynamo.createRegistryTable(tableName, client);
      return {
        tableName,
        dynamo: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
      };
    },
  };
}
