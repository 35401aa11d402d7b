import { readFileSync } from 'node:fs';
import { parseConfig } from '#shared/config';
import {
  CostSourceError,
  costFromRecords,
  parseRegistryRecords,
  parseScenario,
  type RegistryRecord,
  recordsFromWorld,
} from '../../cli/cost/inputs';

const config = parseConfig(JSON.parse(readFileSync('config/example.hub.json', 'utf8')));

function record(vpcId: string, services: string[], status: RegistryRecord['status'] = 'connected'): RegistryRecord {
  return { vpcId, accountId: `${vpcId.length}00000000000`.slice(0, 12), segment: 'nonprod', services, status };
}

describe('Function: costFromRecords', () => {
  it('counts connected VPCs as N and the distinct catalog services they use as S', () => {
    const records = [
      record('vpc-a', ['ssm', 'sts']),
      record('vpc-b', ['ssm']),
      record('vpc-c', ['sts', 'secretsmanager'], 'disconnected'),
      record('vpc-d', ['secretsmanager'], 'onboarding'),
    ];

    const derived = costFromRecords(records, config);

    expect(derived).toMatchObject({ vpcs: 2, services: 2, serviceNames: ['ssm', 'sts'], servicesPerVpc: 1.5 });
    expect(derived.unusedCatalogServices).toEqual(['secretsmanager']);
  });

  it('leaves an endpoint service out of the price, without reporting it as unknown (it is no interface endpoint)', () => {
    const derived = costFromRecords([record('vpc-a', ['payments-api', 'ssm'])], config);

    expect(derived).toMatchObject({ vpcs: 1, services: 1, serviceNames: ['ssm'], unknownServices: [] });
  });

  it('reports services missing from the catalog instead of pricing them', () => {
    const derived = costFromRecords([record('vpc-a', ['ssm', 'kinesis'])], config);

    expect(derived).toMatchObject({ vpcs: 1, services: 1, unknownServices: ['kinesis'] });
  });

  it('gives N = 0 for a registry without connected VPCs', () => {
    expect(costFromRecords([record('vpc-a', ['ssm'], 'failed')], config).vpcs).toBe(0);
  });
});

describe('Function: recordsFromWorld', () => {
  it('prices the VPCs whose tags ask to connect, expanding * to the services of their segment', () => {
    const world = {
      vpcs: [
        {
          vpcId: 'vpc-1',
          accountId: '222222222222',
          tags: { 'spokelink:connect': 'true', 'spokelink:segment': 'prod' },
        },
        { vpcId: 'vpc-2', ownerId: '333333333333', tags: [{ Key: 'spokelink:connect', Value: 'true' }] },
        { vpcId: 'vpc-3', tags: { 'spokelink:connect': 'true', 'spokelink:services': 'ssm' } },
        { vpcId: 'vpc-4', tags: { Name: 'not opted in' } },
        { vpcId: 'vpc-5', tags: { 'spokelink:connect': 'maybe' } },
      ],
    };

    const records = recordsFromWorld(world, config);

    expect(records.map((r) => [r.vpcId, r.accountId, r.segment, r.services])).toEqual([
      ['vpc-1', '222222222222', 'prod', ['ssm', 'sts', 'secretsmanager']],
      ['vpc-2', '333333333333', 'nonprod', ['ssm', 'sts']],
      ['vpc-3', 'unknown', 'nonprod', ['ssm']],
    ]);
  });

  it("uses the world's registry when it has one", () => {
    const world = { registry: [record('vpc-a', ['ssm'])] };

    expect(recordsFromWorld(world, config)).toEqual([record('vpc-a', ['ssm'])]);
  });

  it('fails with the file name when the world has nothing to price', () => {
    expect(() => recordsFromWorld({ accounts: [] }, config, 'w.json')).toThrow(
      /w\.json has neither a "registry", a "vpcs" nor an "ec2\.vpcs" array/,
    );
  });

  it('prices the VPCs of a twin world file (ec2.vpcs), as the committed example world asks for them', () => {
    const world = JSON.parse(readFileSync('worlds/example.world.json', 'utf8'));

    const records = recordsFromWorld(world, config, 'worlds/example.world.json');

    // Six VPCs ask to connect (the hub VPC and the untagged spoke VPC do not).
    expect(records.map((r) => r.vpcId).sort()).toEqual([
      'vpc-0a200000000000001',
      'vpc-0a200000000000002',
      'vpc-0b300000000000001',
      'vpc-0c400000000000001',
      'vpc-0c400000000000002',
      'vpc-0d500000000000001',
    ]);
    expect(records.find((r) => r.vpcId === 'vpc-0d500000000000001')).toMatchObject({
      accountId: '555555555555',
      segment: 'nonprod',
      services: ['ssm'],
    });
  });
});

describe('Function: parseScenario / parseRegistryRecords', () => {
  it('accepts the flag names and rejects unknown or bad fields by name', () => {
    expect(parseScenario({ vpcs: 10, services: 3, azs: 2, gb: 5.5, tgwExists: true })).toMatchObject({ gb: 5.5 });
    expect(() => parseScenario({ vpcs: 1.5 }, 's.yaml')).toThrow(CostSourceError);
    expect(() => parseScenario({ vpcs: 1.5 }, 's.yaml')).toThrow(/s\.yaml is invalid:\n {2}vpcs:/);
    expect(() => parseScenario({ vpc: 1 }, 's.yaml')).toThrow(/Unrecognized key.*vpc/);
  });

  it('reads registry records and names the record and field that is wrong', () => {
    expect(parseRegistryRecords([{ ...record('vpc-a', ['ssm']), extra: 1 }])).toHaveLength(1);
    expect(() => parseRegistryRecords([record('vpc-a', ['ssm']), { vpcId: 'vpc-b' }], 'r.json')).toThrow(
      /r\.json is invalid:\n {2}1\.accountId:/,
    );
  });
});
