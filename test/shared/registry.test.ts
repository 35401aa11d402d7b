import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { parseConfig } from '#shared/config';
import { RejectedError, VpcBusyError } from '#shared/errors';
import type { Plan } from '#shared/plan';
import {
  acquireLease,
  beginOnboarding,
  claimCidrs,
  getLease,
  getRecord,
  markConnected,
  markFailed,
  mergeIntoRecord,
  noRoomFor,
  type RegistryTable,
  readAttachmentSlots,
  readClaimBucket,
  readShardCounter,
  readSlotOfVpc,
  recordAttachment,
  releaseAttachmentSlot,
  releaseLease,
  releaseShardSlot,
  takeAttachmentSlot,
  takeShardSlot,
} from '#shared/registry';
import type { ShardUse } from '#shared/shards';
import { exampleConfig } from '../workflow/helpers';
import { dynaliteTables } from './dynalite-tables';

// The registry against a real DynamoDB emulator: conditional writes are what makes the lease and the CIDR claims
// race-free, so they are tested with DynamoDB's own semantics rather than a mock's.

const tables = dynaliteTables('registry');
const freshTable = tables.fresh;

const HUB_TGW = { transitGatewayId: 'tgw-0a1b2c3d4e5f60718' };
const live = async () => true;
const dead = async () => false;

function plan(vpcId: string, cidrs: string[]): Plan {
  return {
    vpcId,
    accountId: '222222222222',
    region: 'us-east-1',
    externalAccount: false,
    segment: 'nonprod',
    services: ['ssm'],
    cidrs,
    transitGatewayId: 'tgw-0a1b2c3d4e5f60718',
    shareName: 'spokelink-tgw',
    attachmentName: `spokelink-${vpcId}`,
    subnetSelection: 'one-per-az',
    attachmentSubnets: [],
    attachmentSubnetIds: ['subnet-0000000000000000a'],
    routeTableIds: [],
    destinations: ['10.0.0.0/16'],
    associationRouteTableId: 'tgw-rtb-0b000000000000002',
    propagationRouteTableIds: [],
    zones: [],
    securityGroupRules: [],
    endpointServices: [],
    principal: 'arn:aws:iam::222222222222:root',
  };
}

describe('Registry: lease', () => {
  it('gives the lease to one of two executions racing for one VPC; the other is told the VPC is busy', async () => {
    const table = await freshTable();
    const now = Date.now();

    const results = await Promise.allSettled(
      ['arn:exec-a', 'arn:exec-b'].map((owner) =>
        acquireLease(table, { vpcId: 'vpc-1', owner, now, ttlSeconds: 600, isOwnerLive: live }),
      ),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(VpcBusyError);
  });

  it('lets the holder acquire again (a retried AcquireLease) and only the holder release', async () => {
    const table = await freshTable();
    const args = { vpcId: 'vpc-1', now: Date.now(), ttlSeconds: 600, isOwnerLive: live };
    await acquireLease(table, { ...args, owner: 'arn:exec-a' });

    await expect(acquireLease(table, { ...args, owner: 'arn:exec-a' })).resolves.toMatchObject({ owner: 'arn:exec-a' });
    await expect(releaseLease(table, 'vpc-1', 'arn:exec-b')).resolves.toBe(false);
    expect(await getLease(table, 'vpc-1')).toMatchObject({ owner: 'arn:exec-a' });
    await expect(releaseLease(table, 'vpc-1', 'arn:exec-a')).resolves.toBe(true);
    expect(await getLease(table, 'vpc-1')).toBeUndefined();
  });

  it('takes over the lease of an execution that no longer runs', async () => {
    const table = await freshTable();
    const args = { vpcId: 'vpc-1', now: Date.now(), ttlSeconds: 600 };
    await acquireLease(table, { ...args, owner: 'arn:stopped', isOwnerLive: live });

    await acquireLease(table, { ...args, owner: 'arn:exec-b', isOwnerLive: dead });

    expect(await getLease(table, 'vpc-1')).toMatchObject({ owner: 'arn:exec-b' });
  });

  it('takes over an expired lease without asking whether its holder runs', async () => {
    const table = await freshTable();
    const now = Date.now();
    await acquireLease(table, { vpcId: 'vpc-1', owner: 'arn:old', now, ttlSeconds: 60, isOwnerLive: live });
    const asked = jest.fn(live);

    await acquireLease(table, {
      vpcId: 'vpc-1',
      owner: 'arn:new',
      now: now + 120_000,
      ttlSeconds: 60,
      isOwnerLive: asked,
    });

    expect(asked).not.toHaveBeenCalled();
    expect(await getLease(table, 'vpc-1')).toMatchObject({ owner: 'arn:new' });
  });
});

describe('Registry: CIDR claims', () => {
  it('admits exactly one of two VPCs with overlapping CIDRs claiming at the same moment', async () => {
    const table = await freshTable();

    const results = await Promise.allSettled([
      claimCidrs(table, { vpcId: 'vpc-a', accountId: '222222222222', cidrs: ['10.1.0.0/16'] }),
      claimCidrs(table, { vpcId: 'vpc-b', accountId: '333333333333', cidrs: ['10.1.128.0/20'] }),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(RejectedError);
    expect(rejected.reason).toMatchObject({ reason: 'cidr-overlap' });
    const bucket = await readClaimBucket(table, '10.1');
    expect(Object.keys(bucket.claims)).toHaveLength(1);
  });

  it('admits many disjoint VPCs claiming the same /16 at once (version conflicts are retried)', async () => {
    const table = await freshTable();
    const vpcs = Array.from({ length: 6 }, (_, i) => `vpc-${i}`);

    await Promise.all(
      vpcs.map((vpcId, i) => claimCidrs(table, { vpcId, accountId: '222222222222', cidrs: [`10.7.${i}.0/24`] })),
    );

    const bucket = await readClaimBucket(table, '10.7');
    expect(Object.keys(bucket.claims).sort()).toEqual(vpcs);
  });

  it('does not rewrite a claim that already holds the same CIDRs', async () => {
    const table = await freshTable();
    const args = { vpcId: 'vpc-a', accountId: '222222222222', cidrs: ['10.1.0.0/16'] };
    await claimCidrs(table, args);
    const before = await readClaimBucket(table, '10.1');

    await claimCidrs(table, args);

    expect((await readClaimBucket(table, '10.1')).version).toBe(before.version);
  });

  it('undoes the claims it wrote when a later CIDR of the same VPC overlaps', async () => {
    const table = await freshTable();
    await claimCidrs(table, { vpcId: 'vpc-other', accountId: '333333333333', cidrs: ['10.6.0.0/24'] });

    await expect(
      claimCidrs(table, { vpcId: 'vpc-a', accountId: '222222222222', cidrs: ['10.5.0.0/16', '10.6.0.0/20'] }),
    ).rejects.toMatchObject({ reason: 'cidr-overlap', message: expect.stringContaining('vpc-other') });

    expect((await readClaimBucket(table, '10.5')).claims).toEqual({});
  });

  it('drops the claims of CIDRs the VPC no longer has', async () => {
    const table = await freshTable();
    await claimCidrs(table, { vpcId: 'vpc-a', accountId: '222222222222', cidrs: ['10.1.0.0/16', '10.2.0.0/16'] });

    await claimCidrs(table, {
      vpcId: 'vpc-a',
      accountId: '222222222222',
      cidrs: ['10.1.0.0/16'],
      previousCidrs: ['10.1.0.0/16', '10.2.0.0/16'],
    });

    expect((await readClaimBucket(table, '10.2')).claims).toEqual({});
    expect((await readClaimBucket(table, '10.1')).claims['vpc-a']).toEqual({
      cidrs: ['10.1.0.0/16'],
      accountId: '222222222222',
    });
  });
});

describe('Registry: consumer record', () => {
  it('starts a record, merges write-through items by identity and marks it connected once', async () => {
    const table = await freshTable();
    const p = plan('vpc-a', ['10.1.0.0/16']);
    await beginOnboarding(table, p, 'arn:exec-1', Date.parse('2026-11-27T12:00:00Z'));
    await recordAttachment(table, 'vpc-a', 'tgw-attach-1', ['subnet-b', 'subnet-a'], Date.now());
    const rule = { endpoint: 'ssm', groupId: 'sg-1', cidr: '10.1.0.0/16', port: 443, description: 'd' };
    await mergeIntoRecord(table, 'vpc-a', 'securityGroupRules', [rule], Date.now());
    await mergeIntoRecord(table, 'vpc-a', 'securityGroupRules', [{ ...rule, ruleId: 'sgr-1' }], Date.now());
    await mergeIntoRecord(
      table,
      'vpc-a',
      'routes',
      [{ routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' }],
      Date.now(),
    );

    const first = await markConnected(table, 'vpc-a', 'arn:exec-1', Date.parse('2026-11-27T12:05:00Z'));
    await beginOnboarding(table, p, 'arn:exec-2', Date.parse('2026-11-28T12:00:00Z'));
    await markConnected(table, 'vpc-a', 'arn:exec-2', Date.parse('2026-11-28T12:05:00Z'));

    const record = await getRecord(table, 'vpc-a');
    expect(first.connectedAt).toBe('2026-11-27T12:05:00.000Z');
    expect(record).toMatchObject({
      status: 'connected',
      connectedAt: '2026-11-27T12:05:00.000Z',
      attachmentId: 'tgw-attach-1',
      attachmentSubnetIds: ['subnet-a', 'subnet-b'],
      securityGroupRules: [{ ...rule, ruleId: 'sgr-1' }],
      routes: [{ routeTableId: 'rtb-1', destinationCidr: '10.0.0.0/16' }],
      executions: ['arn:exec-1', 'arn:exec-2'],
    });
  });

  it('marks failed only a record this execution began, keeping what was created', async () => {
    const table = await freshTable();
    await beginOnboarding(table, plan('vpc-a', ['10.1.0.0/16']), 'arn:exec-1', Date.now());
    await mergeIntoRecord(table, 'vpc-a', 'zones', [{ endpoint: 'ssm', zoneId: 'Z1', zoneName: 'ssm.x' }], Date.now());

    await expect(markFailed(table, 'vpc-a', 'arn:exec-other', Date.now(), HUB_TGW)).resolves.toBe(false);
    await expect(markFailed(table, 'vpc-a', 'arn:exec-1', Date.now(), HUB_TGW)).resolves.toBe(true);

    expect(await getRecord(table, 'vpc-a')).toMatchObject({
      status: 'failed',
      zones: [{ endpoint: 'ssm', zoneId: 'Z1', zoneName: 'ssm.x' }],
    });
  });

  it('refuses write-through to a record that does not exist', async () => {
    const table = await freshTable();

    await expect(
      mergeIntoRecord(table, 'vpc-missing', 'zones', [{ endpoint: 'ssm', zoneId: 'Z1', zoneName: 'x' }], Date.now()),
    ).rejects.toMatchObject({ name: 'RegistryRecordMissingError' });
  });
});

// ---- endpoint shard counters: the conditional write that keeps two onboardings from overfilling a shard ----

/** One VPC's use: 31 IPv4 rules on the shard's group (60 fit: room for one VPC). */
const use: ShardUse = { rules: { 'sg-0e55e00000000a0a1': 31 }, zones: ['Z0SSMSHARDA0000000001'], profile: false };
const shardConfig = exampleConfig();
const slot = (vpcId: string) => ({ segment: 'nonprod', shard: 'a', vpcId, use });

describe('Registry: endpoint shard counters', () => {
  it('lets exactly one of two onboardings racing for the last slot take it; the other is rejected naming the quota', async () => {
    const table = await freshTable();
    const results = await Promise.allSettled([
      takeShardSlot(table, shardConfig, slot('vpc-0000000000000000a')),
      takeShardSlot(table, shardConfig, slot('vpc-0000000000000000b')),
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
    await takeShardSlot(table, shardConfig, slot('vpc-0000000000000000a'));
    await takeShardSlot(table, shardConfig, slot('vpc-0000000000000000a'));
    expect(Object.keys((await readShardCounter(table, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000a']);
    await expect(takeShardSlot(table, shardConfig, slot('vpc-0000000000000000b'))).rejects.toThrow(/^capacity: /);

    await releaseShardSlot(table, { segment: 'nonprod', shard: 'a', vpcId: 'vpc-0000000000000000b' });
    expect(Object.keys((await readShardCounter(table, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000a']);
    await releaseShardSlot(table, { segment: 'nonprod', shard: 'a', vpcId: 'vpc-0000000000000000a' });
    await takeShardSlot(table, shardConfig, slot('vpc-0000000000000000b'));
    expect(Object.keys((await readShardCounter(table, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000b']);
  });

  it('counts against the raised quotas of the configuration', async () => {
    const raw = JSON.parse(JSON.stringify(shardConfig)) as Record<string, unknown>;
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
    const newer = { ...(await freshTable()), fence: { vpcId: 'vpc-0000000000000000a', owner: 'arn:new', token: 5 } };
    await takeShardSlot(newer, shardConfig, slot('vpc-0000000000000000a'));
    const older = { ...newer, fence: { vpcId: 'vpc-0000000000000000a', owner: 'arn:old', token: 4 } };
    await expect(
      releaseShardSlot(older, { segment: 'nonprod', shard: 'a', vpcId: 'vpc-0000000000000000a' }),
    ).rejects.toThrow(/written under a newer lease/);
    expect(Object.keys((await readShardCounter(newer, 'nonprod', 'a')).members)).toEqual(['vpc-0000000000000000a']);
  });
});

// ---- attachment slots of the hub TGW: one atomic conditional update per slot, so no race overfills the TGW ----

describe('Registry: attachment slots of the hub TGW', () => {
  const vpc = (i: number) => `vpc-${String(i).padStart(17, '0')}`;
  const take = (table: RegistryTable, i: number, free: number, attached = false, accountId = '222222222222') =>
    takeAttachmentSlot(table, { ...HUB_TGW, vpcId: vpc(i), accountId, free, budget: 3, attached });
  const members = async (table: RegistryTable) =>
    Object.keys((await readAttachmentSlots(table, HUB_TGW.transitGatewayId)).members).sort();

  it('lets exactly as many of many racing onboardings in as there is room for, the first slot of the TGW included', async () => {
    const table = await freshTable();
    // One account each: the budget (3) does not bind.
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => take(table, i, 5, false, `2000000000${10 + i}`)),
    );

    expect(results.filter((r) => 'taken' in r)).toHaveLength(5);
    expect(results.filter((r) => 'taken' in r).every((r) => 'taken' in r && r.taken === 'new')).toBe(true);
    // Each refused one saw the TGW full: the 5 slots taken.
    expect(results.filter((r) => 'full' in r)).toEqual(Array(7).fill({ full: 5 }));
    expect(await members(table)).toHaveLength(5);
  });

  it('counts a VPC taking its slot again once, even on a full TGW, and frees exactly its slot on release', async () => {
    const table = await freshTable();
    await expect(take(table, 1, 2)).resolves.toEqual({ taken: 'new' });
    await expect(take(table, 2, 2)).resolves.toEqual({ taken: 'new' });
    await expect(take(table, 1, 2)).resolves.toEqual({ taken: 'held' });
    await expect(take(table, 3, 2)).resolves.toEqual({ full: 2 });
    expect(await members(table)).toEqual([vpc(1), vpc(2)]);

    await releaseAttachmentSlot(table, { ...HUB_TGW, vpcId: vpc(3), accountId: '222222222222' });
    expect(await members(table)).toEqual([vpc(1), vpc(2)]);
    await releaseAttachmentSlot(table, { ...HUB_TGW, vpcId: vpc(1), accountId: '222222222222' });
    await expect(take(table, 3, 2)).resolves.toEqual({ taken: 'new' });
    expect(await members(table)).toEqual([vpc(2), vpc(3)]);
  });

  it("keeps each account within its budget, racing VPCs of one account included, and frees the account's share on release", async () => {
    const table = await freshTable();
    // Budget 3 per account: 8 VPCs of one account race, with room for 100 on the TGW.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => take(table, i, 100)));
    expect(results.filter((r) => 'taken' in r)).toHaveLength(3);
    expect(results.filter((r) => 'overBudget' in r)).toEqual(Array(5).fill({ overBudget: 3 }));
    // Another account is not affected.
    await expect(take(table, 20, 100, false, '333333333333')).resolves.toEqual({ taken: 'new' });
    const slots = await readAttachmentSlots(table, HUB_TGW.transitGatewayId);
    expect(slots.accounts).toEqual({ '222222222222': 3, '333333333333': 1 });

    const member = Object.keys(slots.members).find((v) => slots.members[v]!.accountId === '222222222222')!;
    await releaseAttachmentSlot(table, { ...HUB_TGW, vpcId: member, accountId: '222222222222' });
    await releaseAttachmentSlot(table, { ...HUB_TGW, vpcId: member, accountId: '222222222222' });
    expect((await readAttachmentSlots(table, HUB_TGW.transitGatewayId)).accounts['222222222222']).toBe(2);
    await expect(take(table, 30, 100)).resolves.toEqual({ taken: 'new' });
  });

  it("holds a whole TGW's 5,000 members within DynamoDB's 400 KB item limit", async () => {
    const table = await freshTable();
    // 4,999 members of 500 accounts, as bulk5000 leaves them (lease tokens up to 5 digits), written at once.
    const account = (i: number) => `2${String(Math.floor(i / 10)).padStart(11, '0')}`;
    const members = Object.fromEntries(
      Array.from({ length: 4_999 }, (_, i) => [vpc(i), { accountId: account(i), leaseToken: 10_000 + i }]),
    );
    const accounts: Record<string, number> = {};
    for (const m of Object.values(members)) accounts[m.accountId] = (accounts[m.accountId] ?? 0) + 1;
    await table.dynamo.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: `TGW#${HUB_TGW.transitGatewayId}`, sk: 'ATTACHMENTS', kind: 'attachments', members, accounts },
      }),
    );
    const fenced = { ...table, fence: { vpcId: vpc(5_000), owner: 'arn:x', token: 99_999 } };
    await expect(
      takeAttachmentSlot(fenced, {
        ...HUB_TGW,
        vpcId: vpc(5_000),
        accountId: account(5_000),
        free: 5_000,
        budget: 100,
      }),
    ).resolves.toEqual({ taken: 'new' });
    await expect(take(table, 5_001, 5_000)).resolves.toEqual({ full: 5_000 });
  });

  it("reads one VPC's slot without the other members: its member, each account's count, their sum", async () => {
    const table = await freshTable();
    for (const i of [1, 2, 3]) await take(table, i, 10);
    await takeAttachmentSlot(table, { ...HUB_TGW, vpcId: vpc(4), accountId: '333333333333', free: 10, budget: 3 });
    const view = await readSlotOfVpc(table, HUB_TGW.transitGatewayId, vpc(2));
    expect(view).toEqual({
      ...HUB_TGW,
      member: { accountId: '222222222222' },
      accounts: { '222222222222': 3, '333333333333': 1 },
      held: 4,
      exists: true,
    });
    const whole = await readAttachmentSlots(table, HUB_TGW.transitGatewayId);
    expect(view.held).toBe(Object.keys(whole.members).length);
    expect((await readSlotOfVpc(table, HUB_TGW.transitGatewayId, vpc(9))).member).toBeUndefined();
    expect(await readSlotOfVpc(table, 'tgw-0000000000000000f', vpc(1))).toMatchObject({ exists: false, held: 0 });
  });

  it('reads a slots item without account counts whole, and refuses the VPC past its members', async () => {
    const table = await freshTable();
    const members = { [vpc(1)]: { accountId: '222222222222' }, [vpc(2)]: { accountId: '333333333333' } };
    await table.dynamo.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: `TGW#${HUB_TGW.transitGatewayId}`, sk: 'ATTACHMENTS', kind: 'attachments', members },
      }),
    );
    const view = await readSlotOfVpc(table, HUB_TGW.transitGatewayId, vpc(3));
    expect(view).toMatchObject({ member: undefined, held: 2, exists: true });
    expect(noRoomFor(view, { accountId: '444444444444', free: 2, budget: 5 })).toEqual({ full: 2 });
  });

  it('gives a VPC that holds its attachment already its slot without the capacity condition (AWS counts it)', async () => {
    const table = await freshTable();
    await take(table, 1, 1);
    await expect(take(table, 2, 1)).resolves.toEqual({ full: 1 });
    await expect(take(table, 2, 1, true)).resolves.toEqual({ taken: 'new' });
    expect(await members(table)).toEqual([vpc(1), vpc(2)]);
  });

  it('never lets an older lease holder change a slot a newer one wrote', async () => {
    const base = await freshTable();
    const newer = { ...base, fence: { vpcId: vpc(1), owner: 'arn:new', token: 5 } };
    const older = { ...base, fence: { vpcId: vpc(1), owner: 'arn:old', token: 4 } };
    await take(newer, 1, 3);
    await expect(
      releaseAttachmentSlot(older, { ...HUB_TGW, vpcId: vpc(1), accountId: '222222222222' }),
    ).rejects.toThrow(/written under a newer lease/);
    await expect(take(older, 1, 3)).rejects.toThrow(/written under a newer lease/);
    expect((await readAttachmentSlots(base, HUB_TGW.transitGatewayId)).members[vpc(1)]).toEqual({
      accountId: '222222222222',
      leaseToken: 5,
    });
    await releaseAttachmentSlot(newer, { ...HUB_TGW, vpcId: vpc(1), accountId: '222222222222' });
    expect(await members(base)).toEqual([]);
  });

  it('gives the slot back when a failed onboarding whose rollback undid everything is marked failed', async () => {
    const table = await freshTable();
    await beginOnboarding(table, plan('vpc-a', ['10.1.0.0/16']), 'arn:exec-1', Date.now());
    await takeAttachmentSlot(table, { ...HUB_TGW, vpcId: 'vpc-a', accountId: '222222222222', free: 5, budget: 5 });
    await markFailed(table, 'vpc-a', 'arn:exec-1', Date.now(), HUB_TGW);
    expect(await members(table)).toEqual([]);
  });
});
