import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as cli } from './helpers';
import { RELEASE_FIXTURE } from './upgrade-world';

/**
 * `spokelink plan` against a saved registry (the release of 93dae39's demo: four members) and a new configuration
 * that adds a hub destination and a `logs` endpoint for every segment, and drops `sts`.
 */

describe('CLI: spokelink plan', () => {
  let dir: string;
  let next: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-plan-'));
    copyFileSync(join(RELEASE_FIXTURE, 'registry.json'), join(dir, 'registry.json'));
    const raw = JSON.parse(readFileSync('config/example.hub.json', 'utf8'));
    raw.destinations.push({ cidr: '10.100.0.0/16', description: 'new shared network' });
    raw.endpoints.logs = { privateHostedZoneIds: ['Z0LOGS000000000000001'], securityGroupId: 'sg-0e55e0000000000a4' };
    delete raw.endpoints.sts;
    next = join(dir, 'next.json');
    writeFileSync(next, JSON.stringify(raw));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists per VPC the routes, zones, rules and principals the configuration adds and removes', async () => {
    const result = await cli([
      'plan',
      '--config',
      next,
      '--local',
      '--run-dir',
      dir,
      '--current',
      'config/example.hub.json',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const text = result.stdout;
    expect(text).toContain('4 of 4 member VPC(s) would change');
    // Ledger (prod, asked every service): sts goes, the destination comes; payments-api reached it by the old list.
    expect(text).toMatch(
      /vpc-0a200000000000002 \(account 222222222222, segment prod\)\n(.*\n)*? {4}- service sts\n(.*\n)*? {4}\+ route rtb-0a200000000000201 10\.100\.0\.0\/16\n(.*\n)*? {4}- zone Z0STS00000000000000001\n(.*\n)*? {4}- rule sg-0e55e0000000000a2\|10\.2\.0\.0\/16\|443/,
    );
    // The partner (nonprod) loses the endpoint service the old release allowed every account on.
    expect(text).toMatch(
      /vpc-0d500000000000001 \(account 555555555555, segment nonprod\)\n(.*\n)*? {4}- principal vpce-svc-0d000000000000001 arn:aws:iam::555555555555:root/,
    );
    expect(text).toContain('catalog: + logs (every segment): reaches the member VPCs that ask "*"');
    expect(text).toContain('rollout: a canary of 5 VPC(s) first');
  });

  it('prints exactly one JSON document with --json', async () => {
    const result = await cli(['plan', '--config', next, '--local', '--run-dir', dir, '--json']);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout) as {
      members: number;
      changes: { vpcId: string; routes: { added: string[] }; zones: { removed: string[] } }[];
    };
    expect(plan.members).toBe(4);
    const ledger = plan.changes.find((c) => c.vpcId === 'vpc-0a200000000000002')!;
    expect(ledger.routes.added).toEqual(['rtb-0a200000000000201 10.100.0.0/16']);
    expect(ledger.zones.removed).toEqual(['Z0STS00000000000000001']);
  });

  it('refuses to guess the members: --from-registry or --local, exit 2', async () => {
    const result = await cli(['plan', '--config', next]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--from-registry \(the registry table in AWS\) or --local/);
  });
});
