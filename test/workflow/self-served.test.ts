import type { LocalHub } from '#local/hub';
import type { ConsumerRecord } from '#shared/registry/model';
import { ec2State } from '#twin/services/ec2/model';
import { resolvingZone } from '#twin/services/route53profiles';
import { parseWorld } from '#twin/world';
import {
  advance,
  appTeamEndpoint,
  CONNECT_PROD,
  lifecycleConfig,
  lifecycleHub,
  lifecycleWorld,
  networkDiff,
  PAYMENTS,
  PAYMENTS_CIDR,
  REGION,
  registryOf,
  rulesAdmitting,
  STS_NAME,
  settle,
  statusOf,
  ZONES,
  zonesAssociatedWith,
} from '../lifecycle/helpers';

/**
 * A VPC that already serves a catalog service itself (its own interface endpoint with private DNS, or its own private
 * hosted zone of that name): the service is reported as served by the VPC and skipped, the others are connected, and
 * offboarding leaves the VPC's own endpoint or zone as it found it (functions/validate/self-served.ts).
 */

const SSM_NAME = 'ssm.us-east-1.amazonaws.com';
const TEAM_SSM_ZONE = 'Z0TEAMOWNSSM000000001';

const placementConfig = () =>
  lifecycleConfig((raw) => {
    const endpoints = raw.endpoints as Record<string, Record<string, unknown>>;
    endpoints.sts = { ...endpoints.sts, placement: 'either', serviceName: 'com.amazonaws.us-east-1.sts' };
  });

/** The payments team's own sts endpoint in PAYMENTS, private DNS on, made before spokelink sees the VPC. */
const teamStsEndpoint = (hub: LocalHub) =>
  appTeamEndpoint(hub, PAYMENTS, {
    serviceName: 'com.amazonaws.us-east-1.sts',
    subnetId: 'subnet-0a200000000000101',
    privateDns: true,
  });

describe('Workflow: a VPC that serves a service itself', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('reports sts as served by its own endpoint, connects the others, and offboarding leaves that endpoint alone', async () => {
    hub = await lifecycleHub({ config: placementConfig() });
    const own = await teamStsEndpoint(hub);
    const before = hub.twin.snapshot();

    await hub.tagVpc(PAYMENTS, CONNECT_PROD);
    await settle(hub);

    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'connected',
      detail: expect.stringContaining('services payments-api,secretsmanager,ssm,sts; served by the VPC itself: sts;'),
    });
    // No hub zone and no hub rule for sts; the other services from the hub.
    expect(zonesAssociatedWith(hub, PAYMENTS)).not.toContain(ZONES.sts);
    expect(zonesAssociatedWith(hub, PAYMENTS)).toEqual(expect.arrayContaining([ZONES.ssm, ZONES.secrets]));
    expect(resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION)).toEqual({ zoneId: own, via: 'endpoint' });
    expect(resolvingZone(hub.twin, SSM_NAME, PAYMENTS, REGION)).toEqual({ zoneId: ZONES.ssm, via: 'zone' });
    const record = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
    expect(record.selfServed).toEqual(['sts']);
    expect(record.spokeEndpoints ?? []).toEqual([]);
    expect(record.securityGroupRules.map((r) => r.endpoint)).not.toContain('sts');
    expect(rulesAdmitting(hub, PAYMENTS_CIDR).length).toBeGreaterThan(0);

    // A repeated event changes nothing: the plan (sts served by the VPC) equals the record.
    expect(hub.announceTags(PAYMENTS)).toBe(true);
    await settle(hub);
    expect(hub.executions().map((e) => e.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);

    await hub.untagVpc(PAYMENTS, Object.keys(CONNECT_PROD));
    await settle(hub);
    await advance(hub, 5 * 60_000);

    expect(statusOf(hub, PAYMENTS).status).toBe('disconnected');
    // The team's endpoint is untouched (still there, private DNS on); nothing else spokelink made is left.
    expect(ec2State(hub.twin).endpoints[own]).toMatchObject({ vpcId: PAYMENTS, privateDnsEnabled: true });
    expect(resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION)).toEqual({ zoneId: own, via: 'endpoint' });
    expect(networkDiff(hub, before)).toEqual([]);
  });

  it('reports ssm as served by its own zone of that name instead of rejecting the request', async () => {
    const base = lifecycleWorld();
    const world = parseWorld({
      ...base,
      route53: {
        zones: [
          ...base.route53.zones,
          { id: TEAM_SSM_ZONE, name: SSM_NAME, ownerId: '222222222222', vpcs: [{ vpcId: PAYMENTS, region: REGION }] },
        ],
      },
    });
    hub = await lifecycleHub({ config: placementConfig(), world });
    const before = hub.twin.snapshot();

    await hub.tagVpc(PAYMENTS, CONNECT_PROD);
    await settle(hub);

    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'connected',
      detail: expect.stringContaining('served by the VPC itself: ssm;'),
    });
    expect(zonesAssociatedWith(hub, PAYMENTS)).toEqual([ZONES.secrets, ZONES.sts, TEAM_SSM_ZONE].sort());
    expect(resolvingZone(hub.twin, SSM_NAME, PAYMENTS, REGION)).toEqual({ zoneId: TEAM_SSM_ZONE, via: 'zone' });

    await hub.untagVpc(PAYMENTS, Object.keys(CONNECT_PROD));
    await settle(hub);
    await advance(hub, 5 * 60_000);

    // The team's zone stays associated; nothing else is left.
    expect(zonesAssociatedWith(hub, PAYMENTS)).toEqual([TEAM_SSM_ZONE]);
    expect(networkDiff(hub, before)).toEqual([]);
  });
});
