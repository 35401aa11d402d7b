import { readFileSync } from 'node:fs';
import { loadConfigFile, parseConfig, registryTableName, servedRegions } from '#shared/config';
import { ConfigurationError } from '#shared/errors';

const example = JSON.parse(readFileSync('config/example.hub.json', 'utf8'));

describe('Hub configuration', () => {
  it('accepts the committed example and fills defaults', () => {
    const config = loadConfigFile('config/example.hub.json');
    expect(config.segments.nonprod?.requiresApproval).toBe(false);
    expect(servedRegions(config)).toEqual(['us-east-1']);
    expect(registryTableName(config)).toBe('spokelink-registry');
  });

  it('names every bad field in one error', () => {
    const bad = { ...example, defaultSegment: 'gold', hub: { ...example.hub, transitGatewayId: 'tgw-xyz' } };
    expect(() => parseConfig(bad)).toThrow(ConfigurationError);
    expect(() => parseConfig(bad)).toThrow(
      /hub\.transitGatewayId: must be a Transit Gateway id[\s\S]*defaultSegment: names no segment/,
    );
  });

  it('rejects unknown fields instead of ignoring a typo', () => {
    expect(() => parseConfig({ ...example, segmnets: {} })).toThrow(/Unrecognized key.*segmnets/);
  });

  it('rejects an endpoint restricted to a segment that does not exist', () => {
    const endpoints = { ...example.endpoints, ssm: { ...example.endpoints.ssm, segments: ['gold'] } };
    expect(() => parseConfig({ ...example, endpoints })).toThrow(/endpoints\.ssm\.segments: unknown segment "gold"/);
  });

  it('reads a version 1 file as version 3 in memory: the same settings, the new fields at their defaults', () => {
    const { operations: _operations, ...v1 } = { ...example, version: 1 };
    const config = parseConfig(v1);
    expect(config.version).toBe(3);
    expect(config.operations).toEqual({ paused: false, rollout: { canaryVpcs: 5, maxCanaryFailures: 0 } });
    expect(config.segments).toEqual(parseConfig(example).segments);
  });

  it("refuses the previous release's example configuration with how to update it, not a schema error", () => {
    const previous = JSON.parse(readFileSync('test/lifecycle/fixtures/release-93dae39/example.hub.json', 'utf8'));
    expect(previous.version).toBe(1);
    expect(() => parseConfig(previous, 'hub.json')).toThrow(
      /hub\.json is invalid:\n {2}endpointServices: the version 1 list is not read any more: give each service a catalog name[\s\S]*then set "version": 3/,
    );
  });

  it('reports a missing file by path', () => {
    expect(() => loadConfigFile('config/nope.json')).toThrow(/cannot read configuration config\/nope\.json/);
  });
});
