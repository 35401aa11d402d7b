import type {
  AcceptResourceShareInvitationRequest,
  AcceptResourceShareInvitationResponse,
  AssociateResourceShareRequest,
  AssociateResourceShareResponse,
  CreateResourceShareRequest,
  CreateResourceShareResponse,
  DeleteResourceShareRequest,
  DeleteResourceShareResponse,
  DisassociateResourceShareRequest,
  DisassociateResourceShareResponse,
  EnableSharingWithAwsOrganizationResponse,
  GetResourceShareAssociationsRequest,
  GetResourceShareAssociationsResponse,
  GetResourceShareInvitationsRequest,
  GetResourceShareInvitationsResponse,
  GetResourceSharesRequest,
  GetResourceSharesResponse,
  ListResourcesRequest,
  ListResourcesResponse,
  RejectResourceShareInvitationRequest,
  RejectResourceShareInvitationResponse,
  Resource,
  ResourceShare,
  ResourceShareAssociation,
  ResourceShareAssociationStatus,
  ResourceShareInvitation,
  ResourceShareInvitationStatus,
  Tag,
} from '@aws-sdk/client-ram';
import * as z from 'zod';
import { TwinError } from '../errors';
import { lazyModule } from '../lazy';
import type { Twin } from '../twin';
import type { CallContext, ServiceModule } from '../types';
import { ancestorsOf, type OrganizationsState, organizationOf } from './organizations';

/**
 * AWS Resource Access Manager: resource shares, principal and resource associations, invitations for principals
 * that are not covered by sharing with the organization, and the organization-sharing switch. RAM is regional: a
 * share lives in the region it was created in and only holds resources of that region.
 *
 * Associations are asynchronous in AWS (ASSOCIATING -> ASSOCIATED or FAILED). The twin answers mutations with
 * ASSOCIATING / DISASSOCIATING like AWS and resolves them at once, except principals that must accept an invitation:
 * they stay ASSOCIATING until the invitation is accepted. A resource the caller does not own (or that does not exist
 * in the share's region) does not fail the call: its association ends FAILED, as AWS reports it
 * (https://github.com/boto/boto3/issues/3396: "The specified resource could not be found in your AWS account").
 * See docs/twin-route53-ram.md for what is modeled and the known differences.
 */

const ACCOUNT_ID = /^\d{12}$/;
const ORG_ARN = /^arn:aws:organizations::(\d{12}):organization\/(o-[a-z0-9]{10,32})$/;
const OU_ARN = /^arn:aws:organizations::(\d{12}):ou\/(o-[a-z0-9]{10,32})\/(ou-[0-9a-z]{4,32}-[0-9a-z]{8,32})$/;
const ARN = /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;
const SHARE_ARN = /^arn:aws:ram:([a-z0-9-]+):(\d{12}):resource-share\/[0-9a-f-]+$/;
const INVITATION_ARN = /^arn:aws:ram:([a-z0-9-]+):(\d{12}):resource-share-invitation\/[0-9a-f-]+$/;

/**
 * How long an invitation waits for an answer. AWS gives seven days for a listed set of resource types and 12 hours
 * for every other type ("Accepting and rejecting resource share invitations",
 * https://docs.aws.amazon.com/ram/latest/userguide/working-with-shared-invitations.html). Whether transit gateways are
 * on the seven-day list could not be verified, so the twin defaults to the stricter 12 hours; a world sets
 * `ram.invitationExpiryHours: 168` to model seven days.
 */
export const DEFAULT_RAM_INVITATION_EXPIRY_MS = 12 * 3600 * 1000;

// ---- world ----------------------------------------------------------------------------------------------------

const principalSchema = z.union([z.string().regex(ACCOUNT_ID), z.string().regex(ORG_ARN), z.string().regex(OU_ARN)]);

/** World file section: organization sharing and existing resource shares (their principals long established). */
export const ramWorldSchema = z
  .strictObject({
    /** EnableSharingWithAwsOrganization was called by the management account. */
    sharingWithOrganizationEnabled: z.boolean().default(false),
    /** Hours an invitation stays PENDING before it expires (default 12, see DEFAULT_RAM_INVITATION_EXPIRY_MS). */
    invitationExpiryHours: z.number().positive().max(168).optional(),
    shares: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          ownerId: z.string().regex(ACCOUNT_ID),
          region: z.string().min(1).default('us-east-1'),
          /** Defaults to a generated ARN in the share's region and owner account. */
          arn: z.string().regex(SHARE_ARN).optional(),
          allowExternalPrincipals: z.boolean().default(true),
          resourceArns: z.array(z.string().regex(ARN)).default([]),
          /** Principals associated long ago (invitations, where needed, accepted). */
          principals: z.array(principalSchema).default([]),
          /** Accounts invited and not answered yet (the invitation is sent at the twin's start). */
          pendingPrincipals: z.array(z.string().regex(ACCOUNT_ID)).default([]),
          tags: z.array(z.strictObject({ key: z.string(), value: z.string() })).default([]),
        }),
      )
      .default([]),
  })
  .default({ sharingWithOrganizationEnabled: false, shares: [] });
export type RamWorld = z.infer<typeof ramWorldSchema>;

// ---- state ----------------------------------------------------------------------------------------------------

interface AssociationRecord {
  type: 'PRINCIPAL' | 'RESOURCE';
  /** Account id, organization/OU ARN, or resource ARN. */
  entity: string;
  createdAt: number;
  /** Principal outside the owner's organization. */
  external: boolean;
  /** Set when the principal must accept an invitation. */
  invitationArn?: string;
  /** The association ended FAILED (e.g. a resource the owner does not own). */
  failedMessage?: string;
  disassociatedAt?: number;
}

interface ShareRecord {
  arn: string;
  name: string;
  ownerId: string;
  region: string;
  allowExternalPrincipals: boolean;
  tags: Tag[];
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
  associations: AssociationRecord[];
}

interface InvitationRecord {
  arn: string;
  shareArn: string;
  senderAccountId: string;
  receiverAccountId: string;
  region: string;
  createdAt: number;
  expiresAt: number;
  answer?: { status: 'ACCEPTED' | 'REJECTED'; at: number };
}

export interface RamState {
  sharingWithOrganizationEnabled: boolean;
  invitationExpiryMs: number;
  shares: Record<string, ShareRecord>;
  invitations: Record<string, InvitationRecord>;
  /** `operation/account/clientToken` -> parameters fingerprint and the response given. */
  clientTokens: Record<string, { fingerprint: string; response: unknown }>;
}

function ramState(twin: Twin): RamState {
  return twin.stateOf<RamState>('ram');
}

// ---- errors ---------------------------------------------------------------------------------------------------

const err = {
  malformedArn: (arn: string) => new TwinError('MalformedArnException', `The specified ARN ${arn} is not valid.`, 400),
  missing: (name: string) =>
    new TwinError('MissingRequiredParameterException', `The request is missing the required parameter ${name}.`, 400),
  invalid: (message: string) => new TwinError('InvalidParameterException', message, 400),
  unknownShare: (arn: string) =>
    new TwinError('UnknownResourceException', `ResourceShare ${arn} could not be found.`, 400),
  // The message AWS answers when org sharing is off or the principal is outside the organization
  // (https://github.com/hashicorp/terraform-provider-aws/issues/7769).
  notPermitted: () =>
    new TwinError(
      'OperationNotPermittedException',
      'The resource you are attempting to share can only be shared within your AWS Organization. This error may also occur if you have not enabled sharing with your AWS organization, or that onboarding process is still in progress.',
      400,
    ),
  invitationNotFound: (arn: string) =>
    new TwinError('ResourceShareInvitationArnNotFoundException', `ResourceShareInvitationArn ${arn} not found.`, 400),
};

// ---- helpers --------------------------------------------------------------------------------------------------

interface ParsedArn {
  service: string;
  region: string;
  account: string;
  resource: string;
}

function parseArn(arn: string): ParsedArn | undefined {
  const m = ARN.exec(arn);
  if (!m) return undefined;
  return { service: m[2]!, region: m[3]!, account: m[4] ?? '', resource: m[5]! };
}

/** `arn:aws:ec2:...:transit-gateway/tgw-1` -> `ec2:TransitGateway` (the form ListResourceTypes uses). */
function resourceTypeOf(arn: ParsedArn): string {
  const kind = arn.resource.split(/[/:]/)[0] ?? '';
  const pascal = kind
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
  return `${arn.service}:${pascal}`;
}

type Principal =
  | { kind: 'account'; accountId: string }
  /** `managementAccountId`: the account in the ARN (`arn:aws:organizations::<management>:organization/o-...`). */
  | { kind: 'organization'; orgId: string; managementAccountId: string }
  | { kind: 'ou'; orgId: string; ouId: string; managementAccountId: string };

function parsePrincipal(value: string): Principal {
  if (ACCOUNT_ID.test(value)) return { kind: 'account', accountId: value };
  const org = ORG_ARN.exec(value);
  if (org) return { kind: 'organization', orgId: org[2]!, managementAccountId: org[1]! };
  const ou = OU_ARN.exec(value);
  if (ou) return { kind: 'ou', orgId: ou[2]!, ouId: ou[3]!, managementAccountId: ou[1]! };
  // IAM role/user and service principals are not modeled (spokelink shares a TGW, which supports neither).
  throw err.invalid(`Principal ID ${value} is malformed. Verify the ID and try again.`);
}

function orgState(twin: Twin): OrganizationsState {
  return twin.stateOf<OrganizationsState>('organizations');
}

/** True when the principal (account, organization or OU) covers `accountId` right now. */
function principalCovers(twin: Twin, principal: Principal, accountId: string): boolean {
  const orgs = orgState(twin);
  switch (principal.kind) {
    case 'account':
      return principal.accountId === accountId;
    case 'organization':
      return organizationOf(orgs, accountId) === principal.orgId;
    case 'ou':
      return (
        organizationOf(orgs, accountId) === principal.orgId && ancestorsOf(orgs, accountId).includes(principal.ouId)
      );
  }
}

interface InvitationView {
  status: ResourceShareInvitationStatus;
  at: number;
}

function invitationStatus(invitation: InvitationRecord, now: number): InvitationView {
  if (invitation.answer) return { status: invitation.answer.status, at: invitation.answer.at };
  const expiresAt = invitation.expiresAt;
  if (now >= expiresAt) return { status: 'EXPIRED', at: expiresAt };
  return { status: 'PENDING', at: invitation.createdAt };
}

interface AssociationView {
  status: ResourceShareAssociationStatus;
  message?: string;
  /** When the association became (or will become) effective / last changed. */
  at: number;
}

function associationStatus(state: RamState, a: AssociationRecord, now: number): AssociationView {
  if (a.disassociatedAt !== undefined) return { status: 'DISASSOCIATED', at: a.disassociatedAt };
  if (a.failedMessage !== undefined) return { status: 'FAILED', message: a.failedMessage, at: a.createdAt };
  if (a.invitationArn !== undefined) {
    const invitation = state.invitations[a.invitationArn];
    if (!invitation) return { status: 'FAILED', message: 'The invitation no longer exists.', at: a.createdAt };
    const inv = invitationStatus(invitation, now);
    switch (inv.status) {
      case 'PENDING':
        return { status: 'ASSOCIATING', at: a.createdAt };
      case 'ACCEPTED':
        return { status: 'ASSOCIATED', at: inv.at };
      case 'REJECTED':
        return { status: 'FAILED', message: 'The invitation was rejected by the principal.', at: inv.at };
      default:
        return { status: 'FAILED', message: 'The invitation expired before it was accepted.', at: inv.at };
    }
  }
  return { status: 'ASSOCIATED', at: a.createdAt };
}

function live(a: AssociationRecord): boolean {
  return a.disassociatedAt === undefined;
}

function shareView(share: ShareRecord): ResourceShare {
  return {
    resourceShareArn: share.arn,
    name: share.name,
    owningAccountId: share.ownerId,
    allowExternalPrincipals: share.allowExternalPrincipals,
    status: share.deletedAt === undefined ? 'ACTIVE' : 'DELETED',
    tags: share.tags.map((t) => ({ ...t })),
    creationTime: new Date(share.createdAt),
    lastUpdatedTime: new Date(share.updatedAt),
    featureSet: 'STANDARD',
  };
}

function associationView(
  state: RamState,
  share: ShareRecord,
  a: AssociationRecord,
  now: number,
  override?: ResourceShareAssociationStatus,
): ResourceShareAssociation {
  const status = associationStatus(state, a, now);
  const view: ResourceShareAssociation = {
    resourceShareArn: share.arn,
    resourceShareName: share.name,
    associatedEntity: a.entity,
    associationType: a.type,
    status: override ?? status.status,
    creationTime: new Date(a.createdAt),
    lastUpdatedTime: new Date(Math.max(a.createdAt, Math.min(status.at, now))),
    external: a.type === 'PRINCIPAL' ? a.external : false,
  };
  if (status.message !== undefined && override === undefined) view.statusMessage = status.message;
  return view;
}

function invitationView(state: RamState, invitation: InvitationRecord, now: number): ResourceShareInvitation {
  const share = state.shares[invitation.shareArn];
  return {
    resourceShareInvitationArn: invitation.arn,
    resourceShareName: share?.name,
    resourceShareArn: invitation.shareArn,
    senderAccountId: invitation.senderAccountId,
    receiverAccountId: invitation.receiverAccountId,
    invitationTimestamp: new Date(invitation.createdAt),
    status: invitationStatus(invitation, now).status,
  };
}

/** Pages through a list with an opaque token (the offset), like AWS's NextToken. */
function paginate<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  defaultMax: number,
): { page: T[]; nextToken?: string } {
  if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 500)) {
    throw new TwinError('InvalidMaxResultsException', `The value ${maxResults} for maxResults is not valid.`, 400);
  }
  let offset = 0;
  if (nextToken !== undefined) {
    const decoded = /^ram:(\d+)$/.exec(Buffer.from(nextToken, 'base64').toString('utf8'));
    if (!decoded)
      throw new TwinError('InvalidNextTokenException', 'The specified value for NextToken is not valid.', 400);
    offset = Number(decoded[1]);
  }
  const size = maxResults ?? defaultMax;
  const page = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`ram:${offset + size}`).toString('base64') : undefined;
  return next === undefined ? { page } : { page, nextToken: next };
}

/**
 * Client-token idempotency: the same token with the same parameters returns the first response, with different
 * parameters fails with IdempotentParameterMismatchException (API reference, `clientToken` of each mutation).
 */
function idempotent<T>(
  ctx: CallContext,
  clientToken: string | undefined,
  params: unknown,
  run: (token: string) => T,
): T {
  const state = ramState(ctx.twin);
  if (clientToken !== undefined && (clientToken.length < 1 || clientToken.length > 64)) {
    throw new TwinError('InvalidClientTokenException', 'The client token input parameter is not valid.', 400);
  }
  const token = clientToken ?? ctx.twin.newUuid();
  const key = `${ctx.operation}/${ctx.caller.accountId}/${token}`;
  const fingerprint = JSON.stringify(params);
  const previous = state.clientTokens[key];
  if (previous) {
    if (previous.fingerprint !== fingerprint) {
      throw new TwinError(
        'IdempotentParameterMismatchException',
        `The client token ${token} was already used with different parameters.`,
        400,
      );
    }
    return structuredClone(previous.response) as T;
  }
  const response = run(token);
  state.clientTokens[key] = { fingerprint, response: structuredClone(response) };
  return response;
}

function requireOwnShare(ctx: CallContext, arn: string | undefined): ShareRecord {
  if (!arn) throw err.missing('resourceShareArn');
  if (!SHARE_ARN.test(arn)) throw err.malformedArn(arn);
  const share = ramState(ctx.twin).shares[arn];
  // Another account's share is as invisible as a missing one.
  if (!share || share.ownerId !== ctx.caller.accountId || share.region !== ctx.region) throw err.unknownShare(arn);
  return share;
}

/** The lists an Associate/DisassociateResourceShare request names (missing lists are empty). */
interface AssociationChange {
  resourceShareArn: string;
  resourceArns: string[];
  principals: string[];
  sources: string[];
}

/**
 * The common front of Associate/DisassociateResourceShare: the caller's own share, the request's lists, the client
 * token's idempotency, an active share and at least one list that is not empty; then `run` makes the change.
 */
function changeAssociations<T>(
  ctx: CallContext,
  input: {
    resourceShareArn?: string;
    resourceArns?: string[];
    principals?: string[];
    sources?: string[];
    clientToken?: string;
  },
  run: (share: ShareRecord, params: AssociationChange, clientToken: string) => T,
): T {
  const share = requireOwnShare(ctx, input.resourceShareArn);
  const params: AssociationChange = {
    resourceShareArn: share.arn,
    resourceArns: input.resourceArns ?? [],
    principals: input.principals ?? [],
    sources: input.sources ?? [],
  };
  return idempotent(ctx, input.clientToken, params, (clientToken) => {
    requireActive(share);
    if (params.resourceArns.length === 0 && params.principals.length === 0 && params.sources.length === 0) {
      throw err.invalid('Specify at least one of resourceArns, principals or sources.');
    }
    return run(share, params, clientToken);
  });
}

function requireActive(share: ShareRecord): void {
  if (share.deletedAt !== undefined) {
    throw new TwinError(
      'InvalidStateTransitionException',
      `The resource share ${share.arn} is DELETED and can't be modified.`,
      400,
    );
  }
}

interface Ec2Lookups {
  findTransitGateway?: (
    twin: Twin,
    tgwId: string,
  ) => { id: string; ownerId: string; region: string; arn: string } | undefined;
}

/** The EC2 model, loaded lazily (it imports this module for `isResourceSharedWith`). */
const ec2Lookups = lazyModule(() => require('./ec2') as Ec2Lookups);
const profilesModule = lazyModule(() => require('./route53profiles') as typeof import('./route53profiles'));
const worldModule = lazyModule(() => require('../world') as typeof import('../world'));

const NOT_FOUND_IN_ACCOUNT = 'The specified resource could not be found in your AWS account.';

/** Why a resource can't be shared by `ownerId` from `region`, or undefined when it can. */
function resourceProblem(twin: Twin, arn: ParsedArn, rawArn: string, ownerId: string, region: string) {
  if (arn.account !== ownerId || (arn.region !== '' && arn.region !== region)) return NOT_FOUND_IN_ACCOUNT;
  if (arn.service === 'ec2' && arn.resource.startsWith('transit-gateway/')) {
    const { findTransitGateway } = ec2Lookups();
    if (typeof findTransitGateway !== 'function') {
      throw new Error('twin: ram needs ec2.findTransitGateway to share a transit gateway (EC2 model not loaded)');
    }
    const tgw = findTransitGateway(twin, arn.resource.slice('transit-gateway/'.length));
    if (!tgw || tgw.ownerId !== ownerId || tgw.region !== region || tgw.arn !== rawArn) return NOT_FOUND_IN_ACCOUNT;
  }
  if (arn.service === 'route53profiles' && arn.resource.startsWith('profile/')) {
    const { findProfile } = profilesModule();
    const profile = findProfile(twin, arn.resource.slice('profile/'.length));
    if (!profile || profile.ownerId !== ownerId || profile.region !== region || profile.arn !== rawArn) {
      return NOT_FOUND_IN_ACCOUNT;
    }
  }
  return undefined;
}

/** Adds (or revives) an association; returns the record and whether it is new. */
function upsertAssociation(share: ShareRecord, record: AssociationRecord): AssociationRecord {
  const i = share.associations.findIndex((a) => a.type === record.type && a.entity === record.entity && live(a));
  if (i >= 0) {
    const existing = share.associations[i]!;
    if (existing.failedMessage === undefined) return existing;
    share.associations.splice(i, 1);
  }
  share.associations.push(record);
  return record;
}

function addResource(twin: Twin, share: ShareRecord, rawArn: string, now: number): AssociationRecord {
  const arn = parseArn(rawArn);
  if (!arn) throw err.malformedArn(rawArn);
  const problem = resourceProblem(twin, arn, rawArn, share.ownerId, share.region);
  const record: AssociationRecord = { type: 'RESOURCE', entity: rawArn, createdAt: now, external: false };
  if (problem !== undefined) record.failedMessage = problem;
  return upsertAssociation(share, record);
}

/** Validates a principal against the share's settings; throws the error AWS answers. */
function checkPrincipal(twin: Twin, share: ShareRecord, raw: string): { external: boolean; invite: boolean } {
  const principal = parsePrincipal(raw);
  const orgs = orgState(twin);
  const ownerOrg = organizationOf(orgs, share.ownerId);
  const enabled = ramState(twin).sharingWithOrganizationEnabled;
  if (principal.kind === 'account') {
    const inOrg = ownerOrg !== undefined && organizationOf(orgs, principal.accountId) === ownerOrg;
    // Without organization sharing even a member account is invited ("An account inside your organization when
    // sharing with AWS Organizations is not enabled",
    // https://docs.aws.amazon.com/ram/latest/userguide/working-with-shared-invitations.html) and is treated as an
    // external account (https://docs.aws.amazon.com/ram/latest/userguide/getting-started.html).
    const invite = !(inOrg && enabled);
    if (invite && !share.allowExternalPrincipals) throw err.notPermitted();
    return { external: !inOrg, invite };
  }
  // Organization and OU principals need organization sharing ("Until you enable sharing within the organization,
  // you can specify only individual AWS accounts",
  // https://docs.aws.amazon.com/ram/latest/APIReference/API_EnableSharingWithAwsOrganization.html), and must be the
  // owner's own organization.
  if (!enabled || ownerOrg === undefined || principal.orgId !== ownerOrg) throw err.notPermitted();
  // The ARN names the organization by its management account too: another account names no organization.
  if (principal.managementAccountId !== orgs.organization?.managementAccountId) {
    throw new TwinError('UnknownResourceException', `Organization ${principal.orgId} could not be found.`, 400);
  }
  if (principal.kind === 'ou' && !(principal.ouId in orgs.ous)) {
    throw new TwinError('UnknownResourceException', `OrganizationalUnit ${principal.ouId} could not be found.`, 400);
  }
  return { external: false, invite: false };
}

function addPrincipal(twin: Twin, share: ShareRecord, raw: string, now: number, accepted = false): AssociationRecord {
  const state = ramState(twin);
  const { external, invite } = checkPrincipal(twin, share, raw);
  const existing = share.associations.find((a) => a.type === 'PRINCIPAL' && a.entity === raw && live(a));
  if (existing && associationStatus(state, existing, now).status !== 'FAILED') return existing;
  const record: AssociationRecord = { type: 'PRINCIPAL', entity: raw, createdAt: now, external };
  if (invite) {
    const invitation: InvitationRecord = {
      arn: `arn:aws:ram:${share.region}:${share.ownerId}:resource-share-invitation/${twin.newUuid()}`,
      shareArn: share.arn,
      senderAccountId: share.ownerId,
      receiverAccountId: raw,
      region: share.region,
      createdAt: now,
      expiresAt: now + state.invitationExpiryMs,
    };
    if (accepted) invitation.answer = { status: 'ACCEPTED', at: now };
    state.invitations[invitation.arn] = invitation;
    record.invitationArn = invitation.arn;
  }
  if (existing) share.associations.splice(share.associations.indexOf(existing), 1);
  share.associations.push(record);
  return record;
}

/** The shares of other accounts that `accountId` is an effective (ASSOCIATED) principal of, in `region`. */
function sharesVisibleTo(twin: Twin, accountId: string, region: string, now: number): ShareRecord[] {
  const state = ramState(twin);
  return Object.values(state.shares).filter(
    (share) =>
      share.ownerId !== accountId &&
      share.region === region &&
      share.deletedAt === undefined &&
      share.associations.some(
        (a) =>
          a.type === 'PRINCIPAL' &&
          associationStatus(state, a, now).status === 'ASSOCIATED' &&
          principalCovers(twin, parsePrincipal(a.entity), accountId),
      ),
  );
}

function requireResourceOwner(value: string | undefined): 'SELF' | 'OTHER-ACCOUNTS' {
  if (value === undefined) throw err.missing('resourceOwner');
  if (value !== 'SELF' && value !== 'OTHER-ACCOUNTS') {
    throw err.invalid(`Value ${value} for resourceOwner must be one of SELF, OTHER-ACCOUNTS.`);
  }
  return value;
}

// ---- the cross-module helper -----------------------------------------------------------------------------------

/**
 * True when `accountId` may use the resource: it owns it, or the resource is ASSOCIATED to an ACTIVE share whose
 * principal (the account, or the organization / an OU containing it) is ASSOCIATED (invitation accepted where one
 * was needed), and the short propagation delay has passed: right after sharing, a TGW is still
 * `InvalidTransitGatewayID.NotFound` to the principal for `twin.timings.ramShareVisibilityMs`.
 * An organization or OU principal is never invited: every member account it covers sees the resource once the same
 * delay has passed since the later of the two associations (AWS documents no figure for either case; the twin is not
 * kinder to organization shares). The twin's organization has no joining accounts, so there is no delay per member.
 * EC2 calls this for TGW visibility.
 */
/** The name of the share an invitation invites to (IAM `ram:ResourceShareName`), if the invitation exists. */
export function invitedShareName(twin: Twin, invitationArn: string): string | undefined {
  const state = twin.state.ram as RamState | undefined;
  const invitation = state?.invitations[invitationArn];
  return invitation ? state?.shares[invitation.shareArn]?.name : undefined;
}

export function isResourceSharedWith(twin: Twin, resourceArn: string, accountId: string, now: number): boolean {
  const arn = parseArn(resourceArn);
  if (!arn) return false;
  if (arn.account === accountId) return true;
  const state = ramState(twin);
  const visibleAfter = twin.timings.ramShareVisibilityMs;
  for (const share of Object.values(state.shares)) {
    if (share.deletedAt !== undefined) continue;
    if (arn.region !== '' && share.region !== arn.region) continue;
    const resource = share.associations.find((a) => a.type === 'RESOURCE' && a.entity === resourceArn);
    if (!resource) continue;
    const res = associationStatus(state, resource, now);
    if (res.status !== 'ASSOCIATED') continue;
    for (const a of share.associations) {
      if (a.type !== 'PRINCIPAL') continue;
      const p = associationStatus(state, a, now);
      if (p.status !== 'ASSOCIATED' || !principalCovers(twin, parsePrincipal(a.entity), accountId)) continue;
      if (now >= Math.max(res.at, p.at) + visibleAfter) return true;
    }
  }
  return false;
}

// ---- the service ----------------------------------------------------------------------------------------------

export const ram: ServiceModule<RamState, { ram: RamWorld }> = {
  name: 'ram',
  createState: () => ({
    sharingWithOrganizationEnabled: false,
    invitationExpiryMs: DEFAULT_RAM_INVITATION_EXPIRY_MS,
    shares: {},
    invitations: {},
    clientTokens: {},
  }),

  seed(twin, world) {
    const state = ramState(twin);
    const section = world.ram;
    state.sharingWithOrganizationEnabled = section.sharingWithOrganizationEnabled;
    if (section.invitationExpiryHours !== undefined)
      state.invitationExpiryMs = section.invitationExpiryHours * 3600_000;
    // Seeded associations are long established: visible from the start, whatever the visibility delay.
    const longAgo = twin.now() - 365 * 24 * 3600 * 1000;
    for (const [i, def] of section.shares.entries()) {
      const arn = def.arn ?? `arn:aws:ram:${def.region}:${def.ownerId}:resource-share/${twin.newUuid()}`;
      const where = `ram.shares.${i}`;
      if (arn.split(':')[3] !== def.region || arn.split(':')[4] !== def.ownerId) {
        throw worldError(`${where}.arn: ${arn} is not in region ${def.region} of account ${def.ownerId}`);
      }
      if (state.shares[arn]) throw worldError(`${where}.arn: duplicate share ${arn}`);
      const share: ShareRecord = {
        arn,
        name: def.name,
        ownerId: def.ownerId,
        region: def.region,
        allowExternalPrincipals: def.allowExternalPrincipals,
        tags: def.tags.map((t) => ({ ...t })),
        createdAt: longAgo,
        updatedAt: longAgo,
        associations: [],
      };
      state.shares[arn] = share;
      for (const resourceArn of def.resourceArns) {
        const record = addResource(twin, share, resourceArn, longAgo);
        if (record.failedMessage !== undefined) {
          throw worldError(
            `${where}.resourceArns: ${resourceArn} is not a resource of ${def.ownerId} in ${def.region}`,
          );
        }
      }
      try {
        for (const principal of def.principals) addPrincipal(twin, share, principal, longAgo, true);
        for (const principal of def.pendingPrincipals) {
          const record = addPrincipal(twin, share, principal, twin.now());
          if (record.invitationArn === undefined) {
            throw worldError(`${where}.pendingPrincipals: ${principal} is shared without invitation (in-org sharing)`);
          }
        }
      } catch (error) {
        if (error instanceof TwinError) throw worldError(`${where}.principals: ${error.code}: ${error.message}`);
        throw error;
      }
    }
  },

  // RAM documents no per-API token bucket rates: calls are not throttled by the twin (docs/twin-route53-ram.md).
  bucketFor: () => undefined,

  operations: {
    EnableSharingWithAwsOrganization(ctx): EnableSharingWithAwsOrganizationResponse {
      const orgs = orgState(ctx.twin);
      // "You must call this operation from an IAM role or user in the organization's management account" (API ref).
      if (!orgs.organization || orgs.organization.managementAccountId !== ctx.caller.accountId) {
        throw new TwinError(
          'OperationNotPermittedException',
          'Sharing with AWS Organizations can only be enabled by the management account of an organization.',
          400,
        );
      }
      ramState(ctx.twin).sharingWithOrganizationEnabled = true;
      return { returnValue: true };
    },

    CreateResourceShare(ctx, input: CreateResourceShareRequest): CreateResourceShareResponse {
      if (!input.name) throw err.missing('name');
      const params = {
        name: input.name,
        resourceArns: input.resourceArns ?? [],
        principals: input.principals ?? [],
        tags: input.tags ?? [],
        allowExternalPrincipals: input.allowExternalPrincipals ?? true,
        permissionArns: input.permissionArns ?? [],
        sources: input.sources ?? [],
      };
      return idempotent(ctx, input.clientToken, params, (clientToken) => {
        for (const arn of params.resourceArns) if (!parseArn(arn)) throw err.malformedArn(arn);
        const share: ShareRecord = {
          arn: `arn:aws:ram:${ctx.region}:${ctx.caller.accountId}:resource-share/${ctx.twin.newUuid()}`,
          name: params.name,
          ownerId: ctx.caller.accountId,
          region: ctx.region,
          allowExternalPrincipals: params.allowExternalPrincipals,
          tags: params.tags.map((t) => ({ key: t.key ?? '', value: t.value ?? '' })),
          createdAt: ctx.now,
          updatedAt: ctx.now,
          associations: [],
        };
        // Validate every principal before any state changes: a rejected request leaves nothing behind.
        for (const principal of params.principals) checkPrincipal(ctx.twin, share, principal);
        for (const arn of params.resourceArns) addResource(ctx.twin, share, arn, ctx.now);
        for (const principal of params.principals) addPrincipal(ctx.twin, share, principal, ctx.now);
        ramState(ctx.twin).shares[share.arn] = share;
        return { resourceShare: shareView(share), clientToken };
      });
    },

    AssociateResourceShare(ctx, input: AssociateResourceShareRequest): AssociateResourceShareResponse {
      return changeAssociations(ctx, input, (share, params, clientToken) => {
        for (const arn of params.resourceArns) if (!parseArn(arn)) throw err.malformedArn(arn);
        for (const principal of params.principals) checkPrincipal(ctx.twin, share, principal);
        const state = ramState(ctx.twin);
        const touched = [
          ...params.resourceArns.map((arn) => addResource(ctx.twin, share, arn, ctx.now)),
          ...params.principals.map((p) => addPrincipal(ctx.twin, share, p, ctx.now)),
        ];
        share.updatedAt = ctx.now;
        // AWS answers while the work is in progress: new associations are reported ASSOCIATING.
        const views = touched.map((a) =>
          associationView(state, share, a, ctx.now, a.createdAt === ctx.now ? 'ASSOCIATING' : undefined),
        );
        return { resourceShareAssociations: views, clientToken };
      });
    },

    DisassociateResourceShare(ctx, input: DisassociateResourceShareRequest): DisassociateResourceShareResponse {
      return changeAssociations(ctx, input, (share, params, clientToken) => {
        const state = ramState(ctx.twin);
        const targets: AssociationRecord[] = [];
        const pick = (type: 'RESOURCE' | 'PRINCIPAL', entity: string) => {
          if (type === 'RESOURCE' && !parseArn(entity)) throw err.malformedArn(entity);
          if (type === 'PRINCIPAL') parsePrincipal(entity);
          const a = share.associations.find((x) => x.type === type && x.entity === entity && live(x));
          if (!a) {
            throw new TwinError(
              'UnknownResourceException',
              `${entity} is not associated with the resource share ${share.arn}.`,
              400,
            );
          }
          targets.push(a);
        };
        for (const arn of params.resourceArns) pick('RESOURCE', arn);
        for (const principal of params.principals) pick('PRINCIPAL', principal);
        for (const a of targets) a.disassociatedAt = ctx.now;
        share.updatedAt = ctx.now;
        const views = targets.map((a) => associationView(state, share, a, ctx.now, 'DISASSOCIATING'));
        return { resourceShareAssociations: views, clientToken };
      });
    },

    DeleteResourceShare(ctx, input: DeleteResourceShareRequest): DeleteResourceShareResponse {
      const share = requireOwnShare(ctx, input.resourceShareArn);
      return idempotent(ctx, input.clientToken, { resourceShareArn: share.arn }, (clientToken) => {
        requireActive(share);
        share.deletedAt = ctx.now;
        share.updatedAt = ctx.now;
        for (const a of share.associations) if (live(a)) a.disassociatedAt = ctx.now;
        return { returnValue: true, clientToken };
      });
    },

    GetResourceShares(ctx, input: GetResourceSharesRequest): GetResourceSharesResponse {
      const owner = requireResourceOwner(input.resourceOwner);
      if (owner === 'OTHER-ACCOUNTS' && (input.tagFilters?.length ?? 0) > 0) {
        // https://github.com/hashicorp/terraform-provider-aws/issues/40970
        throw err.invalid(
          'You cannot use resourceOwner set to OTHER-ACCOUNTS and tagFilters in one request. Specify one parameter and try again.',
        );
      }
      for (const arn of input.resourceShareArns ?? []) if (!SHARE_ARN.test(arn)) throw err.malformedArn(arn);
      const state = ramState(ctx.twin);
      const candidates =
        owner === 'SELF'
          ? Object.values(state.shares).filter((s) => s.ownerId === ctx.caller.accountId && s.region === ctx.region)
          : sharesVisibleTo(ctx.twin, ctx.caller.accountId, ctx.region, ctx.now);
      const matches = candidates.filter((share) => {
        const view = shareView(share);
        if (input.resourceShareArns && !input.resourceShareArns.includes(share.arn)) return false;
        if (input.resourceShareStatus && view.status !== input.resourceShareStatus) return false;
        if (input.name !== undefined && share.name !== input.name) return false;
        for (const filter of input.tagFilters ?? []) {
          const ok = share.tags.some(
            (t) =>
              t.key === filter.tagKey &&
              ((filter.tagValues?.length ?? 0) === 0 || (filter.tagValues ?? []).includes(t.value ?? '')),
          );
          if (!ok) return false;
        }
        return true;
      });
      const { page, nextToken } = paginate(matches, input.maxResults, input.nextToken, 500);
      return { resourceShares: page.map(shareView), nextToken };
    },

    GetResourceShareAssociations(
      ctx,
      input: GetResourceShareAssociationsRequest,
    ): GetResourceShareAssociationsResponse {
      const type = input.associationType;
      if (type === undefined) throw err.missing('associationType');
      if (type !== 'PRINCIPAL' && type !== 'RESOURCE') {
        throw err.invalid(`Value ${type} for associationType must be one of PRINCIPAL, RESOURCE.`);
      }
      if (type === 'PRINCIPAL' && input.resourceArn !== undefined) {
        throw err.invalid('You cannot specify resourceArn when associationType is PRINCIPAL.');
      }
      if (type === 'RESOURCE' && input.principal !== undefined) {
        throw err.invalid('You cannot specify principal when associationType is RESOURCE.');
      }
      if (input.resourceArn !== undefined && !parseArn(input.resourceArn)) throw err.malformedArn(input.resourceArn);
      for (const arn of input.resourceShareArns ?? []) if (!SHARE_ARN.test(arn)) throw err.malformedArn(arn);
      const state = ramState(ctx.twin);
      // Only shares the caller owns ("associations for resource shares that you own", API reference).
      const own = Object.values(state.shares).filter(
        (s) =>
          s.ownerId === ctx.caller.accountId &&
          s.region === ctx.region &&
          (!input.resourceShareArns || input.resourceShareArns.includes(s.arn)),
      );
      const views: ResourceShareAssociation[] = [];
      for (const share of own) {
        for (const a of share.associations) {
          if (a.type !== type) continue;
          if (input.resourceArn !== undefined && a.entity !== input.resourceArn) continue;
          if (input.principal !== undefined && a.entity !== input.principal) continue;
          const view = associationView(state, share, a, ctx.now);
          if (input.associationStatus !== undefined && view.status !== input.associationStatus) continue;
          views.push(view);
        }
      }
      const { page, nextToken } = paginate(views, input.maxResults, input.nextToken, 500);
      return { resourceShareAssociations: page, nextToken };
    },

    GetResourceShareInvitations(ctx, input: GetResourceShareInvitationsRequest): GetResourceShareInvitationsResponse {
      const state = ramState(ctx.twin);
      for (const arn of input.resourceShareInvitationArns ?? [])
        if (!INVITATION_ARN.test(arn)) throw err.malformedArn(arn);
      for (const arn of input.resourceShareArns ?? []) if (!SHARE_ARN.test(arn)) throw err.malformedArn(arn);
      // Invitations the caller received ("invitations that you have received", API reference).
      const received = Object.values(state.invitations).filter(
        (i) => i.receiverAccountId === ctx.caller.accountId && i.region === ctx.region,
      );
      for (const arn of input.resourceShareInvitationArns ?? []) {
        if (!received.some((i) => i.arn === arn)) throw err.invitationNotFound(arn);
      }
      const matches = received.filter(
        (i) =>
          (!input.resourceShareInvitationArns || input.resourceShareInvitationArns.includes(i.arn)) &&
          (!input.resourceShareArns || input.resourceShareArns.includes(i.shareArn)),
      );
      const { page, nextToken } = paginate(matches, input.maxResults, input.nextToken, 500);
      return { resourceShareInvitations: page.map((i) => invitationView(state, i, ctx.now)), nextToken };
    },

    AcceptResourceShareInvitation(
      ctx,
      input: AcceptResourceShareInvitationRequest,
    ): AcceptResourceShareInvitationResponse {
      return answerInvitation(ctx, input, 'ACCEPTED');
    },

    RejectResourceShareInvitation(
      ctx,
      input: RejectResourceShareInvitationRequest,
    ): RejectResourceShareInvitationResponse {
      return answerInvitation(ctx, input, 'REJECTED');
    },

    ListResources(ctx, input: ListResourcesRequest): ListResourcesResponse {
      const owner = requireResourceOwner(input.resourceOwner);
      if (owner === 'OTHER-ACCOUNTS' && input.principal !== undefined) {
        throw err.invalid('You cannot specify principal when resourceOwner is OTHER-ACCOUNTS.');
      }
      for (const arn of input.resourceArns ?? []) if (!parseArn(arn)) throw err.malformedArn(arn);
      for (const arn of input.resourceShareArns ?? []) if (!SHARE_ARN.test(arn)) throw err.malformedArn(arn);
      const state = ramState(ctx.twin);
      const shares =
        owner === 'SELF'
          ? Object.values(state.shares).filter(
              (s) =>
                s.ownerId === ctx.caller.accountId &&
                s.region === ctx.region &&
                s.deletedAt === undefined &&
                (input.principal === undefined ||
                  s.associations.some(
                    (a) =>
                      a.type === 'PRINCIPAL' &&
                      a.entity === input.principal &&
                      associationStatus(state, a, ctx.now).status === 'ASSOCIATED',
                  )),
            )
          : sharesVisibleTo(ctx.twin, ctx.caller.accountId, ctx.region, ctx.now);
      const resources: Resource[] = [];
      for (const share of shares) {
        if (input.resourceShareArns && !input.resourceShareArns.includes(share.arn)) continue;
        for (const a of share.associations) {
          if (a.type !== 'RESOURCE') continue;
          const status = associationStatus(state, a, ctx.now);
          if (status.status !== 'ASSOCIATED') continue;
          const arn = parseArn(a.entity)!;
          const type = resourceTypeOf(arn);
          if (input.resourceType !== undefined && type.toLowerCase() !== input.resourceType.toLowerCase()) continue;
          if (input.resourceArns && !input.resourceArns.includes(a.entity)) continue;
          resources.push({
            arn: a.entity,
            type,
            resourceShareArn: share.arn,
            status: 'AVAILABLE',
            creationTime: new Date(a.createdAt),
            lastUpdatedTime: new Date(a.createdAt),
            resourceRegionScope: arn.region === '' ? 'GLOBAL' : 'REGIONAL',
          });
        }
      }
      const { page, nextToken } = paginate(resources, input.maxResults, input.nextToken, 500);
      return { resources: page, nextToken };
    },
  },

  snapshot(state, now) {
    // Observable, restorable state: ACTIVE shares and their live associations with statuses resolved at `now`.
    // Deleted shares, DISASSOCIATED associations, answered invitations and client tokens are history, omitted so
    // that "share then unshare" compares equal to the state before (docs/twin-route53-ram.md).
    const shares: Record<string, unknown> = {};
    for (const share of Object.values(state.shares)) {
      if (share.deletedAt !== undefined) continue;
      const entries = (type: 'PRINCIPAL' | 'RESOURCE') =>
        share.associations
          .filter((a) => a.type === type && live(a))
          .map((a) => `${a.entity} ${associationStatus(state, a, now).status}`)
          .sort();
      shares[share.arn] = {
        name: share.name,
        ownerId: share.ownerId,
        region: share.region,
        allowExternalPrincipals: share.allowExternalPrincipals,
        tags: share.tags,
        resources: entries('RESOURCE'),
        principals: entries('PRINCIPAL'),
      };
    }
    return { sharingWithOrganizationEnabled: state.sharingWithOrganizationEnabled, shares };
  },
};

function answerInvitation(
  ctx: CallContext,
  input: { resourceShareInvitationArn?: string; clientToken?: string },
  answer: 'ACCEPTED' | 'REJECTED',
): { resourceShareInvitation: ResourceShareInvitation; clientToken: string } {
  const arn = input.resourceShareInvitationArn;
  if (!arn) throw err.missing('resourceShareInvitationArn');
  if (!INVITATION_ARN.test(arn)) throw err.malformedArn(arn);
  const state = ramState(ctx.twin);
  return idempotent(ctx, input.clientToken, { resourceShareInvitationArn: arn }, (clientToken) => {
    const invitation = state.invitations[arn];
    // Only the receiver sees its invitations: anyone else gets "not found".
    if (!invitation || invitation.receiverAccountId !== ctx.caller.accountId || invitation.region !== ctx.region) {
      throw err.invitationNotFound(arn);
    }
    const current = invitationStatus(invitation, ctx.now).status;
    if (current === 'ACCEPTED') {
      throw new TwinError(
        'ResourceShareInvitationAlreadyAcceptedException',
        `The invitation ${arn} was already accepted.`,
        400,
      );
    }
    if (current === 'REJECTED') {
      throw new TwinError(
        'ResourceShareInvitationAlreadyRejectedException',
        `The invitation ${arn} was already rejected.`,
        400,
      );
    }
    if (current === 'EXPIRED') {
      throw new TwinError('ResourceShareInvitationExpiredException', `The invitation ${arn} has expired.`, 400);
    }
    invitation.answer = { status: answer, at: ctx.now };
    return { resourceShareInvitation: invitationView(state, invitation, ctx.now), clientToken };
  });
}

function worldError(message: string): Error {
  // Lazy: twin/world.ts imports this module for its schema.
  const { TwinWorldError } = worldModule();
  return new TwinWorldError(message);
}
