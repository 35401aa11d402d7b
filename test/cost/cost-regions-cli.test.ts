import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/commands/cost';
import { loadRegionPriceBook } from '../../cli/cost/regions';
import { main } from '../../cli/main';
import { capture } from './capture';
import {
  mockRegionalTables,
  oldSingleRegionRun,
  restoreRegionalTables,
  simulateTwoRegions,
  tableRecord,
} from './saved-runs';

const dir = mkdtempSync(join(tmpdir(), 'spokelink-cost-regions-'));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const TWO = 'config/example-two-regions.hub.json';
const flows = file('flows.json', {
  flows: [
    { from: 'eu-west-1', to: 'us-east-1', gb: 4_000, segment: 'prod' },
    { from: 'us-east-1', to: 'eu-west-1', gb: 1_000, via: 'peering' },
  ],
});
const typed = [
  '--regions',
  '--config',
  TWO,
  '--vpcs-in',
  'us-east-1=200',
  '--vpcs-in',
  'eu-west-1=50',
  '--azs',
  '3',
  '--gb',
  '50',
  '--inter-region',
  flows,
];

async function fails(argv: string[]) {
  const c = capture();
  const code = await run(argv, c.io);
  return { code, stderr: c.stderr(), stdout: c.stdout() };
}

describe('Command: spokelink cost --regions', () => {
  it('prints the three designs cheapest first, the crossovers and the recommendation', async () => {
    const c = capture();

    expect(await run(typed, c.io)).toBe(0);

    const text = c.stdout();
    expect(text).toContain('Regions: us-east-1 (200 VPCs, 4 services, DNS zones), eu-west-1 (50 VPCs, 1 services');
    for (const id of ['regional-hubs', 'nlb-peering', 'per-region'])
      expect(text).toMatch(new RegExp(`^\\d\\. ${id}: `, 'm'));
    expect(text).toContain('TGW peering attachment-hours, us-east-1 side of eu-west-1 <-> us-east-1');
    expect(text).toContain('Crossovers in inter-region GB/month');
    expect(text).toMatch(/Recommendation: \S+ is cheapest/);
    const itemLines = text.split('\n').filter((l) => /^ {2}\S.*\$[\d,]+\.\d\d$/.test(l));
    expect(new Set(itemLines.map((l) => l.length)).size).toBe(1);
  });

  it('prints exactly one JSON document with --json, its totals and crossovers as the model computes them', async () => {
    const c = capture();

    expect(await run([...typed, '--json'], c.io)).toBe(0);

    const json = JSON.parse(c.stdout());
    expect(Object.keys(json.designs)).toEqual(['regional-hubs', 'nlb-peering', 'per-region']);
    expect(json.inputs.interRegionGb).toBe(5_000);
    expect(json.cheapest).toBe(json.ranking[0]);
    expect(json.crossovers).toHaveLength(3);
    expect(json.inputs.regions.map((r: { region: string; vpcs: number }) => [r.region, r.vpcs])).toEqual([
      ['us-east-1', 200],
      ['eu-west-1', 50],
    ]);
    expect(c.stderr()).toBe('');
  });

  it('takes a region from a world file: each VPC priced in its own region, a flow named by VPC', async () => {
    const world = file('world.json', {
      vpcs: [
        { vpcId: 'vpc-use1', accountId: '222222222222', region: 'us-east-1', tags: { 'spokelink:connect': 'true' } },
        {
          vpcId: 'vpc-euw1',
          accountId: '333333333333',
          region: 'eu-west-1',
          tags: { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' },
        },
      ],
    });
    const byVpc = file('by-vpc.json', { flows: [{ vpcId: 'vpc-euw1', to: 'us-east-1', gb: 300 }] });
    const c = capture();

    const argv = ['--regions', '--config', TWO, '--from-world', world, '--azs', '2', '--gb', '5'];
    expect(await run([...argv, '--inter-region', byVpc, '--json'], c.io)).toBe(0);

    const json = JSON.parse(c.stdout());
    expect(json.derivedFrom).toBe(`world ${world}`);
    expect(json.inputs.regions).toEqual([
      expect.objectContaining({ region: 'us-east-1', vpcs: 1, services: 2 }),
      expect.objectContaining({ region: 'eu-west-1', vpcs: 1, services: 1 }),
    ]);
    expect(json.inputs.flows).toEqual([expect.objectContaining({ from: 'eu-west-1', vpcId: 'vpc-euw1', gb: 300 })]);
  });

  it('takes the registry (--from-registry, --local) by record region, refusing a record without one', async () => {
    const record = (vpcId: string, region: string | undefined) => ({
      vpcId,
      accountId: '222222222222',
      ...(region ? { region } : {}),
      segment: 'prod',
      services: ['ssm'],
      status: 'connected' as const,
    });
    const argv = ['--regions', '--config', TWO, '--from-registry', '--azs', '2', '--gb', '5', '--json'];
    const c = capture();

    const loadRecords = async () => [
      record('vpc-a', 'us-east-1'),
      record('vpc-b', 'eu-west-1'),
      record('vpc-c', 'eu-west-1'),
    ];
    expect(await run(argv, c.io, { loadRecords })).toBe(0);

    const json = JSON.parse(c.stdout());
    expect(json.derivedFrom).toBe('the consumer registry');
    expect(json.inputs.regions.map((r: { vpcs: number }) => r.vpcs)).toEqual([1, 2]);

    const bad = capture();
    expect(
      await run(argv, bad.io, { loadRecords: async () => [record('vpc-a', 'us-east-1'), record('vpc-x', undefined)] }),
    ).toBe(2);
    expect(bad.stderr()).toContain('the consumer registry: vpc-x has no region');
    const elsewhere = capture();
    const stray = async () => [record('vpc-a', 'us-east-1'), record('vpc-y', 'ap-southeast-1')];
    expect(await run(argv, elsewhere.io, { loadRecords: stray })).toBe(2);
    expect(elsewhere.stderr()).toContain(
      'vpc-y is in ap-southeast-1, not a region of config/example-two-regions.hub.json',
    );

    // A region without a connected VPC yet still runs its hub: its fixed cost, its whole catalog.
    const early = capture();
    expect(await run(argv, early.io, { loadRecords: async () => [record('vpc-a', 'us-east-1')] })).toBe(0);
    const regions = JSON.parse(early.stdout()).inputs.regions;
    expect(regions[1]).toMatchObject({ region: 'eu-west-1', vpcs: 0, services: 1 });
    expect(early.stderr()).toContain('note: the consumer registry has no connected VPC in eu-west-1');
  });

  it('applies --region-prices over pricing/regions.json', async () => {
    const cheap = file('cheap.json', { regions: { 'eu-west-1': { interRegionTransferGb: { usd: 0.01 } } } });
    const c = capture();

    expect(await run([...typed, '--region-prices', cheap, '--json'], c.io)).toBe(0);

    const lines = JSON.parse(c.stdout()).designs['regional-hubs'].lineItems;
    const euTransfer = lines.find(
      (l: { kind: string; label: string }) => l.kind === 'inter-region-data' && l.label.includes('eu-west-1 ->'),
    );
    expect(euTransfer).toMatchObject({ unitUsd: 0.01, usd: 40 });
    expect(loadRegionPriceBook().pricesOf('eu-west-1').interRegionTransferGb.usd).not.toBe(0.01);
  });

  it('prints exactly the worked example of docs/cost.md (its first two flows), up to the assumptions', async () => {
    const doc = readFileSync('docs/cost.md', 'utf8');
    const section = doc.slice(doc.indexOf('### Worked example'));
    const start = section.indexOf('prints (real output');
    const open = section.indexOf('```\n', start) + 4;
    const block = section.slice(open, section.indexOf('\n```', open));
    const example = doc.slice(doc.indexOf('{ "flows": ['), doc.indexOf('] }', doc.indexOf('{ "flows": [')) + 3);
    const { flows: documented } = JSON.parse(example) as { flows: unknown[] };
    const twoFlows = file('documented.json', { flows: documented.slice(0, 2) });
    const c = capture();

    expect(await run([...typed.slice(0, -2), '--inter-region', twoFlows, '--replica-usd', '150'], c.io)).toBe(0);

    const printed = c.stdout();
    const shown = block.slice(0, block.indexOf('\n\nAssumptions:'));
    expect(printed.slice(0, printed.indexOf('\n\nAssumptions:'))).toBe(shown);
  });

  it('escapes control characters of names from the flows file in the table', async () => {
    const evil = file('evil.json', {
      flows: [{ from: 'eu-west-1', vpcId: 'vpc-\u001b[31mred', to: 'us-east-1', gb: 1 }],
    });
    const c = capture();

    expect(await run([...typed.slice(0, -2), '--inter-region', evil], c.io)).toBe(0);

    expect(c.stdout()).not.toContain('\u001b');
    expect(c.stdout()).toContain('vpc-\\u001b[31mred');
  });
});

describe('Command: spokelink cost --regions (bad input)', () => {
  it('refuses a single-region configuration, naming what is needed', async () => {
    const r = await fails(['--regions', '--vpcs-in', 'us-east-1=1', '--azs', '1', '--gb', '1']);

    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--regions needs a configuration that serves at least two regions; config\/example.hub.json serves us-east-1 only/,
    );
    expect(r.stdout).toBe('');
  });

  it('refuses a region the configuration does not serve, and a served region without its N', async () => {
    const r1 = await fails([...typed, '--vpcs-in', 'ap-southeast-1=5']);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain(
      '--vpcs-in ap-southeast-1=5: ap-southeast-1 is not a region of config/example-two-regions.hub.json (it serves us-east-1, eu-west-1)',
    );

    const r2 = await fails(['--regions', '--config', TWO, '--vpcs-in', 'us-east-1=5', '--azs', '1', '--gb', '1']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('add --vpcs-in eu-west-1=N');
  });

  it('refuses negative GB in the flows file and on the command line, changing nothing', async () => {
    const negative = file('neg.json', { flows: [{ from: 'eu-west-1', to: 'us-east-1', gb: -10 }] });
    const r1 = await fails([...typed.slice(0, -2), '--inter-region', negative]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/neg\.json is invalid.*flows\.0\.gb: must be GB >= 0/s);
    expect(r1.stdout).toBe('');

    const r2 = await fails([...typed.slice(0, -4), '--gb', '-1']);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--gb/);
  });

  it('escapes control characters of names from the flows file in its error messages', async () => {
    const evil = file('evil-region.json', { flows: [{ from: 'eu-\u001b]0;x\u0007west-1', to: 'us-east-1', gb: 1 }] });
    const r = await fails([...typed.slice(0, -2), '--inter-region', evil]);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('flow 1: from eu-\\u001b]0;x\\u0007west-1 is not a region of the configuration');
    expect(r.stderr).not.toContain('\u001b');
  });

  it('refuses flags that mean nothing per region, and region flags without --regions', async () => {
    const r1 = await fails([...typed, '--vpcs', '10']);
    expect(r1.stderr).toContain('--vpcs conflicts with --regions: give each region its N with --vpcs-in REGION=N');
    const r2 = await fails([...typed, '--dns-mode', 'profile']);
    expect(r2.stderr).toContain("--dns-mode conflicts with --regions: each region's DNS mode is its configuration's");
    const r3 = await fails(['--vpcs', '1', '--services', '1', '--azs', '1', '--gb', '1', '--inter-region', flows]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('--inter-region needs --regions');
  });
});

describe('Command: spokelink cost --regions --from-registry reads every served region', () => {
  const priced = ['cost', '--regions', '--config', TWO, '--from-registry', '--azs', '2', '--gb', '5', '--json'];
  const regionsOf = (stdout: string) =>
    JSON.parse(stdout).inputs.regions.map((r: { region: string; vpcs: number }) => [r.region, r.vpcs]);

  it("--local after a two-region simulate prices each region's connected VPC in its region", async () => {
    const saved = await simulateTwoRegions();
    const c = capture();
    expect(await main([...priced, '--local', '--run-dir', saved], c.io)).toBe(0);

    expect(regionsOf(c.stdout())).toEqual([
      ['us-east-1', 1],
      ['eu-west-1', 1],
    ]);
    expect(c.stderr()).not.toContain('note:');
  });

  it('--local reads a single-region run saved by an older spokelink: its VPCs in its region, the other region noted', async () => {
    const saved = oldSingleRegionRun('vpc-old');
    const c = capture();
    expect(await main([...priced, '--local', '--run-dir', saved], c.io)).toBe(0);

    expect(regionsOf(c.stdout())).toEqual([
      ['us-east-1', 1],
      ['eu-west-1', 0],
    ]);
    expect(c.stderr()).toContain(
      "note: the consumer registry holds the registry of us-east-1 only, not eu-west-1's: priced at its hub's fixed cost",
    );
  });

  describe('AWS', () => {
    afterEach(restoreRegionalTables);

    it("scans each served region's registry table with a client of that region, every page", async () => {
      const { calls } = mockRegionalTables({
        'us-east-1': [[tableRecord('vpc-a', 'us-east-1')], [tableRecord('vpc-b', 'us-east-1')]],
        'eu-west-1': [[tableRecord('vpc-c', 'eu-west-1')]],
      });
      const c = capture();
      expect(await main(priced, c.io)).toBe(0);

      expect(regionsOf(c.stdout())).toEqual([
        ['us-east-1', 2],
        ['eu-west-1', 1],
      ]);
      expect(calls).toEqual([
        { region: 'us-east-1', table: 'spokelink-registry', startKey: undefined },
        { region: 'eu-west-1', table: 'spokelink-registry', startKey: undefined },
        { region: 'us-east-1', table: 'spokelink-registry', startKey: { pk: 'page-0' } },
      ]);
      expect(c.stderr()).not.toContain('note:');
    });

    it('keeps an explicit --region to that region, noting the region it did not read', async () => {
      const { calls } = mockRegionalTables({ 'eu-west-1': [[tableRecord('vpc-c', 'eu-west-1')]] });
      const c = capture();
      expect(await main([...priced, '--region', 'eu-west-1'], c.io)).toBe(0);

      expect(calls.map((call) => call.region)).toEqual(['eu-west-1']);
      expect(regionsOf(c.stdout())).toEqual([
        ['us-east-1', 0],
        ['eu-west-1', 1],
      ]);
      expect(c.stderr()).toContain("holds the registry of eu-west-1 only, not us-east-1's");
    });

    it('names the region and table it cannot read, printing nothing', async () => {
      const missing = Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      mockRegionalTables({ 'us-east-1': [[tableRecord('vpc-a', 'us-east-1')]] }, { 'eu-west-1': missing });
      const c = capture();
      expect(await main(priced, c.io)).toBe(2);

      expect(c.stderr()).toContain('table spokelink-registry not found in eu-west-1');
      expect(c.stdout()).toBe('');
    });
  });
});
