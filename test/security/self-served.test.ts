import { DeleteVpcEndpointsCommand } from '@aws-sdk/client-ec2';
import type { LocalHub } from '#local/hub';
import type { ConsumerRecord } from '#shared/registry/model';
import { ec2State } from '#twin/services/ec2/model';
import { resolvingZone } from '#twin/services/route53profiles';
import {
  advance,
  appTeamEc2,
  appTeamEndpoint,
  CONNECT_PROD,
  lifecycleHub,
  PAYMENTS,
  PAYMENTS_CIDR,
  REGION,
  registryOf,
  STS_NAME,
  settle,
  statusOf,
  ZONES,
  zonesAssociatedWith,
} from '../lifecycle/helpers';

/**
 * Attacks on "served by the VPC itself" (functions/validate/self-served.ts): the tenant controls its endpoints, zones
 * and tags and can change them at any moment.
 * - It claims to serve a service it does not serve (an endpoint of the service without private DNS, forged with
 *   spokelink's tag): the claim counts for nothing, the service is connected from the hub as asked.
 * - It removes its own endpoint once validation has skipped the service: it gains no hub zone and no hub rule it was
 *   not given; the next validation (a re-check: any event on its tags) reads the VPC again, says so in the status and
 *   serves the service from the hub.
 */

/** The hub security group rules admitting the VPC's CIDR, by endpoint (from the registry record). */
async function hubRuleEndpoints(hub: LocalHub): Promise<string[]> {
  const record = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
  return [...new Set(record.securityGroupRules.filter((r) => r.cidr === PAYMENTS_CIDR).map((r) => r.endpoint))].sort();
}

/** Connected, and sts served from the hub as asked: its zone, its rule, the name resolving to the hub's zone. */
async function expectStsFromHub(hub: LocalHub): Promise<void> {
  const { status, detail } = statusOf(hub, PAYMENTS);
  expect(status).toBe('connected');
  expect(detail).not.toContain('served by the VPC itself');
  expect(zonesAssociatedWith(hub, PAYMENTS)).toContain(ZONES.sts);
  expect(await hubRuleEndpoints(hub)).toContain('sts');
  expect(resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION)).toEqual({ zoneId: ZONES.sts, via: 'zone' });
}

const tenantStsEndpoint = (hub: LocalHub, privateDns: boolean) =>
  appTeamEndpoint(hub, PAYMENTS, {
    serviceName: 'com.amazonaws.us-east-1.sts',
    subnetId: 'subnet-0a200000000000101',
    privateDns,
    tags: { 'spokelink:managed': 'true' },
  });

describe('Security: a VPC serving a service itself gains nothing it was not entitled to', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('ignores a claim: an endpoint of the service without private DNS does not serve its name', async () => {
    hub = await lifecycleHub();
    const claimed = await tenantStsEndpoint(hub, false);

    await hub.tagVpc(PAYMENTS, CONNECT_PROD);
    await settle(hub);

    await expectStsFromHub(hub);
    // The forged tag does not make it spokelink's: not recorded, and offboarding leaves it.
    const record = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
    expect(record.selfServed).toBeUndefined();
    expect(record.spokeEndpoints ?? []).toEqual([]);
    await hub.untagVpc(PAYMENTS, Object.keys(CONNECT_PROD));
    await settle(hub);
    await advance(hub, 5 * 60_000);
    expect(ec2State(hub.twin).endpoints[claimed]?.timeline.at(-1)?.state).toBe('available');
  });

  it('gives nothing for a removed own endpoint until the re-check, which then says so and serves it from the hub', async () => {
    hub = await lifecycleHub();
    const own = await tenantStsEndpoint(hub, true);
    await hub.tagVpc(PAYMENTS, CONNECT_PROD);
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).detail).toContain('served by the VPC itself: sts;');
    expect(await hubRuleEndpoints(hub)).not.toContain('sts');

    // After validation: the tenant deletes its own endpoint.
    await appTeamEc2(hub, PAYMENTS).send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [own] }));
    await advance(hub, 5 * 60_000);

    // Nothing was granted for sts in its place: no hub zone, no hub rule; the name no longer resolves privately.
    expect(zonesAssociatedWith(hub, PAYMENTS)).not.toContain(ZONES.sts);
    expect(await hubRuleEndpoints(hub)).not.toContain('sts');
    expect(resolvingZone(hub.twin, STS_NAME, PAYMENTS, REGION)).toBeUndefined();

    // The re-check (the next event on its tags) reads the VPC again: sts is now served from the hub, and says so.
    expect(hub.announceTags(PAYMENTS)).toBe(true);
    await settle(hub);
    await expectStsFromHub(hub);
    const record = (await registryOf(hub, PAYMENTS)).CURRENT as unknown as ConsumerRecord;
    expect(record.selfServed).toBeUndefined();
  });
});
