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
import { type BulkResult, runBulk } from '../../bench/bulk';
import { bulkWorld } from '../../bench/worlds';

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

describe('a migration day on the in-process transport', () => {
  const fingerprint = (r: BulkResult) => ({
    connected: r.connected,
    executions: r.executions,
    invariants: r.invariants,
    makespanSeconds: r.makespanSeconds,
    awsCalls: r.awsCalls,
    throttledCalls: r.throttledCalls,
    stateTransitions: r.stateTransitions,
    lambdaInvocations: r.lambdaInvocations,
    callsByOperation: r.callsByOperation,
    stateRetries: r.stateRetries,
    perVpc: r.perVpc,
  });

  it('repeats exactly, and ends as the same day over HTTP does', async () => {
    // Two VPCs whose executions overlap (concurrent registry requests) make the case; each of the three days costs a
    // second or two.
    const bulk = bulkWorld({ accounts: 1, vpcsPerAccount: 2 });
    // Over the socket the OS may order concurrent responses differently (so the retries may differ), but the day
    // ends the same: every VPC connected, nothing duplicated, lost or orphaned. It runs first, and so also warms the
    // handlers' module-level caches (a warm Lambda container: validate's zone names), which outlive a hub in this
    // process: the first day of a process makes a few more calls, so the exact repetition compares two warm days.
    const http = fingerprint(await runBulk({ bulk, seed: 5, hubOptions: { dynamoTransport: 'http' } }));
    const first = fingerprint(await runBulk({ bulk, seed: 5 }));
    const second = fingerprint(await runBulk({ bulk, seed: 5 }));
    expect(second).toEqual(first);
    expect(first.connected).toBe(2);
    expect({ connected: http.connected, executions: http.executions, invariants: http.invariants }).toEqual({
      connected: first.connected,
      executions: first.executions,
      invariants: first.invariants,
    });
  });
});
