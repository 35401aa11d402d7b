import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/commands/chargeback';
import { capture } from '../cost/capture';

const dir = mkdtempSync(join(tmpdir(), 'spokelink-chargeback-'));
const registry = join(dir, 'registry.json');
// Against config/example.hub.json (ssm, sts, secretsmanager), April 2026 = 720 h, 3 hub AZs:
//   each endpoint 3 x 720 x $0.01 = $21.60; hub attachment 720 x $0.05 = $36.00; 3 zones x $0.50 = $1.50
//   total 64.80 + 36.00 + 1.50 = $102.30; secretsmanager and its zone have no consumer: $22.10 unallocated
writeFileSync(
  registry,
  JSON.stringify([
    {
      vpcId: 'vpc-a',
      accountId: '222222222222',
      segment: 'prod',
      services: ['ssm', 'sts'],
      status: 'connected',
      connectedAt: '2026-03-15T08:00:00Z',
    },
    {
      vpcId: 'vpc-b',
      accountId: '333333333333',
      segment: 'nonprod',
      services: ['ssm'],
      status: 'disconnected',
      connectedAt: '2026-04-01T00:00:00Z',
      disconnectedAt: '2026-04-11T00:00:00Z',
    },
    {
      vpcId: 'vpc-b',
      accountId: '333333333333',
      segment: 'nonprod',
      services: ['ssm'],
      status: 'connected',
      connectedAt: '2026-04-21T00:00:00Z',
    },
  ]),
);

describe('Command: spokelink chargeback', () => {
  it('prints the summary with the total, the allocation and what is unallocated', async () => {
    const c = capture();

    expect(await run(['--month', '2026-04', '--registry-file', registry], c.io)).toBe(0);

    const text = c.stdout();
    expect(text).toContain('hub cost $102.30 = allocated $80.20 + unallocated $22.10');
    expect(text).toMatch(/222222222222 +vpc-a +prod +720 +\$56\.96/);
    expect(text).toMatch(/333333333333 +vpc-b +nonprod +480 +\$23\.24/);
    expect(text).toMatch(/endpoint +secretsmanager +\$21\.60/);
  });

  it('writes the CSV to a file, its amounts adding up to the total exactly', async () => {
    const csv = join(dir, 'april.csv');
    const c = capture();

    expect(await run(['--month', '2026-04', '--registry-file', registry, '--csv', csv], c.io)).toBe(0);

    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const micro = lines.slice(1).reduce((s, l) => s + Number(l.split(',').at(-1)!.replace('.', '')), 0);
    expect(micro).toBe(102_300_000);
    expect(c.stderr()).toContain(`CSV written to ${csv}`);
  });

  it('prints summary, pools and rows as JSON with --json', async () => {
    const c = capture();

    expect(
      await run(['--month', '2026-04', '--registry-file', registry, '--json', '--hub-pays-attachments'], c.io),
    ).toBe(0);

    const json = JSON.parse(c.stdout());
    // + spoke attachments charged to their owners: vpc-a 720 h = $36.00, vpc-b 480 h = $24.00
    expect(json.summary.totalUsd).toBe(162.3);
    expect(json.rows.filter((r: { category: string }) => r.category === 'tgw-spoke-attachment')).toHaveLength(2);
  });

  it('takes the membership from an injected loader (the integrator wires the registry scan)', async () => {
    const loadMembership = jest.fn(async () => [
      {
        vpcId: 'vpc-z',
        accountId: '444444444444',
        segment: 'prod',
        services: ['sts'],
        connectedAt: '2026-01-01T00:00:00Z',
      },
    ]);
    const c = capture();

    expect(await run(['--month', '2026-04', '--csv', '-'], c.io, { loadMembership })).toBe(0);

    expect(c.stdout()).toContain('2026-04,444444444444,vpc-z,prod,endpoint,sts,720.0000,21.600000');
  });

  it.each([
    [[], /missing --month YYYY-MM/],
    [['--month', '2026-4', '--registry-file', registry], /month must be YYYY-MM/],
    [['--month', '2026-04'], /needs --registry-file FILE/],
    [['--month', '2026-04', '--registry-file', registry, '--hub-azs', 'two'], /--hub-azs must be a whole number/],
    [['--month', '2026-04', '--registry-file', registry, '--csv', '-', '--json'], /would both write to stdout/],
    [
      ['--month', '2026-04', '--registry-file', join(dir, 'none.json')],
      /--registry-file .*none\.json: cannot read: ENOENT/,
    ],
    [['--month', '2026-04', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a specific message for %j', async (argv, message) => {
    const c = capture();

    expect(await run(argv, c.io)).toBe(2);

    expect(c.stderr()).toMatch(message);
  });

  it('exits 2 naming the record and field of a bad registry file', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ vpcId: 'vpc-a', accountId: '1', services: [], status: 'gone' }]));
    const c = capture();

    expect(await run(['--month', '2026-04', '--registry-file', bad], c.io)).toBe(2);

    expect(c.stderr()).toMatch(/0\.status:/);
  });
});
