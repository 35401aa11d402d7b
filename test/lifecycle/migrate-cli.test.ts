import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MigrationReport } from '#shared/registry/schema';
import { runCli as cli } from './helpers';
import { RELEASE_FIXTURE } from './upgrade-world';

/** `spokelink migrate --local` on a saved run holding the registry of the release of 93dae39. */

const TGW = 'tgw-0a1b2c3d4e5f60718';
/** The release's connected VPCs: each holds its attachment and, before migrate, no attachment slot. */
const MEMBERS = ['vpc-0a200000000000001', 'vpc-0a200000000000002', 'vpc-0c400000000000001', 'vpc-0d500000000000001'];

describe('CLI: spokelink migrate', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-migrate-'));
    copyFileSync(join(RELEASE_FIXTURE, 'registry.json'), join(dir, 'registry.json'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const registry = () => JSON.parse(readFileSync(join(dir, 'registry.json'), 'utf8')) as Record<string, unknown>[];
  const slotsItem = () => registry().find((i) => i.pk === `TGW#${TGW}`)!;

  it('reports with --dry-run and changes nothing, migrates the saved registry, then finds nothing left to do', async () => {
    const before = readFileSync(join(dir, 'registry.json'), 'utf8');
    const dry = await cli(['migrate', '--local', '--run-dir', dir, '--dry-run']);
    expect(dry).toMatchObject({ code: 0, stderr: '' });
    expect(dry.stdout).toContain('(dry run: nothing written)');
    expect(dry.stdout).toContain('records: 4 at schema 1 (current schema 2)');
    expect(dry.stdout).toContain('would migrate: 4; already current: 0');
    expect(dry.stdout).toMatch(
      /VPC#vpc-0d500000000000001 CURRENT {2}1 -> 2 {2}adds endpointConnections, quarantine, schemaVersion, upgradedFrom/,
    );
    // The release's connected VPCs hold no attachment slot: the backfill would give each its own.
    expect(dry.stdout).toContain('attachment slots: would add 4 for attached VPCs that held none; 0 held already');
    expect(dry.stdout).toContain(
      '  tgw-0a1b2c3d4e5f60718 (us-east-1): would add 4; 5 of 5,000 attachments (4 spoke VPCs, 1 other and peering)',
    );
    expect(dry.stdout).toContain('    + vpc-0a200000000000001  account 222222222222');
    expect(dry.stdout).not.toContain('OVER');
    expect(readFileSync(join(dir, 'registry.json'), 'utf8')).toBe(before);

    const done = await cli(['migrate', '--local', '--run-dir', dir, '--json']);
    expect(done.code).toBe(0);
    const report = JSON.parse(done.stdout) as MigrationReport;
    expect(report).toMatchObject({ dryRun: false, target: 2 });
    expect(report.migrated).toHaveLength(4);
    expect(report.attachmentSlots.transitGateways).toMatchObject([
      { transitGatewayId: TGW, spokeVpcs: 4, attachments: 5, overQuota: false, accountsOverBudget: [] },
    ]);
    expect(report.attachmentSlots.transitGateways[0]!.added.map((a) => a.vpcId)).toEqual(MEMBERS);
    expect(slotsItem()).toMatchObject({
      members: Object.fromEntries(MEMBERS.map((v) => [v, { accountId: expect.any(String) }])),
      accounts: { '222222222222': 2, '444444444444': 1, '555555555555': 1 },
    });
    const records = registry().filter((i) => i.sk === 'CURRENT');
    expect(records.map((r) => r.schemaVersion)).toEqual([2, 2, 2, 2]);
    expect(registry().find((i) => i.pk === 'SCHEMA')).toMatchObject({ schemaVersion: 2, migrated: 4 });

    const again = await cli(['migrate', '--local', '--run-dir', dir, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({
      migrated: [],
      alreadyCurrent: 4,
      attachmentSlots: { transitGateways: [{ added: [], held: 4, spokeVpcs: 4 }], skipped: [] },
    });
  });

  it('reports a TGW over AWS quota and an account over its budget after the backfill, exit 0', async () => {
    // 4,998 other attachments and 1 per account: the 4 connected VPCs are 2 past the quota, account 222222222222 one
    // past its budget.
    const config = JSON.parse(readFileSync('config/example.hub.json', 'utf8')) as Record<string, unknown>;
    config.capacity = { otherAttachments: 4_998 };
    config.budgets = { attachmentsPerAccount: 1 };
    const file = join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify(config));

    const text = await cli(['migrate', '--local', '--run-dir', dir, '--config', file, '--dry-run']);
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toContain(
      "OVER QUOTA: tgw-0a1b2c3d4e5f60718 counts 5,002 attachments, over AWS's 5,000: its VPCs are connected and stay " +
        'so; every new VPC is rejected (capacity): 3 must be offboarded to make room for one more (check ' +
        'capacity.otherAttachments and the peers)',
    );
    expect(text.stdout).toContain(
      'OVER BUDGET: account 222222222222 holds 2 attachments on tgw-0a1b2c3d4e5f60718, over ' +
        'budgets.attachmentsPerAccount (1): its VPCs are connected and stay so; its next VPC is rejected ' +
        '(budget-exceeded): 2 must be offboarded to make room for one more, or the budget raised',
    );

    const json = await cli(['migrate', '--local', '--run-dir', dir, '--config', file, '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as MigrationReport).attachmentSlots.transitGateways).toMatchObject([
      {
        spokeVpcs: 4,
        attachments: 5_002,
        overQuota: true,
        accountsOverBudget: [{ accountId: '222222222222', attachments: 2, budget: 1 }],
      },
    ]);
    expect(Object.keys(slotsItem().members as object)).toHaveLength(4);
  });

  it('refuses a registry with a record of a newer schema, exit 1, nothing written', async () => {
    const items = registry();
    (items.find((i) => i.sk === 'CURRENT') as Record<string, unknown>).schemaVersion = 9;
    const text = `${JSON.stringify(items, null, 2)}\n`;
    writeFileSync(join(dir, 'registry.json'), text);
    const result = await cli(['migrate', '--local', '--run-dir', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/has registry schema 9, newer than this spokelink's \(2\)/);
    expect(readFileSync(join(dir, 'registry.json'), 'utf8')).toBe(text);
  });

  it('says to run simulate first without a saved registry, and refuses a file that is not one, exit 2', async () => {
    rmSync(join(dir, 'registry.json'));
    const none = await cli(['migrate', '--local', '--run-dir', dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no saved registry at .*registry\.json: run "spokelink simulate"/);
    writeFileSync(join(dir, 'registry.json'), '{}\n');
    const other = await cli(['migrate', '--local', '--run-dir', dir]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/registry\.json: not a registry \(a JSON array of items\)/);
    expect(readFileSync(join(dir, 'registry.json'), 'utf8')).toBe('{}\n');
  });

  it('refuses unknown flags with exit 2', async () => {
    const result = await cli(['migrate', '--local', '--run-dir', dir, '--force']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--force/);
  });
});
