import {
  DeleteVPCAssociationAuthorizationCommand,
  DisassociateVPCFromHostedZoneCommand,
  ListVPCAssociationAuthorizationsCommand,
  type Route53Client,
  type VPC,
  type VPCRegion,
} from '@aws-sdk/client-route-53';
import { isAwsError } from '#shared/errors';
import { bareZoneId } from '#shared/hosted-zones';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import { recordingProgress } from '#shared/progress';
import { forgetInRecord, getRecord, type RegistryTable } from '#shared/registry';
import type { RemovalTarget } from '#shared/vpc-ref';
import type { ZoneRemovalResult } from './contract';

/**
 * RemoveZoneAssociations (offboarding) and PruneZoneAssociations (after a change): the hub, as the zones' owner,
 * disassociates the VPC from every recorded zone the plan no longer wants (Route 53 accepts the request from either
 * the zone's or the VPC's account:
 * https://docs.aws.amazon.com/Route53/latest/APIReference/API_DisassociateVPCFromHostedZone.html). The hub does it so
 * that a deleted VPC's associations are cleaned up too: Route 53 does not document removing them when the VPC is
 * deleted, and a deleted VPC's id is known to stay listed on the zone
 * (https://github.com/hashicorp/terraform-provider-aws/issues/2832). The zone's last VPC is never removed
 * (`LastVPCAssociation`): it is reported and stays recorded. Offboarding also deletes any authorization a failed
 * onboarding left for the VPC on the zones of its services.
 */

export interface ZoneRemovalDeps {
  hubRoute53: Route53Client;
  /** Zone ids of each catalog endpoint (authorizations a failed onboarding may have left are looked for there). */
  zonesOfEndpoint: (endpoint: string) => string[];
  registry: RegistryTable;
  now: () => number;
}

/** Disassociates the recorded zones that `keep` (a change's plan) does not want; all of them when offboarding. */
export async function removeZoneAssociations(vpc: RemovalTarget, keep: Plan | undefined, deps: ZoneRemovalDeps) {
  const result: ZoneRemovalResult = { disassociated: [], vanished: [], retained: [], authorizationsDeleted: [] };
  const record = await getRecord(deps.registry, vpc.vpcId);
  if (!record) return result;
  const wanted = new Set((keep?.zones ?? []).map((z) => z.zoneId));
  const candidates = (record.zones ?? []).filter((z) => !wanted.has(z.zoneId));
  const ref: VPC = { VPCId: vpc.vpcId, VPCRegion: vpc.region as VPCRegion };

  const forget = () =>
    forgetInRecord(deps.registry, vpc.vpcId, 'zones', [...result.disassociated, ...result.vanished], deps.now());
  await recordingProgress(
    'the zones disassociated',
    async () => {
      for (const zone of candidates) {
        try {
          await deps.hubRoute53.send(new DisassociateVPCFromHostedZoneCommand({ HostedZoneId: zone.zoneId, VPC: ref }));
          result.disassociated.push(zone);
        } catch (error) {
          if (isAwsError(error, 'VPCAssociationNotFound', 'NoSuchHostedZone')) {
            result.vanished.push(zone);
          } else if (isAwsError(error, 'LastVPCAssociation')) {
            logger.warn('the VPC is the last one of the zone: the association stays', { zoneId: zone.zoneId });
            result.retained.push({ ...zone, reason: `last VPC of zone ${zone.zoneName} (Route 53 keeps one)` });
          } else if (isAwsError(error, 'InvalidVPCId') && !vpc.exists) {
            // Route 53 may refuse to name a VPC that no longer exists: there is nothing left to resolve in it.
            result.vanished.push(zone);
          } else {
            throw error;
          }
        }
      }
      if (!keep) await deleteLeftAuthorizations(vpc, ref, [...(record.services ?? [])], deps, result);
    },
    forget,
  );
  return result;
}

/** Authorizations are deleted right after associating; an onboarding that failed in between leaves one behind. */
async function deleteLeftAuthorizations(
  vpc: RemovalTarget,
  ref: VPC,
  services: string[],
  deps: ZoneRemovalDeps,
  result: ZoneRemovalResult,
): Promise<void> {
  const zoneIds = [...new Set(services.flatMap((s) => deps.zonesOfEndpoint(s)).map(bareZoneId))].sort();
  for (const zoneId of zoneIds) {
    // The SDK has no paginator for ListVPCAssociationAuthorizations (its model declares none).
    let NextToken: string | undefined;
    let authorized = false;
    do {
      const page = await deps.hubRoute53.send(
        new ListVPCAssociationAuthorizationsCommand({ HostedZoneId: zoneId, NextToken }),
      );
      authorized ||= (page.VPCs ?? []).some((v) => v.VPCId === vpc.vpcId && v.VPCRegion === vpc.region);
      NextToken = page.NextToken;
    } while (NextToken && !authorized);
    if (!authorized) continue;
    try {
      await deps.hubRoute53.send(new DeleteVPCAssociationAuthorizationCommand({ HostedZoneId: zoneId, VPC: ref }));
      result.authorizationsDeleted.push(zoneId);
    } catch (error) {
      if (!isAwsError(error, 'VPCAssociationAuthorizationNotFound')) throw error;
    }
  }
}
