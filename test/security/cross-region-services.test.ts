import type { LocalHub } from '#local/hub';
import { resolvingZone } from '#twin/services/route53profiles';
import {
  ANALYTICS,
  CONNECT_PROD,
  lifecycleHub,
  PAYMENTS,
  PAYMENTS_CIDR,
  REGION,
  registryOf,
  settle,
  statusOf,
  zonesAssociatedWith,
} from '../lifecycle/helpers';
import { LEDGER } from '../shared/cross-region-fixture';
import { crossRegionConfig, crossRegionWorld, groupsAdmitting } from '../workflow/cross-region-helpers';

/**
 * Cross-region services (issue 21): the hub's cross-region endpoint of `ledger` (a service of eu-west-1) is reachable
 * over the TGW by every spoke, so its security group and zone are the only controls, as for a local service. A tenant
 * whose segment may not use `ledger` asks for it, or keeps asking after its VPC leaves the segment that may: it gains
 * no rule on the endpoint's group and never resolves its name (a request keeping it by name is refused, changing
 * nothing).
 */

const ANALYTICS_CIDR = '10.3.0.0/16';

describe('Security: a tenant uses the hub’s cross-region endpoint its segment does not allow', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('gives a nonprod VPC that asks for the prod-only cross-region service nothing of it', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
    await hub.tagVpc(ANALYTICS, { 'spokelink:connect': 'true', 'spokelink:services': 'ledger,ssm' });
    await settle(hub);
    expect(statusOf(hub, ANALYTICS)).toMatchObject({
      status: 'rejected',
      detail: 'service-not-allowed: service ledger is not available to segment nonprod',
    });
    expect(groupsAdmitting(hub, ANALYTICS_CIDR)).toEqual([]);
    expect(groupsAdmitting(hub, ANALYTICS_CIDR)).not.toContain(LEDGER.group);
    expect(zonesAssociatedWith(hub, ANALYTICS)).not.toContain(LEDGER.zone);
    expect(resolvingZone(hub.twin, LEDGER.recordName, ANALYTICS, REGION)).toBeUndefined();
  });

  it('refuses keeping the service in a segment that may not use it, and drops it when the VPC moves there', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
    await hub.tagVpc(PAYMENTS, { ...CONNECT_PROD, 'spokelink:services': 'ledger' });
    await settle(hub);
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).toEqual([LEDGER.group]);
    // The tenant moves its VPC to nonprod and keeps asking for ledger by name: refused, the VPC stays in prod.
    await hub.tagVpc(PAYMENTS, { 'spokelink:segment': 'nonprod' });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS)).toMatchObject({
      status: 'rejected',
      detail: 'service-not-allowed: service ledger is not available to segment nonprod',
    });
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({ segment: 'prod', services: ['ledger'] });
    // With every service its segment allows (`*`), the VPC moves to nonprod without ledger.
    await hub.tagVpc(PAYMENTS, { 'spokelink:services': '*' });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect((await registryOf(hub, PAYMENTS)).CURRENT).toMatchObject({ segment: 'nonprod' });
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).not.toContain(LEDGER.group);
    expect(zonesAssociatedWith(hub, PAYMENTS)).not.toContain(LEDGER.zone);
    expect(resolvingZone(hub.twin, LEDGER.recordName, PAYMENTS, REGION)).toBeUndefined();
  });
});
