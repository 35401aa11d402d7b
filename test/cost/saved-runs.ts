import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { main } from '../../cli/main';
import { capture } from './capture';

/** Saved simulate runs and a mocked registry per region, for `cost --regions` and `chargeback --regions`. */

const ROOT = join(__dirname, '..', '..');
export const TWO = 'config/example-two-regions.hub.json';
/** A us-east-1 VPC and a eu-west-1 VPC of worlds/two-regions.world.json. */
export const US_VPC = 'vpc-0a200000000000001';
export const EU_VPC = 'vpc-0a2000000000000e1';

/**
 * Runs `spokelink simulate` of the two-region example with a scenario that connects one VPC in each region, saved
 * to a new folder (returned).
 */
export async function simulateTwoRegions(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-two-region-run-'));
  const scenario = join(dir, 'scenario.json');
  const connect = (vpc: string) => ({
    do: 'tag',
    vpc,
    tags: { 'spokelink:connect': 'true', 'spokelink:segment': 'prod', 'spokelink:services': 'ssm' },
  });
  writeFileSync(
    scenario,
    JSON.stringify({
      description: 'one VPC connects in each region',
      steps: [
        connect(US_VPC),
        connect(EU_VPC),
        { do: 'expect', vpc: US_VPC, status: 'connected', registry: 'connected' },
        { do: 'expect', vpc: EU_VPC, status: 'connected', registry: 'connected' },
      ],
    }),
  );
  const run = join(dir, 'run');
  const c = capture();
  const code = await main(
    [
      'simulate',
      '--config',
      join(ROOT, TWO),
      '--world',
      join(ROOT, 'worlds/two-regions.world.json'),
      '--scenario',
      scenario,
      '--quiet',
      '--save',
      run,
    ],
    c.io,
  );
  if (code !== 0) throw new Error(`simulate failed (${code}): ${c.stderr()}`);
  return run;
}

/**
 * A run saved by an older spokelink of one region: `executions.json` naming its region and a `registry.json` whose
 * records do not name it.
 */
export function oldSingleRegionRun(vpcId: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'spokelink-old-run-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'executions.json'),
    JSON.stringify({
      version: 1,
      savedAt: '2026-03-01T00:00:00.000Z',
      region: 'us-east-1',
      accountId: '111111111111',
      stateMachines: [],
      executions: [],
    }),
  );
  writeFileSync(
    join(dir, 'registry.json'),
    JSON.stringify([
      {
        pk: `VPC#${vpcId}`,
        sk: 'CURRENT',
        vpcId,
        accountId: '222222222222',
        segment: 'prod',
        services: ['ssm'],
        status: 'connected',
        connectedAt: '2026-03-01T00:00:00Z',
      },
      { pk: `VPC#${vpcId}`, sk: 'LEASE', holder: 'x' },
    ]),
  );
  return dir;
}

/** A consumer record as the registry table holds it. */
export const tableRecord = (vpcId: string, region: string) => ({
  pk: `VPC#${vpcId}`,
  sk: 'CURRENT',
  vpcId,
  accountId: '222222222222',
  region,
  segment: 'prod',
  services: ['ssm'],
  status: 'connected',
  connectedAt: '2026-03-01T00:00:00Z',
});

let stub: AwsClientStub<DynamoDBDocumentClient> | undefined;

/**
 * Mocks the DynamoDB document clients (until {@link restoreRegionalTables}: installed per test, as a simulate run of
 * the same file uses the real ones) to answer Scans of the registry table by the client's region: `pages[region]` in
 * order (each page but the last with a LastEvaluatedKey), or `failure[region]` thrown. Returns the regions and
 * tables scanned, in call order, and the stub.
 */
export function mockRegionalTables(
  pages: Record<string, Record<string, unknown>[][]>,
  failure: Record<string, Error> = {},
): { calls: { region: string; table: string; startKey: unknown }[]; dynamo: AwsClientStub<DynamoDBDocumentClient> } {
  const calls: { region: string; table: string; startKey: unknown }[] = [];
  const dynamo = mockClient(DynamoDBDocumentClient);
  stub = dynamo;
  dynamo.callsFake(async (input: { TableName: string; ExclusiveStartKey?: unknown }, getClient) => {
    const region = await getClient().config.region();
    calls.push({ region, table: input.TableName, startKey: input.ExclusiveStartKey });
    if (failure[region]) throw failure[region];
    const regionPages = pages[region] ?? [[]];
    const index = calls.filter((call) => call.region === region).length - 1;
    const last = index >= regionPages.length - 1;
    return { Items: regionPages[index] ?? [], ...(last ? {} : { LastEvaluatedKey: { pk: `page-${index}` } }) };
  });
  return { calls, dynamo };
}

/** Gives the DynamoDB clients back (afterEach of the tests that call {@link mockRegionalTables}). */
export function restoreRegionalTables(): void {
  stub?.restore();
  stub = undefined;
}
