import {
  AssociateVPCWithHostedZoneCommand,
  CreateVPCAssociationAuthorizationCommand,
  DeleteVPCAssociationAuthorizationCommand,
  type Route53Client,
  type VPC,
  type VPCRegion,
} from '@aws-sdk/client-route-53';
import { ConflictError, isAwsError } from '#shared/errors';
import { bareZoneId, bareZoneName, zonesOfVpc } from '#shared/hosted-zones';
import { logger } from '#shared/logger';
import type { Plan, ZonePlan } from '#shared/plan';
import { mergeIntoRecord, type RegistryTable } from '#shared/registry';
import type { ZoneRecord } from '#shared/registry-model';
import { quotaErrorOf } from '#shared/workflow-errors';

/**
 * AssociateZones: for each planned private hosted zone, the cross-account association dance
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-associate-vpcs-different-accounts.html):
 * the hub (zone owner) authorizes the VPC, the spoke (VPC owner) associates it, the hub deletes the authorization
 * (it only gates future associations). A zone the VPC is already associated with is success. `ConflictingDomainExists`
 * (another zone of the same name is associated) is a ConflictError naming the zone; `PriorRequestNotComplete` and
 * throttling propagate for the ASL to retry (authorizing again is harmless).
 */

export interface ZonesDeps {
  hubRoute53: Route53Client;
  /** Route 53 client of the spoke role (the VPC owner). */
  spokeRoute53: () => Promise<Route53Client>;
  hubAccountId: string;
  registry: RegistryTable;
  now: () => number;
}

export interface ZonesResult {
  associated: ZoneRecord[];
  alreadyAssociated: ZoneRecord[];
}

async function deleteAuthorization(route53: Route53Client, zoneId: string, vpc: VPC): Promise<void> {
  try {
    await route53.send(new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: zoneId, VPC: vpc }));
  } catch (error) {
    if (!isAwsError(error, 'VPCAssociationAuthorizationNotFound')) throw error;
  }
}

/** Associates the VPC with every planned zone; records each association (also when failing half-way). */
export async function associateZones(plan: Plan, deps: ZonesDeps): Promise<ZonesResult> {
  const result: ZonesResult = { associated: [], alreadyAssociated: [] };
  if (plan.zones.length === 0) return result;
  const spoke = await deps.spokeRoute53();
  const vpc: VPC = { VPCId: plan.vpcId, VPCRegion: plan.region as VPCRegion };
  // Same account (hub and spoke): no authorization is needed, or possible, for one's own VPC.
  const crossAccount = plan.accountId !== deps.hubAccountId;
  const record = () =>
    mergeIntoRecord(
      deps.registry,
      plan.vpcId,
      'zones',
      [...result.alreadyAssociated, ...result.associated],
      deps.now(),
    );

  try {
    const associatedIds = new Set(
      (await zonesOfVpc(spoke, plan.vpcId, plan.region)).map((z) => bareZoneId(z.HostedZoneId ?? '')),
    );
    for (const zone of plan.zones) {
      if (associatedIds.has(zone.zoneId)) {
        result.alreadyAssociated.push(zone);
        continue;
      }
      await associateOne(zone, vpc, crossAccount, spoke, deps);
      result.associated.push(zone);
    }
  } catch (error) {
    await record().catch((recordError: unknown) =>
      logger.error('could not record the zones associated before the failure', { recordError }),
    );
    throw error;
  }
  await record();
  return result;
}

async function associateOne(
  zone: ZonePlan,
  vpc: VPC,
  crossAccount: boolean,
  spoke: Route53Client,
  deps: ZonesDeps,
): Promise<void> {
  if (crossAccount) {
    try {
      await deps.hubRoute53.send(new CreateVPCAssociationAuthorizationCommand({ HostedZoneId: zone.zoneId, VPC: vpc }));
    } catch (error) {
      throw quotaErrorOf(error, `authorizing ${vpc.VPCId} on zone ${zone.zoneName}`) ?? error;
    }
  }
  try {
    await spoke.send(new AssociateVPCWithHostedZoneCommand({ HostedZoneId: zone.zoneId, VPC: vpc }));
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
      throw quotaErrorOf(error, `associating ${vpc.VPCId} with zone ${zone.zoneName}`) ?? error;
    }
  }
  if (crossAccount) await deleteAuthorization(deps.hubRoute53, zone.zoneId, vpc);
}
