import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/commands/cost';
import { capture } from './capture';

const dir = mkdtempSync(join(tmpdir(), 'spokelink-cost-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const readme = ['--vpcs', '100', '--services', '10', '--azs', '3', '--gb', '50'];

describe('Command: spokelink cost', () => {
  it('prints an aligned table with both totals, the break-even and the recommendation', async () => {
    const c = capture();

    const code = await run(readme, c.io);

    expect(code).toBe(0);
    const text = c.stdout();
    expect(text).toMatch(/Total per month +\$21,950\.00/);
    expect(text).toMatch(/Total per month +\$4,060\.50/);
    expect(text).toContain('Break-even in N: 2 VPCs');
    expect(text).toContain('Break-even in G: 8,994 GB/VPC/month');
    expect(text).toContain('Recommendation: Centralize');
    const itemLines = text.split('\n').filter((l) => /^ {2}\S.*\$[\d,]+\.\d\d$/.test(l));
    expect(new Set(itemLines.map((l) => l.length)).size).toBe(1); // the USD column ends in the same place
  });

  it('prints the JSON shape of the issue with --json', async () => {
    const c = capture();

    expect(await run([...readme, '--json'], c.io)).toBe(0);

    const json = JSON.parse(c.stdout());
    expect(json).toMatchObject({
      decentralized: { monthlyUsd: 21_950 },
      centralized: { monthlyUsd: 4_060.5 },
      breakEvenVpcs: 2,
      breakEvenGb: 8_994,
      recommendation: expect.stringMatching(/^Centralize/),
    });
    expect(json.centralized.lineItems).toHaveLength(6);
  });

  it('reads a YAML scenario, with flags winning over it', async () => {
    const scenario = file('s.yaml', 'vpcs: 100\nservices: 10\nazs: 3\ngb: 9999\ntgwExists: true\n');
    const c = capture();

    expect(await run(['--scenario', scenario, '--gb', '50', '--json'], c.io)).toBe(0);

    expect(JSON.parse(c.stdout())).toMatchObject({
      inputs: { gbPerVpcMonth: 50, existingTgw: true },
      centralized: { monthlyUsd: 410.5 },
    });
  });

  it('applies a price override file', async () => {
    const prices = file('p.json', JSON.stringify({ prices: { tgwAttachmentHour: { usd: 0.1 } } }));
    const c = capture();

    expect(await run([...readme, '--prices', prices, '--json'], c.io)).toBe(0);

    // attachments double: 101 x 730 x 0.10 = $7,373.00 instead of $3,686.50
    expect(JSON.parse(c.stdout()).centralized.monthlyUsd).toBe(4_060.5 + 3_686.5);
  });

  it('prices the registry with --from-registry --registry-file', async () => {
    const at = '2026-01-01T00:00:00Z';
    const records = [
      {
        vpcId: 'vpc-a',
        accountId: '222222222222',
        segment: 'prod',
        services: ['ssm', 'sts'],
        status: 'connected',
        connectedAt: at,
      },
      {
        vpcId: 'vpc-b',
        accountId: '333333333333',
        segment: 'nonprod',
        services: ['ssm'],
        status: 'connected',
        connectedAt: at,
      },
      { vpcId: 'vpc-c', accountId: '333333333333', segment: 'nonprod', services: ['sts'], status: 'disconnected' },
    ];
    const registry = file('r.json', JSON.stringify(records));
    const c = capture();

    expect(
      await run(['--from-registry', '--registry-file', registry, '--azs', '2', '--gb', '10', '--json'], c.io),
    ).toBe(0);

    // N = 2, S = 2 (ssm, sts), 1.5 services per VPC: decentralized endpoint-hours 2 x 1.5 x 2 x 730 = 4,380 -> $43.80
    const json = JSON.parse(c.stdout());
    expect(json.inputs).toMatchObject({ vpcs: 2, services: 2, servicesPerVpc: 1.5 });
    expect(json.decentralized.lineItems[0]).toMatchObject({ quantity: 4_380, usd: 43.8 });
    expect(json.derivedFrom).toMatchObject({ vpcs: 2, accounts: 2, serviceNames: ['ssm', 'sts'] });
  });

  it('takes the registry from an injected loader (the integrator wires the registry scan)', async () => {
    const loadRecords = jest.fn(async () => [
      { vpcId: 'vpc-a', accountId: '222222222222', segment: 'prod', services: ['ssm'], status: 'connected' as const },
    ]);
    const c = capture();

    expect(await run(['--from-registry', '--azs', '3', '--gb', '1'], c.io, { loadRecords })).toBe(0);

    expect(loadRecords).toHaveBeenCalledTimes(1);
    expect(c.stdout()).toContain('From the consumer registry: 1 connected VPCs in 1 accounts, services ssm');
  });

  it('prices a simulate world with --from-world', async () => {
    const world = file(
      'w.json',
      JSON.stringify({ vpcs: [{ vpcId: 'vpc-1', accountId: '222222222222', tags: { 'spokelink:connect': 'true' } }] }),
    );
    const c = capture();

    expect(await run(['--from-world', world, '--azs', '3', '--gb', '1', '--json'], c.io)).toBe(0);

    expect(JSON.parse(c.stdout()).inputs).toMatchObject({ vpcs: 1, services: 2 });
  });

  it('writes an SVG chart with both series with --plot', async () => {
    const svg = join(dir, 'cost.svg');
    const c = capture();

    expect(await run([...readme, '--plot', svg, '--axis', 'gb'], c.io)).toBe(0);

    const text = readFileSync(svg, 'utf8');
    expect(text).toContain('architecture: decentralized');
    expect(text).toContain('architecture: centralized');
    expect(c.stderr()).toContain(`chart written to ${svg}`);
  });

  it.each([
    [['--vpcs', '100', '--services', '10', '--azs', '3'], /missing --gb/],
    [['--vpcs', 'ten', '--services', '10', '--azs', '3', '--gb', '1'], /--vpcs must be a whole number >= 1, not "ten"/],
    [['--vpcs', '0', '--services', '10', '--azs', '3', '--gb', '1'], /--vpcs must be a whole number >= 1, not "0"/],
    [['--vpcs', '5000', '--services', '10', '--azs', '3', '--gb', '1'], /vpcs must be at most 4999/],
    [[...readme, '--gb', '-5'], /--gb/],
    [[...readme, '--vpc', '3'], /Unknown option '--vpc'/],
    [[...readme, '--axis', 'azs', '--plot', 'x.svg'], /--axis must be vpcs or gb, not "azs"/],
    [[...readme, '--axis', 'gb'], /--axis needs --plot/],
    [[...readme, '--prices', '/nonexistent/p.json'], /--prices \/nonexistent\/p\.json: cannot read: ENOENT/],
    [['--from-registry', '--azs', '3', '--gb', '1'], /--from-registry needs --registry-file FILE/],
    [
      ['--from-registry', '--vpcs', '3', '--registry-file', 'x', '--azs', '3', '--gb', '1'],
      /--vpcs conflicts with --from-registry/,
    ],
    [[...readme, '--registry-file', 'x.json'], /--registry-file needs --from-registry/],
  ])('exits 2 with a specific message for %j', async (argv, message) => {
    const c = capture();

    expect(await run(argv, c.io)).toBe(2);

    expect(c.stderr()).toMatch(message);
    expect(c.stdout()).toBe('');
  });

  it('exits 2 naming the bad field of a price override', async () => {
    const prices = file('bad.json', JSON.stringify({ prices: { tgwDataProcessingGb: { usd: 'free' } } }));
    const c = capture();

    expect(await run([...readme, '--prices', prices], c.io)).toBe(2);

    expect(c.stderr()).toMatch(/prices\.tgwDataProcessingGb\.usd:/);
    expect(c.stderr()).toContain(prices);
  });

  it('exits 2 on a scenario that is not valid YAML', async () => {
    const scenario = file('broken.yaml', 'vpcs: [1\n');
    const c = capture();

    expect(await run(['--scenario', scenario], c.io)).toBe(2);

    expect(c.stderr()).toMatch(/--scenario .*broken\.yaml: not valid YAML/);
  });

  it('prints exactly the README example output that docs/cost.md explains', async () => {
    const doc = readFileSync('docs/cost.md', 'utf8');
    const section = doc.slice(doc.indexOf('### The README example'));
    const block = section.slice(section.indexOf('```\n') + 4, section.indexOf('\n```', section.indexOf('```\n') + 4));
    const c = capture();

    expect(await run(readme, c.io)).toBe(0);

    expect(c.stdout().trimEnd()).toBe(block);
  });

  it('prints the usage with --help', async () => {
    const c = capture();

    expect(await run(['--help'], c.io)).toBe(0);

    expect(c.stdout()).toMatch(/^usage: spokelink cost --vpcs N --services S --azs A --gb G/);
  });
});
