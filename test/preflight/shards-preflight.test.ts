import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../cli/commands/preflight';
import { PORTS, SHARD_A, shardedConfig, shardedWorld } from '../workflow/shard-fixtures';

/**
 * `spokelink preflight --add N` on a segment with endpoint shards: the wave is spread over the shards, so it fits while
 * the shards together have room; the report names each shard's room and binding quota, and the shard it fills first.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'spokelink-shards-preflight-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function preflight(...argv: string[]) {
  let stdout = '';
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: () => {},
  });
  return { code, stdout };
}

/** Files: the sharded configuration, and its world with shard a already holding one VPC's 31 rules. */
function files(): { config: string; world: string } {
  const config = join(dir, 'hub.json');
  shardedConfig((raw) => {
    writeFileSync(config, JSON.stringify(raw));
  });
  const world = shardedWorld(0);
  const group = world.ec2!.vpcs!.find((v) => v.id === SHARD_A.vpc)!.securityGroups![0]!;
  group.ingress = PORTS.map((port) => ({
    protocol: 'tcp' as const,
    fromPort: port,
    toPort: port,
    cidr: '10.41.0.0/16',
    description: 'spokelink vpc-0e000000000000001 333333333333',
  }));
  const worldPath = join(dir, 'world.json');
  writeFileSync(worldPath, JSON.stringify(world));
  return { config, world: worldPath };
}

/** The preflight of a wave of `add` VPCs of `segment` on the files above. */
function wave(segment: string, add: number, ...extra: string[]) {
  const { config, world } = files();
  return preflight('--config', config, '--world', world, '--segment', segment, '--add', String(add), ...extra);
}

describe('spokelink preflight: endpoint shards', () => {
  it('spreads the wave over the shards: room for one more VPC in b, none in a, which it fills first', async () => {
    const { code, stdout } = await wave('nonprod', 1, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    const shards = report.findings.find((f: { check: string }) => f.check === 'endpoint-shards');
    expect(shards.ok).toBe(true);
    expect(shards.detail).toBe(
      'segment nonprod: 2 shard(s), room for 1 more VPC(s); shard a: room for 0 (Inbound rules per security group, ' +
        `${SHARD_A.group}); shard b: room for 1 (Inbound rules per security group, sg-0e55e00000000a0b1); ` +
        'the wave fills shard a first',
    );
    expect(shards.capacity[0]).toMatchObject({ on: `shard a: ${SHARD_A.group}`, used: 31, limit: 60, perVpc: 31 });
    expect(report.firstLimit).toMatchObject({ quota: 'rulesPerSecurityGroup', on: `shard a: ${SHARD_A.group}` });
  });

  it('fails (exit 1) when the wave is larger than every shard together admits, naming each shard', async () => {
    const { code, stdout } = await wave('nonprod', 2);
    expect(code).toBe(1);
    expect(stdout).toContain(
      "segment nonprod: every shard is full after 1 of the wave's 2 VPC(s) (validation then rejects them, capacity)",
    );
    expect(stdout).toMatch(/does not fit: .*endpoint-shards/);
  });

  it('says a segment without shards has nothing to spread', async () => {
    const { stdout } = await wave('prod', 1, '--json');
    const shards = JSON.parse(stdout).findings.find((f: { check: string }) => f.check === 'endpoint-shards');
    expect(shards).toMatchObject({
      ok: true,
      detail: "segment prod declares no shards (the catalog's endpoints serve it)",
    });
  });
});
