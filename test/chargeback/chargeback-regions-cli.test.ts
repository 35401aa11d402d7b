import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/commands/chargeback';
import { loadRegionPriceBook } from '../../cli/cost/regions';
import { main } from '../../cli/main';
import { capture } from '../cost/capture';
import {
  EU_VPC,
  mockRegionalTables,
  oldSingleRegionRun,
  restoreRegionalTables,
  simulateTwoRegions,
  tableRecord,
  US_VPC,
} from '../cost/saved-runs';

const dir = mkdtempSync(join(tmpdir(), 'spokelink-chargeback-regions-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
};
const TWO = 'config/example-two-regions.hub.json';
const record = (vpcId: string, accountId: string, region: string, services: string[]) => ({
  vpcId,
  accountId,
  region,
  segment: 'prod',
  services,
  status: 'connected',
  connectedAt: '2026-03-01T00:00:00Z',
});
const registry = file('registry.json', [
  record('vpc-use1', '222222222222', 'us-east-1', ['ssm', 'sts']),
  record('vpc-euw1', '333333333333', 'eu-west-1', ['ssm']),
]);
const flows = file('flows.json', { flows: [{ vpcId: 'vpc-euw1', to: 'us-east-1', gb: 4_000 }] });
const argv = ['--month', '2026-04', '--regions', '--config', TWO, '--registry-file', registry, '--inter-region', flows];
const eu = loadRegionPriceBook().pricesOf('eu-west-1');

describe('Command: spokelink chargeback --regions', () => {
  it("charges each region's hub to its own VPCs, and the inter-region data to the VPC that sends it", async () => {
    const c = capture();

    expect(await run([...argv, '--json'], c.io)).toBe(0);

    const json = JSON.parse(c.stdout());
    expect(json.regions.map((r: { region: string }) => r.region)).toEqual(['us-east-1', 'eu-west-1']);
    const [use1, euw1] = json.regions;
    expect(use1.summary.byVpc.map((v: { vpcId: string }) => v.vpcId)).toEqual(['vpc-use1']);
    expect(euw1.summary.byVpc.map((v: { vpcId: string }) => v.vpcId)).toEqual(['vpc-euw1']);
    const transfer = euw1.rows.filter((r: { category: string }) => r.category === 'inter-region-data');
    expect(transfer).toEqual([
      expect.objectContaining({ vpcId: 'vpc-euw1', microUsd: Math.round(4_000 * eu.interRegionTransferGb.usd * 1e6) }),
    ]);
    const micro = json.regions.reduce(
      (sum: number, r: { rows: { microUsd: number }[] }) => sum + r.rows.reduce((s, row) => s + row.microUsd, 0),
      0,
    );
    expect(json.totalUsd).toBe(micro / 1e6);
  });

  it('prints one summary per region, and one CSV with the region first on every line', async () => {
    const c = capture();
    const csv = join(dir, 'out.csv');

    expect(await run([...argv, '--csv', csv], c.io)).toBe(0);

    expect(c.stdout()).toMatch(/^Chargeback 2026-04 per region: 2 regions/);
    expect(c.stdout()).toContain('== us-east-1 ==');
    expect(c.stdout()).toContain('== eu-west-1 ==');
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('region,month,account_id,vpc_id,segment,category,item,connected_hours,usd');
    expect(lines.slice(1).every((l) => /^(us-east-1|eu-west-1),2026-04,/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('eu-west-1,') && l.includes(',inter-region-data,'))).toBe(true);
  });

  it('charges a flow of a VPC that was not connected in the month to nobody, and escapes its name', async () => {
    const ghost = file('ghost.json', {
      flows: [{ from: 'eu-west-1', vpcId: 'vpc-\u001b[2Jghost', to: 'us-east-1', gb: 10 }],
    });
    const c = capture();

    expect(
      await run(
        ['--month', '2026-04', '--regions', '--config', TWO, '--registry-file', registry, '--inter-region', ghost],
        c.io,
      ),
    ).toBe(0);

    expect(c.stdout()).not.toContain('\u001b');
    expect(c.stdout()).toMatch(/inter-region-data +eu-west-1 -> us-east-1 via privatelink \(vpc-\\u001b\[2Jghost\)/);
  });

  it('refuses records without a region, in a region the configuration does not serve, and a missing registry file', async () => {
    const noRegion = file('no-region.json', [{ ...record('vpc-x', '1', 'us-east-1', []), region: undefined }]);
    const elsewhere = file('elsewhere.json', [record('vpc-y', '1', 'ap-southeast-1', [])]);
    const cases: [string[], RegExp][] = [
      [['--month', '2026-04', '--regions', '--config', TWO, '--registry-file', noRegion], /vpc-x has no region/],
      [
        ['--month', '2026-04', '--regions', '--config', TWO, '--registry-file', elsewhere],
        /vpc-y is in ap-southeast-1, not a region of the configuration/,
      ],
      [['--month', '2026-04', '--regions', '--config', TWO], /--regions needs --registry-file FILE/],
      [['--month', '2026-04', '--regions', '--registry-file', registry], /serves us-east-1 only/],
      [['--month', '2026-04', '--registry-file', registry, '--inter-region', flows], /--inter-region needs --regions/],
    ];
    for (const [args, message] of cases) {
      const c = capture();
      expect(await run(args, c.io)).toBe(2);
      expect(c.stderr()).toMatch(message);
      expect(c.stdout()).toBe('');
    }
  });
});

describe('Command: spokelink chargeback --regions reads every served region', () => {
  const charged = ['chargeback', '--regions', '--config', TWO, '--json'];
  const vpcsByRegion = (stdout: string) =>
    Object.fromEntries(
      JSON.parse(stdout).regions.map((r: { region: string; summary: { byVpc: { vpcId: string }[] } }) => [
        r.region,
        r.summary.byVpc.map((v) => v.vpcId),
      ]),
    );

  it("--local after a two-region simulate charges each region's hub to its own connected VPC", async () => {
    const saved = await simulateTwoRegions();
    const items = JSON.parse(readFileSync(join(saved, 'registry.json'), 'utf8')) as { connectedAt?: string }[];
    const month = items.find((item) => item.connectedAt)!.connectedAt!.slice(0, 7);
    const c = capture();
    expect(await main([...charged, '--month', month, '--local', '--run-dir', saved], c.io)).toBe(0);

    expect(vpcsByRegion(c.stdout())).toEqual({ 'us-east-1': [US_VPC], 'eu-west-1': [EU_VPC] });
    expect(c.stderr()).not.toContain('note:');
  });

  it('--local reads a single-region run saved by an older spokelink: its VPCs in its region, the other region noted', async () => {
    const c = capture();
    const saved = oldSingleRegionRun('vpc-old');
    expect(await main([...charged, '--month', '2026-04', '--local', '--run-dir', saved], c.io)).toBe(0);

    expect(vpcsByRegion(c.stdout())).toEqual({ 'us-east-1': ['vpc-old'], 'eu-west-1': [] });
    expect(c.stderr()).toContain("the consumer registry holds the registry of us-east-1 only, not eu-west-1's");
  });

  describe('AWS', () => {
    afterEach(restoreRegionalTables);

    it("scans each served region's registry table (current and history records) with a client of that region", async () => {
      const { calls, dynamo } = mockRegionalTables({
        'us-east-1': [[tableRecord('vpc-a', 'us-east-1')], [tableRecord('vpc-b', 'us-east-1')]],
        'eu-west-1': [[tableRecord('vpc-c', 'eu-west-1')]],
      });
      const c = capture();
      expect(await main([...charged, '--month', '2026-04'], c.io)).toBe(0);

      expect(vpcsByRegion(c.stdout())).toEqual({ 'us-east-1': ['vpc-a', 'vpc-b'], 'eu-west-1': ['vpc-c'] });
      expect(new Set(calls.map((call) => `${call.region} ${call.table}`))).toEqual(
        new Set(['us-east-1 spokelink-registry', 'eu-west-1 spokelink-registry']),
      );
      expect(calls).toHaveLength(3);
      expect(
        dynamo
          .calls()
          .every((call) =>
            /begins_with/.test(String((call.args[0].input as { FilterExpression?: string }).FilterExpression)),
          ),
      ).toBe(true);
      expect(c.stderr()).toBe('');
    });

    it('keeps an explicit --region to that region and names the region and table it cannot read', async () => {
      const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
      const { calls } = mockRegionalTables({}, { 'eu-west-1': denied });
      const c = capture();
      expect(await main([...charged, '--month', '2026-04', '--region', 'eu-west-1'], c.io)).toBe(2);

      expect(calls.map((call) => call.region)).toEqual(['eu-west-1']);
      expect(c.stderr()).toContain('reading the registry table spokelink-registry in eu-west-1: AccessDeniedException');
      expect(c.stdout()).toBe('');
    });
  });
});
