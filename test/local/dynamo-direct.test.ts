import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DescribeTableCommand,
  type DynamoDBClient,
  DynamoDBServiceException,
  ResourceNotFoundException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { type LocalDynamo, startDynalite } from '#local/dynamo';
import { useDynamoDirect } from '#local/dynamo-direct';
import { REGISTRY_TABLE_SHAPE } from '#shared/registry/table';

/**
 * The registry's direct path into dynalite (local/dynamo-direct.ts: the direct transport's DynamoDB commands go to
 * dynalite's validations and actions without HTTP) must answer every kind of request the registry makes exactly as
 * dynalite answers the SDK over HTTP: the same outputs, the same exceptions (class, name, message, `$fault`,
 * metadata, modeled fields), the same table afterwards.
 */

const TABLE = 'registry-direct';
const { partitionKey: PK, sortKey: SK, accountIndex } = REGISTRY_TABLE_SHAPE;

/** What a send gave: the output, or the exception's class, fields and metadata (request ids vary by nature). */
type Outcome = Record<string, unknown>;

function outcomeOf(value: unknown, error?: unknown): Outcome {
  if (error !== undefined) {
    const e = error as Error & { $metadata?: Record<string, unknown>; $response?: { statusCode?: number } };
    const { requestId, ...metadata } = e.$metadata ?? {};
    const fields = Object.fromEntries(Object.entries(e).filter(([k]) => k !== '$metadata'));
    return {
      error: e.constructor.name,
      name: e.name,
      message: e.message,
      metadata,
      requestIdShape: typeof requestId === 'string' && /^[A-Z0-9]{52}$/.test(requestId),
      fields,
      responseStatus: e.$response?.statusCode,
      isServiceException: e instanceof DynamoDBServiceException,
    };
  }
  const { $metadata, ...rest } = value as { $metadata: Record<string, unknown> };
  const { requestId, ...metadata } = $metadata;
  return { output: rest, metadata, requestIdShape: typeof requestId === 'string' && /^[A-Z0-9]{52}$/.test(requestId) };
}

/** Every kind of request the registry makes (and a few it might), in one order; each outcome recorded. */
async function registrySequence(client: DynamoDBClient, dynamo: LocalDynamo): Promise<Outcome[]> {
  const documents = DynamoDBDocumentClient.from(client);
  const out: Outcome[] = [];
  const send = async (command: unknown, via: { send(c: never): Promise<unknown> } = documents) => {
    try {
      out.push(outcomeOf(await via.send(command as never)));
    } catch (error) {
      out.push(outcomeOf(undefined, error));
    }
  };
  const key = (pk: string, sk: string) => ({ [PK]: pk, [SK]: sk });

  await dynamo.createRegistryTable(TABLE, client);
  const described = (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
  out.push({ status: described?.TableStatus, created: described?.CreationDateTime instanceof Date });

  // Puts: plain, conditional (passes, fails), returning the old item; sets, numbers, binary, nested maps and lists.
  for (let i = 0; i < 7; i += 1) {
    await send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...key('VPC#vpc-1', `EVENT#${String(i).padStart(3, '0')}`),
          [accountIndex.partitionKey]: `ACCOUNT#${i % 2}`,
          [accountIndex.sortKey]: `VPC#vpc-${i}`,
          n: i,
          tags: new Set(['a', `t${i}`]),
          blob: new Uint8Array([i, 1, 2, 250]),
          nested: { list: [1, 'two', { three: true }, null], map: { deep: { x: i * 1.5 } } },
        },
      }),
    );
  }
  await send(
    new PutCommand({
      TableName: TABLE,
      Item: { ...key('VPC#vpc-1', 'CURRENT'), status: 'pending', version: 1 },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    }),
  );
  await send(
    new PutCommand({
      TableName: TABLE,
      Item: { ...key('VPC#vpc-1', 'CURRENT'), status: 'other' },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PK },
    }),
  );
  await send(
    new PutCommand({
      TableName: TABLE,
      Item: { ...key('VPC#vpc-2', 'CURRENT'), status: 'pending', version: 1 },
      ReturnValues: 'ALL_OLD',
    }),
  );
  await send(
    new PutCommand({
      TableName: TABLE,
      Item: { ...key('VPC#vpc-2', 'CURRENT'), status: 'connected', version: 2 },
      ReturnValues: 'ALL_OLD',
    }),
  );

  // Updates: SET/ADD/REMOVE, list_append and if_not_exists, conditions that pass and fail, every ReturnValues.
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      UpdateExpression:
        'SET #s = :s, version = version + :one, members = list_append(if_not_exists(members, :empty), :m) ADD hits :one',
      ConditionExpression: '#s = :pending AND version = :v',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':s': 'leased',
        ':one': 1,
        ':empty': [],
        ':m': ['vpc-1'],
        ':pending': 'pending',
        ':v': 1,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      UpdateExpression: 'SET #s = :s',
      ConditionExpression: '#s = :pending',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'stolen', ':pending': 'pending' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    }),
  );
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      UpdateExpression: 'REMOVE hits SET lease = :lease',
      ExpressionAttributeValues: { ':lease': { owner: 'exec-1', until: 1_700_000_000 } },
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      UpdateExpression: 'SET lease.#o = :o',
      ExpressionAttributeNames: { '#o': 'owner' },
      ExpressionAttributeValues: { ':o': 'exec-2' },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-3', 'CURRENT'),
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'created-by-update' },
    }),
  );

  // Reads: consistent and not, projected, missing items.
  await send(new GetCommand({ TableName: TABLE, Key: key('VPC#vpc-1', 'CURRENT'), ConsistentRead: true }));
  await send(new GetCommand({ TableName: TABLE, Key: key('VPC#vpc-1', 'EVENT#003') }));
  await send(
    new GetCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      ProjectionExpression: '#s, lease.#o',
      ExpressionAttributeNames: { '#s': 'status', '#o': 'owner' },
    }),
  );
  await send(new GetCommand({ TableName: TABLE, Key: key('VPC#none', 'CURRENT'), ConsistentRead: true }));

  // Queries with pagination: on the table (sort-key condition, backwards, a filter) and on the account index.
  const pages = async (pager: AsyncIterable<unknown>) => {
    for await (const page of pager) out.push(outcomeOf(page));
  };
  await pages(
    paginateQuery(
      { client: documents, pageSize: 2 },
      {
        TableName: TABLE,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :e)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': 'VPC#vpc-1', ':e': 'EVENT#' },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
    ),
  );
  await pages(
    paginateQuery(
      { client: documents, pageSize: 2 },
      {
        TableName: TABLE,
        IndexName: accountIndex.name,
        KeyConditionExpression: '#a = :a',
        FilterExpression: 'n > :min',
        ExpressionAttributeNames: { '#a': accountIndex.partitionKey },
        ExpressionAttributeValues: { ':a': 'ACCOUNT#1', ':min': 1 },
      },
    ),
  );
  await pages(paginateScan({ client: documents, pageSize: 3 }, { TableName: TABLE }));
  await send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': 'VPC#vpc-1' },
      Select: 'COUNT',
    }),
  );

  // Batches.
  await send(
    new BatchWriteCommand({
      RequestItems: {
        [TABLE]: [
          { PutRequest: { Item: { ...key('VPC#vpc-9', 'CURRENT'), status: 'batch' } } },
          { DeleteRequest: { Key: key('VPC#vpc-1', 'EVENT#000') } },
        ],
      },
    }),
  );
  await send(
    new BatchGetCommand({
      RequestItems: { [TABLE]: { Keys: [key('VPC#vpc-9', 'CURRENT'), key('VPC#vpc-1', 'EVENT#000')] } },
    }),
  );

  // Deletes: conditional (fails, passes), returning the old item.
  await send(
    new DeleteCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-2', 'CURRENT'),
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': 1 },
    }),
  );
  await send(
    new DeleteCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-2', 'CURRENT'),
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': 2 },
      ReturnValues: 'ALL_OLD',
    }),
  );

  // Invalid requests: each gets dynalite's error, and changes nothing.
  await send(new PutCommand({ TableName: TABLE, Item: { ...key('', 'CURRENT') } }));
  await send(new GetCommand({ TableName: 'missing-table', Key: key('VPC#vpc-1', 'CURRENT') }));
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      UpdateExpression: 'SET #s = = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'x' },
    }),
  );
  await send(
    new UpdateCommand({
      TableName: TABLE,
      Key: key('VPC#vpc-1', 'CURRENT'),
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'x', ':unused': 'y' },
    }),
  );
  await send(new GetCommand({ TableName: TABLE, Key: { [PK]: 'VPC#vpc-1' } }));
  await send(
    new BatchWriteItemCommand({ RequestItems: { [TABLE]: [] } }),
    client as unknown as { send(c: never): Promise<unknown> },
  );
  // An operation dynalite does not serve (the registry makes none).
  await send(
    new TransactWriteItemsCommand({
      TransactItems: [{ Put: { TableName: TABLE, Item: { [PK]: { S: 'a' }, [SK]: { S: 'b' } } } }],
    }),
    client as unknown as { send(c: never): Promise<unknown> },
  );

  // The table afterwards.
  out.push({ items: await dynamo.scan(TABLE) });
  return out;
}

describe('the registry direct path into dynalite', () => {
  let overHttp: LocalDynamo;
  let direct: LocalDynamo;

  beforeAll(async () => {
    overHttp = await startDynalite();
    direct = await startDynalite();
  });

  afterAll(async () => {
    await overHttp.stop();
    await direct.stop();
  });

  it('answers every kind of registry request as dynalite answers the SDK over HTTP', async () => {
    const httpClient = overHttp.client();
    const directClient = direct.client();
    let directAnswers = 0;
    useDynamoDirect(directClient.middlewareStack, {
      requestsFor: () => direct.requests,
      trackIo: (work) => {
        directAnswers += 1;
        return work();
      },
    });
    // Nothing may reach the direct dynalite's HTTP server (its requests would be counted here).
    const expected = await registrySequence(httpClient, overHttp);
    const actual = await registrySequence(directClient, direct);

    expect(direct.requestsInFlight).toBe(0);
    expect(actual).toEqual(expected);
    // Every request of the sequence but the final scans went the direct way (the scans use a client of their own).
    expect(directAnswers).toBeGreaterThanOrEqual(actual.length - 1);

    // The sequence met what it is meant to meet.
    const errors = actual.filter((o) => 'error' in o);
    expect(errors.map((o) => o.name)).toEqual([
      ConditionalCheckFailedException.name,
      ConditionalCheckFailedException.name,
      ConditionalCheckFailedException.name,
      'ValidationException',
      ResourceNotFoundException.name,
      'ValidationException',
      'ValidationException',
      'ValidationException',
      'ValidationException',
      'UnknownOperationException',
    ]);
    expect(errors[0]).toMatchObject({
      error: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      metadata: { httpStatusCode: 400, attempts: 1, totalRetryDelay: 0 },
      fields: { $fault: 'client' },
      requestIdShape: true,
      responseStatus: 400,
    });
    expect(errors[3]).toMatchObject({ error: 'DynamoDBServiceException', isServiceException: true });
    const updated = actual.find(
      (o) => (o.output as { Attributes?: { status?: string } })?.Attributes?.status === 'leased',
    );
    expect(updated).toMatchObject({ output: { Attributes: { version: 2, members: ['vpc-1'], hits: 1 } } });
    const pagesOfEvents = actual.filter((o) => Array.isArray((o.output as { Items?: unknown[] })?.Items));
    expect(pagesOfEvents.length).toBeGreaterThan(4);
  });

  it('serves the HTTP server and the direct path from one store', async () => {
    const client = direct.client();
    const documents = DynamoDBDocumentClient.from(client);
    useDynamoDirect(client.middlewareStack, { requestsFor: () => direct.requests, trackIo: (work) => work() });
    const first = await documents.send(
      new PutCommand({ TableName: TABLE, Item: { [PK]: 'ONE', [SK]: 'STORE', via: 'direct' } }),
    );
    const second = await documents.send(new GetCommand({ TableName: TABLE, Key: { [PK]: 'ONE', [SK]: 'STORE' } }));
    // Request ids of dynalite's form, one per request.
    expect(first.$metadata.requestId).toMatch(/^[A-Z0-9]{52}$/);
    expect(second.$metadata.requestId).toMatch(/^[A-Z0-9]{52}$/);
    expect(second.$metadata.requestId).not.toBe(first.$metadata.requestId);
    const overSocket = DynamoDBDocumentClient.from(direct.client());
    const { Item } = await overSocket.send(new GetCommand({ TableName: TABLE, Key: { [PK]: 'ONE', [SK]: 'STORE' } }));
    expect(Item).toEqual({ [PK]: 'ONE', [SK]: 'STORE', via: 'direct' });
  });
});
