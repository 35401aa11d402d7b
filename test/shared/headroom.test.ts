import { readFileSync } from 'node:fs';
import { parseConfig } from '#shared/config';
import { headroomMetricsOf, headroomOf, usageFromRecords } from '#shared/headroom';
import type { ConsumerRecord } from '#shared/registry/model';

const example = JSON.parse(readFileSync('config/example.hub.json', 'utf8'));
const SSM = example.endpoints.ssm;

function record(n: number, overrides: Partial<ConsumerRecord> = {}): ConsumerRecord {
  const cidr = `10.${100 + n}.0.0/16`;
  return {
    vpcId: `vpc-0e${String(n).padStart(15, '0')}`,
    accountId: '333333333333',
    region: 'us-east-1',
    segment: 'nonprod',
    services: ['ssm'],
    cidrs: [cidr],
    attachmentId: `tgw-attach-0e${String(n).padStart(15, '0')}`,
    attachmentSubnetIds: [],
    routes: [],
    zones: [{ endpoint: 'ssm', zoneId: SSM.privateHostedZoneIds[0], zoneName: 'ssm.us-east-1.amazonaws.com' }],
    securityGroupRules: [{ endpoint: 'ssm', groupId: SSM.securityGroupId, cidr, port: 443, description: 'x' }],
    endpointServicePrincipals: [],
    status: 'connected',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    executions: [],
    ...overrides,
  } as ConsumerRecord;
}

describe('Headroom (what the reconcile publishes)', () => {
  const records = [...Array.from({ length: 54 }, (_, i) => record(i)), record(99, { status: 'disconnected' })];

  it('counts the members of the registry plus the attachments it does not hold, per quota, on the tightest resource', () => {
    const config = parseConfig(example);
    const figures = headroomOf(config, usageFromRecords(config, records, 'registry'));
    expect(figures.map((f) => [f.metric, f.on, f.used, f.limit, f.percent])).toEqual([
      // 54 members + the hub VPC's own attachment (capacity.otherAttachments, default 1).
      ['HeadroomTgwAttachments', config.hub.transitGatewayId, 55, 5_000, 98],
      // One block each, routed in the nonprod segment's one table.
      ['HeadroomTgwRoutes', config.hub.transitGatewayId, 54, 10_000, 99],
      // 54 of the default 60 on the ssm group: 10% left.
      ['HeadroomEndpointRules', SSM.securityGroupId, 54, 60, 10],
      ['HeadroomZoneAssociations', SSM.privateHostedZoneIds[0], 54, 300, 82],
    ]);
  });

  it('reads raised quotas and the other attachments from the configuration', () => {
    const config = parseConfig({
      ...example,
      capacity: { otherAttachments: 4_946, raisedQuotas: { rulesPerSecurityGroup: 540 } },
    });
    const figures = headroomOf(config, usageFromRecords(config, records, 'registry'));
    expect(figures.find((f) => f.metric === 'HeadroomTgwAttachments')).toMatchObject({ used: 5_000, percent: 0 });
    expect(figures.find((f) => f.metric === 'HeadroomEndpointRules')).toMatchObject({ limit: 540, percent: 90 });
  });

  it('measures Profile associations instead of zones in profile mode', () => {
    const config = parseConfig({ ...example, dns: { mode: 'profile' } });
    expect(headroomMetricsOf(config)).toEqual([
      'HeadroomTgwAttachments',
      'HeadroomTgwRoutes',
      'HeadroomEndpointRules',
      'HeadroomProfileAssociations',
    ]);
    const withProfile = records.map((r) =>
      record(Number(r.vpcId.slice(-3)), {
        status: r.status,
        zones: [],
        profileAssociations: [{ associationId: 'rpassoc-1', profileId: 'rp-1', name: 'x' }] as never,
      }),
    );
    const profile = headroomOf(config, usageFromRecords(config, withProfile, 'registry')).at(-1);
    expect(profile).toMatchObject({ on: 'spokelink-endpoints', used: 54, limit: 1_000, percent: 94 });
  });
});
