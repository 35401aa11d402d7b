import {
  type ProfileAssociation,
  paginateListProfileAssociations,
  paginateListProfiles,
  type Route53ProfilesClient,
} from '../../sdk/client-route53profiles';
import { type HubConfig, hubProfileName } from './config';
import { containerCache } from './container-cache';
import { HubProfileMissingError } from './errors';
import type { ConsumerRecord } from './registry/model';

/**
 * DNS mode `profile`: the hub's Route 53 Profile holds the catalog's private hosted zones and is shared through RAM;
 * each spoke VPC's account associates it with the VPC
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profiles.html). "You can associate only one Profile
 * with a VPC" (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53profiles_AssociateProfile.html).
 */

const profileIds = containerCache<string, string>();

/** The id of the hub's Profile, found by its name among the hub account's own Profiles (cached per container). */
export async function hubProfileId(
  config: HubConfig,
  hub: Route53ProfilesClient,
  /** A shard's Profile (functions/shared/shards.ts); absent: the hub's. */
  name = hubProfileName(config),
): Promise<string> {
  const key = `${config.hub.accountId}/${config.hub.region}/${name}`;
  const hit = profileIds.get(key);
  if (hit) return hit;
  for await (const page of paginateListProfiles({ client: hub }, {})) {
    // Shared Profiles are listed too: only the hub's own, never a tenant's of the same name.
    const own = (page.ProfileSummaries ?? []).find(
      (p) => p.Name === name && p.ShareStatus !== 'SHARED_WITH_ME' && p.Arn?.split(':')[4] === config.hub.accountId,
    );
    if (own?.Id) {
      profileIds.set(key, own.Id);
      return own.Id;
    }
  }
  throw new HubProfileMissingError(
    `the hub's Route 53 Profile ${name} does not exist in ${config.hub.accountId} ${config.hub.region}: deploy the hub stack with dns.mode "profile"`,
  );
}

/** Forgets cached Profile ids (tests). */
export function resetProfileIdCache(): void {
  profileIds.clear();
}

/** The Profile associations of a VPC, as its owner sees them (at most one: one Profile per VPC). */
export async function profileAssociationsOfVpc(
  spoke: Route53ProfilesClient,
  vpcId: string,
): Promise<ProfileAssociation[]> {
  const out: ProfileAssociation[] = [];
  for await (const page of paginateListProfileAssociations({ client: spoke }, { ResourceId: vpcId })) {
    out.push(...(page.ProfileAssociations ?? []).filter((a) => a.ResourceId === vpcId));
  }
  return out;
}

/**
 * Whether a member's catalog zones are associated with its VPC directly: in zones mode, and in profile mode for a VPC
 * planned with its own Profile under `dns.existingProfile: "associate-zones"` (the record's `existingProfileId`).
 */
export function directZonesFor(
  config: Pick<HubConfig, 'dns'>,
  record: Pick<ConsumerRecord, 'existingProfileId'> | undefined,
): boolean {
  if (config.dns.mode === 'zones') return true;
  return config.dns.existingProfile === 'associate-zones' && record?.existingProfileId !== undefined;
}

/** `Name` of a VPC's association with the hub's Profile. */
export const profileAssociationName = (config: Pick<HubConfig, 'prefix'>, vpcId: string): string =>
  `${config.prefix}-${vpcId}`;
