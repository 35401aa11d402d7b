import {
  AcceptResourceShareInvitationCommand,
  paginateGetResourceShareInvitations,
  type RAMClient,
  type ResourceShareInvitation,
} from '@aws-sdk/client-ram';
import { ShareInvitationPendingError, ShareInvitationRejectedError } from '#shared/errors';
import { isAwsError } from './errors';

/**
 * An account outside the organization receives a hub RAM share (the TGW's, the Route 53 Profile's) as an invitation
 * that must be accepted ("Accepting and rejecting resource share invitations",
 * https://docs.aws.amazon.com/ram/latest/userguide/working-with-shared-invitations.html). Accepted as the spoke role,
 * and only an invitation to the hub's share: sent by the hub account, for the share of that name (and ARN, when the
 * hub knows it). An invitation from any other account, whatever its share is called, is never accepted; the spoke
 * role's grant says the same (`ram:ShareOwnerAccountId`, `ram:ResourceShareName`).
 */
export interface HubShare {
  /** The hub account: the share's owner, the invitation's sender. */
  ownerAccountId: string;
  /** `<prefix>-tgw`, `<prefix>-profile`. */
  name: string;
  /** When the hub read it (the TGW share): only that share's invitations are listed. */
  shareArn?: string;
  /** For messages: `the TGW share`, `the Route 53 Profile share`. */
  what: string;
}

/** The spoke account's invitations to the hub's share (all pages). */
async function invitationsTo(ram: RAMClient, share: HubShare): Promise<ResourceShareInvitation[]> {
  const out: ResourceShareInvitation[] = [];
  const filter = share.shareArn ? { resourceShareArns: [share.shareArn] } : {};
  for await (const page of paginateGetResourceShareInvitations({ client: ram }, filter)) {
    out.push(
      ...(page.resourceShareInvitations ?? []).filter(
        (i) => i.senderAccountId === share.ownerAccountId && i.resourceShareName === share.name,
      ),
    );
  }
  return out;
}

/**
 * Accepts the spoke account's pending invitation to the hub's share; false when it was accepted before.
 * ShareInvitationPendingError (transient: the invitation appears shortly after the principal is added) when none
 * arrived yet; ShareInvitationRejectedError when it was rejected or expired (a person must act).
 */
export async function acceptHubShareInvitation(ram: RAMClient, share: HubShare, accountId: string): Promise<boolean> {
  const invitations = await invitationsTo(ram, share);
  const pending = invitations.find((i) => i.status === 'PENDING');
  if (pending?.resourceShareInvitationArn) {
    try {
      await ram.send(
        new AcceptResourceShareInvitationCommand({ resourceShareInvitationArn: pending.resourceShareInvitationArn }),
      );
    } catch (error) {
      if (!isAwsError(error, 'ResourceShareInvitationAlreadyAcceptedException')) throw error;
    }
    return true;
  }
  if (invitations.some((i) => i.status === 'ACCEPTED')) return false;
  if (invitations.length > 0) {
    const states = invitations.map((i) => i.status).join(', ');
    throw new ShareInvitationRejectedError(
      `account ${accountId}'s invitation to ${share.what} is ${states}: remove and re-add the principal`,
    );
  }
  throw new ShareInvitationPendingError(`no invitation to ${share.what} has reached account ${accountId} yet`);
}
