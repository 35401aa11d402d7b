import type { RAMClient } from '@aws-sdk/client-ram';
import {
  ConflictError,
  HubProfileNotVisibleError,
  isAwsError,
  PriorRequestNotComplete,
  quotaErrorOf,
} from '#shared/errors';
import type { Plan } from '#shared/plan';
import { profileAssociationsOfVpc } from '#shared/profiles';
import { recordingProgress } from '#shared/progress';
import { forgetInRecord, getRecord, mergeIntoRecord, type RegistryTable } from '#shared/registry';
import type { ProfileAssociationRecord } from '#shared/registry/model';
import { acceptHubShareInvitation, type HubShare } from '#shared/share-invitations';
import type { RemovalTarget } from '#shared/vpc-ref';
import {
  AssociateProfileCommand,
  DisassociateProfileCommand,
  type Route53ProfilesClient,
} from '../../sdk/client-route53profiles';
import type { ProfileRemovalResult, ProfileResult } from './contract';

/**
 * DNS mode `profile` behind the zone states: AssociateZones makes one AssociateProfile per VPC, called by the VPC's
 * account (the spoke role: only a VPC's owner associates a Profile with it), and records the association id (the
 * Profile's owner cannot list its consumers' associations); WaitForConnectivity waits for `COMPLETE`;
 * PruneZoneAssociations / RemoveZoneAssociations / UndoZoneAssociations disassociate what the plan no longer wants.
 * Migration between modes needs no state of its own: the new mode's DNS is put in place by AssociateZones and
 * confirmed by WaitForConnectivity before PruneZoneAssociations removes the old mode's (README, "DNS modes").
 */

export interface ProfileDeps {
  /** Route 53 Profiles as the spoke role (the VPC owner), write session for the VPC. */
  spokeProfiles: () => Promise<Route53ProfilesClient>;
  registry: RegistryTable;
  now: () => number;
}

/** AssociateZones in profile mode: also the spoke's RAM (write session) and the Profile's share, for outside accounts. */
export interface AssociateProfileDeps extends ProfileDeps {
  spokeRam: () => Promise<RAMClient>;
  /** The hub's share of its Profile (`<prefix>-profile`, owned by the hub account). */
  share: Omit<HubShare, 'shareArn' | 'what'>;
}

/**
 * An account outside the organization sees the hub's Profile only once it accepted the invitation to the Profile's
 * share (the organization's accounts need none: "Principals in your organization gain access to shared resources
 * without exchanging invitations", https://docs.aws.amazon.com/ram/latest/userguide/getting-started-sharing.html);
 * the spoke role accepts it first, as it does the TGW share's (#shared/share-invitations).
 */
export async function associateProfile(plan: Plan, deps: AssociateProfileDeps): Promise<ProfileResult> {
  const wanted = plan.profile;
  if (!wanted) throw new Error('associateProfile: the plan has no profile (zones mode)');
  const invitation = plan.externalAccount
    ? {
        profileInvitationAccepted: await acceptHubShareInvitation(
          await deps.spokeRam(),
          { ...deps.share, what: 'the Route 53 Profile share' },
          plan.accountId,
        ),
      }
    : {};
  const spoke = await deps.spokeProfiles();
  const current = await profileAssociationsOfVpc(spoke, plan.vpcId);
  const existing = current.find((a) => a.ProfileId === wanted.profileId && a.Status !== 'DELETING');
  let result: ProfileResult;
  if (existing?.Id) {
    result = { profileAssociationId: existing.Id, profileAssociated: false };
  } else {
    const leaving = current.find((a) => a.Status === 'DELETING');
    if (leaving) {
      throw new PriorRequestNotComplete(
        `${plan.vpcId}'s association with Route 53 Profile ${leaving.ProfileId} is DELETING: it holds the VPC until it is gone`,
      );
    }
    const other = current.find((a) => a.ProfileId !== wanted.profileId);
    if (other) {
      // Validated away; a tenant associated another Profile since (it acts at any moment).
      throw new ConflictError(
        `${plan.vpcId} is associated with Route 53 Profile ${other.ProfileId} (${other.Status}): one Profile per VPC`,
      );
    }
    try {
      const { ProfileAssociation } = await spoke.send(
        new AssociateProfileCommand({
          Name: wanted.associationName,
          ProfileId: wanted.profileId,
          ResourceId: plan.vpcId,
        }),
      );
      if (!ProfileAssociation?.Id) throw new Error('AssociateProfile returned no association id');
      result = { profileAssociationId: ProfileAssociation.Id, profileAssociated: true };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) {
        throw new HubProfileNotVisibleError(
          `account ${plan.accountId} does not see Route 53 Profile ${wanted.profileId} yet: ${(error as Error).message}`,
        );
      }
      if (isAwsError(error, 'ConflictException', 'ResourceExistsException')) {
        throw new ConflictError(
          `associating Route 53 Profile ${wanted.profileId} with ${plan.vpcId}: ${(error as Error).message}`,
        );
      }
      throw quotaErrorOf(error, `associating ${plan.vpcId} with Route 53 Profile ${wanted.profileId}`) ?? error;
    }
  }
  const record: ProfileAssociationRecord = { profileId: wanted.profileId, associationId: result.profileAssociationId };
  await mergeIntoRecord(deps.registry, plan.vpcId, 'profileAssociations', [record], deps.now());
  return { ...result, ...invitation };
}

/**
 * Disassociates the recorded Profile associations that `keep` (a change's plan) does not want; all of them when
 * offboarding. Called as the spoke role: only the VPC's owner can disassociate.
 */
export async function disassociateProfiles(
  vpc: RemovalTarget,
  keep: Plan | undefined,
  deps: ProfileDeps,
): Promise<ProfileRemovalResult> {
  const result: ProfileRemovalResult = { profilesDisassociated: [], profilesVanished: [] };
  const record = await getRecord(deps.registry, vpc.vpcId);
  const candidates = (record?.profileAssociations ?? []).filter((p) => p.profileId !== keep?.profile?.profileId);
  if (candidates.length === 0) return result;
  const forget = () =>
    forgetInRecord(
      deps.registry,
      vpc.vpcId,
      'profileAssociations',
      [...result.profilesDisassociated, ...result.profilesVanished],
      deps.now(),
    );
  await recordingProgress(
    'the Profile associations removed',
    async () => {
      const spoke = await deps.spokeProfiles();
      for (const association of candidates) {
        try {
          await spoke.send(new DisassociateProfileCommand({ ProfileId: association.profileId, ResourceId: vpc.vpcId }));
          result.profilesDisassociated.push(association);
        } catch (error) {
          if (isAwsError(error, 'ResourceNotFoundException')) {
            result.profilesVanished.push(association);
          } else if (isAwsError(error, 'ConflictException')) {
            throw new PriorRequestNotComplete(
              `the association of ${vpc.vpcId} with Route 53 Profile ${association.profileId} is still being created: ${(error as Error).message}`,
            );
          } else {
            throw error;
          }
        }
      }
    },
    forget,
  );
  return result;
}
