import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeConfigFile } from '#local/config-file';
import { configFromEnv, loadConfigFile, resetConfigCache } from '#shared/config';
import { configDigest, configEnvironment } from '#shared/env';
import { ConfigurationError } from '#shared/errors';
import { main } from '../../cli/main';
import { ROOT } from './helpers';

/**
 * A configuration file with errors: refused before anything runs, with a message that names the bad field, never a
 * crash. The same for the Lambdas' configuration file (fail fast with a named error the workflow reports).
 */

const EXAMPLE = JSON.parse(readFileSync(join(ROOT, 'config/example.hub.json'), 'utf8')) as Record<string, unknown>;

/** The parts of the example configuration the cases edit. */
interface Draft {
  version: unknown;
  prefix?: unknown;
  regions?: unknown;
  hub: Record<string, unknown>;
  segments: Record<string, Record<string, unknown>>;
  endpoints: Record<string, Record<string, unknown>>;
  endpointServices: Record<string, Record<string, unknown>>;
  destinations: unknown;
}

function edited(edit: (raw: Draft) => void): string {
  const raw = structuredClone(EXAMPLE) as unknown as Draft;
  edit(raw);
  return JSON.stringify(raw);
}

describe('Bad input: configuration files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spokelink-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const path = join(dir, 'hub.json');
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['not JSON', '{ "version": 1, ', /is not valid JSON/],
    ['an empty file', '', /is not valid JSON/],
    ['a JSON array', '[]', /./],
    [
      'a wrong account id',
      edited((c) => (c.hub.accountId = '1111')),
      /hub\.accountId: must be a 12-digit AWS account id/,
    ],
    ['an unknown field', edited((c) => (c.hub.tgw = 'tgw-1')), /hub: .*tgw/],
    [
      'a route table id that is not one',
      edited((c) => (c.segments.prod!.associationRouteTableId = 'rtb-123')),
      /segments\.prod\.associationRouteTableId: must be a TGW route table id/,
    ],
    [
      'an injection in a segment name',
      edited((c) => {
        c.segments["prod'; DROP TABLE"] = c.segments.prod!;
      }),
      /segments/,
    ],
    [
      'a destination that is not a CIDR',
      edited((c) => (c.destinations = [{ cidr: '10.0.0.0/33' }])),
      /destinations\.0\.cidr: /,
    ],
    [
      'an endpoint without zones',
      edited((c) => (c.endpoints.ssm!.privateHostedZoneIds = [])),
      /endpoints\.ssm\.privateHostedZoneIds/,
    ],
    ['a port out of range', edited((c) => (c.endpoints.sts!.ports = [70000])), /endpoints\.sts\.ports\.0/],
    [
      'a version from the future',
      edited((c) => (c.version = 4)),
      /version: 4 is not a version this spokelink reads \(1-3\): a newer file needs the spokelink release that wrote it/,
    ],
    ['no version', edited((c) => delete (c as { version?: unknown }).version), /version: missing: .*add "version": 3/],
    [
      'the version 1 list of endpoint services',
      edited((c) => {
        c.version = 1;
        (c as unknown as { endpointServices: unknown }).endpointServices = [
          { serviceId: 'vpce-svc-0d000000000000001' },
        ];
      }),
      /endpointServices: the version 1 list is not read any more: give each service a catalog name, as in "endpointServices": \{ "payments-api": \{ "serviceId": "vpce-svc-0d000000000000001" \} \}/,
    ],
    [
      'an endpoint service for a segment that does not exist',
      edited((c) => (c.endpointServices['payments-api']!.segments = ['prd'])),
      /endpointServices\.payments-api\.segments: unknown segment "prd"/,
    ],
    [
      'an endpoint service named like an endpoint',
      edited((c) => (c.endpointServices.ssm = { serviceId: 'vpce-svc-0d000000000000002' })),
      /endpointServices\.ssm: "ssm" is also an endpoint name/,
    ],
    [
      'one endpoint service under two names',
      edited((c) => (c.endpointServices.payments = { serviceId: 'vpce-svc-0d000000000000001' })),
      /endpointServices\.payments\.serviceId: vpce-svc-0d000000000000001 is already configured as "payments-api"/,
    ],
    [
      'endpoint services as a list (the form before catalog names)',
      edited((c) => {
        (c as unknown as { endpointServices: unknown }).endpointServices = [
          { serviceId: 'vpce-svc-0d000000000000001' },
        ];
      }),
      /endpointServices: /,
    ],
    [
      'an endpoint service id that is not one',
      edited((c) => (c.endpointServices['payments-api']!.serviceId = 'vpce-0d000000000000001')),
      /endpointServices\.payments-api\.serviceId: must be a VPC endpoint service id/,
    ],
    [
      "a served region other than the hub's (a TGW attaches VPCs of its own region only)",
      edited((c) => (c.regions = ['us-east-1', 'eu-west-1'])),
      /regions\.1: eu-west-1 is not the hub's region \(us-east-1\): the hub's Transit Gateway can attach VPCs of its own region only/,
    ],
    [
      'two endpoints of different segments sharing one security group',
      edited((c) => (c.endpoints.secretsmanager!.securityGroupId = c.endpoints.ssm!.securityGroupId)),
      /endpoints\.secretsmanager\.securityGroupId: sg-0e55e0000000000a1 is also the security group of endpoint ssm, which other segments may use/,
    ],
    [
      'a prefix starting with a digit (stack names start with a letter)',
      edited((c) => (c.prefix = '1spokelink')),
      /prefix: must be 1-31 lowercase letters, digits or hyphens, starting with a letter/,
    ],
  ])('refuses %s with a ConfigurationError naming the field', (_name, text, message) => {
    const path = write(text);
    let error: unknown;
    try {
      loadConfigFile(path);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts endpoints of the same segments sharing a security group, and the hub region listed', () => {
    const path = write(
      edited((c) => {
        c.endpoints.sts!.securityGroupId = c.endpoints.ssm!.securityGroupId;
        c.regions = ['us-east-1'];
      }),
    );
    expect(loadConfigFile(path).endpoints.sts!.securityGroupId).toBe('sg-0e55e0000000000a1');
  });

  it('makes `spokelink simulate` exit 2 naming the field, for a region the hub TGW cannot serve', async () => {
    const path = write(edited((c) => (c.regions = ['us-west-2'])));
    let stderr = '';
    const code = await main(
      ['simulate', '--config', path, '--world', join(ROOT, 'worlds/example.world.json'), '--save', 'none', '--quiet'],
      { stdout: () => undefined, stderr: (t) => (stderr += t) },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/regions\.0: us-west-2 is not the hub's region/);
  });

  it('refuses a missing file with a ConfigurationError naming it', () => {
    expect(() => loadConfigFile(join(dir, 'missing.json'))).toThrow(ConfigurationError);
  });

  it('makes `spokelink simulate` exit 2 with the message and run nothing', async () => {
    const path = write(edited((c) => (c.hub.accountId = 'not-an-account')));
    let stderr = '';
    const code = await main(
      ['simulate', '--config', path, '--world', join(ROOT, 'worlds/example.world.json'), '--save', 'none', '--quiet'],
      { stdout: () => undefined, stderr: (t) => (stderr += t) },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/hub\.accountId: must be a 12-digit AWS account id/);
  });

  it('fails a Lambda fast with a named ConfigurationError on a broken configuration file (never a crash)', () => {
    for (const text of ['', '{', JSON.stringify({ version: 1 })]) {
      resetConfigCache();
      const path = join(dir, `broken-${configDigest(text)}.json`);
      writeFileSync(path, text);
      const env = { SPOKELINK_CONFIG_FILE: path, SPOKELINK_CONFIG_SHA256: configDigest(text) };
      expect(() => configFromEnv(env)).toThrow(ConfigurationError);
    }
    resetConfigCache();
  });

  it('fails a Lambda fast, naming what is missing or wrong, without its file, its digest or with another file', () => {
    const raw = JSON.parse(readFileSync(join(ROOT, 'config', 'example.hub.json'), 'utf8')) as unknown;
    const deployed = configEnvironment(raw, writeConfigFile(raw));
    resetConfigCache();
    expect(() => configFromEnv({})).toThrow(/^SPOKELINK_CONFIG_FILE is not set$/);
    expect(() => configFromEnv({ SPOKELINK_CONFIG_FILE: deployed.SPOKELINK_CONFIG_FILE })).toThrow(
      /^SPOKELINK_CONFIG_SHA256 is not set$/,
    );
    expect(() => configFromEnv({ ...deployed, SPOKELINK_CONFIG_FILE: join(dir, 'absent.json') })).toThrow(
      /cannot read the configuration .*absent\.json/,
    );
    // A package and an environment of different deployments: refused rather than read as the other configuration.
    const other = configEnvironment({ ...(raw as object), prefix: 'other' }, deployed.SPOKELINK_CONFIG_FILE);
    expect(() => configFromEnv(other)).toThrow(/is not the configuration this function was deployed with/);
    expect(configFromEnv(deployed).prefix).toBe('spokelink');
    resetConfigCache();
  });
});
