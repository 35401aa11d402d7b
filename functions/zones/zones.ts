import {
  AssociateVPCWithHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  DeleteVPCAssociationAuthorizationCommand,
  type Route53Client,
  type VPC,
  type VPCRegion,
} from '@aws-sdk/client-route-53';
import { ConflictError, isAwsError, quotaErrorOf, ZoneAuthorizationsFullError } from '#shared/errors';
import { bareZoneId, bareZoneName, zonesOfVpc } from '#shared/hosted-zones';
import { logger } from '#shared/logger';
import type { Plan, ZonePlan } from '#shared/plan';
import { getRecord, mergeIntoRecord, type RegistryTable } from '#shared/registry';
import type { ZoneRecord } from '#shared/registry/model';
import type { ZonesResult } from './contract';

/**
 * AssociateZones: for each planned private hosted zone, the cross-account association dance
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-associate-vpcs-different-accounts.html):
 * the hub (zone owner) authorizes the VPC, the spoke (VPC owner) associates it, the hub deletes the authorization
 * (it only gates future associations). A zone the VPC is already associated with is success. `ConflictingDomainExists`
 * (another zone of the same name is associated) is a ConflictError naming the zone; `PriorRequestNotComplete` and
 * throttling propagate for the ASL to retry.
 *
 * At scale, one zone is the bottleneck: Route 53 processes one VPC association change per zone at a time (others get
 * `PriorRequestNotComplete`), and a zone holds at most 100 authorizations
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html). So:
 * - the spoke tries to associate first and the hub authorizes only when the spoke is not authorized yet: a retried
 *   step that waits for a busy zone costs the spoke's own Route 53 bucket, not the hub's (one account-wide bucket of
 *   10 calls per second shared by every onboarding);
 * - zones are handled one at a time, so a VPC holds at most one authorization while it waits, starting at a zone that
 *   depends on the VPC id so that concurrent onboardings spread over the zones;
 * - a zone whose 100 authorizations are taken (by other onboardings waiting for it) is ZoneAuthorizationsFullError,
 *   which the ASL retries patiently;
 * - an authorization is never left behind: deleted after the association, after a conflict or a reached quota, and,
 *   when a retried step finds a zone associated that its record does not list yet, deleted then (the previous attempt
 *   may have associated and failed before deleting).
 */

export interface ZonesDeps {
  hubRoute53: Route53Client;
  /** Route 53 client of the spoke role (the VPC owner). */
  spokeRoute53: () => Promise<Route53Client>;
  hubAccountId: string;
  registry: RegistryTable;
  now: () => number;
}

async function deleteAuthorization(route53: Route53Client, zoneId: string, vpc: VPC): Promise<void> {
  try {
    await route53.send(new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: zoneId, VPC: vpc }));
  } catch (error) {
    if (!isAwsError(error, 'VPCAssociationAuthorizationNotFound')) throw error;
  }
}

/** The planned zones, starting at one chosen by the VPC id (spreads concurrent onboardings over the zones). */
export function zoneOrder<T>(zones: readonly T[], vpcId: string): T[] {
  if (zones.length < 2) return [...zones];
  let hash = 0;
  for (const char of vpcId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const start = hash % zones.length;
  return [...zones.slice(start), ...zones.slice(0, start)];
}

/** Associates the VPC with every planned zone; records each association (also when failing half-way). */
export async function associateZones(plan: Plan, deps: ZonesDeps): Promise<ZonesResult> {
  const result: ZonesResult = { associated: [], alreadyAssociated: [], changeIds: [] };
  if (plan.zones.length === 0) return result;
  const spoke = await deps.spokeRoute53();
  const vpc: VPC = { VPCId: plan.vpcId, VPCRegion: plan.region as VPCRegion };
  // Same account (hub and spoke): no authorization is needed, or possible, for one's own VPC.
  const crossAccount = plan.accountId !== deps.hubAccountId;
  // Results in plan order, whatever order the zones were handled in.
  const inPlanOrder = (zones: ZoneRecord[]) => plan.zones.filter((z) => zones.some((x) => x.zoneId === z.zoneId));
  const record = () =>
    mergeIntoRecord(
      deps.registry,
      plan.vpcId,
      'zones',
      inPlanOrder([...result.alreadyAssociated, ...result.associated]),
      deps.now(),
    );

  // Zones the record lists (read only when a zone is found associated already).
  let recorded: Set<string> | undefined;
  try {
    const associatedIds = new Set(
      (await zonesOfVpc(spoke, plan.vpcId, plan.region)).map((z) => bareZoneId(z.HostedZoneId ?? '')),
    );
    for (const zone of zoneOrder(plan.zones, plan.vpcId)) {
      if (associatedIds.has(zone.zoneId)) {
        if (crossAccount) {
          recorded ??= new Set(((await getRecord(deps.registry, plan.vpcId))?.zones ?? []).map((z) => z.zoneId));
          // Associated by an attempt that failed before deleting the authorization (or out of band): clean up.
          if (!recorded.has(zone.zoneId)) await deleteAuthorization(deps.hubRoute53, zone.zoneId, vpc);
        }
        result.alreadyAssociated.push(zone);
        continue;
      }
      const changeId = await associateOne(zone, vpc, crossAccount, spoke, deps);
      if (changeId) result.changeIds.push(changeId);
      result.associated.push(zone);
    }
  } catch (error) {
    // A retried step that waits for a busy zone made nothing new: no write (one per attempt would add up).
    const unrecorded = result.alreadyAssociated.some((z) => !recorded?.has(z.zoneId));
    if (result.associated.length > 0 || unrecorded) {
      await record().catch((recordError: unknown) =>
        logger.error('could not record the zones associated before the failure', { recordError }),
      );
    }
    throw error;
  }
  await record();
  return {
    associated: inPlanOrder(result.associated),
    alreadyAssociated: inPlanOrder(result.alreadyAssociated),
    changeIds: result.changeIds,
  };
}

async function authorize(zone: ZonePlan, vpc: VPC, deps: ZonesDeps): Promise<void> {
  try {
    await deps.hubRoute53.send(new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: zone.zoneId, VPC: vpc }));
  } catch (error) {
    if (isAwsError(error, 'TooManyVPCAssociationAuthorizations')) {
      throw new ZoneAuthorizationsFullError(
        `zone ${zone.zoneName} (${zone.zoneId}) holds the maximum of VPC association authorizations: other ` +
          `onboardings are waiting for it (${(error as Error).message})`,
      );
    }
    throw quotaErrorOf(error, `authorizing ${vpc.VPCId} on zone ${zone.zoneName}`) ?? error;
  }
}

async function associateOne(
  zone: ZonePlan,
  vpc: VPC,
  crossAccount: boolean,
  spoke: Route53Client,
  deps: ZonesDeps,
): Promise<string | undefined> {
  const associate = () => spoke.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zone.zoneId, VPC: vpc }));
  let changeId: string | undefined;
  try {
    try {
      changeId = (await associate()).ChangeInfo?.Id;
    } catch (error) {
      // Not authorized yet (the first attempt): the hub authorizes, the spoke associates again.
      if (!crossAccount || !isAwsError(error, 'NotAuthorizedException')) throw error;
      await authorize(zone, vpc, deps);
      changeId = (await associate()).ChangeInfo?.Id;
    }
  } catch (error) {
    if (isAwsError(error, 'ConflictingDomainExists')) {
      // Route 53 also answers this for a repeated association of the same zone (a retried invocation): look again.
      const now = await zonesOfVpc(spoke, vpc.VPCId!, vpc.VPCRegion!);
      if (!now.some((z) => bareZoneId(z.HostedZoneId ?? '') === zone.zoneId)) {
        const other = now.find((z) => bareZoneName(z.Name ?? '') === zone.zoneName);
        if (crossAccount) await deleteAuthorization(deps.hubRoute53, zone.zoneId, vpc);
        throw new ConflictError(
          `zone ${zone.zoneName} (${zone.zoneId}, endpoint ${zone.endpoint}): ${vpc.VPCId} is already associated ` +
            `with another zone of that name${other ? ` (${bareZoneId(other.HostedZoneId ?? '')})` : ''}`,
        );
      }
    } else {
      const quota = quotaErrorOf(error, `associating ${vpc.VPCId} with zone ${zone.zoneName}`);
      // A zone that cannot take the VPC (300 VPCs per zone): its authorization is of no use, nothing is left half-made.
      if (quota && crossAccount) await deleteAuthorization(deps.hubRoute53, zone.zoneId, vpc);
      // Anything else (PriorRequestNotComplete, throttling) is retried: the authorization is kept for the next attempt.
      throw quota ?? error;
    }
  }
  if (crossAccount) await deleteAuthorization(deps.hubRoute53, zone.zoneId, vpc);
  return changeId;
}
