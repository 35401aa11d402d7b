import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUOTAS } from '#shared/quotas';
import { run } from '../../cli/commands/preflight';
import {
  exampleWorld,
  HUB_ACCOUNT,
  type RawWorld,
  SHARED_TABLE,
  scenarioSubnetId,
  scenarioVpc,
  scenarioVpcId,
  TGW,
  withVpcs,
  ZONES,
} from '../workflow/helpers';

/**
 * `spokelink preflight --config FILE [--world FILE | --local] [--add N]`: the capacity numbers of a known hub, the
 * quota a wave hits first, the exit status, one JSON document with --json, and clear errors for bad input.
 */

const CONFIG = 'config/example.hub.json';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spokelink-preflight-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function preflight(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

function writeJson(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

/**
 * The example hub with 3 spoke VPCs attached (routed back in the shared table) besides the hub's own attachment, and
 * 50 spokelink rules on the ssm endpoint's group from 50 accounts (one each).
 */
function loadedWorld(): RawWorld {
  const world = withVpcs(
    exampleWorld(),
    ...[1, 2, 3].map((n) => scenarioVpc(100 + n, { ownerId: '333333333333', cidrs: [`10.${100 + n}.0.0/16`] })),
  );
  world.ec2!.transitGatewayAttachments = [
    ...(world.ec2!.transitGatewayAttachments ?? []),
    ...[1, 2, 3].map((n) => ({
      id: `tgw-attach-0e00000000000010${n}`,
      transitGatewayId: TGW,
      vpcId: scenarioVpcId(100 + n),
      subnetIds: [scenarioSubnetId(100 + n, 0)],
      propagationRouteTableIds: [SHARED_TABLE],
    })),
  ];
  const hubVpc = world.ec2!.vpcs!.find((v) => v.ownerId === HUB_ACCOUNT)!;
  const ssm = hubVpc.securityGroups!.find((g) => g.id === ZONES.ssm.sg)!;
  ssm.ingress = Array.from({ length: 50 }, (_, i) => ({
    protocol: 'tcp' as const,
    fromPort: 443,
    toPort: 443,
    cidr: `10.${150 + i}.0.0/16`,
    description: `spokelink vpc-0e0000000000000${(i + 16).toString(16)} ${String(100_000_000_000 + i)}`,
  }));
  return world;
}

describe('spokelink preflight (capacity, offline)', () => {
  it('measures the hub of a world file against each quota and names the one a wave hits first', async () => {
    const world = writeJson('loaded.world.json', loadedWorld());
    const { code, stdout } = await preflight('--config', CONFIG, '--world', world, '--add', '10', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const of = (check: string) => report.findings.find((f: { check: string }) => f.check === check);
    // 1 hub attachment + 3 spokes; each spoke block routed in one table (the hub's own: its two tables).
    expect(of('tgw-attachments').capacity[0]).toMatchObject({ used: 4, limit: 5_000, perVpc: 1, headroomVpcs: 4_996 });
    expect(of('tgw-routes').capacity[0]).toMatchObject({ limit: 10_000, perVpc: 1 });
    expect(of('tgw-routes').capacity[0].used).toBe(5);
    const ssm = of('endpoint-rules').capacity.find((c: { on: string }) => c.on === ZONES.ssm.sg);
    expect(ssm).toMatchObject({ used: 50, limit: 60, perVpc: 1, headroomVpcs: 10 });
    expect(report.firstLimit).toMatchObject({ quota: 'rulesPerSecurityGroup', on: ZONES.ssm.sg, headroomVpcs: 10 });
    expect(report.fits).toBe(true);
  });

  it('fails (exit 1) once the wave is one VPC more than the tightest quota admits, naming quota, resource and page', async () => {
    const world = writeJson('loaded2.world.json', loadedWorld());
    const { code, stdout } = await preflight('--config', CONFIG, '--world', world, '--add', '11');
    expect(code).toBe(1);
    expect(stdout).toContain(
      `${ZONES.ssm.sg}: Inbound rules per security group 50/60, room for 10 more VPC(s), the wave needs 11 (${QUOTAS.rulesPerSecurityGroup.page})`,
    );
    expect(stdout).toMatch(
      /first limit: Inbound rules per security group on sg-0e55e0000000000a1: 50\/60, room for 10/,
    );
    expect(stdout).toMatch(/does not fit: endpoint-rules/);
  });

  it("counts the configured peers' peering attachments in the TGW's attachments and says so", async () => {
    // us-east-1 is peered with eu-west-1 (one peering attachment), which a world file does not list.
    const twoRegions = 'config/example-two-regions.hub.json';
    const world = writeJson('peered.world.json', loadedWorld());
    const { code, stdout } = await preflight('--config', twoRegions, '--world', world, '--add', '10', '--json');
    expect(code).toBe(0);
    const of = (out: string) => JSON.parse(out).findings.find((f: { check: string }) => f.check === 'tgw-attachments');
    // 1 hub attachment + 3 spokes + 1 peering.
    expect(of(stdout).capacity[0]).toMatchObject({ used: 5, limit: 5_000, headroomVpcs: 4_995 });
    expect(of(stdout).detail).toBe(
      `${TGW}: 5/5000, room for 4995 (one attachment per VPC; 1 peering attachment(s) of the configured peers counted)`,
    );
    // Without a source: capacity.otherAttachments (the hub VPC's own) and the peering.
    const empty = await preflight('--config', twoRegions, '--json');
    expect(of(empty.stdout).capacity[0]).toMatchObject({ used: 2 });
    const text = await preflight('--config', twoRegions, '--world', world);
    expect(text.stdout).toContain('1 peering attachment(s) of the configured peers counted');
    // The one-region example has no peer: none counted.
    const single = await preflight('--config', CONFIG, '--world', world, '--json');
    expect(of(single.stdout).capacity[0]).toMatchObject({ used: 4 });
    expect(of(single.stdout).detail).toContain('0 peering attachment(s)');
  });

  it('checks the wave against budgets.attachmentsPerAccount, the budget that binds with Profile mode and supernets', async () => {
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    raw.segments.nonprod.aggregatedIngress = ['10.128.0.0/9'];
    raw.dns = { mode: 'profile' };
    const config = writeJson('attachment-budget.hub.json', raw);
    const world = writeJson('attachment-budget.world.json', loadedWorld());
    // The world's 3 spokes belong to one account (333333333333): 97 more of it fit its budget of 100.
    const fits = await preflight('--config', config, '--world', world, '--add', '97', '--json');
    const budgets = JSON.parse(fits.stdout).findings.find((f: { check: string }) => f.check === 'account-budgets');
    // The rule budgets do not bind (the supernets admit the wave: 0 rules per VPC); the attachment budget does.
    const binding = budgets.capacity.filter((c: { headroomVpcs: number | null }) => c.headroomVpcs !== null);
    expect(binding).toEqual([
      expect.objectContaining({ name: 'budgets.attachmentsPerAccount', on: `${TGW} per account`, used: 3, limit: 100 }),
    ]);
    expect(budgets.ok).toBe(true);
    const over = await preflight('--config', config, '--world', world, '--add', '98');
    expect(over.code).toBe(1);
    expect(over.stdout).toContain(
      `${TGW} per account: budgets.attachmentsPerAccount 3/100, room for 97 VPC(s) of one account, the wave gives an account 98`,
    );
  });

  it('uses the raised quotas the world states (rules per group raised to 200)', async () => {
    const raw = loadedWorld();
    raw.ec2!.quotas = { rulesPerSecurityGroup: 200 };
    const world = writeJson('raised.world.json', raw);
    const { code, stdout } = await preflight('--config', CONFIG, '--world', world, '--add', '100', '--json');
    const report = JSON.parse(stdout);
    expect(report.findings.find((f: { check: string }) => f.check === 'endpoint-rules').capacity[0]).toMatchObject({
      on: ZONES.ssm.sg,
      used: 50,
      limit: 200,
      headroomVpcs: 150,
    });
    // Next: the per-account budgets of one account taking all 100 (20 rules each by default).
    expect(code).toBe(1);
    expect(report.findings.find((f: { check: string }) => f.check === 'account-budgets').ok).toBe(false);
    const spread = await preflight('--config', CONFIG, '--world', world, '--add', '100', '--accounts', '10');
    expect(spread.code).toBe(0);
  });

  it('with aggregated ingress the endpoint rules stop counting: the zones are the first limit, then the attachments', async () => {
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    raw.segments.nonprod.aggregatedIngress = ['10.128.0.0/9'];
    const config = writeJson('aggregated.hub.json', raw);
    const zones = await preflight('--config', config, '--add', '5000', '--accounts', '500', '--json');
    const report = JSON.parse(zones.stdout);
    expect(report.firstLimit).toMatchObject({ quota: 'vpcsPerHostedZone', headroomVpcs: 300 });
    expect(zones.code).toBe(1);

    raw.dns = { mode: 'profile' };
    const profile = writeJson('aggregated-profile.hub.json', raw);
    const out = await preflight('--config', profile, '--add', '1000', '--accounts', '500', '--json');
    expect(JSON.parse(out.stdout)).toMatchObject({
      fits: true,
      firstLimit: { quota: 'vpcsPerProfile', on: 'spokelink-endpoints', headroomVpcs: 1_000 },
    });
    const over = await preflight('--config', profile, '--add', '1001', '--accounts', '500');
    expect(over.code).toBe(1);
    expect(over.stdout).toContain(
      'VPC associations per Route 53 Profile 0/1000, room for 1000 more VPC(s), the wave needs 1001',
    );
  });

  it('reads the registry of a saved local run (--local --run-dir)', async () => {
    const runDir = join(dir, 'run');
    mkdirSync(runDir, { recursive: true });
    const record = (n: number, status: string) => ({
      pk: `VPC#vpc-0e00000000000000${n}`,
      sk: 'CURRENT',
      vpcId: `vpc-0e00000000000000${n}`,
      accountId: '333333333333',
      region: 'us-east-1',
      segment: 'nonprod',
      services: ['ssm', 'sts'],
      cidrs: [`10.${40 + n}.0.0/16`],
      attachmentId: `tgw-attach-0e0000000000000${n}`,
      attachmentSubnetIds: [],
      routes: [],
      zones: [{ zoneId: ZONES.ssm.id }, { zoneId: ZONES.sts.id }],
      securityGroupRules: [
        { endpoint: 'ssm', groupId: ZONES.ssm.sg, cidr: `10.${40 + n}.0.0/16`, port: 443, description: 'x' },
      ],
      endpointServicePrincipals: [],
      status,
    });
    writeFileSync(
      join(runDir, 'registry.json'),
      JSON.stringify([record(1, 'connected'), record(2, 'connected'), record(3, 'disconnected')]),
    );
    const { code, stdout } = await preflight(
      '--config',
      CONFIG,
      '--local',
      '--run-dir',
      runDir,
      '--add',
      '18',
      '--json',
    );
    const report = JSON.parse(stdout);
    const of = (check: string) => report.findings.find((f: { check: string }) => f.check === check);
    // The two members and the hub VPC's own attachment (capacity.otherAttachments, default 1).
    expect(of('tgw-attachments').capacity[0]).toMatchObject({ used: 3 });
    expect(of('zone-associations').capacity.find((c: { on: string }) => c.on === ZONES.ssm.id)).toMatchObject({
      used: 2,
    });
    // The account's 2 rules on ssm: 18 more of one account reach its budget of 20 exactly.
    expect(of('account-budgets')).toMatchObject({ ok: true });
    expect(code).toBe(0);
    const over = await preflight('--config', CONFIG, '--local', '--run-dir', runDir, '--add', '19');
    expect(over.code).toBe(1);
  });

  it.each([
    [['--add', 'x'], /--add must be a whole number from 0 to 100000, not "x"/],
    [['--add=-3'], /--add must be a whole number, not|--add must be a whole number from 0/],
    [['--accounts', '0'], /--accounts must be a whole number from 1/],
    [['--segment', 'gold'], /--segment "gold" is not a segment of config\/example\.hub\.json \(prod, nonprod\)/],
    [['--world', 'no/such/world.json'], /cannot read world no\/such\/world\.json/],
    [['--world', 'worlds/example.world.json', '--local'], /--world and --local name two sources/],
    [['--aws', '--add', '3'], /--add: capacity is checked offline \(without --aws\)/],
  ])('refuses %j with a clear error (exit 2) and prints nothing on stdout', async (flags, message) => {
    const { code, stdout, stderr } = await preflight('--config', CONFIG, ...flags);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });
});
