import {
  DeleteTransitGatewayVpcAttachmentCommand,
  type EC2Client,
  paginateDescribeTransitGatewayAttachments,
  type TransitGatewayAttachment,
} from '@aws-sdk/client-ec2';
import {
  AssociateResourceShareCommand,
  DisassociateResourceShareCommand,
  GetResourceShareAssociationsCommand,
  type RAMClient,
} from '@aws-sdk/client-ram';
import { AttachmentNotReadyError, isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import { forgetAttachment, getRecord, otherVpcsUsingAccountGrants, type RegistryTable } from '#shared/registry';
import type { RemovalTarget } from '#shared/vpc-ref';
import type { AttachmentRemovalResult, UnshareResult } from './contract';
import { removeStaticRoutes } from './static-routes';
import { findShare } from './transit-gateway';

/**
 * Offboarding, Transit Gateway side (hub account: the TGW owner may delete any attachment to its TGW):
 * - DeleteAttachment: the VPC's attachment to the hub TGW (the recorded one, and any other live attachment of the VPC
 *   to this TGW: there is at most one, and it is there only because spokelink created or adopted it), after the hub's
 *   static routes to it (./static-routes.ts). Its association goes with it. Called after the spoke routes through it are gone. An attachment
 *   still `pending` or `modifying` cannot be deleted yet: AttachmentNotReadyError, retried by the ASL.
 * - UnshareTransitGateway: the account leaves the spokelink TGW share when no other VPC of the account still uses it
 *   (checked again after, as for endpoint service principals). Never for the hub account, and never for an account of
 *   the organization when the TGW is shared with the organization: onboarding added nothing for it, and the
 *   organization share belongs to the hub stack.
 */

export interface AttachmentRemovalDeps {
  hub: { ec2: EC2Client; ram: RAMClient };
  transitGatewayId: string;
  hubAccountId: string;
  shareName: string;
  /** The configuration shares the TGW with the organization (`organizationShareOf(config) !== undefined`). */
  sharedWithOrganization: boolean;
  /** `organization.externalAccounts`: every other account is a member of the organization (as validation treats it). */
  externalAccounts: readonly string[];
  /** Every hub TGW route table that may hold the VPC's static routes (`hubRouteTableIds(config)`). */
  hubRouteTableIds: readonly string[];
  registry: RegistryTable;
  now: () => number;
}

const DELETABLE = new Set(['available', 'pendingAcceptance', 'failed', 'rejected']);
const GONE = new Set(['deleting', 'deleted', 'rejecting', 'failing', 'rollingBack']);

async function attachmentsOfVpc(
  ec2: EC2Client,
  vpc: RemovalTarget,
  tgwId: string,
): Promise<TransitGatewayAttachment[]> {
  const out: TransitGatewayAttachment[] = [];
  const Filters = [
    { Name: 'transit-gateway-id', Values: [tgwId] },
    { Name: 'resource-id', Values: [vpc.vpcId] },
  ];
  for await (const page of paginateDescribeTransitGatewayAttachments({ client: ec2 }, { Filters })) {
    out.push(...(page.TransitGatewayAttachments ?? []));
  }
  return out;
}

/** Deletes the VPC's attachment to the hub TGW; the record forgets it. */
export async function deleteAttachment(
  vpc: RemovalTarget,
  deps: AttachmentRemovalDeps,
): Promise<AttachmentRemovalResult> {
  const result: AttachmentRemovalResult = { deleted: [], routesRemoved: [], alreadyGone: [] };
  const record = await getRecord(deps.registry, vpc.vpcId);
  const found = await attachmentsOfVpc(deps.hub.ec2, vpc, deps.transitGatewayId);
  const ids = new Set(found.map((a) => a.TransitGatewayAttachmentId).filter((id): id is string => id !== undefined));
  if (record?.attachmentId && !ids.has(record.attachmentId)) result.alreadyGone.push(record.attachmentId);
  // The hub's static routes to the VPC go first: a route to a deleted attachment would stay as a blackhole, counting
  // against the TGW's route quota and holding the CIDR's destination in the table.
  const attachmentIds = [...new Set([...ids, ...(record?.attachmentId ? [record.attachmentId] : [])])].sort();
  const removed = await removeStaticRoutes(deps.hub.ec2, deps.hubRouteTableIds, attachmentIds);
  result.routesRemoved.push(...removed.map((r) => `${r.routeTableId} ${r.cidr}`));

  for (const attachment of found) {
    const id = attachment.TransitGatewayAttachmentId!;
    const state = attachment.State ?? '';
    if (GONE.has(state)) {
      result.alreadyGone.push(id);
      continue;
    }
    if (!DELETABLE.has(state)) {
      throw new AttachmentNotReadyError(`${id} of ${vpc.vpcId} is ${state}: it can be deleted once it settles`);
    }
    try {
      await deps.hub.ec2.send(new DeleteTransitGatewayVpcAttachmentCommand({ TransitGatewayAttachmentId: id }));
      result.deleted.push(id);
    } catch (error) {
      if (!isAwsError(error, 'InvalidTransitGatewayAttachmentID.NotFound')) throw error;
      result.alreadyGone.push(id);
    }
  }
  await forgetAttachment(deps.registry, vpc.vpcId, deps.now());
  logger.info('attachment removed', { ...result });
  return result;
}

async function principalStatus(ram: RAMClient, shareArn: string, accountId: string): Promise<string | undefined> {
  const { resourceShareAssociations = [] } = await ram.send(
    new GetResourceShareAssociationsCommand({
      associationType: 'PRINCIPAL',
      resourceShareArns: [shareArn],
      principal: accountId,
    }),
  );
  return resourceShareAssociations.find((a) => a.associatedEntity === accountId)?.status;
}

/** Removes the account from the spokelink TGW share when none of its VPCs uses the TGW any more. */
export async function unshareTransitGateway(vpc: RemovalTarget, deps: AttachmentRemovalDeps): Promise<UnshareResult> {
  if (vpc.accountId === deps.hubAccountId) return { unshared: false, kept: 'the VPC is in the hub account' };
  if (deps.sharedWithOrganization && !deps.externalAccounts.includes(vpc.accountId)) {
    return { unshared: false, kept: 'the account sees the TGW through the organization share' };
  }
  const users = await otherVpcsUsingAccountGrants(deps.registry, vpc.accountId, vpc.vpcId);
  if (users.length > 0) return { unshared: false, kept: `still used by ${users.join(', ')}` };
  const share = await findShare(deps.hub.ram, deps.shareName);
  if (!share?.resourceShareArn) return { unshared: false, kept: `no share named ${deps.shareName}` };
  const status = await principalStatus(deps.hub.ram, share.resourceShareArn, vpc.accountId);
  if (status !== 'ASSOCIATED' && status !== 'ASSOCIATING') return { unshared: false, kept: 'not a principal' };
  try {
    await deps.hub.ram.send(
      new DisassociateResourceShareCommand({ resourceShareArn: share.resourceShareArn, principals: [vpc.accountId] }),
    );
  } catch (error) {
    if (!isAwsError(error, 'UnknownResourceException')) throw error;
  }
  const lateUsers = await otherVpcsUsingAccountGrants(deps.registry, vpc.accountId, vpc.vpcId);
  if (lateUsers.length > 0) {
    logger.info('another VPC of the account began onboarding meanwhile: the account is shared again', { lateUsers });
    await deps.hub.ram.send(
      new AssociateResourceShareCommand({ resourceShareArn: share.resourceShareArn, principals: [vpc.accountId] }),
    );
    return { unshared: false, kept: `still used by ${lateUsers.join(', ')}` };
  }
  return { unshared: true };
}
