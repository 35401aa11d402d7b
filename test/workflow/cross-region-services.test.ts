import type { LocalHub } from '#local/hub';
import { ec2State, stateAt } from '#twin/services/ec2/model';
import { resolvingZone } from '#twin/services/route53profiles';
import {
  advance,
  CONNECT_PROD,
  lifecycleHub,
  PAYMENTS,
  PAYMENTS_CIDR,
  REGION,
  settle,
  statusOf,
  ZONES,
  zonesAssociatedWith,
} from '../lifecycle/helpers';
import { LEDGER } from '../shared/cross-region-fixture';
import { crossRegionConfig, crossRegionWorld, deployLedgerEndpoint, groupsAdmitting } from './cross-region-helpers';

/**
 * Cross-region services (issue 21): a us-east-1 spoke onboarding to a segment whose services include `ledger`, a
 * service offered in eu-west-1, gets the same access as to a local service (ssm): a rule on the service's hub
 * endpoint group, and its zone associated (zones mode) or held by the hub Profile it is given (profile mode). The hub
 * reaches the service through its cross-region endpoint (ServiceRegion eu-west-1).
 */

const SSM_GROUP = 'sg-0e55e0000000000a1';

describe('Workflow: a service of another region in the catalog', () => {
  let hub: LocalHub;
  afterEach(() => hub?.close());

  it('reaches the eu-west-1 service through the hub’s cross-region endpoint, available in us-east-1', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
    const id = await deployLedgerEndpoint(hub);
    const endpoint = ec2State(hub.twin).endpoints[id]!;
    expect({
      state: stateAt(endpoint.timeline, hub.clock.now()),
      region: endpoint.region,
      serviceRegion: endpoint.serviceRegion,
      groups: endpoint.securityGroupIds,
    }).toEqual({ state: 'available', region: REGION, serviceRegion: 'eu-west-1', groups: [LEDGER.group] });
  });

  it('gives a prod spoke the same access to it as to a local service, and takes it away at offboarding (zones)', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
    await deployLedgerEndpoint(hub);
    await hub.tagVpc(PAYMENTS, { ...CONNECT_PROD, 'spokelink:services': 'ledger,ssm' });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    // One rule per service group, on its port, for the VPC's CIDR: the local ssm and the cross-region ledger alike.
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).toEqual([SSM_GROUP, LEDGER.group].sort());
    expect(zonesAssociatedWith(hub, PAYMENTS)).toEqual([ZONES.ssm, LEDGER.zone].sort());
    expect(resolvingZone(hub.twin, LEDGER.recordName, PAYMENTS, REGION)).toEqual({ zoneId: LEDGER.zone, via: 'zone' });

    await hub.untagVpc(PAYMENTS, ['spokelink:connect']);
    await settle(hub);
    await advance(hub, 5 * 60_000);
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).toEqual([]);
    expect(zonesAssociatedWith(hub, PAYMENTS)).toEqual([]);
  });

  it('adds it to a connected spoke that asks for it later, like any catalog entry', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
    await deployLedgerEndpoint(hub);
    await hub.tagVpc(PAYMENTS, { ...CONNECT_PROD, 'spokelink:services': 'ssm' });
    await settle(hub);
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).toEqual([SSM_GROUP]);
    await hub.tagVpc(PAYMENTS, { 'spokelink:services': 'ssm,ledger' });
    await settle(hub);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).toEqual([SSM_GROUP, LEDGER.group].sort());
    expect(zonesAssociatedWith(hub, PAYMENTS)).toContain(LEDGER.zone);
  });

  it('resolves it through the hub Profile in profile mode', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig('profile'), world: crossRegionWorld() });
    await deployLedgerEndpoint(hub);
    await hub.tagVpc(PAYMENTS, { ...CONNECT_PROD, 'spokelink:services': 'ledger' });
    await settle(hub);
    await advance(hub, 5 * 60_000);
    expect(statusOf(hub, PAYMENTS).status).toBe('connected');
    expect(groupsAdmitting(hub, PAYMENTS_CIDR)).toEqual([LEDGER.group]);
    expect(zonesAssociatedWith(hub, PAYMENTS)).toEqual([]);
    expect(resolvingZone(hub.twin, LEDGER.recordName, PAYMENTS, REGION)).toEqual({
      zoneId: LEDGER.zone,
      via: 'profile',
    });
  });
});
