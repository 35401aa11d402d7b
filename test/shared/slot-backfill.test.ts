import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { HubAttachmentLimits } from '#shared/attachment-quota';
import {
  archiveMembership,
  forgetAttachment,
  type RegistryTable,
  readAttachmentSlots,
  takeAttachmentSlot,
} from '#shared/registry';
import { backfillAttachmentSlots } from '#shared/registry/backfill';
import { dynaliteTables } from './dynalite-tables';

/**
 * `spokelink migrate`'s backfill of the hub TGW's attachment slots (functions/shared/registry/backfill.ts), against a
 * real DynamoDB emulator: the members it adds, what it never adds or overwrites, and its races with live onboardings
 * and offboardings, each interleaving forced at the write it depends on.
 */

const tables = dynaliteTables('backfill');
const freshTable = tables.fresh;

const TGW = 'tgw-0a1b2c3d4e5f60718';
const A = '222222222222';
const B = '333333333333';
const hub = (free = 100, budget = 10, unregistered = 1): HubAttachmentLimits => ({
  region: 'us-east-1',
  transitGatewayId: TGW,
  free,
  budget,
  unregistered,
});
const vpc = (i: number) => `vpc-${String(i).padStart(17, '0')}`;

/** A current consumer record as a release without slots left it: connected, holding `attachmentId`. */
function record(i: number, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pk: `VPC#${vpc(i)}`,
    sk: 'CURRENT',
    kind: 'current',
    vpcId: vpc(i),
    accountId: A,
    region: 'us-east-1',
    segment: 'prod',
    services: [],
    cidrs: [],
    attachmentId: `tgw-attach-${String(i).padStart(17, '0')}`,
    attachmentSubnetIds: [],
    routes: [],
    zones: [],
    securityGroupRules: [],
    endpointServicePrincipals: [],
    status: 'connected',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    executions: [],
    ...fields,
  };
}

async function seed(table: RegistryTable, items: Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
  for (const item of items) await table.dynamo.send(new PutCommand({ TableName: table.tableName, Item: item }));
  return items;
}

const slots = (table: RegistryTable) => readAttachmentSlots(table, TGW);

/** `accounts[a]` equals the number of members of account a. */
async function expectAccountsCountMembers(table: RegistryTable) {
  const { members, accounts } = await slots(table);
  const counted: Record<string, number> = {};
  for (const m of Object.values(members)) counted[m.accountId] = (counted[m.accountId] ?? 0) + 1;
  expect(Object.fromEntries(Object.entries(accounts).filter(([, n]) => n !== 0))).toEqual(counted);
}

/** The backfill's member write (members without a lease token: an onboarding's carries its token), if `command` is. */
function backfillWrite(command: unknown) {
  const input = command instanceof UpdateCommand ? command.input : undefined;
  const member = input?.ExpressionAttributeValues?.[':m0'] as { leaseToken?: number } | undefined;
  return member !== undefined && member.leaseToken === undefined ? input : undefined;
}

/** The table, with `after` called once each command it sends has been answered. */
function observed(table: RegistryTable, after: (command: unknown) => Promise<void>): RegistryTable {
  const send = table.dynamo.send.bind(table.dynamo) as (command: unknown) => Promise<unknown>;
  const client = Object.create(table.dynamo) as DynamoDBDocumentClient;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const out = await send(command);
    await after(command);
    return out;
  };
  return { ...table, dynamo: client };
}

/**
 * The table, with `hook` run once right after the backfill's member write (the interleaving under test): what a live
 * workflow does between the add and the backfill's second read of the record.
 */
function afterBackfillWrite(table: RegistryTable, hook: () => Promise<void>): RegistryTable {
  let fired = false;
  return observed(table, async (command) => {
    if (fired || !backfillWrite(command)) return;
    fired = true;
    await hook();
  });
}

/** An offboarding as the workflow ends it: the attachment deleted (record first), the membership archived, slot released. */
async function offboard(table: RegistryTable, i: number) {
  await forgetAttachment(table, vpc(i), Date.now());
  await archiveMembership(table, vpc(i), 'arn:offboarding', Date.now(), { transitGatewayId: TGW });
}

describe('Registry: backfilling the attachment slots of an upgraded hub', () => {
  it('gives each record holding its attachment a member without a lease token, counted in its account', async () => {
    const table = await freshTable();
    const items = await seed(table, [record(1), record(2), record(3, { accountId: B })]);

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });

    expect(report.transitGateways).toEqual([
      {
        region: 'us-east-1',
        transitGatewayId: TGW,
        added: [
          { vpcId: vpc(1), accountId: A },
          { vpcId: vpc(2), accountId: A },
          { vpcId: vpc(3), accountId: B },
        ],
        held: 0,
        spokeVpcs: 3,
        attachments: 4,
        quota: 5_000,
        overQuota: false,
        accountsOverBudget: [],
      },
    ]);
    expect(report.skipped).toEqual([]);
    expect(await slots(table)).toMatchObject({
      members: { [vpc(1)]: { accountId: A }, [vpc(2)]: { accountId: A }, [vpc(3)]: { accountId: B } },
      accounts: { [A]: 2, [B]: 1 },
    });
  });

  it('gives no slot to a record without an attachment, a disconnected one, or one of a region the hub does not serve', async () => {
    const table = await freshTable();
    const items = await seed(table, [
      record(1, { attachmentId: undefined, status: 'onboarding' }),
      record(2, { status: 'disconnected' }),
      record(3, { region: 'eu-west-1' }),
      // A history record names the attachment of a past membership.
      { ...record(4), sk: 'HISTORY#2026-10-01T00:00:00.000Z', kind: 'history' },
    ]);

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });

    expect(report.transitGateways).toEqual([]);
    expect(report.skipped).toEqual([
      { vpcId: vpc(3), reason: 'its region eu-west-1 is not served by the configuration' },
    ]);
    expect(await tables.scan(table.tableName)).toHaveLength(items.length);
  });

  it("counts each record on its own region's hub TGW (a saved multi-region run holds both regions' records)", async () => {
    const table = await freshTable();
    const EU_TGW = 'tgw-0e1b2c3d4e5f60719';
    const items = await seed(table, [record(1), record(2, { region: 'eu-west-1' })]);
    const eu = { ...hub(), region: 'eu-west-1', transitGatewayId: EU_TGW };

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub(), eu], dryRun: false });

    expect(report.transitGateways.map((t) => [t.transitGatewayId, t.added.map((a) => a.vpcId)])).toEqual([
      [TGW, [vpc(1)]],
      [EU_TGW, [vpc(2)]],
    ]);
    expect(Object.keys((await slots(table)).members)).toEqual([vpc(1)]);
    expect(Object.keys((await readAttachmentSlots(table, EU_TGW)).members)).toEqual([vpc(2)]);
  });

  it('adds nothing when run again, and never rewrites a member a lease holder stamped', async () => {
    const table = await freshTable();
    const items = await seed(table, [record(1), record(2)]);
    const fenced = { ...table, fence: { vpcId: vpc(2), owner: 'arn:replan', token: 7 } };
    await takeAttachmentSlot(fenced, { transitGatewayId: TGW, vpcId: vpc(2), accountId: A, free: 1, budget: 1 });

    const first = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });
    const second = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });

    expect(first.transitGateways[0]).toMatchObject({ added: [{ vpcId: vpc(1), accountId: A }], held: 1, spokeVpcs: 2 });
    expect(second.transitGateways[0]).toMatchObject({ added: [], held: 2, spokeVpcs: 2 });
    expect((await slots(table)).members).toEqual({
      [vpc(1)]: { accountId: A },
      [vpc(2)]: { accountId: A, leaseToken: 7 },
    });
    await expectAccountsCountMembers(table);
  });

  it('reports with dryRun what it would add, and writes nothing', async () => {
    const table = await freshTable();
    const items = await seed(table, [record(1), record(2, { accountId: B })]);
    const before = await tables.scan(table.tableName);

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub(1, 1)], dryRun: true });

    expect(report.transitGateways[0]).toMatchObject({
      added: [
        { vpcId: vpc(1), accountId: A },
        { vpcId: vpc(2), accountId: B },
      ],
      spokeVpcs: 2,
      attachments: 3,
    });
    expect(await tables.scan(table.tableName)).toEqual(before);
  });

  it('reports a TGW over AWS quota and an account over its budget after the backfill, and still counts every VPC', async () => {
    const table = await freshTable();
    const items = await seed(table, [record(1), record(2), record(3), record(4, { accountId: B })]);

    // Room for 2 spoke VPCs (4,998 other attachments), 2 per account.
    const report = await backfillAttachmentSlots(table, items, { hubs: [hub(2, 2, 4_998)], dryRun: false });

    expect(report.transitGateways[0]).toMatchObject({
      spokeVpcs: 4,
      attachments: 5_002,
      overQuota: true,
      accountsOverBudget: [{ accountId: A, attachments: 3, budget: 2 }],
    });
    expect(Object.keys((await slots(table)).members)).toHaveLength(4);
    // The next VPC is refused: the slots' own condition sees the TGW full.
    await expect(
      takeAttachmentSlot(table, { transitGatewayId: TGW, vpcId: vpc(5), accountId: B, free: 2, budget: 2 }),
    ).resolves.toEqual({ full: 4 });
  });

  it("adds many VPCs in writes of 50 members, each within DynamoDB's 4 KB expression limit", async () => {
    const base = await freshTable();
    // 120 VPCs of 120 accounts (the longest expressions: one account placeholder per member).
    const account = (i: number) => `2${String(i).padStart(11, '0')}`;
    const items = await seed(
      base,
      Array.from({ length: 120 }, (_, i) => record(i + 1, { accountId: account(i) })),
    );
    const writes: { UpdateExpression?: string; ConditionExpression?: string }[] = [];
    const table = observed(base, async (command) => {
      const write = backfillWrite(command);
      if (write) writes.push(write);
    });

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub(5_000, 1)], dryRun: false });

    expect(report.transitGateways[0]!.added).toHaveLength(120);
    expect(writes).toHaveLength(3);
    for (const write of writes) {
      expect(write.UpdateExpression!.length).toBeLessThanOrEqual(4_096);
      expect(write.ConditionExpression!.length).toBeLessThanOrEqual(4_096);
    }
    expect(Object.keys((await slots(base)).members)).toHaveLength(120);
    await expectAccountsCountMembers(base);
  });

  it('adds a member once when onboardings take the same slots at the same time', async () => {
    const table = await freshTable();
    const items = await seed(
      table,
      Array.from({ length: 12 }, (_, i) => record(i + 1, { accountId: i % 2 === 0 ? A : B })),
    );
    const takes = items.map((_, i) =>
      takeAttachmentSlot(
        { ...table, fence: { vpcId: vpc(i + 1), owner: 'arn:replan', token: 3 } },
        {
          transitGatewayId: TGW,
          vpcId: vpc(i + 1),
          accountId: i % 2 === 0 ? A : B,
          free: 1,
          budget: 1,
          attached: true,
        },
      ),
    );

    const [report] = await Promise.all([
      backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false }),
      ...takes,
    ]);

    const after = await slots(table);
    expect(Object.keys(after.members)).toHaveLength(12);
    expect(after.accounts).toEqual({ [A]: 6, [B]: 6 });
    expect(report.transitGateways[0]!.added.length + report.transitGateways[0]!.held).toBe(12);
    await expectAccountsCountMembers(table);
  });

  it('adds nothing for a VPC offboarded after the scan read it (its slot released before the backfill wrote)', async () => {
    const table = await freshTable();
    const items = await seed(table, [record(1), record(2)]);
    await offboard(table, 1); // after the scan: `items` still show its attachment

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });

    expect(report.skipped).toEqual([
      { vpcId: vpc(1), reason: 'its attachment was deleted (offboarded) while migrate ran' },
    ]);
    expect(report.transitGateways[0]).toMatchObject({ added: [{ vpcId: vpc(2), accountId: A }], spokeVpcs: 1 });
    expect(Object.keys((await slots(table)).members)).toEqual([vpc(2)]);
    await expectAccountsCountMembers(table);
  });

  it('leaves no member when the offboarding releases the slot between the backfill write and its second read', async () => {
    const base = await freshTable();
    const items = await seed(base, [record(1)]);
    const table = afterBackfillWrite(base, () => offboard(base, 1));

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });

    expect(report.skipped.map((s) => s.vpcId)).toEqual([vpc(1)]);
    expect((await slots(base)).members).toEqual({});
    await expectAccountsCountMembers(base);
  });

  it('keeps the member when the offboarding starts after the second read: its release removes it', async () => {
    const base = await freshTable();
    const items = await seed(base, [record(1)]);
    const table = afterBackfillWrite(base, async () => {});

    const report = await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });
    expect(report.transitGateways[0]!.added).toEqual([{ vpcId: vpc(1), accountId: A }]);

    await offboard(base, 1);
    expect((await slots(base)).members).toEqual({});
    await expectAccountsCountMembers(base);
  });

  it('never withdraws a member an onboarding of the VPC stamped after the backfill added it', async () => {
    const base = await freshTable();
    const items = await seed(base, [record(1)]);
    // Between the add and the second read: the VPC is offboarded and asks again; its onboarding takes the slot.
    const table = afterBackfillWrite(base, async () => {
      await offboard(base, 1);
      await seed(base, [record(1, { attachmentId: undefined, status: 'onboarding' })]);
      const fenced = { ...base, fence: { vpcId: vpc(1), owner: 'arn:again', token: 9 } };
      await takeAttachmentSlot(fenced, { transitGatewayId: TGW, vpcId: vpc(1), accountId: A, free: 5, budget: 5 });
    });

    await backfillAttachmentSlots(table, items, { hubs: [hub()], dryRun: false });

    expect((await slots(base)).members).toEqual({ [vpc(1)]: { accountId: A, leaseToken: 9 } });
    await expectAccountsCountMembers(base);
  });
});
