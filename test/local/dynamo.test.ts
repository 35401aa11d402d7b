import { DescribeTableCommand, DynamoDBClient, ListTablesCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DYNAMODB_ENDPOINT_ENV, type LocalDynamo, startDynalite } from '#local/dynamo';

describe('Local DynamoDB (dynalite in process)', () => {
  let dynamo: LocalDynamo | undefined;
  afterEach(async () => {
    await dynamo?.stop();
    dynamo = undefined;
  });

  it('serves on 127.0.0.1 and a free port, with the registry table ACTIVE and its byAccount index', async () => {
    dynamo = await startDynalite();
    await dynamo.createRegistryTable('spokelink-registry');

    const client = dynamo.client();
    const { TableNames } = await client.send(new ListTablesCommand({}));
    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'spokelink-registry' }));

    expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dynamo.port).toBeGreaterThan(0);
    expect(TableNames).toEqual(['spokelink-registry']);
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema?.map((k) => k.AttributeName)])).toEqual([
      ['byAccount', ['accountId', 'sk']],
    ]);
  });

  it('is what a plain SDK client without an endpoint reaches once AWS_ENDPOINT_URL_DYNAMODB points at it', async () => {
    dynamo = await startDynalite();
    await dynamo.createRegistryTable('spokelink-registry');
    const restore = dynamo.useAsDefaultEndpoint();
    try {
      const plain = new DynamoDBClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'secret' },
      });
      await plain.send(
        new PutItemCommand({
          TableName: 'spokelink-registry',
          Item: { pk: { S: 'VPC#vpc-1' }, sk: { S: 'CURRENT' }, accountId: { S: '222222222222' } },
        }),
      );
      expect(process.env[DYNAMODB_ENDPOINT_ENV]).toBe(dynamo.endpoint);
    } finally {
      restore();
    }

    expect(await dynamo.scan('spokelink-registry')).toEqual([
      { pk: 'VPC#vpc-1', sk: 'CURRENT', accountId: '222222222222' },
    ]);
    expect(process.env[DYNAMODB_ENDPOINT_ENV]).toBeUndefined();
  });

  it('counts requests in flight at the server and reports each one finished', async () => {
    let started = 0;
    let finished = 0;
    dynamo = await startDynalite({
      onRequest: () => {
        started += 1;
        return () => {
          finished += 1;
        };
      },
    });

    await dynamo.createRegistryTable('registry-t1');

    expect(started).toBeGreaterThanOrEqual(2);
    expect(finished).toBe(started);
    expect(dynamo.requestsInFlight).toBe(0);
  });

  it('stops cleanly, refusing connections afterwards, and tolerates a second stop', async () => {
    dynamo = await startDynalite();
    await dynamo.createRegistryTable('registry-t1');
    const client = dynamo.client();

    await dynamo.stop();
    await dynamo.stop();

    expect(dynamo.running).toBe(false);
    await expect(client.send(new ListTablesCommand({}))).rejects.toThrow(/ECONNREFUSED|socket hang up|connect/);
  });
});
