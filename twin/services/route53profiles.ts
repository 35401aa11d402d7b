import * as z from 'zod';
import { TwinError } from '../errors';
import { lazyModule } from '../lazy';
import type { Twin } from '../twin';
import type { CallContext, ServiceModule } from '../types';
import { isResourceSharedWith } from './ram';
import { normalizeZoneName, vpcResolvesPrivateDns, worldError, zoneSummary, zonesOfVpcInTwin } from './route53';

/**
 * Route 53 Profiles as spokelink uses them, from the API reference
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_Operations_Route_53_Profiles.html) and the Profiles
 * chapter of the Route 53 developer guide (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/profiles.html):
 * - a Profile belongs to an account and a region (ARN `arn:aws:route53profiles:<region>:<account>:profile/rp-...`);
 *   its owner associates resources with it (here: private hosted zones, `AWS::Route53::HostedZone`);
 * - a VPC owner associates a Profile it owns or that is shared with it through RAM (AssociateProfile, called by the
 *   VPC's account): the association is `CREATING`, then `COMPLETE` after `twin.timings.profileAssociationMs`;
 *   DisassociateProfile makes it `DELETING` for as long, then it is gone;
 * - "You can associate only one Profile with a VPC" (AssociateProfile API reference): a second Profile for the same
 *   VPC is a ConflictException, the same Profile again a ResourceExistsException;
 * - only the VPC's owner sees its association (GetProfileAssociation / ListProfileAssociations list the caller's
 *   own VPCs): the Profile's owner cannot list its consumers;
 * - quotas (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-profiles):
 *   5 Profiles per account and region, 1,000 VPC associations per Profile, 5,000 resources (zones) per Profile, all
 *   adjustable (`quotas` in the state): LimitExceededException past them;
 * - resolution: a zone a VPC is directly associated with wins over a Profile's zone of the same name
 *   ("If you associate a private hosted zone with a VPC and the Profile associated with the VPC contains a private
 *   hosted zone with the same name, the locally associated zone takes precedence", developer guide, Profiles):
 *   `resolvingZone`.
 * AWS publishes no Route 53 Profiles request rate: the twin gives every account one stated bucket
 * (`route53profiles:account`, ../throttle.ts).
 */

export const PROFILE_QUOTAS = { profilesPerAccountRegion: 5, vpcsPerProfile: 1_000, resourcesPerProfile: 5_000 };

/** World file section: Profiles with the zones they hold, as long established (COMPLETE); raised quotas. */
export const route53profilesWorldSchema = z
  .strictObject({
    profiles: z
      .array(
        z.strictObject({
          id: z.string().regex(/^rp-[0-9a-f]{17}$/, 'must look like rp-0123456789abcdef0'),
          name: z.string().min(1).max(64),
          ownerId: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
          region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a region name such as us-east-1'),
          /** Private hosted zones (ids) of the owner the Profile holds. */
          zoneIds: z.array(z.string()).default([]),
        }),
      )
      .default([]),
    /**
     * Adjustable quotas raised for every account of the world, as an operator would through Service Quotas
     * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-entities-profiles:
     * all three "can be increased"); never below AWS's defaults.
     */
    quotas: z
      .strictObject({
        profilesPerAccountRegion: z
          .number()
          .int()
          .min(PROFILE_QUOTAS.profilesPerAccountRegion, 'cannot be below the default 5'),
        vpcsPerProfile: z.number().int().min(PROFILE_QUOTAS.vpcsPerProfile, 'cannot be below the default 1,000'),
        resourcesPerProfile: z
          .number()
          .int()
          .min(PROFILE_QUOTAS.resourcesPerProfile, 'cannot be below the default 5,000'),
      })
      .partial()
      .default({}),
  })
  .default({ profiles: [], quotas: {} });
export type Route53ProfilesWorld = z.infer<typeof route53profilesWorldSchema>;

type Status = 'CREATING' | 'COMPLETE' | 'DELETING';

interface ProfileRecord {
  id: string;
  arn: string;
  name: string;
  ownerId: string;
  region: string;
  clientToken: string;
  createdAt: number;
  modifiedAt: number;
}

interface ResourceAssociation {
  id: string;
  profileId: string;
  name: string;
  ownerId: string;
  resourceArn: string;
  createdAt: number;
  completeAt: number;
  /** Set by DisassociateResourceFromProfile: DELETING until then, gone after. */
  goneAt?: number;
}

export interface VpcAssociation {
  id: string;
  profileId: string;
  name: string;
  /** The VPC's owner: the account that associated it. */
  ownerId: string;
  vpcId: string;
  region: string;
  createdAt: number;
  completeAt: number;
  goneAt?: number;
}

export interface Route53ProfilesState {
  profiles: Record<string, ProfileRecord>;
  resources: Record<string, ResourceAssociation>;
  associations: Record<string, VpcAssociation>;
  quotas: typeof PROFILE_QUOTAS;
}

function state(twin: Twin): Route53ProfilesState {
  return twin.stateOf<Route53ProfilesState>('route53profiles');
}

// ---- errors (as the SDK models them) ---------------------------------------------------------------------------

const notFound = (what: string) => new TwinError('ResourceNotFoundException', `${what} not found.`, 404);
const invalid = (message: string) => new TwinError('InvalidParameterException', message, 400);
const limit = (message: string) => new TwinError('LimitExceededException', message, 400);
const exists = (message: string) => new TwinError('ResourceExistsException', message, 400);
const conflict = (message: string) => new TwinError('ConflictException', message, 409);
const denied = (ctx: CallContext, what: string) =>
  new TwinError(
    'AccessDeniedException',
    `User: ${ctx.caller.arn} is not authorized to perform: route53profiles:${ctx.operation} on ${what}`,
    403,
  );

function required(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new TwinError('ValidationException', `${name} is required`, 400);
  return value;
}

// ---- statuses ---------------------------------------------------------------------------------------------------

const live = (a: { goneAt?: number }, now: number) => a.goneAt === undefined || now < a.goneAt;
const statusOf = (a: { completeAt: number; goneAt?: number }, now: number): Status =>
  a.goneAt !== undefined ? 'DELETING' : now < a.completeAt ? 'CREATING' : 'COMPLETE';

/**
 * The VPC associations by VPC, by owner account and counted per Profile, and the ones being deleted: an index beside
 * `s.associations`, built on first use from the record and kept up by `addVpcAssociation`, `disassociating` and the
 * sweep, the only ways the twin changes an association (tests use them too). A Profile holds up to 1,000 VPCs by
 * default (thousands raised): every call would otherwise walk all of them.
 */
interface AssociationIndex {
  byVpc: Map<string, VpcAssociation>;
  byOwner: Map<string, Map<string, VpcAssociation>>;
  perProfile: Map<string, number>;
  going: Set<VpcAssociation>;
}

const associationIndexes = new WeakMap<Record<string, VpcAssociation>, AssociationIndex>();

const vpcKey = (region: string, vpcId: string) => `${region} ${vpcId}`;

function associationIndex(s: Route53ProfilesState): AssociationIndex {
  let index = associationIndexes.get(s.associations);
  if (!index) {
    index = { byVpc: new Map(), byOwner: new Map(), perProfile: new Map(), going: new Set() };
    for (const a of Object.values(s.associations)) indexAssociation(index, a);
    associationIndexes.set(s.associations, index);
  }
  return index;
}

function indexAssociation(index: AssociationIndex, a: VpcAssociation): void {
  // AWS holds one association per VPC; a world written out of band may hold more: the first in the record's order.
  if (!index.byVpc.has(vpcKey(a.region, a.vpcId))) index.byVpc.set(vpcKey(a.region, a.vpcId), a);
  let mine = index.byOwner.get(a.ownerId);
  if (!mine) {
    mine = new Map();
    index.byOwner.set(a.ownerId, mine);
  }
  mine.set(a.id, a);
  index.perProfile.set(a.profileId, (index.perProfile.get(a.profileId) ?? 0) + 1);
  if (a.goneAt !== undefined) index.going.add(a);
}

/** Adds a VPC association (AssociateProfile; a test's association made out of band). */
export function addVpcAssociation(s: Route53ProfilesState, a: VpcAssociation): void {
  if (Object.hasOwn(s.associations, a.id)) removeVpcAssociation(s, a.id);
  s.associations[a.id] = a;
  const index = associationIndexes.get(s.associations);
  if (index) indexAssociation(index, a);
}

/** Removes a VPC association at once (the sweep once its deletion is over; a test's removal out of band). */
export function removeVpcAssociation(s: Route53ProfilesState, id: string): void {
  const a = s.associations[id];
  if (!a) return;
  delete s.associations[id];
  const index = associationIndexes.get(s.associations);
  if (!index) return;
  const mine = index.byOwner.get(a.ownerId);
  mine?.delete(id);
  const key = vpcKey(a.region, a.vpcId);
  if (index.byVpc.get(key) === a) {
    // The VPC's owner makes its associations: another of the same VPC, if any, is among the owner's.
    const next = [...(mine?.values() ?? [])].find((b) => b.region === a.region && b.vpcId === a.vpcId);
    if (next) index.byVpc.set(key, next);
    else index.byVpc.delete(key);
  }
  index.perProfile.set(a.profileId, (index.perProfile.get(a.profileId) ?? 1) - 1);
  index.going.delete(a);
}

/**
 * Starts an association's deletion (DisassociateProfile): DELETING until `at()`, then gone. Once started, nothing:
 * `at` is not called (its timing draw would move the twin's random sequence).
 */
function disassociating(s: Route53ProfilesState, a: VpcAssociation, at: () => number): void {
  a.goneAt ??= at();
  associationIndexes.get(s.associations)?.going.add(a);
}

/** How many VPCs are associated with a Profile, DELETING ones included (they hold it until they are gone). */
function vpcsOfProfile(s: Route53ProfilesState, profileId: string): number {
  return associationIndex(s).perProfile.get(profileId) ?? 0;
}

/** The association of a VPC (whatever its Profile and status), if any. */
function associationOfVpc(s: Route53ProfilesState, region: string, vpcId: string): VpcAssociation | undefined {
  return associationIndex(s).byVpc.get(vpcKey(region, vpcId));
}

/** Forgets associations whose deletion is over (AWS no longer shows them). */
function sweep(s: Route53ProfilesState, now: number): void {
  for (const a of associationIndex(s).going) if (!live(a, now)) removeVpcAssociation(s, a.id);
  for (const [id, r] of Object.entries(s.resources)) if (!live(r, now)) delete s.resources[id];
}

/** The state as AWS shows it at the call: deletions that are over are forgotten. */
function swept(ctx: CallContext): Route53ProfilesState {
  const s = state(ctx.twin);
  sweep(s, ctx.now);
  return s;
}

// ---- visibility ---------------------------------------------------------------------------------------------------

/** The Profile if the caller owns it or it is shared with the caller's account through RAM (and visible yet). */
function visibleProfile(ctx: CallContext, id: string): ProfileRecord {
  const profile = state(ctx.twin).profiles[id];
  if (!profile || profile.region !== ctx.region) throw notFound(`Profile ${id}`);
  if (
    profile.ownerId !== ctx.caller.accountId &&
    !isResourceSharedWith(ctx.twin, profile.arn, ctx.caller.accountId, ctx.now)
  )
    throw notFound(`Profile ${id}`);
  return profile;
}

function ownProfile(ctx: CallContext, id: string): ProfileRecord {
  const profile = visibleProfile(ctx, id);
  if (profile.ownerId !== ctx.caller.accountId) throw denied(ctx, profile.arn);
  return profile;
}

function shareStatus(ctx: CallContext, profile: ProfileRecord): 'NOT_SHARED' | 'SHARED_WITH_ME' | 'SHARED_BY_ME' {
  if (profile.ownerId !== ctx.caller.accountId) return 'SHARED_WITH_ME';
  const ram = ctx.twin.state.ram as {
    shares?: Record<string, { deletedAt?: number; associations: { type: string; entity: string }[] }>;
  };
  const shared = Object.values(ram?.shares ?? {}).some(
    (s) => s.deletedAt === undefined && s.associations.some((a) => a.type === 'RESOURCE' && a.entity === profile.arn),
  );
  return shared ? 'SHARED_BY_ME' : 'NOT_SHARED';
}

// ---- views ------------------------------------------------------------------------------------------------------

const date = (ms: number) => new Date(ms);

function profileView(ctx: CallContext, p: ProfileRecord, status: 'COMPLETE' | 'DELETED' = 'COMPLETE') {
  return {
    Id: p.id,
    Arn: p.arn,
    Name: p.name,
    OwnerId: p.ownerId,
    ClientToken: p.clientToken,
    ShareStatus: shareStatus(ctx, p),
    Status: status,
    StatusMessage: status === 'COMPLETE' ? 'Created Profile' : 'Deleted Profile',
    CreationTime: date(p.createdAt),
    ModificationTime: date(p.modifiedAt),
  };
}

/**
 * The view of a profile's VPC or resource association: the fields both kinds answer alike around `fields`, the
 * kind's own; `what` names the kind in the COMPLETE status message.
 */
function profileLinkView<T extends object>(
  x: VpcAssociation | ResourceAssociation,
  now: number,
  what: string,
  fields: T,
) {
  const status = statusOf(x, now);
  return {
    Id: x.id,
    Name: x.name,
    OwnerId: x.ownerId,
    ProfileId: x.profileId,
    ...fields,
    Status: status,
    StatusMessage: status === 'COMPLETE' ? `Created ${what}` : status,
    CreationTime: date(x.createdAt),
    ModificationTime: date(x.goneAt ?? x.createdAt),
  };
}

function associationView(a: VpcAssociation, now: number) {
  return profileLinkView(a, now, 'Profile Association', { ResourceId: a.vpcId });
}

function resourceView(r: ResourceAssociation, now: number) {
  return profileLinkView(r, now, 'Profile Resource Association', {
    ResourceArn: r.resourceArn,
    ResourceType: 'AWS::Route53::HostedZone',
    ResourceProperties: '',
  });
}

/** Offset paging (opaque tokens; a foreign token is InvalidNextTokenException). */
function page<T>(items: T[], max: number | undefined, token: string | undefined) {
  let offset = 0;
  if (token !== undefined) {
    const m = /^rp:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8'));
    if (!m) throw new TwinError('InvalidNextTokenException', 'The NextToken is invalid.', 400);
    offset = Number(m[1]);
  }
  const size = max ?? 100;
  if (!Number.isInteger(size) || size < 1 || size > 100) throw invalid(`MaxResults must be 1-100, got ${size}`);
  const next = offset + size < items.length ? Buffer.from(`rp:${offset + size}`).toString('base64') : undefined;
  return { items: items.slice(offset, offset + size), next };
}

// ---- helpers for other modules and tests ----------------------------------------------------------------------------

/** A Profile by id (RAM checks that a shared Profile exists and belongs to the sharer). */
export function findProfile(
  twin: Twin,
  id: string,
): { id: string; ownerId: string; region: string; arn: string } | undefined {
  const p = (twin.state.route53profiles as Route53ProfilesState | undefined)?.profiles[id];
  return p && { id: p.id, ownerId: p.ownerId, region: p.region, arn: p.arn };
}

/** The zones a VPC gets from its COMPLETE Profile association (their resource associations COMPLETE too). */
export function profileZonesOfVpc(twin: Twin, vpcId: string, region: string, now = twin.now()): string[] {
  const s = state(twin);
  const assoc = associationOfVpc(s, region, vpcId);
  if (!assoc || statusOf(assoc, now) !== 'COMPLETE') return [];
  return Object.values(s.resources)
    .filter((r) => r.profileId === assoc.profileId && statusOf(r, now) === 'COMPLETE')
    .map((r) => r.resourceArn.replace(/^arn:aws:route53:::hostedzone\//, ''));
}

/**
 * The private hosted zone that answers `name` inside the VPC, and how the VPC has it: the most specific zone name
 * that contains `name`, a directly associated zone winning over a Profile's of the same name (developer guide,
 * Profiles). Both need the VPC's DNS attributes on (`zoneResolvesInVpc`). Undefined: the name does not resolve
 * privately (what a workload in the VPC would see as "falls through to public DNS").
 */
export function resolvingZone(
  twin: Twin,
  name: string,
  vpcId: string,
  region: string,
): { zoneId: string; via: 'zone' | 'profile' | 'endpoint' } | undefined {
  const wanted = normalizeZoneName(name);
  const covers = (zoneName: string) => wanted === zoneName || wanted.endsWith(`.${zoneName}`);
  if (!vpcResolvesPrivateDns(twin, vpcId, region)) return undefined;
  const direct = zonesOfVpcInTwin(twin, vpcId, region);
  // An interface endpoint's private DNS is an AWS-managed zone associated with the VPC directly
  // (https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html): it ranks like a direct zone, and
  // Route 53 and EC2 never let both hold one name. It answers once the endpoint is `available` (twin timing).
  const endpoints = endpointNamesOf(twin, vpcId).map((e) => ({ id: e.endpointId, name: normalizeZoneName(e.name) }));
  const viaProfile = profileZonesOfVpc(twin, vpcId, region)
    .map((id) => zoneSummary(twin, id))
    .filter((z): z is { id: string; name: string; ownerId: string } => z !== undefined);
  const candidates = [
    ...direct.map((z) => ({ ...z, via: 'zone' as const })),
    ...endpoints.map((z) => ({ ...z, via: 'endpoint' as const })),
    ...viaProfile.map((z) => ({ ...z, via: 'profile' as const })),
  ].filter((z) => covers(z.name));
  if (candidates.length === 0) return undefined;
  // Longest name first; on a tie the direct association (listed first) wins.
  const best = candidates.reduce((a, b) => (b.name.length > a.name.length ? b : a));
  return { zoneId: best.id, via: best.via };
}

/** The EC2 model, loaded lazily. */
const ec2Lookups = lazyModule(
  () =>
    require('./ec2') as {
      endpointDnsNamesOfVpc?: (t: Twin, v: string, now: number) => { name: string; endpointId: string }[];
      findVpc: (t: Twin, id: string) => { ownerId: string; region: string } | undefined;
    },
);

/** The available private DNS names of a VPC's endpoints (EC2 model, loaded lazily). */
function endpointNamesOf(twin: Twin, vpcId: string): { name: string; endpointId: string }[] {
  const { endpointDnsNamesOfVpc } = ec2Lookups();
  return typeof endpointDnsNamesOfVpc === 'function' && twin.state.ec2
    ? endpointDnsNamesOfVpc(twin, vpcId, twin.now())
    : [];
}

// ---- the service ----------------------------------------------------------------------------------------------

const vpcOf = (twin: Twin, vpcId: string) => ec2Lookups().findVpc(twin, vpcId);

export const route53profiles: ServiceModule<Route53ProfilesState, { route53profiles: Route53ProfilesWorld }> = {
  name: 'route53profiles',
  createState: () => ({ profiles: {}, resources: {}, associations: {}, quotas: { ...PROFILE_QUOTAS } }),

  seed(twin, world) {
    const s = state(twin);
    const longAgo = twin.now() - 365 * 24 * 3600 * 1000;
    Object.assign(s.quotas, world.route53profiles.quotas);
    for (const [i, def] of world.route53profiles.profiles.entries()) {
      const where = `route53profiles.profiles.${i}`;
      if (s.profiles[def.id]) throw worldError(`${where}.id: duplicate Profile ${def.id}`);
      s.profiles[def.id] = {
        id: def.id,
        arn: `arn:aws:route53profiles:${def.region}:${def.ownerId}:profile/${def.id}`,
        name: def.name,
        ownerId: def.ownerId,
        region: def.region,
        clientToken: `world-${def.id}`,
        createdAt: longAgo,
        modifiedAt: longAgo,
      };
      for (const zoneId of def.zoneIds) {
        const zone = zoneSummary(twin, zoneId);
        if (!zone || zone.ownerId !== def.ownerId) {
          throw worldError(`${where}.zoneIds: ${zoneId} is not a private hosted zone of ${def.ownerId}`);
        }
        const id = twin.newId('rpr');
        s.resources[id] = {
          id,
          profileId: def.id,
          name: zoneId,
          ownerId: def.ownerId,
          resourceArn: `arn:aws:route53:::hostedzone/${zoneId}`,
          createdAt: longAgo,
          completeAt: longAgo,
        };
      }
    }
  },
  bucketFor: () => 'route53profiles:account',
  snapshot(s, now) {
    const copy = structuredClone(s);
    sweep(copy, now);
    return copy;
  },

  operations: {
    CreateProfile(ctx, input) {
      const name = required(input.Name, 'Name');
      if (name.length > 64) throw invalid('Name must be at most 64 characters');
      const s = state(ctx.twin);
      const token = typeof input.ClientToken === 'string' ? input.ClientToken : ctx.requestId;
      const mine = Object.values(s.profiles).filter(
        (p) => p.ownerId === ctx.caller.accountId && p.region === ctx.region,
      );
      const again = mine.find((p) => p.clientToken === token);
      if (again) {
        if (again.name !== name) throw exists(`ClientToken ${token} was used for another request`);
        return { Profile: profileView(ctx, again) };
      }
      if (mine.length >= s.quotas.profilesPerAccountRegion) {
        throw limit(
          `Account ${ctx.caller.accountId} has reached the limit of ${s.quotas.profilesPerAccountRegion} Profiles in ${ctx.region}`,
        );
      }
      const id = ctx.twin.newId('rp');
      const profile: ProfileRecord = {
        id,
        arn: `arn:aws:route53profiles:${ctx.region}:${ctx.caller.accountId}:profile/${id}`,
        name,
        ownerId: ctx.caller.accountId,
        region: ctx.region,
        clientToken: token,
        createdAt: ctx.now,
        modifiedAt: ctx.now,
      };
      s.profiles[id] = profile;
      return { Profile: profileView(ctx, profile) };
    },

    GetProfile(ctx, input) {
      return { Profile: profileView(ctx, visibleProfile(ctx, required(input.ProfileId, 'ProfileId'))) };
    },

    ListProfiles(ctx, input) {
      const s = state(ctx.twin);
      const visible = Object.values(s.profiles).filter(
        (p) =>
          p.region === ctx.region &&
          (p.ownerId === ctx.caller.accountId || isResourceSharedWith(ctx.twin, p.arn, ctx.caller.accountId, ctx.now)),
      );
      const { items, next } = page(visible, input.MaxResults, input.NextToken);
      return {
        ProfileSummaries: items.map((p) => ({ Id: p.id, Arn: p.arn, Name: p.name, ShareStatus: shareStatus(ctx, p) })),
        ...(next ? { NextToken: next } : {}),
      };
    },

    DeleteProfile(ctx, input) {
      const profile = ownProfile(ctx, required(input.ProfileId, 'ProfileId'));
      const s = swept(ctx);
      // "Before you can delete a Profile, you must first disassociate it from all VPCs" (API reference, DeleteProfile).
      if (vpcsOfProfile(s, profile.id) > 0) {
        throw conflict(`Profile ${profile.id} is associated with VPCs: disassociate them first`);
      }
      for (const [id, r] of Object.entries(s.resources)) if (r.profileId === profile.id) delete s.resources[id];
      delete s.profiles[profile.id];
      return { Profile: profileView(ctx, profile, 'DELETED') };
    },

    AssociateResourceToProfile(ctx, input) {
      const profile = ownProfile(ctx, required(input.ProfileId, 'ProfileId'));
      const name = required(input.Name, 'Name');
      const arn = required(input.ResourceArn, 'ResourceArn');
      const zoneId = /^arn:aws:route53:::hostedzone\/(Z[0-9A-Z]+)$/.exec(arn)?.[1];
      if (!zoneId) throw invalid(`ResourceArn ${arn} is not a resource type a Profile holds (private hosted zone ARN)`);
      const zone = zoneSummary(ctx.twin, zoneId);
      // The owner shares its own zones only.
      if (!zone || zone.ownerId !== ctx.caller.accountId) throw notFound(`Hosted zone ${zoneId}`);
      const s = swept(ctx);
      const held = Object.values(s.resources).filter((r) => r.profileId === profile.id);
      if (held.some((r) => r.resourceArn === arn)) throw exists(`${arn} is already associated with ${profile.id}`);
      if (held.length >= s.quotas.resourcesPerProfile) {
        throw limit(`Profile ${profile.id} holds the maximum of ${s.quotas.resourcesPerProfile} resources`);
      }
      const record: ResourceAssociation = {
        id: ctx.twin.newId('rpr'),
        profileId: profile.id,
        name,
        ownerId: ctx.caller.accountId,
        resourceArn: arn,
        createdAt: ctx.now,
        completeAt: ctx.now + ctx.twin.timings.profileResourceAssociationMs,
      };
      s.resources[record.id] = record;
      return { ProfileResourceAssociation: resourceView(record, ctx.now) };
    },

    DisassociateResourceFromProfile(ctx, input) {
      const profile = ownProfile(ctx, required(input.ProfileId, 'ProfileId'));
      const arn = required(input.ResourceArn, 'ResourceArn');
      const s = swept(ctx);
      const record = Object.values(s.resources).find((r) => r.profileId === profile.id && r.resourceArn === arn);
      if (!record) throw notFound(`Resource association of ${arn} with ${profile.id}`);
      record.goneAt ??= ctx.now + ctx.twin.timings.profileResourceAssociationMs;
      return { ProfileResourceAssociation: resourceView(record, ctx.now) };
    },

    GetProfileResourceAssociation(ctx, input) {
      const id = required(input.ProfileResourceAssociationId, 'ProfileResourceAssociationId');
      const s = swept(ctx);
      const record = s.resources[id];
      if (!record) throw notFound(`Profile resource association ${id}`);
      visibleProfile(ctx, record.profileId);
      return { ProfileResourceAssociation: resourceView(record, ctx.now) };
    },

    ListProfileResourceAssociations(ctx, input) {
      // The owner and the accounts it shares the Profile with read what it holds (RAM managed permission).
      const profile = visibleProfile(ctx, required(input.ProfileId, 'ProfileId'));
      const s = swept(ctx);
      const held = Object.values(s.resources).filter(
        (r) =>
          r.profileId === profile.id &&
          (input.ResourceType === undefined || input.ResourceType === 'AWS::Route53::HostedZone'),
      );
      const { items, next } = page(held, input.MaxResults, input.NextToken);
      return {
        ProfileResourceAssociations: items.map((r) => resourceView(r, ctx.now)),
        ...(next ? { NextToken: next } : {}),
      };
    },

    AssociateProfile(ctx, input) {
      const profile = visibleProfile(ctx, required(input.ProfileId, 'ProfileId'));
      const vpcId = required(input.ResourceId, 'ResourceId');
      const name = required(input.Name, 'Name');
      const vpc = vpcOf(ctx.twin, vpcId);
      // The VPC's owner associates it, in the VPC's region.
      if (!vpc || vpc.region !== ctx.region) throw notFound(`VPC ${vpcId}`);
      if (vpc.ownerId !== ctx.caller.accountId)
        throw denied(ctx, `arn:aws:ec2:${ctx.region}:${vpc.ownerId}:vpc/${vpcId}`);
      const s = swept(ctx);
      const current = associationOfVpc(s, ctx.region, vpcId);
      if (current?.profileId === profile.id && current.goneAt === undefined) {
        throw exists(`VPC ${vpcId} is already associated with Profile ${profile.id} (${current.id})`);
      }
      if (current) {
        // "You can associate only one Profile with a VPC" (API reference, AssociateProfile); one being deleted
        // still holds the VPC until it is gone.
        throw conflict(
          `VPC ${vpcId} is already associated with Profile ${current.profileId} (${statusOf(current, ctx.now)})`,
        );
      }
      const count = vpcsOfProfile(s, profile.id);
      if (count >= s.quotas.vpcsPerProfile) {
        throw limit(`Profile ${profile.id} is associated with the maximum of ${s.quotas.vpcsPerProfile} VPCs`);
      }
      const record: VpcAssociation = {
        id: ctx.twin.newId('rpassoc'),
        profileId: profile.id,
        name,
        ownerId: ctx.caller.accountId,
        vpcId,
        region: ctx.region,
        createdAt: ctx.now,
        completeAt: ctx.now + ctx.twin.draw(ctx.twin.timings.profileAssociationMs),
      };
      addVpcAssociation(s, record);
      return { ProfileAssociation: associationView(record, ctx.now) };
    },

    DisassociateProfile(ctx, input) {
      const profileId = required(input.ProfileId, 'ProfileId');
      const vpcId = required(input.ResourceId, 'ResourceId');
      const s = swept(ctx);
      const found = associationOfVpc(s, ctx.region, vpcId);
      const record = found?.profileId === profileId ? found : undefined;
      if (!record || record.ownerId !== ctx.caller.accountId)
        throw notFound(`Profile association of ${vpcId} with ${profileId}`);
      // A Profile association that is still being created cannot be removed yet.
      if (statusOf(record, ctx.now) === 'CREATING') {
        throw conflict(`The association of ${vpcId} with ${profileId} is CREATING; try again when it is COMPLETE`);
      }
      disassociating(s, record, () => ctx.now + ctx.twin.draw(ctx.twin.timings.profileAssociationMs));
      return { ProfileAssociation: associationView(record, ctx.now) };
    },

    GetProfileAssociation(ctx, input) {
      const id = required(input.ProfileAssociationId, 'ProfileAssociationId');
      const s = swept(ctx);
      const record = s.associations[id];
      if (!record || record.ownerId !== ctx.caller.accountId || record.region !== ctx.region) {
        throw notFound(`Profile association ${id}`);
      }
      return { ProfileAssociation: associationView(record, ctx.now) };
    },

    ListProfileAssociations(ctx, input) {
      const s = swept(ctx);
      const mine = [...(associationIndex(s).byOwner.get(ctx.caller.accountId)?.values() ?? [])].filter(
        (a) =>
          a.region === ctx.region &&
          (input.ProfileId === undefined || a.profileId === input.ProfileId) &&
          (input.ResourceId === undefined || a.vpcId === input.ResourceId),
      );
      const { items, next } = page(mine, input.MaxResults, input.NextToken);
      return {
        ProfileAssociations: items.map((a) => associationView(a, ctx.now)),
        ...(next ? { NextToken: next } : {}),
      };
    },
  },
};
