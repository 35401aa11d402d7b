import type {
  AssociateVPCWithHostedZoneRequest,
  AssociateVPCWithHostedZoneResponse,
  ChangeInfo,
  CreateHostedZoneRequest,
  CreateHostedZoneResponse,
  CreateVPCAssociationAuthorizationRequest,
  CreateVPCAssociationAuthorizationResponse,
  DeleteHostedZoneRequest,
  DeleteHostedZoneResponse,
  DeleteVPCAssociationAuthorizationRequest,
  DeleteVPCAssociationAuthorizationResponse,
  DisassociateVPCFromHostedZoneRequest,
  DisassociateVPCFromHostedZoneResponse,
  GetChangeRequest,
  GetChangeResponse,
  GetHostedZoneLimitRequest,
  GetHostedZoneLimitResponse,
  GetHostedZoneRequest,
  GetHostedZoneResponse,
  HostedZone,
  ListHostedZonesByVPCRequest,
  ListHostedZonesByVPCResponse,
  ListHostedZonesRequest,
  ListHostedZonesResponse,
  ListVPCAssociationAuthorizationsRequest,
  ListVPCAssociationAuthorizationsResponse,
  VPC,
  VPCRegion,
} from '@aws-sdk/client-route-53';
import * as z from 'zod';
import { TwinError } from '../errors';
import { lazyModule } from '../lazy';
import type { Twin } from '../twin';
import type { CallContext, ServiceModule } from '../types';

/**
 * Route 53 private hosted zones as spokelink uses them: zones, their VPC associations, cross-account association
 * authorizations and the asynchronous change each association makes (PENDING for `twin.timings.route53ChangeMs`,
 * during which further changes to the zone get `PriorRequestNotComplete`). Route 53 is global: the region of the
 * call does not matter, VPCs are named by id and region. Public zones and record sets are not modeled.
 *
 * Ids: the SDK strips `/hostedzone/` and `/change/` from `Id`/`HostedZoneId` inputs
 * (@aws-sdk/middleware-sdk-route53 idNormalizer), so handlers receive bare ids; answers carry them the way Route 53
 * does (`HostedZone.Id` `/hostedzone/Z...`, `ChangeInfo.Id` `/change/C...`, bare `HostedZoneId` in summaries and
 * authorizations, which the API types as ResourceId). What is modeled and the known differences:
 * docs/twin-route53-ram.md.
 */

/** Default MAX_VPCS_ASSOCIATED_BY_ZONE (Route 53 quotas; GetHostedZoneLimit is the per-zone truth). */
export const DEFAULT_MAX_VPCS_PER_ZONE = 300;
/**
 * "Authorizations that you can create so you can associate VPCs that were created by one account with a hosted zone
 * that was created by another account: 100" (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html).
 */
export const MAX_AUTHORIZATIONS_PER_ZONE = 100;
/** "Hosted zones: 500 per AWS account" (same page). */
export const MAX_HOSTED_ZONES_PER_ACCOUNT = 500;

const ZONE_ID = /^Z[0-9A-Z]{1,31}$/;
const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

// ---- world ----------------------------------------------------------------------------------------------------

const vpcRef = z.strictObject({
  vpcId: z.string().regex(VPC_ID, 'must look like vpc-0123456789abcdef0'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as us-east-1'),
});

/** World file section: private hosted zones with their VPC associations and pending authorizations. */
export const route53WorldSchema = z
  .strictObject({
    zones: z
      .array(
        z.strictObject({
          id: z.string().regex(ZONE_ID, 'must look like Z0123456789ABCDEFGHIJ'),
          /** Domain name; stored lowercase with a trailing dot, as Route 53 does. */
          name: z.string().min(1),
          ownerId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
          private: z.literal(true).default(true),
          vpcs: z.array(vpcRef).min(1, 'a private hosted zone has at least one VPC'),
          authorizations: z.array(vpcRef).max(MAX_AUTHORIZATIONS_PER_ZONE).default([]),
          /** GetHostedZoneLimit MAX_VPCS_ASSOCIATED_BY_ZONE for this zone (default 300). */
          maxVpcs: z.number().int().min(1).optional(),
          callerReference: z.string().min(1).max(128).optional(),
          comment: z.string().max(256).optional(),
        }),
      )
      .default([]),
  })
  .default({ zones: [] });
export type Route53World = z.infer<typeof route53WorldSchema>;

// ---- state ----------------------------------------------------------------------------------------------------

interface VpcRef {
  vpcId: string;
  region: string;
}

interface ZoneRecord {
  id: string;
  name: string;
  ownerId: string;
  callerReference: string;
  comment?: string;
  vpcs: VpcRef[];
  authorizations: VpcRef[];
  maxVpcs: number;
  /** Until then the zone's last change is PENDING and new changes get PriorRequestNotComplete. */
  busyUntil: number;
}

interface ChangeRecord {
  id: string;
  zoneId: string;
  accountId: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

export interface Route53State {
  zones: Record<string, ZoneRecord>;
  changes: Record<string, ChangeRecord>;
  /** CallerReferences already used, per account (they can't be reused, even after the zone is deleted). */
  callerReferences: Record<string, string[]>;
}

function r53(twin: Twin): Route53State {
  return twin.stateOf<Route53State>('route53');
}

// ---- helpers --------------------------------------------------------------------------------------------------

const invalidInput = (message: string) => new TwinError('InvalidInput', message, 400);

/** Lowercase with a trailing dot ("Route 53 stores alphabetic characters as lowercase letters"). */
export function normalizeZoneName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** DomainNameFormat: labels of at most 63 bytes, at most 255 in all, printable ASCII, no `*` leftmost. */
function validateName(raw: string): string {
  const name = normalizeZoneName(raw);
  const labels = name.slice(0, -1).split('.');
  const ok =
    name.length <= 255 &&
    /^[!-~]+$/.test(name) &&
    labels.every((l) => l.length >= 1 && l.length <= 63) &&
    !labels[0]!.includes('*');
  // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html
  if (!ok) throw new TwinError('InvalidDomainName', `${raw} is not a valid domain name.`, 400);
  return name;
}

function usedReferences(state: Route53State, accountId: string): string[] {
  const used = state.callerReferences[accountId] ?? [];
  state.callerReferences[accountId] = used;
  return used;
}

function noSuchZone(id: string | undefined): TwinError {
  return new TwinError('NoSuchHostedZone', `No hosted zone found with ID: ${id ?? ''}`, 404);
}

function requireZone(ctx: CallContext, id: string | undefined): ZoneRecord {
  if (!id) throw invalidInput('HostedZoneId is required.');
  const zone = r53(ctx.twin).zones[id];
  if (!zone) throw noSuchZone(id);
  return zone;
}

/**
 * Another account's zone answers AccessDenied (HTTP 403 "is not authorized to access this resource"), the answer
 * Route 53 gives for a zone id of another account (https://github.com/aws/aws-sdk-php/issues/2141).
 */
function requireOwnZone(ctx: CallContext, id: string | undefined): ZoneRecord {
  const zone = requireZone(ctx, id);
  if (zone.ownerId !== ctx.caller.accountId) {
    throw new TwinError('AccessDenied', `User: ${ctx.caller.arn} is not authorized to access this resource`, 403);
  }
  return zone;
}

function requireVpcInput(vpc: VPC | undefined): VpcRef {
  const vpcId = vpc?.VPCId;
  if (!vpcId || !VPC_ID.test(vpcId)) {
    throw new TwinError('InvalidVPCId', `The VPC ID '${vpcId ?? ''}' is not a valid VPC ID.`, 400);
  }
  if (!vpc?.VPCRegion) throw invalidInput('VPCRegion is required for a private hosted zone VPC.');
  return { vpcId, region: vpc.VPCRegion };
}

interface VpcView {
  id: string;
  ownerId: string;
  region: string;
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
}

interface Ec2Lookups {
  findVpc?: (twin: Twin, vpcId: string) => VpcView | undefined;
  endpointDnsNamesHeld?: (twin: Twin, vpcId: string, now: number) => string[];
}

/** The EC2 model, loaded lazily (the modules load independently). */
const ec2Lookups = lazyModule(() => require('./ec2') as Ec2Lookups);
const worldModule = lazyModule(() => require('../world') as typeof import('../world'));

/** Private DNS names the VPC's interface endpoints hold (EC2 model, loaded lazily). */
function endpointNamesOfVpc(twin: Twin, ref: VpcRef, now: number): string[] {
  const { endpointDnsNamesHeld } = ec2Lookups();
  return typeof endpointDnsNamesHeld === 'function' ? endpointDnsNamesHeld(twin, ref.vpcId, now) : [];
}

/** The EC2 model's VPC lookup, loaded lazily (the modules load independently). */
function findVpc(twin: Twin, ref: VpcRef): VpcView | undefined {
  const { findVpc: find } = ec2Lookups();
  if (typeof find !== 'function') throw new Error('twin: route53 needs ec2.findVpc (EC2 model not loaded)');
  const vpc = find(twin, ref.vpcId);
  return vpc && vpc.region === ref.region ? vpc : undefined;
}

const sameVpc = (a: VpcRef, b: VpcRef) => a.vpcId === b.vpcId && a.region === b.region;

function invalidVpc(ref: VpcRef): TwinError {
  return new TwinError(
    'InvalidVPCId',
    `The VPC ${ref.vpcId} in region ${ref.region} doesn't exist or the current account is not authorized to access it.`,
    400,
  );
}

/**
 * A caller that does not own the VPC gets NotAuthorizedException (HTTP 401) naming the VPC under the caller's
 * account, as Route 53 answers it (https://github.com/hashicorp/terraform-provider-aws/issues/18176).
 */
function notVpcOwner(ctx: CallContext, ref: VpcRef): TwinError {
  return new TwinError(
    'NotAuthorizedException',
    `User: ${ctx.caller.arn} is not authorized to perform: route53:${ctx.operation} on resource: arn:aws:ec2:${ref.region}:${ctx.caller.accountId}:vpc/${ref.vpcId}`,
    401,
  );
}

/** The VPC a request names must exist (InvalidVPCId) and be the caller's (NotAuthorizedException). */
function requireCallersVpc(ctx: CallContext, ref: VpcRef): void {
  const vpc = findVpc(ctx.twin, ref);
  if (!vpc) throw invalidVpc(ref);
  if (vpc.ownerId !== ctx.caller.accountId) throw notVpcOwner(ctx, ref);
}

/** The zone and VPC a VPC association authorization names; only the zone's owner manages its authorizations. */
function authorizationTarget(
  ctx: CallContext,
  input: { HostedZoneId?: string; VPC?: VPC },
): { zone: ZoneRecord; ref: VpcRef } {
  return { zone: requireOwnZone(ctx, input.HostedZoneId), ref: requireVpcInput(input.VPC) };
}

function priorRequestNotComplete(ctx: CallContext, zone: ZoneRecord): void {
  if (ctx.now < zone.busyUntil) {
    // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests-route-53
    throw new TwinError(
      'PriorRequestNotComplete',
      'The request was rejected because Route 53 was still processing a prior request.',
      400,
    );
  }
}

function newChange(ctx: CallContext, zone: ZoneRecord, comment: string | undefined): ChangeRecord {
  const change: ChangeRecord = {
    id: `C${ctx.twin.newId('c', 20).slice(2).toUpperCase()}`,
    zoneId: zone.id,
    accountId: ctx.caller.accountId,
    submittedAt: ctx.now,
    insyncAt: ctx.now + ctx.twin.timings.route53ChangeMs,
  };
  if (comment !== undefined) change.comment = comment;
  r53(ctx.twin).changes[change.id] = change;
  zone.busyUntil = Math.max(zone.busyUntil, change.insyncAt);
  return change;
}

function changeInfo(change: ChangeRecord, now: number): ChangeInfo {
  const info: ChangeInfo = {
    Id: `/change/${change.id}`,
    Status: now >= change.insyncAt ? 'INSYNC' : 'PENDING',
    SubmittedAt: new Date(change.submittedAt),
  };
  if (change.comment !== undefined) info.Comment = change.comment;
  return info;
}

function zoneView(zone: ZoneRecord): HostedZone {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: zone.comment === undefined ? { PrivateZone: true } : { Comment: zone.comment, PrivateZone: true },
    // A new zone holds its SOA and NS records.
    ResourceRecordSetCount: 2,
  };
}

const vpcView = (ref: VpcRef): VPC => ({ VPCId: ref.vpcId, VPCRegion: ref.region as VPCRegion });

/** True when the VPC is associated with a zone named `name` (the zone itself included). */
function conflictingZone(state: Route53State, name: string, ref: VpcRef): ZoneRecord | undefined {
  return Object.values(state.zones).find((z) => z.name === name && z.vpcs.some((v) => sameVpc(v, ref)));
}

function conflictingDomain(ref: VpcRef, name: string): TwinError {
  // Message as Route 53 answers it (https://github.com/infrablocks/terraform-aws-base-networking/issues/4).
  return new TwinError(
    'ConflictingDomainExists',
    `The VPC that you chose, ${ref.vpcId} in region ${ref.region}, is already associated with another private hosted zone that has an overlapping name space, ${name}.`,
    400,
  );
}

/** Offset paging for the Route 53 list calls that use NextToken. */
function page<T>(items: T[], max: number | undefined, token: string | undefined, defaultMax: number) {
  let offset = 0;
  if (token !== undefined) {
    const m = /^r53:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
    if (!m) {
      throw new TwinError(
        'InvalidPaginationToken',
        'The value that you specified to get the second or subsequent page of results is invalid.',
        400,
      );
    }
    offset = Number(m[1]);
  }
  const size = max ?? defaultMax;
  if (!Number.isInteger(size) || size < 1) throw invalidInput(`Invalid value for MaxItems: ${size}`);
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? Buffer.from(`r53:${offset + size}`).toString('base64') : undefined;
  return { items: slice, next, size };
}

// ---- helpers for other modules and tests --------------------------------------------------------------------------

/**
 * True when names of the zone resolve inside the VPC: the VPC is associated with the zone and has both
 * `enableDnsSupport` and `enableDnsHostnames` on (Route 53 developer guide, private hosted zone considerations).
 * What a workload in the spoke VPC would observe; the API itself accepts associations with DNS attributes off.
 */
export function zoneResolvesInVpc(twin: Twin, zoneId: string, vpcId: string, region: string): boolean {
  const zone = r53(twin).zones[zoneId];
  const ref = { vpcId, region };
  if (!zone?.vpcs.some((v) => sameVpc(v, ref))) return false;
  return vpcResolvesPrivateDns(twin, vpcId, region);
}

/** True when the VPC has `enableDnsSupport` and `enableDnsHostnames` on (needed for any private zone to resolve). */
export function vpcResolvesPrivateDns(twin: Twin, vpcId: string, region: string): boolean {
  const vpc = findVpc(twin, { vpcId, region });
  return vpc?.enableDnsSupport === true && vpc.enableDnsHostnames;
}

/** Id, name (lowercase, trailing dot) and owner of a zone, or undefined. */
export function zoneSummary(twin: Twin, zoneId: string): { id: string; name: string; ownerId: string } | undefined {
  const zone = r53(twin).zones[zoneId];
  return zone && { id: zone.id, name: zone.name, ownerId: zone.ownerId };
}

/** The zones a VPC is directly associated with (id and name). */
export function zonesOfVpcInTwin(twin: Twin, vpcId: string, region: string): { id: string; name: string }[] {
  const ref = { vpcId, region };
  return Object.values(r53(twin).zones)
    .filter((z) => z.vpcs.some((v) => sameVpc(v, ref)))
    .map((z) => ({ id: z.id, name: z.name }));
}

// ---- the service ----------------------------------------------------------------------------------------------

export const route53: ServiceModule<Route53State, { route53: Route53World }> = {
  name: 'route53',
  createState: () => ({ zones: {}, changes: {}, callerReferences: {} }),

  seed(twin, world) {
    const state = r53(twin);
    for (const [i, def] of world.route53.zones.entries()) {
      const where = `route53.zones.${i}`;
      if (state.zones[def.id]) throw worldError(`${where}.id: duplicate zone ${def.id}`);
      let name: string;
      try {
        name = validateName(def.name);
      } catch {
        throw worldError(`${where}.name: ${def.name} is not a valid domain name`);
      }
      const zone: ZoneRecord = {
        id: def.id,
        name,
        ownerId: def.ownerId,
        callerReference: def.callerReference ?? `world-${def.id}`,
        vpcs: [],
        authorizations: def.authorizations.map((a) => ({ ...a })),
        maxVpcs: def.maxVpcs ?? DEFAULT_MAX_VPCS_PER_ZONE,
        busyUntil: Number.NEGATIVE_INFINITY,
      };
      if (def.comment !== undefined) zone.comment = def.comment;
      if (def.vpcs.length > zone.maxVpcs) throw worldError(`${where}.vpcs: more than maxVpcs (${zone.maxVpcs})`);
      for (const [j, ref] of def.vpcs.entries()) {
        if (!findVpc(twin, ref)) throw worldError(`${where}.vpcs.${j}: no VPC ${ref.vpcId} in ${ref.region}`);
        if (conflictingZone(state, name, ref) || zone.vpcs.some((v) => sameVpc(v, ref))) {
          throw worldError(`${where}.vpcs.${j}: ${ref.vpcId} is already associated with a zone named ${name}`);
        }
        zone.vpcs.push({ ...ref });
      }
      state.zones[zone.id] = zone;
      usedReferences(state, zone.ownerId).push(zone.callerReference);
    }
  },

  // Every call takes a token from the account bucket ('route53:account', added by the core) and from its
  // operation's own bucket: AssociateVPCWithHostedZone 20/5, DisassociateVPCFromHostedZone 10/5, CreateHostedZone
  // 40/2, DeleteHostedZone 40/5, any other 50/10 per s
  // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/throttling-api-requests.html). A bucket name without
  // a spec in the throttler is not enforced.
  bucketFor: (operation) => `route53:${operation}`,

  operations: {
    CreateHostedZone(ctx, input: CreateHostedZoneRequest): CreateHostedZoneResponse {
      const state = r53(ctx.twin);
      if (!input.Name) throw invalidInput('Name is required.');
      const callerReference = input.CallerReference;
      if (!callerReference || callerReference.length > 128)
        throw invalidInput('CallerReference must be 1-128 characters.');
      if (!input.VPC) throw new Error('twin: route53 models private hosted zones only (CreateHostedZone without VPC)');
      if (input.DelegationSetId !== undefined) throw invalidInput('A private hosted zone cannot use a delegation set.');
      const name = validateName(input.Name);
      const used = usedReferences(state, ctx.caller.accountId);
      // CallerReference identifies the request: reusing it fails, even with identical parameters (API reference,
      // HostedZoneAlreadyExists: "a hosted zone has already been created with the specified CallerReference").
      if (used.includes(callerReference)) {
        throw new TwinError(
          'HostedZoneAlreadyExists',
          `A hosted zone has already been created with the specified caller reference ${callerReference}.`,
          409,
        );
      }
      const ref = requireVpcInput(input.VPC);
      const vpc = findVpc(ctx.twin, ref);
      // "The hosted zone you are trying to create for your VPC_ID does not belong to you" (InvalidVPCId).
      if (!vpc || vpc.ownerId !== ctx.caller.accountId) throw invalidVpc(ref);
      if (conflictingZone(state, name, ref)) throw conflictingDomain(ref, name);
      const owned = Object.values(state.zones).filter((z) => z.ownerId === ctx.caller.accountId).length;
      if (owned >= MAX_HOSTED_ZONES_PER_ACCOUNT) {
        throw new TwinError(
          'TooManyHostedZones',
          `This operation can't be completed because the current account has reached the limit of ${MAX_HOSTED_ZONES_PER_ACCOUNT} hosted zones.`,
          400,
        );
      }
      const zone: ZoneRecord = {
        id: `Z0${ctx.twin.newId('z', 18).slice(2).toUpperCase()}`,
        name,
        ownerId: ctx.caller.accountId,
        callerReference,
        vpcs: [ref],
        authorizations: [],
        maxVpcs: DEFAULT_MAX_VPCS_PER_ZONE,
        busyUntil: Number.NEGATIVE_INFINITY,
      };
      if (input.HostedZoneConfig?.Comment !== undefined) zone.comment = input.HostedZoneConfig.Comment;
      state.zones[zone.id] = zone;
      used.push(callerReference);
      const change = newChange(ctx, zone, undefined);
      return {
        HostedZone: zoneView(zone),
        ChangeInfo: changeInfo(change, ctx.now),
        // Private zones have no name servers of their own.
        DelegationSet: undefined,
        VPC: vpcView(ref),
        Location: `https://route53.amazonaws.com/2013-04-01/hostedzone/${zone.id}`,
      };
    },

    GetHostedZone(ctx, input: GetHostedZoneRequest): GetHostedZoneResponse {
      const zone = requireOwnZone(ctx, input.Id);
      return { HostedZone: zoneView(zone), VPCs: zone.vpcs.map(vpcView) };
    },

    ListHostedZones(ctx, input: ListHostedZonesRequest): ListHostedZonesResponse {
      if (input.DelegationSetId !== undefined)
        throw invalidInput('DelegationSetId is not supported for private zones.');
      // Every modeled zone is private, so HostedZoneType (only PrivateHostedZone exists) filters nothing out.
      const own = Object.values(r53(ctx.twin).zones).filter((z) => z.ownerId === ctx.caller.accountId);
      const maxItems = input.MaxItems ?? 100;
      if (!Number.isInteger(maxItems) || maxItems < 1) throw invalidInput(`Invalid value for MaxItems: ${maxItems}`);
      let start = 0;
      if (input.Marker !== undefined) {
        start = own.findIndex((z) => z.id === input.Marker);
        if (start < 0) throw invalidInput(`Invalid marker: ${input.Marker}`);
      }
      const items = own.slice(start, start + maxItems);
      const next = own[start + maxItems];
      const out: ListHostedZonesResponse = {
        HostedZones: items.map(zoneView),
        IsTruncated: next !== undefined,
        MaxItems: maxItems,
        Marker: input.Marker,
      };
      if (next) out.NextMarker = next.id;
      return out;
    },

    ListHostedZonesByVPC(ctx, input: ListHostedZonesByVPCRequest): ListHostedZonesByVPCResponse {
      const ref = requireVpcInput({ VPCId: input.VPCId, VPCRegion: input.VPCRegion });
      const vpc = findVpc(ctx.twin, ref);
      // Route 53 reads the VPC as the caller (ec2:DescribeVpcs): only the VPC's owner can list its zones.
      if (!vpc || vpc.ownerId !== ctx.caller.accountId) {
        throw invalidInput(
          `The VPC ${ref.vpcId} in region ${ref.region} is not owned by account ${ctx.caller.accountId}.`,
        );
      }
      const zones = Object.values(r53(ctx.twin).zones).filter((z) => z.vpcs.some((v) => sameVpc(v, ref)));
      const { items, next, size } = page(zones, input.MaxItems, input.NextToken, 100);
      const out: ListHostedZonesByVPCResponse = {
        HostedZoneSummaries: items.map((z) => ({
          HostedZoneId: z.id,
          Name: z.name,
          Owner: { OwningAccount: z.ownerId },
        })),
        MaxItems: size,
      };
      if (next) out.NextToken = next;
      return out;
    },

    DeleteHostedZone(ctx, input: DeleteHostedZoneRequest): DeleteHostedZoneResponse {
      const zone = requireOwnZone(ctx, input.Id);
      priorRequestNotComplete(ctx, zone);
      const change = newChange(ctx, zone, undefined);
      // The zone's VPC associations and authorizations go with it.
      delete r53(ctx.twin).zones[zone.id];
      return { ChangeInfo: changeInfo(change, ctx.now) };
    },

    GetChange(ctx, input: GetChangeRequest): GetChangeResponse {
      const change = input.Id ? r53(ctx.twin).changes[input.Id] : undefined;
      if (!change || change.accountId !== ctx.caller.accountId) {
        throw new TwinError(
          'NoSuchChange',
          `A change with the specified change ID ${input.Id ?? ''} does not exist.`,
          404,
        );
      }
      return { ChangeInfo: changeInfo(change, ctx.now) };
    },

    GetHostedZoneLimit(ctx, input: GetHostedZoneLimitRequest): GetHostedZoneLimitResponse {
      const zone = requireOwnZone(ctx, input.HostedZoneId);
      if (input.Type === 'MAX_VPCS_ASSOCIATED_BY_ZONE') {
        return { Limit: { Type: input.Type, Value: zone.maxVpcs }, Count: zone.vpcs.length };
      }
      if (input.Type === 'MAX_RRSETS_BY_ZONE') return { Limit: { Type: input.Type, Value: 10_000 }, Count: 2 };
      throw invalidInput(`Invalid limit type: ${input.Type ?? ''}`);
    },

    CreateVPCAssociationAuthorization(
      ctx,
      input: CreateVPCAssociationAuthorizationRequest,
    ): CreateVPCAssociationAuthorizationResponse {
      // "To submit a CreateVPCAssociationAuthorization request, you must use the account that created the hosted zone."
      const { zone, ref } = authorizationTarget(ctx, input);
      if (!zone.authorizations.some((a) => sameVpc(a, ref))) {
        if (zone.authorizations.length >= MAX_AUTHORIZATIONS_PER_ZONE) {
          throw new TwinError(
            'TooManyVPCAssociationAuthorizations',
            `The hosted zone ${zone.id} already has ${MAX_AUTHORIZATIONS_PER_ZONE} VPC association authorizations.`,
            400,
          );
        }
        zone.authorizations.push(ref);
      }
      return { HostedZoneId: zone.id, VPC: vpcView(ref) };
    },

    ListVPCAssociationAuthorizations(
      ctx,
      input: ListVPCAssociationAuthorizationsRequest,
    ): ListVPCAssociationAuthorizationsResponse {
      const zone = requireOwnZone(ctx, input.HostedZoneId);
      const { items, next } = page(zone.authorizations, input.MaxResults, input.NextToken, 50);
      const out: ListVPCAssociationAuthorizationsResponse = { HostedZoneId: zone.id, VPCs: items.map(vpcView) };
      if (next) out.NextToken = next;
      return out;
    },

    DeleteVPCAssociationAuthorization(
      ctx,
      input: DeleteVPCAssociationAuthorizationRequest,
    ): DeleteVPCAssociationAuthorizationResponse {
      const { zone, ref } = authorizationTarget(ctx, input);
      const i = zone.authorizations.findIndex((a) => sameVpc(a, ref));
      if (i < 0) {
        throw new TwinError(
          'VPCAssociationAuthorizationNotFound',
          `The VPC ${ref.vpcId} in region ${ref.region} is not authorized to be associated with the hosted zone ${zone.id}.`,
          404,
        );
      }
      // Only future associations are blocked: an existing association stays (API reference).
      zone.authorizations.splice(i, 1);
      return {};
    },

    AssociateVPCWithHostedZone(ctx, input: AssociateVPCWithHostedZoneRequest): AssociateVPCWithHostedZoneResponse {
      const state = r53(ctx.twin);
      const zone = requireZone(ctx, input.HostedZoneId);
      const ref = requireVpcInput(input.VPC);
      // Only the VPC's owner associates it, even when the zone owner holds an authorization for it.
      requireCallersVpc(ctx, ref);
      if (zone.ownerId !== ctx.caller.accountId && !zone.authorizations.some((a) => sameVpc(a, ref))) {
        // Message as Route 53 answers it (https://github.com/hashicorp/terraform/issues/12804).
        throw new TwinError(
          'NotAuthorizedException',
          `The VPC: ${ref.vpcId} has not authorized to associate with your hosted zone.`,
          401,
        );
      }
      priorRequestNotComplete(ctx, zone);
      // Also when the VPC is already associated with this very zone: Route 53 does not treat a repeated association
      // as a success (https://github.com/saltstack/salt/pull/47480 handles exactly this error as "already done").
      if (conflictingZone(state, zone.name, ref)) throw conflictingDomain(ref, zone.name);
      // An interface endpoint with private DNS is an AWS-managed private hosted zone associated with the VPC: a zone
      // of the same name conflicts with it (https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html).
      if (endpointNamesOfVpc(ctx.twin, ref, ctx.now).some((n) => normalizeZoneName(n) === zone.name)) {
        throw conflictingDomain(ref, zone.name);
      }
      if (zone.vpcs.length >= zone.maxVpcs) {
        throw new TwinError(
          'LimitsExceeded',
          `Limits Exceeded: MAX_VPCS_ASSOCIATED_BY_ZONE has a limit of ${zone.maxVpcs}.`,
          400,
        );
      }
      // enableDnsSupport / enableDnsHostnames are not checked here: they are needed for the zone to *resolve* in the
      // VPC (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html), and
      // AWS associates regardless (https://github.com/hashicorp/terraform-provider-aws/pull/7589). See
      // `zoneResolvesInVpc`.
      zone.vpcs.push(ref);
      const change = newChange(ctx, zone, input.Comment);
      return { ChangeInfo: changeInfo(change, ctx.now) };
    },

    DisassociateVPCFromHostedZone(
      ctx,
      input: DisassociateVPCFromHostedZoneRequest,
    ): DisassociateVPCFromHostedZoneResponse {
      const zone = requireZone(ctx, input.HostedZoneId);
      const ref = requireVpcInput(input.VPC);
      // "using either the account that created the hosted zone or the account that created the Amazon VPC".
      if (zone.ownerId !== ctx.caller.accountId) requireCallersVpc(ctx, ref);
      priorRequestNotComplete(ctx, zone);
      const i = zone.vpcs.findIndex((v) => sameVpc(v, ref));
      if (i < 0) {
        throw new TwinError(
          'VPCAssociationNotFound',
          `The specified VPC ${ref.vpcId} in region ${ref.region} and hosted zone ${zone.id} are not currently associated.`,
          404,
        );
      }
      if (zone.vpcs.length === 1) {
        throw new TwinError(
          'LastVPCAssociation',
          `The VPC ${ref.vpcId} is the last VPC associated with the private hosted zone ${zone.id} and can't be disassociated.`,
          400,
        );
      }
      zone.vpcs.splice(i, 1);
      const change = newChange(ctx, zone, input.Comment);
      return { ChangeInfo: changeInfo(change, ctx.now) };
    },
  },

  snapshot(state) {
    // Zones with their associations and authorizations. Changes (ids, PENDING/INSYNC) and used caller references
    // are history: omitted, so that "associate then disassociate" compares equal to the state before.
    const zones: Record<string, unknown> = {};
    const key = (r: VpcRef) => `${r.region}/${r.vpcId}`;
    for (const zone of Object.values(state.zones).sort((a, b) => a.id.localeCompare(b.id))) {
      zones[zone.id] = {
        name: zone.name,
        ownerId: zone.ownerId,
        comment: zone.comment ?? null,
        maxVpcs: zone.maxVpcs,
        vpcs: zone.vpcs.map(key).sort(),
        authorizations: zone.authorizations.map(key).sort(),
      };
    }
    return { zones };
  },
};

/** A TwinWorldError (also for the Route 53 Profiles world section). */
export function worldError(message: string): Error {
  // Lazy: twin/world.ts imports this module for its schema.
  const { TwinWorldError } = worldModule();
  return new TwinWorldError(message);
}
