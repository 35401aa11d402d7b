import {
  AcceptTransitGatewayVpcAttachmentCommand,
  AssociateTransitGatewayRouteTableCommand,
  CreateTagsCommand,
  CreateTransitGatewayVpcAttachmentCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeTransitGatewaysCommand,
  DisableTransitGatewayRouteTablePropagationCommand,
  DisassociateTransitGatewayRouteTableCommand,
  type EC2Client,
  ModifyTransitGatewayVpcAttachmentCommand,
  paginateDescribeTransitGatewayVpcAttachments,
  paginateGetTransitGatewayAttachmentPropagations,
  type Tag,
  type TransitGatewayAttachment,
  type TransitGatewayVpcAttachment,
} from '@aws-sdk/client-ec2';
import {
  AssociateResourceShareCommand,
  CreateResourceShareCommand,
  GetResourceShareAssociationsCommand,
  paginateGetResourceShareAssociations,
  paginateGetResourceShares,
  type RAMClient,
  type ResourceShare,
  type ResourceShareAssociation,
} from '@aws-sdk/client-ram';
import { type HubConfig, type OrganizationShare, organizationShareOf, transitGatewayArn } from '#shared/config';
import {
  AttachmentFailedError,
  AttachmentNotReadyError,
  isAwsError,
  OrganizationShareMissingError,
  quotaErrorOf,
  VpcNotFoundError,
} from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import { LEASE_TTL_SECONDS, type RegistryTable, recordAttachment } from '#shared/registry';
import { acceptHubShareInvitation } from '#shared/share-invitations';
import { ATTACHMENT_VPC_TAG } from '#shared/tags';
import type { AssociationResult, AttachmentResult, ShareResult } from './contract';
import {
  hubRouteTableIds,
  type StaticRoute,
  type StaticRoutesOutcome,
  setStaticRoutes,
  staticRoutesTo,
} from './static-routes';

/**
 * The Transit Gateway branch: share the TGW with the spoke account (RAM), create or reuse the VPC attachment (spoke),
 * accept it (hub), wait until it is available, associate it with the segment's route table and route its claimed
 * CIDRs back with static routes in the segment's tables, no propagation (hub: only the TGW owner manages route tables). Every action is idempotent: it reads
 * what exists first and treats "already done" answers as success.
 */

export interface TgwDeps {
  config: HubConfig;
  hub: { ec2: EC2Client; ram: RAMClient };
  /** Clients of the spoke role in the VPC's account and region. */
  spoke: () => Promise<{ ec2: EC2Client; ram: RAMClient }>;
  registry: RegistryTable;
  now: () => number;
  /**
   * What the TGW gives a new attachment by default (its association and propagation options), as the hub reads it
   * (`transitGatewayDefaults`, cached per container by the handler). Without it, AssociateAndPropagate reads first.
   */
  defaults?: () => Promise<TransitGatewayDefaults>;
}

/** Attachment states from which it can still become (or is) usable. */
const LIVE_STATES = new Set([
  'initiating',
  'initiatingRequest',
  'pendingAcceptance',
  'pending',
  'available',
  'modifying',
]);
/** States that end in `deleted`: a new attachment cannot be created until then (DuplicateTransitGatewayAttachment). */
const GOING_STATES = new Set(['deleting', 'rollingBack']);
const FAILED_STATES = new Set(['failed', 'failing', 'rejected', 'rejecting', 'deleted', 'deleting', 'rollingBack']);

// ---- ShareTransitGateway -------------------------------------------------------------------------------------------

/** Every association of the caller's shares that the filter selects (all pages). */
async function associationsOf(
  ram: RAMClient,
  filter:
    | { associationType: 'PRINCIPAL'; resourceShareArns: string[] }
    | { associationType: 'RESOURCE'; resourceArn: string },
): Promise<ResourceShareAssociation[]> {
  const out: ResourceShareAssociation[] = [];
  for await (const page of paginateGetResourceShareAssociations({ client: ram }, { ...filter })) {
    out.push(...(page.resourceShareAssociations ?? []));
  }
  return out;
}

const LIVE_ASSOCIATION = new Set(['ASSOCIATED', 'ASSOCIATING']);

/**
 * The hub's share of the TGW with the organization: a share of the hub (any name) whose resources include the TGW and
 * whose principals include the organization, both ASSOCIATED (or still ASSOCIATING right after a deploy). Read as the
 * API documents it: the shares holding the TGW (`resourceArn`), then their principals (`resourceShareArns`), whose
 * `associatedEntity` is the organization's ARN; the `principal` filter is documented for an organization *id* only,
 * https://docs.aws.amazon.com/ram/latest/APIReference/API_GetResourceShareAssociations.html. Undefined when there
 * is none.
 */
export async function findOrganizationShare(
  ram: RAMClient,
  share: OrganizationShare,
): Promise<{ shareArn: string; status: 'ASSOCIATED' | 'ASSOCIATING' } | undefined> {
  const live = (list: ResourceShareAssociation[], entity: string) =>
    new Map(
      list
        .filter((a) => a.associatedEntity === entity && a.resourceShareArn && LIVE_ASSOCIATION.has(a.status ?? ''))
        .map((a) => [a.resourceShareArn!, a.status!]),
    );
  const withTgw = live(
    await associationsOf(ram, { associationType: 'RESOURCE', resourceArn: share.transitGatewayArn }),
    share.transitGatewayArn,
  );
  if (withTgw.size === 0) return undefined;
  const principals = await associationsOf(ram, {
    associationType: 'PRINCIPAL',
    resourceShareArns: [...withTgw.keys()],
  });
  let found: { shareArn: string; status: 'ASSOCIATED' | 'ASSOCIATING' } | undefined;
  for (const [shareArn, status] of live(principals, share.organizationArn)) {
    const resource = withTgw.get(shareArn);
    if (resource === undefined) continue;
    if (status === 'ASSOCIATED' && resource === 'ASSOCIATED') return { shareArn, status: 'ASSOCIATED' };
    found ??= { shareArn, status: 'ASSOCIATING' };
  }
  return found;
}

/** The hub's ACTIVE share named `name` (the per-account share `<prefix>-tgw`), if any. */
export async function findShare(ram: RAMClient, name: string): Promise<ResourceShare | undefined> {
  const pages = paginateGetResourceShares(
    { client: ram },
    { resourceOwner: 'SELF', name, resourceShareStatus: 'ACTIVE' },
  );
  for await (const page of pages) {
    const share = page.resourceShares?.find((s) => s.name === name && s.resourceShareArn);
    if (share) return share;
  }
  return undefined;
}

/**
 * Makes sure the TGW is shared with the spoke account.
 * - An account of the organization, when the configuration shares the TGW with the organization: the hub stack's
 *   organization share covers it, without invitation ("Principals in your organization gain access to shared
 *   resources without exchanging invitations", https://docs.aws.amazon.com/ram/latest/userguide/getting-started-sharing.html),
 *   so nothing is done for the account and nothing waits; the share is only checked to be there
 *   (OrganizationShareMissingError otherwise).
 * - Otherwise (an account outside the organization, or no organization share configured): finds the per-account
 *   share `<prefix>-tgw` in the hub (created here if missing), adds the account as a principal if it is not one, and
 *   for an account outside the organization accepts the pending invitation as the spoke role.
 */
export async function shareTransitGateway(plan: Plan, deps: TgwDeps): Promise<ShareResult> {
  const { config } = deps;
  if (plan.accountId === config.hub.accountId) {
    return { principalAdded: false, invitationAccepted: false, skipped: 'the VPC is in the hub account' };
  }
  const organizationShare = organizationShareOf(config);
  if (organizationShare && !plan.externalAccount) {
    const found = await findOrganizationShare(deps.hub.ram, organizationShare);
    if (!found) {
      throw new OrganizationShareMissingError(
        `${config.hub.transitGatewayId} is not shared with ${organizationShare.organizationArn} (no ASSOCIATED share ` +
          `holds both; the hub stack deploys ${organizationShare.name}): redeploy the hub stack`,
      );
    }
    // ASSOCIATING right after a deploy: CreateAttachment retries until RAM makes the TGW visible.
    return { shareArn: found.shareArn, principalAdded: false, invitationAccepted: false, viaOrganization: true };
  }
  let share = await findShare(deps.hub.ram, plan.shareName);
  if (!share) {
    try {
      const created = await deps.hub.ram.send(
        new CreateResourceShareCommand({
          name: plan.shareName,
          resourceArns: [transitGatewayArn(config)],
          allowExternalPrincipals: config.organization.externalAccounts.length > 0,
          // Two executions creating it at once get the same share back.
          clientToken: `${plan.shareName}-create`,
          tags: [{ key: 'spokelink:managed', value: 'true' }],
        }),
      );
      share = created.resourceShare;
    } catch (error) {
      if (!isAwsError(error, 'IdempotentParameterMismatchException', 'ResourceShareLimitExceededException'))
        throw error;
    }
    share = share?.resourceShareArn ? share : await findShare(deps.hub.ram, plan.shareName);
    if (!share?.resourceShareArn) throw new Error(`RAM share ${plan.shareName} could not be found or created`);
  }
  const shareArn = share.resourceShareArn!;

  const { resourceShareAssociations = [] } = await deps.hub.ram.send(
    new GetResourceShareAssociationsCommand({
      associationType: 'PRINCIPAL',
      resourceShareArns: [shareArn],
      principal: plan.accountId,
    }),
  );
  const association = resourceShareAssociations.find(
    (a) => a.associatedEntity === plan.accountId && ['ASSOCIATED', 'ASSOCIATING'].includes(a.status ?? ''),
  );
  let principalAdded = false;
  if (!association) {
    await deps.hub.ram.send(
      new AssociateResourceShareCommand({ resourceShareArn: shareArn, principals: [plan.accountId] }),
    );
    principalAdded = true;
  }

  let invitationAccepted = false;
  if (plan.externalAccount && association?.status !== 'ASSOCIATED') {
    const share = { ownerAccountId: config.hub.accountId, name: plan.shareName, shareArn, what: 'the TGW share' };
    invitationAccepted = await acceptHubShareInvitation((await deps.spoke()).ram, share, plan.accountId);
  }
  return { shareArn, principalAdded, invitationAccepted };
}

// ---- CreateAttachment ----------------------------------------------------------------------------------------------

async function attachmentsOfVpc(ec2: EC2Client, plan: Plan): Promise<TransitGatewayVpcAttachment[]> {
  const out: TransitGatewayVpcAttachment[] = [];
  const Filters = [
    { Name: 'vpc-id', Values: [plan.vpcId] },
    { Name: 'transit-gateway-id', Values: [plan.transitGatewayId] },
  ];
  for await (const page of paginateDescribeTransitGatewayVpcAttachments({ client: ec2 }, { Filters })) {
    out.push(...(page.TransitGatewayVpcAttachments ?? []));
  }
  return out;
}

function attachmentTags(plan: Plan): Tag[] {
  return [
    { Key: 'Name', Value: plan.attachmentName },
    { Key: ATTACHMENT_VPC_TAG, Value: plan.vpcId },
  ];
}

/** An existing attachment of the VPC to the TGW that is usable, or one still going away (blocks creation). */
function pickExisting(attachments: TransitGatewayVpcAttachment[]) {
  return {
    live: attachments.find((a) => LIVE_STATES.has(a.State ?? '')),
    going: attachments.find((a) => GOING_STATES.has(a.State ?? '')),
  };
}

/**
 * Creates the VPC attachment from the spoke account (the VPC owner), or reuses the non-deleted one that exists (one
 * attachment per VPC per TGW). A reused attachment keeps its subnets (what it really uses is recorded). Right after
 * sharing, creation fails with `InvalidTransitGatewayID.NotFound` until RAM has propagated: that error propagates for
 * the ASL to retry.
 */
export async function createAttachment(plan: Plan, deps: TgwDeps): Promise<AttachmentResult> {
  const spoke = await deps.spoke();
  const reuse = async (attachment: TransitGatewayVpcAttachment): Promise<AttachmentResult> => {
    const tags = new Map((attachment.Tags ?? []).map((t) => [t.Key, t.Value]));
    // Tags of an attachment belong to its creator (the VPC owner): tag it as the spoke.
    if (tags.get('Name') !== plan.attachmentName || tags.get(ATTACHMENT_VPC_TAG) !== plan.vpcId) {
      await spoke.ec2.send(
        new CreateTagsCommand({ Resources: [attachment.TransitGatewayAttachmentId!], Tags: attachmentTags(plan) }),
      );
    }
    return done(await withIpv6Support(spoke.ec2, plan, attachment), true);
  };
  const done = async (attachment: TransitGatewayVpcAttachment, reused: boolean): Promise<AttachmentResult> => {
    const result = {
      attachmentId: attachment.TransitGatewayAttachmentId!,
      state: attachment.State ?? 'unknown',
      reused,
      subnetIds: attachment.SubnetIds ?? [],
    };
    await recordAttachment(deps.registry, plan.vpcId, result.attachmentId, result.subnetIds, deps.now());
    return result;
  };

  // Create first: EC2 allows one attachment per VPC and TGW and answers DuplicateTransitGatewayAttachment otherwise,
  // so the common path is one call (also each retry while RAM has not propagated the share), and only a VPC that
  // has an attachment already (a retried or concurrent attempt, a reused attachment) pays a describe.
  try {
    const { TransitGatewayVpcAttachment: created } = await spoke.ec2.send(
      new CreateTransitGatewayVpcAttachmentCommand({
        TransitGatewayId: plan.transitGatewayId,
        VpcId: plan.vpcId,
        SubnetIds: plan.attachmentSubnetIds,
        // IPv6 crosses the TGW only through an attachment with IPv6 support (the default is disable).
        ...(plan.ipv6Support ? { Options: { Ipv6Support: 'enable' as const } } : {}),
        TagSpecifications: [{ ResourceType: 'transit-gateway-attachment', Tags: attachmentTags(plan) }],
      }),
    );
    if (!created?.TransitGatewayAttachmentId) throw new Error('CreateTransitGatewayVpcAttachment returned no id');
    logger.info('attachment created', { attachmentId: created.TransitGatewayAttachmentId, state: created.State });
    return done(created, false);
  } catch (error) {
    if (isAwsError(error, 'DuplicateTransitGatewayAttachment')) {
      const attachments = await attachmentsOfVpc(spoke.ec2, plan);
      const existing = pickExisting(attachments);
      if (existing.live) return reuse(existing.live);
      if (existing.going) {
        throw new AttachmentNotReadyError(
          `${existing.going.TransitGatewayAttachmentId} of ${plan.vpcId} is ${existing.going.State}: waiting for it to go`,
        );
      }
      const failed = attachments.find((a) => FAILED_STATES.has(a.State ?? '') && a.State !== 'deleted');
      if (failed) throw failedError(failed);
      // Created by a concurrent attempt an instant ago: reuse it once it is visible.
      throw new AttachmentNotReadyError(`an attachment of ${plan.vpcId} exists but is not visible yet`);
    }
    if (isAwsError(error, 'InvalidVpcID.NotFound')) throw new VpcNotFoundError(`${plan.vpcId} no longer exists`);
    throw quotaErrorOf(error, `attaching ${plan.vpcId} to ${plan.transitGatewayId}`) ?? error;
  }
}

/**
 * A reused attachment of a VPC whose plan carries IPv6 but made without IPv6 support (before the VPC had IPv6, or by
 * hand) gets it: ModifyTransitGatewayVpcAttachment `Ipv6Support: enable`
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ModifyTransitGatewayVpcAttachment.html); the attachment
 * is `modifying`, and WaitForAttachment waits for it to be `available` again. One that cannot be modified yet
 * (pending) is retried. IPv6 support is never turned off: a VPC that dropped its IPv6 blocks keeps it, harmlessly.
 */
async function withIpv6Support(
  ec2: EC2Client,
  plan: Plan,
  attachment: TransitGatewayVpcAttachment,
): Promise<TransitGatewayVpcAttachment> {
  if (!plan.ipv6Support || attachment.Options?.Ipv6Support === 'enable') return attachment;
  if (attachment.State !== 'available') {
    throw new AttachmentNotReadyError(
      `${attachment.TransitGatewayAttachmentId} is ${attachment.State}: IPv6 support is enabled once it is available`,
    );
  }
  const { TransitGatewayVpcAttachment: modified } = await ec2.send(
    new ModifyTransitGatewayVpcAttachmentCommand({
      TransitGatewayAttachmentId: attachment.TransitGatewayAttachmentId,
      Options: { Ipv6Support: 'enable' },
    }),
  );
  logger.info('IPv6 support enabled on the attachment', { attachmentId: attachment.TransitGatewayAttachmentId });
  return { ...attachment, ...modified };
}

// ---- AcceptAttachment / WaitForAttachment --------------------------------------------------------------------------

/**
 * The attachment as `ec2` sees it. The spoke (the attachment's owner) and the hub (the TGW's owner) both see it; the
 * polls of AcceptAttachment and WaitForAttachment use the spoke's EC2 describe bucket (one per account and region:
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), so that hundreds of onboardings do not
 * share the hub's 20 describes per second. Only AssociateAndPropagate reads the hub's view (the association).
 */
export async function describeAttachment(ec2: EC2Client, attachmentId: string): Promise<TransitGatewayAttachment> {
  try {
    const { TransitGatewayAttachments = [] } = await ec2.send(
      new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [attachmentId] }),
    );
    const attachment = TransitGatewayAttachments[0];
    if (attachment) return attachment;
  } catch (error) {
    if (!isAwsError(error, 'InvalidTransitGatewayAttachmentID.NotFound')) throw error;
  }
  // Just created: EC2 is eventually consistent, the hub may not see it yet.
  throw new AttachmentNotReadyError(`${attachmentId} is not visible yet`);
}

function failedError(attachment: TransitGatewayAttachment): AttachmentFailedError {
  return new AttachmentFailedError(
    `${attachment.TransitGatewayAttachmentId} is ${attachment.State}: delete it (or let offboarding) and retry`,
  );
}

/** Accepts a `pendingAcceptance` attachment as the TGW owner; true when this call accepted it. */
async function acceptIfPending(ec2: EC2Client, attachment: TransitGatewayAttachment): Promise<boolean> {
  if (attachment.State !== 'pendingAcceptance') return false;
  try {
    await ec2.send(
      new AcceptTransitGatewayVpcAttachmentCommand({
        TransitGatewayAttachmentId: attachment.TransitGatewayAttachmentId,
      }),
    );
    return true;
  } catch (error) {
    // Accepted meanwhile (a retried invocation): the next describe tells.
    if (isAwsError(error, 'IncorrectState')) return false;
    throw error;
  }
}

/**
 * AcceptAttachment: a cross-account attachment to a TGW with auto-accept disabled (the default) waits in
 * `pendingAcceptance` until the TGW owner accepts it. Before that state (`initiating`): AttachmentNotReadyError.
 */
export async function acceptAttachment(
  attachmentId: string,
  deps: TgwDeps,
): Promise<{ attachmentId: string; state: string; accepted: boolean }> {
  const attachment = await describeAttachment((await deps.spoke()).ec2, attachmentId);
  const state = attachment.State ?? '';
  if (state === 'initiating' || state === 'initiatingRequest') {
    throw new AttachmentNotReadyError(`${attachmentId} is ${state}`);
  }
  if (FAILED_STATES.has(state)) throw failedError(attachment);
  const accepted = await acceptIfPending(deps.hub.ec2, attachment);
  return { attachmentId, state: accepted ? 'pending' : state, accepted };
}

/** What the attachment wait needs: no registry, only the renewal of the VPC's lease when it is due. */
export interface AttachmentWaitDeps extends Pick<TgwDeps, 'hub' | 'spoke' | 'now'> {
  /** Renews the VPC's lease (`heldRegistry`): LeaseLostError when this execution no longer holds it. */
  renewLease: () => Promise<void>;
}

/**
 * How long after the attachment's creation the wait's polls leave the lease as it is: a quarter of its 20 minutes.
 * The lease was renewed by CreateAttachment (before it created the attachment) and by AcceptAttachment, so until then
 * it has at least 15 minutes left.
 */
export const WAIT_WITHOUT_RENEWAL_MS = (LEASE_TTL_SECONDS * 1000) / 4;

/**
 * WaitForAttachment: succeeds once the attachment is `available`; AttachmentNotReadyError before (the ASL retries it
 * at a short constant interval so little delay is added after it becomes available). A `pendingAcceptance`
 * attachment is accepted here too, so the wait cannot stall on an acceptance that was lost.
 *
 * A poll reads, so it renews the lease only when it must: before it accepts (a write), and once the attachment is
 * older than WAIT_WITHOUT_RENEWAL_MS (or its age is unknown: an attachment reused from before). The first minutes of
 * polling, every 3 s for each VPC in flight, then write nothing to the registry (500 VPCs waiting were 167 lease
 * writes a second); the steps before and after renew as every step does.
 */
export async function waitForAttachment(
  attachmentId: string,
  deps: AttachmentWaitDeps,
): Promise<{ attachmentId: string; state: 'available' }> {
  const attachment = await describeAttachment((await deps.spoke()).ec2, attachmentId);
  const state = attachment.State ?? '';
  const createdAt = attachment.CreationTime?.getTime();
  if (state === 'pendingAcceptance' || createdAt === undefined || deps.now() - createdAt > WAIT_WITHOUT_RENEWAL_MS) {
    await deps.renewLease();
  }
  if (state === 'available') return { attachmentId, state };
  if (FAILED_STATES.has(state)) throw failedError(attachment);
  if (await acceptIfPending(deps.hub.ec2, attachment)) logger.info('accepted while waiting', { attachmentId });
  throw new AttachmentNotReadyError(`${attachmentId} is ${state}`);
}

// ---- AssociateAndPropagate -----------------------------------------------------------------------------------------

async function enabledPropagations(ec2: EC2Client, attachmentId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const pages = paginateGetTransitGatewayAttachmentPropagations(
    { client: ec2 },
    { TransitGatewayAttachmentId: attachmentId },
  );
  for await (const page of pages) {
    for (const p of page.TransitGatewayAttachmentPropagations ?? []) {
      if (p.TransitGatewayRouteTableId) out.set(p.TransitGatewayRouteTableId, p.State ?? '');
    }
  }
  return out;
}

/** Whether the TGW associates a new attachment with, and propagates it to, its default route table. */
export interface TransitGatewayDefaults {
  association: boolean;
  propagation: boolean;
}

/**
 * The TGW's `DefaultRouteTableAssociation` and `DefaultRouteTablePropagation` options
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayOptions.html): with `enable`, AWS
 * associates each new attachment with the default route table, or propagates it there, by itself. An option that
 * cannot be read counts as enabled (the attachment's links are then read before anything is done).
 */
export async function transitGatewayDefaults(
  ec2: EC2Client,
  transitGatewayId: string,
): Promise<TransitGatewayDefaults> {
  const { TransitGateways = [] } = await ec2.send(
    new DescribeTransitGatewaysCommand({ TransitGatewayIds: [transitGatewayId] }),
  );
  const options = TransitGateways.find((t) => t.TransitGatewayId === transitGatewayId)?.Options;
  return {
    association: options?.DefaultRouteTableAssociation !== 'disable',
    propagation: options?.DefaultRouteTablePropagation !== 'disable',
  };
}

/**
 * Associates the attachment with the segment's route table (moving it from another table if needed), makes its static
 * routes in the hub tables exactly the plan's claimed CIDRs in the segment's `propagationRouteTableIds`, and disables
 * every propagation of it. `Resource.AlreadyAssociated` means done; `IncorrectState` propagates for the ASL to retry.
 *
 * An attachment CreateAttachment created in this execution (`attachmentReused: false`) on a TGW whose default
 * association and propagation are disabled has no association, no propagation and no static route but what this step
 * makes (a retried attempt's): one read of its association replaces the three reads each attempt made before (the
 * hub's EC2 describe bucket, which every onboarding of a migration day shares), and its propagations are not read
 * (associateFresh). A reused attachment (a member changing, an attachment adopted) or a TGW with either default
 * enabled has everything read first.
 */
export async function associateAndPropagate(
  plan: Plan,
  attachmentId: string,
  deps: TgwDeps,
  attachmentReused?: boolean,
): Promise<AssociationResult> {
  if (attachmentReused === false && deps.defaults) {
    const defaults = await deps.defaults();
    if (!defaults.association && !defaults.propagation) {
      const done = await associateFresh(plan, attachmentId, deps);
      if (done) return associationResult(plan, attachmentId, done);
    }
  }
  return associationResult(plan, attachmentId, await associateAfterReading(plan, attachmentId, deps));
}

function associationResult(plan: Plan, attachmentId: string, done: StaticRoutesOutcome): AssociationResult {
  return {
    attachmentId,
    associationRouteTableId: plan.associationRouteTableId,
    routeTableIds: [...plan.propagationRouteTableIds].sort(),
    routedCidrs: [...plan.cidrs],
    changes: done.changes,
    routesActive: done.notActive.length === 0,
  };
}

/**
 * A new attachment: one read of its association, then what is missing. No association: associate, then create each
 * static route without searching (setStaticRoutes with nothing found; RouteAlreadyExists reads the one route that
 * exists). Associated with the target already (an earlier attempt got that far, its route call throttled): its
 * routes are searched in the segment's tables before creating what is missing, so a retried attempt spends no
 * mutating call on what exists (the hub's EC2 mutating bucket is what a migration day waits for; a refused
 * `Resource.AlreadyAssociated` or `RouteAlreadyExists` costs a token there like a success). Undefined when the
 * attachment is associated with another table (not ours to assume): the caller reads everything.
 */
async function associateFresh(
  plan: Plan,
  attachmentId: string,
  deps: TgwDeps,
): Promise<StaticRoutesOutcome | undefined> {
  const ec2 = deps.hub.ec2;
  const target = plan.associationRouteTableId;
  const tables = [...plan.propagationRouteTableIds].sort();
  const changes: string[] = [];
  const association = liveAssociation((await describeAttachment(ec2, attachmentId)).Association);
  if (association && association.TransitGatewayRouteTableId !== target) return undefined;
  let found: Promise<StaticRoute[]> = Promise.resolve([]);
  if (association) {
    found = staticRoutesTo(ec2, tables, [attachmentId]);
  } else {
    // Associated meanwhile, by someone else than this step (its own attempts are one at a time): read everything.
    if (!(await associate(ec2, target, attachmentId))) return undefined;
    changes.push(`associated with ${target}`);
  }
  const args = { attachmentId, cidrs: plan.cidrs, tables, allTables: hubRouteTableIds(deps.config) };
  const routed = await setStaticRoutes(ec2, args, found);
  return { ...routed, changes: [...changes, ...routed.changes] };
}

/** Associates the attachment with `table`; false when EC2 answers `Resource.AlreadyAssociated` (with some table). */
async function associate(ec2: EC2Client, table: string, attachmentId: string): Promise<boolean> {
  try {
    await ec2.send(
      new AssociateTransitGatewayRouteTableCommand({
        TransitGatewayRouteTableId: table,
        TransitGatewayAttachmentId: attachmentId,
      }),
    );
    return true;
  } catch (error) {
    if (isAwsError(error, 'Resource.AlreadyAssociated')) return false;
    throw error;
  }
}

/** The association of an attachment that is in place or on its way (`associated`, `associating`). */
function liveAssociation(association: TransitGatewayAttachment['Association']) {
  return association?.State && ['associated', 'associating'].includes(association.State) ? association : undefined;
}

/** Any attachment: what exists is read first (the association, the propagations, the static routes), then fixed. */
async function associateAfterReading(plan: Plan, attachmentId: string, deps: TgwDeps): Promise<StaticRoutesOutcome> {
  const ec2 = deps.hub.ec2;
  const target = plan.associationRouteTableId;
  const changes: string[] = [];

  // The reads are independent: made together, they cost one round trip on the critical path.
  const tables = [...plan.propagationRouteTableIds].sort();
  const allTables = hubRouteTableIds(deps.config);
  const routes = staticRoutesTo(ec2, [...new Set([...tables, ...allTables])].sort(), [attachmentId]);
  routes.catch(() => undefined); // awaited below; a failure here must not go unhandled meanwhile
  const [attachment, propagations] = await Promise.all([
    describeAttachment(ec2, attachmentId),
    enabledPropagations(ec2, attachmentId),
  ]);
  const current = liveAssociation(attachment.Association);
  if (current?.TransitGatewayRouteTableId !== target) {
    if (current?.TransitGatewayRouteTableId) {
      await ec2.send(
        new DisassociateTransitGatewayRouteTableCommand({
          TransitGatewayRouteTableId: current.TransitGatewayRouteTableId,
          TransitGatewayAttachmentId: attachmentId,
        }),
      );
      changes.push(`disassociated from ${current.TransitGatewayRouteTableId}`);
    }
    if (await associate(ec2, target, attachmentId)) {
      changes.push(`associated with ${target}`);
    } else {
      const now = (await describeAttachment(ec2, attachmentId)).Association;
      if (now?.TransitGatewayRouteTableId !== target) {
        throw new AttachmentNotReadyError(
          `${attachmentId} is still ${now?.State ?? 'associated'} with ${now?.TransitGatewayRouteTableId}`,
        );
      }
    }
  }

  // The hub's routes back to the VPC: static routes for the claimed CIDRs only (./static-routes.ts), in the segment's
  // tables; none in other segments' tables; then no propagation at all (the TGW's default propagation, or a member
  // connected before static routes, would bring CIDRs nobody validated).
  const routed = await setStaticRoutes(ec2, { attachmentId, cidrs: plan.cidrs, tables, allTables }, routes);
  changes.push(...routed.changes);
  for (const [tableId, state] of [...propagations].sort()) {
    if (state !== 'enabled' && state !== 'enabling') continue;
    await ec2.send(
      new DisableTransitGatewayRouteTablePropagationCommand({
        TransitGatewayRouteTableId: tableId,
        TransitGatewayAttachmentId: attachmentId,
      }),
    );
    changes.push(`propagation to ${tableId} disabled`);
  }
  return { changes, notActive: routed.notActive };
}
