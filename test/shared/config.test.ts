import { readFileSync } from 'node:fs';
import { loadConfigFile, parseConfig, placementOf, registryTableName, servedRegions } from '#shared/config';
import { ConfigurationError } from '#shared/errors';

const example = JSON.parse(readFileSync('config/example.hub.json', 'utf8'));

describe('Hub configuration', () => {
  it('accepts the committed example and fills defaults', () => {
    const config = loadConfigFile('config/example.hub.json');
    expect(config.segments.nonprod?.requiresApproval).toBe(false);
    expect(servedRegions(config)).toEqual(['us-east-1']);
    expect(registryTableName(config)).toBe('spokelink-registry');
  });

  it('reads a settings section left out, or given as {}, with its fields at their own defaults', () => {
    const sections = ['reconcile', 'approvals', 'notifications', 'budgets', 'capacity', 'intake', 'operations'];
    const without = Object.fromEntries(Object.entries(example).filter(([key]) => !sections.includes(key)));
    const empty = { ...without, dns: {}, ...Object.fromEntries(sections.map((key) => [key, {}])) };
    const defaults = {
      reconcile: { schedule: 'rate(1 hour)', maxConcurrency: 5 },
      approvals: { timeoutSeconds: 86_400 },
      notifications: { emails: [], failureWindowMinutes: 15 },
      budgets: { securityGroupRulesPerAccount: 20, zoneAssociationsPerAccount: 50, attachmentsPerAccount: 100 },
      capacity: { headroomAlarmPercent: 10, otherAttachments: 1, raisedQuotas: {} },
      intake: { maxConcurrentExecutionsPerAccount: 10, maxConcurrentExecutions: 1_000, debounceSeconds: 0 },
      operations: { paused: false, rollout: { canaryVpcs: 5, maxCanaryFailures: 0 } },
    };
    for (const raw of [without, empty]) {
      const config = parseConfig(raw);
      expect(Object.fromEntries(sections.map((key) => [key, config[key as keyof typeof config]]))).toEqual(defaults);
      expect(config.dns).toEqual({ mode: 'zones', existingProfile: 'refuse' });
    }
    expect(parseConfig({ ...without, operations: { paused: true, rollout: {} } }).operations).toEqual({
      paused: true,
      rollout: { canaryVpcs: 5, maxCanaryFailures: 0 },
    });
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

  describe('placement', () => {
    const withSts = (sts: Record<string, unknown>) => ({
      ...example,
      endpoints: { ...example.endpoints, sts: { ...example.endpoints.sts, ...sts } },
    });

    it('defaults to hub and lets a segment override the service placement', () => {
      const config = parseConfig(
        withSts({
          placement: 'either',
          segmentPlacement: { prod: 'spoke' },
          serviceName: 'com.amazonaws.us-east-1.sts',
        }),
      );
      expect(placementOf(config.endpoints.ssm!, 'prod')).toBe('hub');
      expect(placementOf(config.endpoints.sts!, 'nonprod')).toBe('either');
      expect(placementOf(config.endpoints.sts!, 'prod')).toBe('spoke');
    });

    it('needs the AWS service name when any segment may place the endpoint in the spoke', () => {
      expect(() =>
        parseConfig(withSts({ placement: 'hub', segmentPlacement: { prod: 'either' }, serviceName: undefined })),
      ).toThrow(/endpoints\.sts\.serviceName: is needed when a segment may place the endpoint in the spoke/);
    });

    it('refuses a segment placement for an unknown segment or one the endpoint does not serve', () => {
      const svc = { serviceName: 'com.amazonaws.us-east-1.secretsmanager' };
      const endpoints = {
        ...example.endpoints,
        secretsmanager: { ...example.endpoints.secretsmanager, ...svc, segmentPlacement: { nonprod: 'spoke' } },
        sts: {
          ...example.endpoints.sts,
          serviceName: 'com.amazonaws.us-east-1.sts',
          segmentPlacement: { gold: 'spoke' },
        },
      };
      expect(() => parseConfig({ ...example, endpoints })).toThrow(
        /endpoints\.secretsmanager\.segmentPlacement\.nonprod: segment "nonprod" may not use secretsmanager/,
      );
      expect(() => parseConfig({ ...example, endpoints })).toThrow(
        /endpoints\.sts\.segmentPlacement\.gold: unknown segment "gold"/,
      );
    });

    it('refuses an unknown placement and an endpoint policy over 20,480 characters', () => {
      expect(() => parseConfig(withSts({ placement: 'local' }))).toThrow(/endpoints\.sts\.placement/);
      const big = { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*', Sid: 'x'.repeat(20_500) }] };
      expect(() => parseConfig(withSts({ endpointPolicy: big }))).toThrow(
        /endpoints\.sts\.endpointPolicy: is longer than the 20480 characters/,
      );
    });
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

describe('Hub configuration: aggregated ingress', () => {
  const withSupernets = (prod: string[], nonprod: string[] = []) => ({
    ...example,
    segments: {
      prod: { ...example.segments.prod, aggregatedIngress: prod },
      nonprod: { ...example.segments.nonprod, aggregatedIngress: nonprod },
    },
  });

  it('defaults to none and accepts disjoint supernets of either family', () => {
    expect(parseConfig(example).segments.prod?.aggregatedIngress).toEqual([]);
    const config = parseConfig(withSupernets(['10.64.0.0/10', '2600:1f18:100::/40'], ['10.128.0.0/10']));
    expect(config.segments.prod?.aggregatedIngress).toEqual(['10.64.0.0/10', '2600:1f18:100::/40']);
  });

  it('refuses a whole address family, a CIDR not in canonical form, and supernets that overlap, naming each', () => {
    expect(() => parseConfig(withSupernets(['0.0.0.0/0']))).toThrow(
      /segments\.prod\.aggregatedIngress\.0: 0\.0\.0\.0\/0 is larger than a \/8/,
    );
    expect(() => parseConfig(withSupernets(['10.64.1.0/10']))).toThrow(
      /segments\.prod\.aggregatedIngress\.0: must be written 10\.64\.0\.0\/10/,
    );
    expect(() => parseConfig(withSupernets(['10.64.0.0/10'], ['10.100.0.0/16']))).toThrow(
      /segments\.nonprod\.aggregatedIngress\.0: 10\.100\.0\.0\/16 overlaps 10\.64\.0\.0\/10 of segment prod/,
    );
    expect(() => parseConfig(withSupernets(['10.64.0.0/10', '10.65.0.0/16']))).toThrow(
      /segments\.prod\.aggregatedIngress\.1: 10\.65\.0\.0\/16 overlaps 10\.64\.0\.0\/10 of the same segment/,
    );
  });
});
