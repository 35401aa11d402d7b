import { readFileSync } from 'node:fs';
import { writeConfigFile } from '#local/config-file';
import {
  CONFIG_VERSION,
  configFromEnv,
  loadConfigFile,
  parseConfig,
  regionalConfig,
  regionalHubOf,
  servedRegions,
  supernetRegionOf,
} from '#shared/config';
import { configEnvironment } from '#shared/env';
import { refusal } from './config-refusal';

/**
 * Configuration version 3: the regions served, each with its own hub and disjoint supernets; version 2 files read as
 * the single-region version 3 equivalent.
 */

// biome-ignore lint/suspicious/noExplicitAny: the cases edit a JSON document freely.
type Doc = Record<string, any>;

const TWO_REGIONS = 'config/example-two-regions.hub.json';
const raw = () => JSON.parse(readFileSync(TWO_REGIONS, 'utf8')) as Doc;
const v2 = () => JSON.parse(readFileSync('config/example.hub.json', 'utf8')) as Doc;

describe('Configuration version 3: regions', () => {
  it('serves the hub region and every region under `regions`, each with its own hub', () => {
    const config = loadConfigFile(TWO_REGIONS);
    expect(CONFIG_VERSION).toBe(3);
    expect(servedRegions(config)).toEqual(['us-east-1', 'eu-west-1']);
    expect(regionalHubOf(config, 'eu-west-1')).toMatchObject({
      transitGatewayId: 'tgw-0e1b2c3d4e5f60719',
      supernets: ['10.32.0.0/12'],
      defaultSegment: 'nonprod',
    });
    expect(() => regionalHubOf(config, 'ap-southeast-1')).toThrow(
      'ap-southeast-1 is not a served region (us-east-1, eu-west-1)',
    );
  });

  it("views the configuration as another region's hub reads it, losslessly and as a valid configuration", () => {
    const config = loadConfigFile(TWO_REGIONS);
    const eu = regionalConfig(config, 'eu-west-1');
    expect(eu.hub).toEqual({
      accountId: '111111111111',
      region: 'eu-west-1',
      transitGatewayId: 'tgw-0e1b2c3d4e5f60719',
      vpcId: 'vpc-0f000000000000e01',
      supernets: ['10.32.0.0/12'],
      peers: {
        'us-east-1': {
          routeTableIds: ['tgw-rtb-0e000000000000011', 'tgw-rtb-0e000000000000013'],
          associationRouteTableId: 'tgw-rtb-0e000000000000013',
        },
      },
    });
    expect(Object.keys(eu.endpoints)).toEqual(['ssm']);
    expect(Object.keys(eu.regions)).toEqual(['us-east-1']);
    // What a Lambda of the eu-west-1 hub reads from its configuration file is this view again.
    expect(parseConfig(JSON.parse(JSON.stringify(eu)))).toEqual(eu);
    expect(regionalConfig(eu, 'us-east-1')).toEqual(config);
  });

  it("gives each regional hub's Lambdas the view of the region they run in (AWS_REGION)", () => {
    const raw = JSON.parse(readFileSync(TWO_REGIONS, 'utf8')) as unknown;
    const deployed = configEnvironment(raw, writeConfigFile(raw));
    const inRegion = (region: string) => configFromEnv({ ...deployed, AWS_REGION: region });
    expect(inRegion('eu-west-1').hub).toMatchObject({ region: 'eu-west-1', transitGatewayId: 'tgw-0e1b2c3d4e5f60719' });
    expect(inRegion('us-east-1').hub).toMatchObject({ region: 'us-east-1', transitGatewayId: 'tgw-0a1b2c3d4e5f60718' });
    expect(inRegion('ap-southeast-1').hub.region).toBe('us-east-1');
  });

  it('finds the region whose supernets hold a CIDR', () => {
    const config = loadConfigFile(TWO_REGIONS);
    expect(supernetRegionOf(config, '10.33.0.0/16')).toBe('eu-west-1');
    expect(supernetRegionOf(config, '10.1.0.0/16')).toBe('us-east-1');
    expect(supernetRegionOf(config, '10.200.0.0/16')).toBeUndefined();
  });

  it('reads a version 2 file as its single-region version 3 equivalent', () => {
    const migrated = parseConfig(v2());
    const { regions: _regions, ...document }: Doc = { ...v2(), version: 3 };
    const written = parseConfig({ ...document, hub: { ...document.hub, supernets: [], peers: {} }, regions: {} });
    expect(migrated).toEqual(written);
    expect(migrated.version).toBe(3);
    expect(servedRegions(migrated)).toEqual(['us-east-1']);
    expect(migrated.hub.supernets).toEqual([]);
    // The version 2 list of served regions could only name the hub's region: it is dropped.
    expect(parseConfig({ ...v2(), regions: ['us-east-1'] })).toEqual(migrated);
  });

  it('refuses a version 2 file serving another region, saying how version 3 serves it', () => {
    expect(refusal({ ...v2(), regions: ['us-east-1', 'eu-west-1'] })).toMatch(
      /regions\.1: eu-west-1 is not the hub's region \(us-east-1\)[^\n]*To serve eu-west-1, set "version": 3 and describe its hub under "regions": \{ "eu-west-1": /,
    );
  });

  it.each([
    [
      'overlapping regional supernets',
      (c: Doc) => (c.regions['eu-west-1'].supernets = ['10.8.0.0/13']),
      'regions.eu-west-1.supernets.0: 10.8.0.0/13 (eu-west-1) overlaps 10.0.0.0/12 (us-east-1): regional supernets must be disjoint, since each region claims CIDRs on its own',
    ],
    [
      "no supernets for the hub's region when several are served",
      (c: Doc) => (c.hub.supernets = []),
      'hub.supernets: us-east-1 needs its supernets when several regions are served',
    ],
    [
      'a regional hub without supernets',
      (c: Doc) => delete c.regions['eu-west-1'].supernets,
      'regions.eu-west-1.supernets: ',
    ],
    [
      "the hub's own region under `regions`",
      (c: Doc) => (c.regions['us-east-1'] = c.regions['eu-west-1']),
      "regions.us-east-1: us-east-1 is the hub's region: its hub is described by hub, segments, endpoints and dns",
    ],
    [
      'a peering listed on one side only',
      (c: Doc) => (c.regions['eu-west-1'].peers = {}),
      'hub.peers.eu-west-1: eu-west-1 does not list us-east-1 among its peers',
    ],
    [
      'a peering without the table that routes what arrives over it',
      (c: Doc) => delete c.regions['eu-west-1'].peers['us-east-1'].associationRouteTableId,
      'regions.eu-west-1.peers.us-east-1.associationRouteTableId: ',
    ],
    [
      'a peer that is not a served region',
      (c: Doc) =>
        (c.hub.peers['ap-southeast-1'] = {
          routeTableIds: ['tgw-rtb-0a000000000000001'],
          associationRouteTableId: 'tgw-rtb-0c000000000000003',
        }),
      'hub.peers.ap-southeast-1: ap-southeast-1 is not a served region (us-east-1, eu-west-1)',
    ],
    [
      "a regional hub's default segment that names none",
      (c: Doc) => (c.regions['eu-west-1'].defaultSegment = 'gold'),
      'regions.eu-west-1.defaultSegment: names no segment (prod, nonprod)',
    ],
    [
      "a regional hub's endpoint limited to an unknown segment",
      (c: Doc) => (c.regions['eu-west-1'].endpoints.ssm.segments = ['gold']),
      'regions.eu-west-1.endpoints.ssm.segments: unknown segment "gold"',
    ],
    [
      "a regional hub's service of another region without serviceRegion (the cross-region endpoint's region)",
      (c: Doc) =>
        Object.assign(c.regions['eu-west-1'].endpoints.ssm, {
          placement: 'spoke',
          serviceName: 'com.amazonaws.us-east-1.ssm',
        }),
      'regions.eu-west-1.endpoints.ssm.serviceName: com.amazonaws.us-east-1.ssm is a service of us-east-1, not of ' +
        'eu-west-1: a service of another region is reached through a cross-region endpoint, set serviceRegion to ' +
        'us-east-1',
    ],
    [
      "the first region's spoke-placed service of another region",
      (c: Doc) => Object.assign(c.endpoints.sts, { placement: 'either', serviceName: 'com.amazonaws.eu-west-1.sts' }),
      'endpoints.sts.serviceName: com.amazonaws.eu-west-1.sts is a service of eu-west-1, not of us-east-1',
    ],
    ['a region name that is not one', (c: Doc) => (c.regions = { Europe: c.regions['eu-west-1'] }), 'regions.Europe: '],
    [
      'a version from the future',
      (c: Doc) => (c.version = 4),
      'version: 4 is not a version this spokelink reads (1-3)',
    ],
  ])('refuses %s, naming the field', (_name, edit, message) => {
    const document = raw();
    edit(document);
    expect(refusal(document)).toContain(message);
  });
  it("accepts a spoke-placed service of the hub's own region in each region's catalog", () => {
    const document = raw();
    Object.assign(document.regions['eu-west-1'].endpoints.ssm, {
      placement: 'spoke',
      serviceName: 'com.amazonaws.eu-west-1.ssm',
    });
    Object.assign(document.endpoints.sts, { placement: 'either', serviceName: 'com.amazonaws.us-east-1.sts' });
    const config = parseConfig(document);
    expect(config.regions['eu-west-1']?.endpoints.ssm?.serviceName).toBe('com.amazonaws.eu-west-1.ssm');
  });
});
