import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type LocalDynamo, startDynalite } from '#local/dynamo';
import { parseConfig } from '#shared/config';
import { RejectedError } from '#shared/errors';
import { type RegistryTable, readShardCounter, releaseShardSlot, takeShardSlot } from '#shared/registry';
import type { ShardUse } from '#shared/shards';
import { exampleConfig } from '../workflow/helpers';

// The shard counter against a real DynamoDB emulator: its conditional write is what keeps two onboardings from
// overfilling a shard, so it is tested with DynamoDB's own semantics.

let dynamo: LocalDynamo;
let tableCounter = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
});

afterAll(async () => {
  await dynamo.stop();
});

async function freshTable(fence?: RegistryTable['fence']): Promise<RegistryTable> {
  tableCounter += 1;
  const tableName = `shards-${tableCounter}`;
  const client = dynamo.client();
  await dynamo.createRegistryTable(tableName, client);
  return {
    tableName,
    dynamo: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    ...(fence ? { fence } : {}),
  };
}

/** One VPC's use: 31 IPv4 rules on the shard's group (60 fit: room for one VPC). */
const use: ShardUse = { rules: { 'sg-0e55e00000000a0a1': 31 }, zones: ['Z0SSMSHARDA0000000001'], profile: false };
const config = exampleConfig();
const slot = (vpcId: string) => ({ segment: 'nonprod', shard: 'a', vpcId, use });

describe('Registry: endpoint shard counters', () => {
  it('lets exactly one of two onboardings racing for the last slot take it; the other is rejected naming the quota', async () => {
    const table = await freshTable();
    const results = await Promise.allSettled([
      takeShardSlot(table, config, slot('vpc-0000000000000000a')),
      takeShardSlot(table, config, slot('vpc-0000000000000000b')),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [lost] = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    const error = lost!.reason as RejectedError;
    expect(error).toBeInstanceOf(RejectedError);
    expect(error.reason).toBe('capacity');
    expect(error.message).toMatch(
      /^capacity: Inbound rules per security group on sg-0e55e00000000a0a1: 31 \+ 31 > 60: shard a of segment nonprod/,
    );
    const counter = await readShardCounter(table, 'nonprod', 'a');
    expect(Object.keys(counter.members)).toHaveLength(1);
  });

  it('counts a slot taken again by its own VPC once, and frees exactly it on release', async () => {
    const table = await freshTable();
    await takeShardSlot(table, config, slot('vpc-0000000000000000a'));
    await takeShardSlot(table, config, slot('vpc-0000000000000000a'));
    expect(Object.keys((await readShardCounter(table, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000a']);
    await expect(takeShardSlot(table, config, slot('vpc-0000000000000000b'))).rejects.toThrow(/^capacity: /);

    await releaseShardSlot(table, { segment: 'nonprod', shard: 'a', vpcId: 'vpc-0000000000000000b' });
    expect(Object.keys((await readShardCounter(table, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000a']);
    await releaseShardSlot(table, { segment: 'nonprod', shard: 'a', vpcId: 'vpc-0000000000000000a' });
    await takeShardSlot(table, config, slot('vpc-0000000000000000b'));
    expect(Object.keys((await readShardCounter(table, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000b']);
  });

  it('counts against the raised quotas of the configuration', async () => {
    const raw = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
    raw.capacity = { raisedQuotas: { rulesPerSecurityGroup: 200 } };
    const raised = parseConfig(raw);
    const table = await freshTable();
    for (const vpc of ['a', 'b', 'c', 'd', 'e', 'f'])
      await takeShardSlot(table, raised, slot(`vpc-00000000000000${vpc}0`));
    // 6 x 31 = 186 rules; a seventh VPC would take the group to 217 > 200.
    await expect(takeShardSlot(table, raised, slot('vpc-0000000000000000a'))).rejects.toThrow(
      /Inbound rules per security group on sg-0e55e00000000a0a1: 186 \+ 31 > 200/,
    );
  });

  it('never lets an older lease holder change a slot a newer one wrote', async () => {
    const newer = await freshTable({ vpcId: 'vpc-0000000000000000a', owner: 'arn:new', token: 5 });
    await takeShardSlot(newer, config, slot('vpc-0000000000000000a'));
    const older = { ...newer, fence: { vpcId: 'vpc-0000000000000000a', owner: 'arn:old', token: 4 } };
    await expect(
      releaseShardSlot(older, { segment: 'nonprod', shard: 'a', vpcId: 'vpc-0000000000000000a' }),
    ).rejects.toThrow(/written under a newer lease/);
    expect(Object.keys((await readShardCounter(newer, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000a']);
  });
});
