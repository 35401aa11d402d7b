import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { HttpResponse } from '@smithy/protocol-http';
import { type LocalDynamo, startDynalite } from '#local/dynamo';

/**
 * The in-process DynamoDB transport (`LocalDynamo.handle`, the default of `createLocalHub`) hands the SDK's signed
 * request to dynalite's own HTTP handler without a socket. It must answer exactly as the socket does, and a
 * simulation on it must repeat exactly (the loopback socket lets the OS order concurrent responses).
 */

/** A client whose requests go to `dynamo.handle` (the middleware the local hub installs, without the twin). */
function inProcessClient(dynamo: LocalDynamo): DynamoDBClient {
  const client = dynamo.client();
  client.middlewareStack.add(
    () => async (args) => ({
      response: new HttpResponse(await dynamo.handle(args.request as Parameters<LocalDynamo['handle']>[0])),
      output: undefined,
    }),
    { step: 'deserialize', name: 'testInProcessDynamo', priority: 'low' },
  );
  return client;
}

describe('in-process DynamoDB transport', () => {
  let viaSocket: LocalDynamo;
  let inProcess: LocalDynamo;

  beforeAll(async () => {
    viaSocket = await startDynalite();
    inProcess = await startDynalite();
  });

  afterAll(async () => {
    await viaSocket.stop();
    await inProcess.stop();
  });

  it('answers each request of a sequence as dynalite answers it over HTTP (outputs and errors)', async () => {
    const run = async (client: DynamoDBClient) => {
      const out: unknown[] = [];
      const send = async (command: object) => {
        try {
          const { $metadata: _m, ...rest } = (await client.send(command as never)) as unknown as Record<
            string,
            unknown
          >;
          out.push(rest);
        } catch (error) {
          out.push({ error: (error as Error).name, message: (error as Error).message });
        }
      };
      await send(
        new CreateTableCommand({
          TableName: 'registry',
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      // dynalite makes the table ACTIVE on a timer (createTableMs 0): let it fire, as the local hub does.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await send(
        new PutItemCommand({ TableName: 'registry', Item: { pk: { S: 'a' }, sk: { S: '1' }, n: { N: '1' } } }),
      );
      await send(
        new PutItemCommand({
          TableName: 'registry',
          Item: { pk: { S: 'a' }, sk: { S: '1' } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      await send(
        new UpdateItemCommand({
          TableName: 'registry',
          Key: { pk: { S: 'a' }, sk: { S: '1' } },
          UpdateExpression: 'SET n = n + :one',
          ExpressionAttributeValues: { ':one': { N: '1' } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      await send(new GetItemCommand({ TableName: 'registry', Key: { pk: { S: 'a' }, sk: { S: '1' } } }));
      await send(
        new QueryCommand({
          TableName: 'registry',
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'a' } },
        }),
      );
      await send(new GetItemCommand({ TableName: 'missing', Key: { pk: { S: 'a' } } }));
      await send(new PutItemCommand({ TableName: 'registry', Item: { pk: { S: '' }, sk: { S: '1' } } }));
      return out;
    };
    const socket = await run(viaSocket.client());
    const direct = await run(inProcessClient(inProcess));
    // CreateTable's description carries its creation time and a random table id: compare without them.
    const strip = (xs: unknown[]) =>
      xs.map((x) =>
        JSON.parse(JSON.stringify(x, (k, v) => (k === 'CreationDateTime' || k === 'TableId' ? 'varies' : v))),
      );
    expect(strip(direct)).toEqual(strip(socket));
    // The sequence met the cases it is meant to meet: a conditional failure, a missing table, a validation error.
    expect(direct[2]).toMatchObject({ error: ConditionalCheckFailedException.name });
    expect(direct[6]).toMatchObject({ error: 'ResourceNotFoundException' });
    expect(direct[7]).toMatchObject({ error: 'ValidationException' });
    expect(direct[3]).toMatchObject({ Attributes: { n: { N: '2' } } });
  });
});
