import * as z from 'zod';
import { hubRoute53 as hubRoute53Client, spokeEc2, spokeRoute53, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable, VpcRefSchema, vpcOfPlan } from '#shared/registry';
import { associateProfile, disassociateProfiles, type ProfileRemovalResult, type ProfileResult } from './profile';
import { removeZoneAssociations, type ZoneRemovalResult } from './remove';
import {
  createSpokeEndpoints,
  removeSpokeEndpoints,
  type SpokeEndpointRemovalResult,
  type SpokeEndpointResult,
} from './spoke-endpoints';
import { associateZones, type ZonesResult } from './zones';

export const Input = z.union([
  /** AssociateZones (no action: the onboarding ASL's original input). */
  z.object({ action: z.literal('associate').optional(), plan: PlanSchema }),
  /** PruneZoneAssociations: after a change, the recorded zones the plan no longer wants. */
  z.object({ action: z.literal('prune'), plan: PlanSchema }),
  /** RemoveZoneAssociations: offboarding, every recorded zone. */
  z.object({ action: z.literal('remove'), vpc: VpcRefSchema }),
  /** CreateSpokeEndpoints: the interface endpoints of the plan's local services, in the spoke VPC. */
  z.object({ action: z.literal('endpoints'), plan: PlanSchema }),
]);

/**
 * AssociateZones `{ plan }` -> the zones associated now and those already associated, and in DNS mode `profile` the
 * VPC's association with the hub's Profile (./profile.ts); PruneZoneAssociations `{ action: 'prune', plan }` and
 * RemoveZoneAssociations `{ action: 'remove', vpc }` -> what was disassociated, zones and Profile associations.
 */
export const handler = lambdaHandler(
  'zones',
  async (
    input: unknown,
  ): Promise<
    | ZonesResult
    | (ZonesResult & ProfileResult)
    | (ZoneRemovalResult & ProfileRemovalResult & { spokeEndpoints: SpokeEndpointRemovalResult })
    | SpokeEndpointResult
  > => {
    const request = Input.parse(input);
    const config = configFromEnv();
    const hubRoute53 = hubRoute53Client(config.hub.region);
    const fence = 'vpc' in request ? request.vpc.fence : request.plan.fence;
    const registry = await heldRegistry(registryTable(config), fence, Date.now());
    if (request.action === 'remove' || request.action === 'prune') {
      const vpc = request.action === 'remove' ? request.vpc : vpcOfPlan(request.plan);
      logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: request.action });
      const keep = request.action === 'prune' ? request.plan : undefined;
      // First the VPC's own endpoints for services it no longer serves locally (a deleted VPC took them with it): a
      // retry while one is still being deleted (SpokeEndpointDeletingError) then repeats no zone removal.
      const spokeEndpoints = await removeSpokeEndpoints(vpc, keep, {
        spokeEc2: () => spokeEc2(config, vpc.accountId, vpc.region, { access: 'write', vpcId: vpc.vpcId }),
        registry,
        now: () => Date.now(),
      });
      const zones = await removeZoneAssociations(vpc, keep, {
        hubRoute53,
        zonesOfEndpoint: (endpoint) => config.endpoints[endpoint]?.privateHostedZoneIds ?? [],
        registry,
        now: () => Date.now(),
      });
      const profiles = await disassociateProfiles(vpc, keep, {
        spokeProfiles: () =>
          spokeRoute53Profiles(config, vpc.accountId, vpc.region, { access: 'write', vpcId: vpc.vpcId }),
        registry,
        now: () => Date.now(),
      });
      return { ...zones, ...profiles, spokeEndpoints };
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
    const zones = await associateZones(plan, {
      hubRoute53,
      spokeRoute53: () => spokeRoute53(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
      hubAccountId: config.hub.accountId,
      registry,
      now: () => Date.now(),
    });
    if (!plan.profile) return zones;
    const profile = await associateProfile(plan, {
      spokeProfiles: () =>
        spokeRoute53Profiles(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
      registry,
      now: () => Date.now(),
    });
    return { ...zones, ...profile };
  },
);
