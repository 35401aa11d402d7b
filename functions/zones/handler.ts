import * as z from 'zod';
import { hubRoute53 as hubRoute53Client, spokeRam, spokeRoute53, spokeRoute53Profiles } from '#shared/aws';
import { configFromEnv, profileShareName } from '#shared/config';
import { logger } from '#shared/logger';
import { PlanSchema } from '#shared/plan';
import { lambdaHandler } from '#shared/powertools';
import { heldRegistry, registryTable, VpcRefSchema, vpcOfPlan } from '#shared/registry';
import { associateProfile, disassociateProfiles, type ProfileRemovalResult, type ProfileResult } from './profile';
import { removeZoneAssociations, type ZoneRemovalResult } from './remove';
import { associateZones, type ZonesResult } from './zones';

export const Input = z.union([
  /** AssociateZones (no action: the onboarding ASL's original input). */
  z.object({ action: z.literal('associate').optional(), plan: PlanSchema }),
  /** PruneZoneAssociations: after a change, the recorded zones the plan no longer wants. */
  z.object({ action: z.literal('prune'), plan: PlanSchema }),
  /** RemoveZoneAssociations: offboarding, every recorded zone. */
  z.object({ action: z.literal('remove'), vpc: VpcRefSchema }),
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
  ): Promise<ZonesResult | (ZonesResult & ProfileResult) | (ZoneRemovalResult & ProfileRemovalResult)> => {
    const request = Input.parse(input);
    const config = configFromEnv();
    const hubRoute53 = hubRoute53Client(config.hub.region);
    const fence = 'vpc' in request ? request.vpc.fence : request.plan.fence;
    const registry = await heldRegistry(registryTable(config), fence, Date.now());
    if (request.action === 'remove' || request.action === 'prune') {
      const vpc = request.action === 'remove' ? request.vpc : vpcOfPlan(request.plan);
      logger.appendKeys({ vpcId: vpc.vpcId, accountId: vpc.accountId, action: request.action });
      const keep = request.action === 'prune' ? request.plan : undefined;
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
      return { ...zones, ...profiles };
    }
    const { plan } = request;
    logger.appendKeys({ vpcId: plan.vpcId, accountId: plan.accountId });
    const zones = await associateZones(plan, {
      hubRoute53,
      spokeRoute53: () => spokeRoute53(config, plan.accountId, plan.region, { access: 'write', vpcId: plan.vpcId }),
      hubAccountId: config.hub.accountId,
      registry,
      now: () => Date.now(),
    });
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
  },
);
