import { hubRoute53 as hubRoute53Client, spokeEc2, spokeRam, spokeRoute53, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv, profileShareName } from '#shared/config';
import { inputSchema, type OutputOf } from '#shared/contract';
import { logger } from '#shared/logger';
import { lambdaHandler } from '#shared/powertools';
import { getRecord, registryTable } from '#shared/registry';
import { zonesOfEndpointAnywhere } from '#shared/shards';
import { registryOfRequest, removalOf } from '#shared/step-request';
import { ZonesContract } from './contract';
import { enableMovedPrivateDns, endpointsAwaitingPrivateDns, releaseMovedPrivateDns } from './moves';
import { associateProfile, disassociateProfiles } from './profile';
import { removeZoneAssociations } from './remove';
import { createSpokeEndpoints, removeSpokeEndpoints } from './spoke-endpoints';
import { associateZones } from './zones';

export const Input = inputSchema(ZonesContract);

/**
 * AssociateZones `{ plan }` -> the zones associated now and those already associated, and in DNS mode `profile` the
 * VPC's association with the hub's Profile (./profile.ts); PruneZoneAssociations `{ action: 'prune', plan }` and
 * RemoveZoneAssociations `{ action: 'remove', vpc }` -> what was disassociated, zones and Profile associations, and
 * the VPC's own endpoints removed first; CreateSpokeEndpoints `{ action: 'endpoints', plan }` -> the local services'
 * endpoints in the spoke VPC (./spoke-endpoints.ts). Moves between hub and spoke (./moves.ts): AssociateZones first
 * turns off the private DNS of an endpoint whose service returns to the hub; PruneZoneAssociations waits for an
 * endpoint made for a service moving to the spoke, then turns its private DNS on once the hub's zone is gone.
 */
export const handler = lambdaHandler('zones', async (input: unknown): Promise<OutputOf<typeof ZonesContract>> => {
  const request = Input.parse(input);
  const config = configFromEnv();
  const hubRoute53 = hubRoute53Client(config.hub.region);
  const registry = await registryOfRequest(registryTable(config), request);
  if (request.action === 'remove' || request.action === 'prune') {
    const { vpc, keep } = removalOf(request);
    const writeEc2 = () => spokeEc2(config, vpc.accountId, vpc.region, { access: 'write', vpcId: vpc.vpcId });
    // A service moving to the spoke keeps its hub zone until the endpoint made for it is available (./moves.ts).
    const awaiting = keep
      ? await endpointsAwaitingPrivateDns(keep, await getRecord(registry, vpc.vpcId), { spokeEc2: writeEc2 })
      : [];
    // First the VPC's own endpoints for services it no longer serves locally (a deleted VPC took them with it): a
    // retry while one is still being deleted (SpokeEndpointDeletingError) then repeats no zone removal.
    const spokeEndpoints = await removeSpokeEndpoints(vpc, keep, {
      spokeEc2: writeEc2,
      registry,
      now: () => Date.now(),
    });
    const zones = await removeZoneAssociations(vpc, keep, {
      hubRoute53,
      zonesOfEndpoint: (endpoint) => zonesOfEndpointAnywhere(config, endpoint),
      registry,
      now: () => Date.now(),
    });
    // hub -> spoke: the hub's zone is gone, the endpoint takes the name now.
    const privateDnsEnabled =
      awaiting.length > 0
        ? await enableMovedPrivateDns(awaiting, await getRecord(registry, vpc.vpcId), { spokeEc2: writeEc2 })
        : [];
    const profiles = await disassociateProfiles(vpc, keep, {
      spokeProfiles: () =>
        spokeRoute53Profiles(config, vpc.accountId, vpc.region, { access: 'write', vpcId: vpc.vpcId }),
      registry,
      now: () => Date.now(),
    });
    return { ...zones, ...profiles, spokeEndpoints, ...(privateDnsEnabled.length > 0 ? { privateDnsEnabled } : {}) };
  }
  const { plan } = request;
  if (request.action === 'endpoints') {
    logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId, action: request.action });
    return createSpokeEndpoints(plan, {
      config,
      spokeEc2: () => spokeEc2(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
      registry,
      now: () => Date.now(),
    });
  }
  logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
  // spoke -> hub: the VPC's endpoint gives up the name just before the hub's zone takes it (./moves.ts).
  const privateDnsReleased = await releaseMovedPrivateDns(plan, await getRecord(registry, plan.vpcId), {
    spokeEc2: () => spokeEc2(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
  });
  const associated = await associateZones(plan, {
    hubRoute53,
    spokeRoute53: () => spokeRoute53(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
    hubAccountId: config.hub.accountId,
    registry,
    now: () => Date.now(),
  });
  const zones = { ...associated, ...(privateDnsReleased.length > 0 ? { privateDnsReleased } : {}) };
  if (!plan.profile) return zones;
  const scope = { access: 'write', vpcId: plan.vpcId } as const;
  const profile = await associateProfile(plan, {
    spokeProfiles: () => spokeRoute53Profiles(config, plan.accountId, plan.region, scope),
    spokeRam: () => spokeRam(config, plan.accountId, plan.region, scope),
    share: { ownerAccountId: config.hub.accountId, name: profileShareName(config) },
    registry,
    now: () => Date.now(),
  });
  return { ...zones, ...profile };
});
