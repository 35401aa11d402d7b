import { type LocalHub, localFunctionsRole } from '#local/hub';
import { hubDeployerRoleArn, localIamModel } from '#local/iam';
import type { PolicyDocument } from '#twin/iam';
import { stateAt } from '#twin/services/ec2/model';
import { resolvingZone } from '#twin/services/route53profiles';
import { TwinWorldError } from '#twin/world';
import {
  advance,
  CONNECT_PROD,
  HUB,
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
import { crossRegionConfig, crossRegionWorld, groupsAdmitting, ledgerEndpoint } from './cross-region-helpers';

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
    const endpoint = ledgerEndpoint(hub);
    expect({
      state: stateAt(endpoint.timeline, hub.clock.now()),
      region: endpoint.region,
      serviceRegion: endpoint.serviceRegion,
      groups: endpoint.securityGroupIds,
    }).toEqual({ state: 'available', region: REGION, serviceRegion: 'eu-west-1', groups: [LEDGER.group] });
  });

  it('is deployed by the local runner as the hub stack creates it: the entry’s subnets and group, private DNS off', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
    const endpoint = ledgerEndpoint(hub);
    expect({
      owner: endpoint.ownerId,
      service: endpoint.serviceName,
      subnets: endpoint.subnetIds,
      privateDns: endpoint.privateDnsEnabled,
      tags: endpoint.tags,
    }).toEqual({
      owner: HUB,
      service: LEDGER.serviceName,
      subnets: LEDGER.subnets.map((s) => s.subnetId),
      privateDns: false,
      tags: { 'spokelink:managed': 'true', 'spokelink:catalog': 'ledger' },
    });
  });

  it('refuses to start, naming AWS’s error, when the provider does not offer the service to the hub’s region', async () => {
    const world = crossRegionWorld();
    const service = world.ec2!.endpointServices!.find((s) => s.id === LEDGER.serviceId)!;
    service.supportedRegions = ['eu-west-1'];
    await expect(lifecycleHub({ config: crossRegionConfig(), world })).rejects.toThrow(TwinWorldError);
    await expect(lifecycleHub({ config: crossRegionConfig(), world })).rejects.toThrow(
      /cross-region endpoint of catalog entry ledger .* cannot be created in us-east-1: AWS answers InvalidServiceName: .*offers it to eu-west-1, not us-east-1/,
    );
  });

  it('refuses to start when the deploying principal is not allowed vpce:AllowMultiRegion', async () => {
    const config = crossRegionConfig();
    const model = localIamModel(config, localFunctionsRole(config, config.hub.region));
    const deployer = hubDeployerRoleArn(config);
    const iam = {
      ...model,
      identityPolicies: (arn: string) =>
        arn === deployer
          ? model.identityPolicies(arn)!.map(
              (p) =>
                ({
                  ...p,
                  Statement: (p.Statement as { Sid: string }[]).filter((st) => st.Sid !== 'AllowMultiRegion'),
                }) as PolicyDocument,
            )
          : model.identityPolicies(arn),
    };
    await expect(lifecycleHub({ config, world: crossRegionWorld(), twinOptions: { iam } })).rejects.toThrow(
      /cross-region endpoint of catalog entry ledger .*: AWS answers UnauthorizedOperation: .*vpce:AllowMultiRegion/,
    );
  });

  it('gives a prod spoke the same access to it as to a local service, and takes it away at offboarding (zones)', async () => {
    hub = await lifecycleHub({ config: crossRegionConfig(), world: crossRegionWorld() });
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
