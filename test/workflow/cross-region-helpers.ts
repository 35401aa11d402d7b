import type { LocalHub } from '#local/hub';
import type { HubConfig } from '#shared/config';
import { ec2State, type VpcEndpoint } from '#twin/services/ec2/model';
import { parseWorld, type World } from '#twin/world';
import { HUB, HUB_VPC, lifecycleConfig, lifecycleWorld } from '../lifecycle/helpers';
import { LEDGER, ledgerEntry } from '../shared/cross-region-fixture';

/**
 * A small two-region world for cross-region services (issue 21): the us-east-1 hub of the lifecycle tests consumes
 * `ledger`, an endpoint service a provider offers in eu-west-1 to us-east-1 consumers (its SupportedRegions), through
 * the hub's cross-region interface endpoint, which the local runner deploys as the hub stack does (local/hub.ts).
 */

export const PROVIDER = '666666666666';
/** The lifecycle configuration (version 3) whose catalog adds `ledger`, for prod VPCs only. */
export function crossRegionConfig(mode: 'zones' | 'profile' = 'zones'): HubConfig {
  return lifecycleConfig((raw) => {
    raw.version = 3;
    if (mode === 'profile') raw.dns = { mode: 'profile' };
    (raw.endpoints as Record<string, unknown>).ledger = ledgerEntry();
  });
}

/** The lifecycle world with the provider's eu-west-1 service and the hub's ledger security group and zone. */
export function crossRegionWorld(): World {
  // biome-ignore lint/suspicious/noExplicitAny: the world is edited as the JSON document it parses from.
  const world = JSON.parse(JSON.stringify(lifecycleWorld())) as Record<string, any>;
  world.ec2.endpointServices.push({
    id: LEDGER.serviceId,
    ownerId: PROVIDER,
    region: 'eu-west-1',
    serviceName: LEDGER.serviceName,
    acceptanceRequired: false,
    allowedPrincipals: [`arn:aws:iam::${HUB}:root`],
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    supportedRegions: ['us-east-1'],
  });
  const hubVpc = world.ec2.vpcs.find((v: { id: string }) => v.id === HUB_VPC);
  hubVpc.securityGroups.push({
    id: LEDGER.group,
    name: 'endpoint-ledger',
    description: 'cross-region endpoint ledger',
  });
  world.route53.zones.push({
    id: LEDGER.zone,
    name: LEDGER.recordName,
    ownerId: HUB,
    vpcs: [{ vpcId: HUB_VPC, region: 'us-east-1' }],
    comment: 'cross-region endpoint ledger',
  });
  return parseWorld(world);
}

/** The hub's cross-region endpoint of `ledger`, as the local runner deployed it (tagged with its catalog name). */
export function ledgerEndpoint(hub: LocalHub): VpcEndpoint {
  const found = Object.values(ec2State(hub.twin).endpoints).filter(
    (e) => e.vpcId === HUB_VPC && e.tags['spokelink:catalog'] === 'ledger',
  );
  if (found.length !== 1) throw new Error(`expected one ledger endpoint in the hub VPC, found ${found.length}`);
  return found[0]!;
}

/** The hub security groups with an inbound rule for `cidr` on `port`, sorted. */
export function groupsAdmitting(hub: LocalHub, cidr: string, port = 443): string[] {
  return Object.values(ec2State(hub.twin).securityGroups)
    .filter((g) => g.vpcId === HUB_VPC)
    .filter((g) => g.rules.some((r) => !r.isEgress && r.cidr === cidr && r.fromPort === port && r.toPort === port))
    .map((g) => g.id)
    .sort();
}
