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

describe("dynalite's store (memory-level, as the local runner sets it up)", () => {
  // dynalite reads a Query's items through a stream over the store's iterator and ends it with `return()`, which
  // abstract-level's iterators lack: the local runner's store closes them (local/dynamo.ts, `closing`). An open
  // iterator stays attached to the store and keeps the version of the store it started on.
  type Iterator = { next(): Promise<unknown>; close(): Promise<void>; return?: () => Promise<void> };
  type Store = {
    put(k: string, v: string): Promise<void>;
    values(o?: object): Iterator;
    keys(o?: object): Iterator;
    attachResource(r: unknown): void;
    detachResource(r: unknown): void;
    close(): Promise<void>;
  };

  async function store() {
    await (await startDynalite()).stop(); // sets the store up as the local runner does
    const { MemoryLevel } = require('memory-level') as { MemoryLevel: new () => Store };
    const db = new MemoryLevel();
    const open = new Set<unknown>();
    const attach = db.attachResource.bind(db);
    const detach = db.detachResource.bind(db);
    db.attachResource = (r) => {
      open.add(r);
      attach(r);
    };
    db.detachResource = (r) => {
      open.delete(r);
      detach(r);
    };
    for (const k of ['a', 'b', 'c']) await db.put(k, k.toUpperCase());
    return { db, open };
  }

  it('closes an iterator read to its end, or to its limit', async () => {
    const { db, open } = await store();
    for (const iterator of [db.values(), db.keys(), db.values({ limit: 2 })]) {
      const items = [];
      for (let item = await iterator.next(); item !== undefined; item = await iterator.next()) items.push(item);
      expect(items.length).toBeGreaterThan(0);
    }
    expect(open.size).toBe(0);
    await db.close();
  });

  it('closes an iterator its reader ends early with return()', async () => {
    const { db, open } = await store();
    const iterator = db.values();
    expect(await iterator.next()).toBe('A');
    expect(open.size).toBe(1);
    await iterator.return?.();
    expect(open.size).toBe(0);
    await db.close();
  });
});
