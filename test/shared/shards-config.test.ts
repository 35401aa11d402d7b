import { readFileSync } from 'node:fs';
import { parseConfig } from '#shared/config';
import { ConfigurationError } from '#shared/errors';
import { endpointResourcesOf, shardsOf } from '#shared/shards';
import { exampleShard as shard } from '../workflow/shard-fixtures';

const example = JSON.parse(readFileSync('config/example.hub.json', 'utf8'));

const withShards = (shards: unknown[], change: (raw: Record<string, unknown>) => void = () => {}) => {
  const raw = JSON.parse(JSON.stringify(example));
  raw.segments.nonprod.shards = shards;
  change(raw);
  return raw;
};

const profileMode = (raw: Record<string, unknown>) => {
  raw.dns = { mode: 'profile' };
};

describe('Configuration: endpoint shards', () => {
  it('is optional: without shards a segment has one implicit shard, the catalog, as before', () => {
    const config = parseConfig(example);
    expect(config.segments.nonprod?.shards).toBeUndefined();
    expect(shardsOf(config, 'nonprod').map((s) => s.name)).toEqual([undefined]);
    expect(endpointResourcesOf(config, 'nonprod', undefined, 'ssm')).toEqual({
      securityGroupId: 'sg-0e55e0000000000a1',
      privateHostedZoneIds: ['Z0SSM00000000000000001'],
    });
  });

  it("accepts shards that each serve every hub endpoint of the segment, and resolves a VPC's shard", () => {
    const config = parseConfig(withShards([shard('a', 1), shard('b', 2)]));
    expect(shardsOf(config, 'nonprod').map((s) => s.name)).toEqual(['a', 'b']);
    expect(endpointResourcesOf(config, 'nonprod', 'b', 'ssm')).toEqual({
      securityGroupId: 'sg-0e55e00000000b2a1',
      privateHostedZoneIds: ['Z0SSMSHARD2000000000001'],
    });
  });

  it('refuses two shards of one name, an empty list, and an endpoint the catalog lacks or the segment does not use', () => {
    expect(() => parseConfig(withShards([shard('a', 1), shard('a', 2)]))).toThrow(
      /segments\.nonprod\.shards\.1\.name: "a" names two shards of the segment/,
    );
    expect(() => parseConfig(withShards([]))).toThrow(
      /segments\.nonprod\.shards: declare at least one shard, or leave shards out/,
    );
    const unknown = shard('a', 1);
    (unknown.endpoints as Record<string, unknown>).logs = unknown.endpoints.ssm;
    expect(() => parseConfig(withShards([unknown]))).toThrow(
      /segments\.nonprod\.shards\.0\.endpoints\.logs: unknown endpoint "logs" \(not in the catalog\)/,
    );
    const foreign = shard('a', 1);
    (foreign.endpoints as Record<string, unknown>).secretsmanager = {
      securityGroupId: 'sg-0e55e00000000b1a3',
      privateHostedZoneIds: ['Z0SECSHARD1000000000001'],
    };
    expect(() => parseConfig(withShards([foreign]))).toThrow(
      /shards\.0\.endpoints\.secretsmanager: segment nonprod does not use secretsmanager from the hub/,
    );
  });

  it('refuses a shard that lacks an endpoint the segment uses from the hub', () => {
    const partial = shard('a', 1);
    delete (partial.endpoints as Record<string, unknown>).sts;
    expect(() => parseConfig(withShards([partial]))).toThrow(
      /segments\.nonprod\.shards\.0\.endpoints: lacks endpoint sts, which segment nonprod uses from the hub/,
    );
  });

  it('refuses a security group or zone the catalog or another shard already holds (it would be counted twice)', () => {
    const catalogGroup = shard('a', 1);
    catalogGroup.endpoints.ssm.securityGroupId = 'sg-0e55e0000000000a1';
    expect(() => parseConfig(withShards([catalogGroup]))).toThrow(
      /shards\.0\.endpoints\.ssm\.securityGroupId: sg-0e55e0000000000a1 is already the security group of endpoint ssm of the catalog/,
    );
    const twice = shard('b', 2);
    twice.endpoints.ssm.privateHostedZoneIds = ['Z0SSMSHARD1000000000001'];
    expect(() => parseConfig(withShards([shard('a', 1), twice]))).toThrow(
      /shards\.1\.endpoints\.ssm\.privateHostedZoneIds\.0: Z0SSMSHARD1000000000001 is already a zone of shard a of segment nonprod/,
    );
  });

  it('refuses a Profile in zones mode, and a shard without its own Profile in profile mode', () => {
    expect(() => parseConfig(withShards([shard('a', 1, { profileName: 'spokelink-a' })]))).toThrow(
      /shards\.0\.profileName: names a Route 53 Profile, which DNS mode zones does not use/,
    );
    expect(() => parseConfig(withShards([shard('a', 1)], profileMode))).toThrow(
      /shards\.0\.profileName: is needed in DNS mode profile: a shard is a whole Profile of its own/,
    );
    expect(() => parseConfig(withShards([shard('a', 1, { profileName: 'spokelink-endpoints' })], profileMode))).toThrow(
      /shards\.0\.profileName: spokelink-endpoints is already the hub's Profile/,
    );
    const config = parseConfig(
      withShards(
        [shard('a', 1, { profileName: 'spokelink-a' }), shard('b', 2, { profileName: 'spokelink-b' })],
        profileMode,
      ),
    );
    expect(shardsOf(config, 'nonprod').map((s) => s.profileName)).toEqual(['spokelink-a', 'spokelink-b']);
  });

  it('says what is wrong with a malformed shard, as a ConfigurationError', () => {
    const bad = withShards([{ name: 'Shard A', endpoints: { ssm: { securityGroupId: 'sg-x' } } }]);
    expect(() => parseConfig(bad)).toThrow(ConfigurationError);
    expect(() => parseConfig(bad)).toThrow(/segments\.nonprod\.shards\.0\.name: must be 1-31 lowercase/);
    expect(() => parseConfig(bad)).toThrow(/shards\.0\.endpoints\.ssm\.securityGroupId: must be a security group id/);
  });
});
