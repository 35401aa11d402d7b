import type { Filter, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import ipaddr from 'ipaddr.js';
import { errors, TwinError } from '../../errors';
import { lazyModule } from '../../lazy';
import type { Twin } from '../../twin';
import type { ApiCallEvent, CallContext } from '../../types';

/**
 * The EC2 state of the twin and the helpers every EC2 operation shares: lookups that respect ownership, region and
 * eventual consistency, lazily computed states, tags, filters and pagination.
 */

/** A state change on the twin clock: the resource is in `state` from `at` until the next entry. */
export interface Transition {
  at: number;
  state: string;
}

interface Owned {
  id: string;
  ownerId: string;
  region: string;
  tags: Record<string, string>;
  /** Epoch ms. */
  createdAt: number;
  /** Eventual consistency: describes omit the resource and calls naming it answer NotFound before this. */
  visibleAt: number;
}

export interface Vpc extends Owned {
  /** Primary first. */
  cidrBlocks: string[];
  cidrAssociationIds: string[];
  /**
   * IPv6 blocks (AssociateVpcCidrBlock, CreateVpc): Amazon-provided /56s, or blocks from a BYOIP or IPAM pool the world
   * declares (`pool`: its id). Absent or empty: an IPv4-only VPC.
   */
  ipv6Blocks?: Ipv6Block[];
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
}

export interface Ipv6Block {
  cidr: string;
  associationId: string;
  /** `amazon` (Amazon's pool), else the id of a world-declared BYOIP (`ipv6pool-ec2-...`) or IPAM (`ipam-pool-...`) pool. */
  pool: string;
}

export interface Subnet extends Owned {
  vpcId: string;
  availabilityZone: string;
  /** Absent for an IPv6-only subnet (`ipv6Native`). */
  cidrBlock?: string;
  ipv6CidrBlock?: string;
  ipv6AssociationId?: string;
  /** IPv6-only (CreateSubnet `Ipv6Native`): no IPv4 CIDR. */
  ipv6Native?: boolean;
}

/** A BYOIP or IPAM pool of IPv6 addresses, as the world declares it (the twin models no pool API). */
export interface Ipv6Pool {
  id: string;
  ownerId: string;
  region: string;
  cidrs: string[];
}

export interface Route {
  /** IPv4 or IPv6 destination (the views answer `DestinationIpv6CidrBlock` for an IPv6 one). */
  destinationCidrBlock: string;
  gatewayId?: string;
  transitGatewayId?: string;
  natGatewayId?: string;
  vpcPeeringConnectionId?: string;
  origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTable extends Owned {
  vpcId: string;
  main: boolean;
  mainAssociationId?: string;
  /** Explicit subnet associations. */
  associations: { id: string; subnetId: string }[];
  routes: Route[];
}

export interface SecurityGroupRule {
  id: string;
  isEgress: boolean;
  /** `tcp`, `udp`, `icmp` or `-1` (all). */
  protocol: string;
  fromPort: number;
  toPort: number;
  /** IPv4 or IPv6 (`CidrIpv6`; counted against the separate IPv6 rules quota). */
  cidr: string;
  description?: string;
}

export interface SecurityGroup extends Owned {
  vpcId: string;
  name: string;
  description: string;
  isDefault: boolean;
  rules: SecurityGroupRule[];
}

export interface TransitGateway extends Owned {
  description?: string;
  amazonSideAsn: number;
  autoAcceptSharedAttachments: 'enable' | 'disable';
  defaultRouteTableAssociation: 'enable' | 'disable';
  defaultRouteTablePropagation: 'enable' | 'disable';
  associationDefaultRouteTableId?: string;
  propagationDefaultRouteTableId?: string;
  timeline: Transition[];
}

/** An association or propagation of an attachment in a TGW route table. */
export interface TgwLink {
  attachmentId: string;
  createdAt: number;
  /** Becomes associated/enabled at this time (and only while the attachment is available). */
  readyAt: number;
  /** Disassociation/disable requested: `disassociating`/`disabling` from then, gone at `goneAt`. */
  removingAt?: number;
  goneAt?: number;
}

export interface TgwRouteTable extends Owned {
  transitGatewayId: string;
  isDefault: boolean;
  associations: TgwLink[];
  propagations: TgwLink[];
  /** CreateTransitGatewayRoute: static routes, one per destination. */
  staticRoutes: TgwStaticRoute[];
}

/** A static route of a TGW route table: to an attachment, or a blackhole. */
export interface TgwStaticRoute {
  cidr: string;
  /** Absent for a route created as a blackhole. */
  attachmentId?: string;
  createdAt: number;
}

export interface TgwAttachment extends Owned {
  /** The requester's TGW for a peering attachment. */
  transitGatewayId: string;
  /** Empty for a peering attachment. */
  vpcId: string;
  /** The VPC's owner; for a peering attachment the accepter TGW's owner. */
  vpcOwnerId: string;
  /**
   * A TGW peering attachment (CreateTransitGatewayPeeringAttachment): one attachment id that both TGWs see, the
   * requester in its region and the accepter in the peer region
   * (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html).
   */
  peering?: { peerTransitGatewayId: string; peerAccountId: string; peerRegion: string };
  subnetIds: string[];
  /** Options.Ipv6Support (default disable). */
  ipv6Support?: 'enable' | 'disable';
  timeline: Transition[];
}

export interface EndpointService extends Owned {
  serviceName: string;
  acceptanceRequired: boolean;
  /** Principal ARNs (`arn:aws:iam::ACCOUNT:root`), with the permission id AWS gives each. */
  allowedPrincipals: { principal: string; permissionId: string }[];
  availabilityZones: string[];
  /** SupportedIpAddressTypes (default `ipv4`). */
  supportedIpAddressTypes?: ('ipv4' | 'ipv6')[];
  /**
   * SupportedRegions: the regions whose consumers may create endpoints to the service, its own region always among
   * them (https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#manage-supported-regions).
   */
  supportedRegions: string[];
}

export interface VpcEndpoint extends Owned {
  vpcId: string;
  serviceId: string;
  serviceName: string;
  subnetIds: string[];
  securityGroupIds: string[];
  privateDnsEnabled: boolean;
  /** IpAddressType (`ipv4` unless asked). */
  ipAddressType?: 'ipv4' | 'dualstack' | 'ipv6';
  /** DnsOptions.DnsRecordIpType. */
  dnsRecordIpType?: 'ipv4' | 'dualstack' | 'ipv6' | 'service-defined';
  /**
   * The name private DNS answers in the VPC (an AWS service's regional name, `sts.us-east-1.amazonaws.com`); absent
   * for endpoint services (the twin models none with a private DNS name).
   */
  privateDnsName?: string;
  /** The endpoint policy (JSON text); absent: AWS's full-access default. */
  policyDocument?: string;
  /** CreateVpcEndpoint ClientToken (idempotency). */
  clientToken?: string;
  /** ServiceRegion of a cross-region endpoint (absent: the endpoint's own region). */
  serviceRegion?: string;
  timeline: Transition[];
}

/** Knobs of the EC2 model that AWS does not document as figures (see docs/twin-ec2.md). */
export interface Ec2Settings {
  /** TGW route table association/propagation `associating` -> `associated` (ms). */
  associationMs: number;
  /** Interface endpoint `pending` -> `available` (ms). */
  endpointPendingMs: number;
  /** Interface endpoint `deleting` -> `deleted` (ms); AWS publishes no figure. */
  endpointDeletingMs: number;
  /** Probability that an attachment ends `failed` instead of `available` (fault injection; default 0). */
  attachmentFailureProbability: number;
  /** How long a deleted attachment stays describable (ms). */
  deletedRetentionMs: number;
}

export const DEFAULT_EC2_SETTINGS: Ec2Settings = {
  associationMs: 5_000,
  endpointPendingMs: 60_000,
  endpointDeletingMs: 30_000,
  attachmentFailureProbability: 0,
  deletedRetentionMs: 60 * 60_000,
};

export interface Ec2State {
  settings: Ec2Settings;
  quotas: Ec2Quotas;
  vpcs: Record<string, Vpc>;
  subnets: Record<string, Subnet>;
  routeTables: Record<string, RouteTable>;
  securityGroups: Record<string, SecurityGroup>;
  transitGateways: Record<string, TransitGateway>;
  tgwRouteTables: Record<string, TgwRouteTable>;
  attachments: Record<string, TgwAttachment>;
  endpointServices: Record<string, EndpointService>;
  endpoints: Record<string, VpcEndpoint>;
  /** World-declared BYOIP and IPAM IPv6 pools. */
  ipv6Pools: Record<string, Ipv6Pool>;
  /** Amazon-provided IPv6 /56s handed out so far (the next one is the following /56 of AMAZON_IPV6_RANGE). */
  amazonIpv6Allocated: number;
}

export function createEc2State(): Ec2State {
  return {
    settings: { ...DEFAULT_EC2_SETTINGS },
    quotas: { ...DEFAULT_QUOTAS },
    vpcs: {},
    subnets: {},
    routeTables: {},
    securityGroups: {},
    transitGateways: {},
    tgwRouteTables: {},
    attachments: {},
    endpointServices: {},
    endpoints: {},
    ipv6Pools: {},
    amazonIpv6Allocated: 0,
  };
}

export function ec2State(twin: Twin): Ec2State {
  return twin.stateOf<Ec2State>('ec2');
}

/**
 * The attachments of each VPC, in the order they were made: an index beside `s.attachments`, which only grows (an
 * attachment is never removed from it: `deleted` is a state), built on first use from the record and kept up by
 * `addAttachment`, the one way attachments are added. A TGW's thousands of attachments are then not walked to find
 * one VPC's (quota and duplicate checks, routes to a TGW, a VPC's deletion).
 */
const attachmentsByVpc = new WeakMap<Record<string, TgwAttachment>, Map<string, TgwAttachment[]>>();

function vpcIndex(s: Ec2State): Map<string, TgwAttachment[]> {
  let index = attachmentsByVpc.get(s.attachments);
  if (!index) {
    index = new Map();
    for (const att of Object.values(s.attachments)) indexAttachment(index, att);
    attachmentsByVpc.set(s.attachments, index);
  }
  return index;
}

function indexAttachment(index: Map<string, TgwAttachment[]>, att: TgwAttachment): void {
  const list = index.get(att.vpcId);
  if (list) list.push(att);
  else index.set(att.vpcId, [att]);
}

/** How many attachments each TGW has had (every state, `deleted` included): the same record, the same upkeep. */
const attachmentsPerTgw = new WeakMap<Record<string, TgwAttachment>, Map<string, number>>();

function tgwCounts(s: Ec2State): Map<string, number> {
  let counts = attachmentsPerTgw.get(s.attachments);
  if (!counts) {
    counts = new Map();
    for (const att of Object.values(s.attachments))
      counts.set(att.transitGatewayId, (counts.get(att.transitGatewayId) ?? 0) + 1);
    attachmentsPerTgw.set(s.attachments, counts);
  }
  return counts;
}

/** Adds an attachment to the state (and to the indexes of `attachmentsOfVpc` and `attachmentsEverMade`). */
export function addAttachment(s: Ec2State, att: TgwAttachment): void {
  // An id given twice (a world's) replaces the first: the indexes are then rebuilt from the record.
  if (Object.hasOwn(s.attachments, att.id)) {
    attachmentsByVpc.delete(s.attachments);
    attachmentsPerTgw.delete(s.attachments);
  }
  putResource(s, 'attachments', att);
  const index = attachmentsByVpc.get(s.attachments);
  if (index) indexAttachment(index, att);
  const counts = attachmentsPerTgw.get(s.attachments);
  counts?.set(att.transitGatewayId, (counts.get(att.transitGatewayId) ?? 0) + 1);
}

/**
 * How many attachments a TGW has had, whatever their state: an upper bound of its non-deleted ones (a quota check
 * below the quota need not read each attachment's state).
 */
export function attachmentsEverMade(s: Ec2State, transitGatewayId: string): number {
  return tgwCounts(s).get(transitGatewayId) ?? 0;
}

/**
 * Each collection's resources by owner account, in the record's order: an index beside the record, built on first use
 * and kept up by `putResource` and `removeResource`, the only ways the twin adds or removes a resource
 * (test/twin/ec2-vpc.test.ts checks that nothing writes a record directly). `ownedList` then reads a spoke's
 * few resources instead of walking a world's thousands on every describe.
 */
const ownerIndexes = new WeakMap<Record<string, Owned>, Map<string, Map<string, Owned>>>();

function ownerIndex(record: Record<string, Owned>): Map<string, Map<string, Owned>> {
  let index = ownerIndexes.get(record);
  if (!index) {
    index = new Map();
    for (const r of Object.values(record)) indexOwner(index, r);
    ownerIndexes.set(record, index);
  }
  return index;
}

function indexOwner(index: Map<string, Map<string, Owned>>, r: Owned): void {
  let mine = index.get(r.ownerId);
  if (!mine) {
    mine = new Map();
    index.set(r.ownerId, mine);
  }
  // A Map keeps an existing key's place, as an object does: the index lists an owner's resources in the record's order.
  mine.set(r.id, r);
}

/** Adds (or replaces) a resource of a collection. */
export function putResource<C extends Collection>(s: Ec2State, collection: C, resource: Ec2State[C][string]): void {
  const record = s[collection] as Record<string, Owned>;
  const previous = Object.hasOwn(record, resource.id) ? record[resource.id] : undefined;
  record[resource.id] = resource;
  const index = ownerIndexes.get(record);
  if (!index) return;
  // Another owner for the same id (never made by the twin itself): rebuilt from the record on next use.
  if (previous && previous.ownerId !== resource.ownerId) ownerIndexes.delete(record);
  else indexOwner(index, resource);
}

/** Removes a resource of a collection (absent: nothing). */
export function removeResource(s: Ec2State, collection: Collection, id: string): void {
  const record = s[collection] as Record<string, Owned>;
  if (!Object.hasOwn(record, id)) return;
  const resource = record[id]!;
  delete record[id];
  ownerIndexes.get(record)?.get(resource.ownerId)?.delete(id);
}

/** Every attachment of a VPC (whatever its state), in the order they were made. */
export function attachmentsOfVpc(s: Ec2State, vpcId: string): readonly TgwAttachment[] {
  return vpcIndex(s).get(vpcId) ?? [];
}

// ---- quotas (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html,
// https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html) ----------------------------------------

/** AWS's default values. A world can raise the adjustable ones (`ec2.quotas`, twin/services/ec2/world.ts). */
export const DEFAULT_QUOTAS = Object.freeze({
  rulesPerSecurityGroup: 60,
  routesPerRouteTable: 50,
  attachmentsPerVpc: 5,
  attachmentsPerTransitGateway: 5_000,
  routeTablesPerTransitGateway: 20,
  routesPerTransitGateway: 10_000,
  transitGatewaysPerAccount: 5,
  userTagsPerResource: 50,
  /** IPv4 CIDR blocks per VPC (Amazon VPC quotas; adjustable up to 50). */
  cidrBlocksPerVpc: 5,
  /** IPv6 CIDR blocks per VPC (Amazon VPC quotas, "IPv6 CIDR blocks per VPC": 5). */
  ipv6CidrBlocksPerVpc: 5,
  /**
   * Interface and Gateway Load Balancer endpoints per VPC (PrivateLink quotas, adjustable:
   * https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html).
   */
  interfaceEndpointsPerVpc: 50,
  /** Peering attachments per transit gateway (Transit Gateway quotas: 50). */
  peeringAttachmentsPerTransitGateway: 50,
});
export type Ec2Quotas = { -readonly [K in keyof typeof DEFAULT_QUOTAS]: number };

/** The quotas in force in this twin (the defaults, with the world's raised values). */
export function quotas(twin: Twin): Ec2Quotas {
  return ec2State(twin).quotas;
}

// ---- errors --------------------------------------------------------------------------------------------------------

export const err = (code: string, message: string) => new TwinError(code, message, 400);

/** NotFound codes and messages per id prefix (EC2 API error codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html). */
export function notFound(id: string): TwinError {
  if (id.startsWith('vpc-')) return err('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
  if (id.startsWith('subnet-')) return err('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
  if (id.startsWith('rtb-')) return err('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
  if (id.startsWith('sg-')) return err('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  if (id.startsWith('tgw-attach-'))
    return err(
      'InvalidTransitGatewayAttachmentID.NotFound',
      `Transit Gateway Attachment ${id} was deleted or does not exist.`,
    );
  if (id.startsWith('tgw-rtb-'))
    return err('InvalidRouteTableID.NotFound', `Transit Gateway Route Table ${id} was deleted or does not exist.`);
  if (id.startsWith('tgw-'))
    return err('InvalidTransitGatewayID.NotFound', `Transit Gateway ${id} was deleted or does not exist.`);
  if (id.startsWith('vpce-svc-'))
    return err('InvalidVpcEndpointServiceId.NotFound', `The Vpc Endpoint Service Id '${id}' does not exist`);
  if (id.startsWith('vpce-')) return err('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`);
  if (id.startsWith('sgr-'))
    return err('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
  return err('InvalidID', `The ID '${id}' is not valid`);
}

export function incorrectState(id: string, state: string): TwinError {
  return new TwinError('IncorrectState', `${id} is in invalid state (${state})`, 400);
}

export function requireParam<T>(value: T | undefined | null, name: string): T {
  if (value === undefined || value === null || value === '') throw errors.missingParameter(name);
  return value;
}

/** A loud error (never a silent success) when `input` sets any of `fields`, which the twin does not model. */
export function refuseUnmodeled<T extends object>(operation: string, input: T, fields: readonly (keyof T & string)[]) {
  const field = fields.find((k) => input[k] !== undefined);
  if (field) throw new Error(`twin: ${operation} ${field} is not modeled`);
}

// ---- lookups -------------------------------------------------------------------------------------------------------

type Collection =
  | 'vpcs'
  | 'subnets'
  | 'routeTables'
  | 'securityGroups'
  | 'transitGateways'
  | 'tgwRouteTables'
  | 'attachments'
  | 'endpointServices'
  | 'endpoints';

export function isVisible(resource: Owned, ctx: CallContext): boolean {
  return resource.region === ctx.region && ctx.now >= resource.visibleAt;
}

/**
 * The Availability Zone id of a zone name (`us-east-1a` -> `use1-az1`, `ap-northeast-1c` -> `apne1-az3`): AWS maps
 * names to ids per account (https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html); the twin maps
 * the same way in every account, the zone's letter giving the id's number (twin's choice).
 */
export function azIdOf(region: string, zone: string): string {
  const [area, direction = '', number = ''] = region.split(/-(?=[a-z]+-\d+$)|-(?=\d+$)/);
  const compass = direction.replace(/north|south|east|west|central/g, (w) => w[0]!);
  const code = area!.replace(/-gov$/, 'g').replace(/-/g, '');
  return `${code}${compass}${number}-az${zone.charCodeAt(zone.length - 1) - 96}`;
}

/** The caller's own resource of a collection, visible at `now`, or the type's NotFound error. */
export function owned<C extends Collection>(ctx: CallContext, collection: C, id: string | undefined, param: string) {
  const key = requireParam(id, param);
  const resource = ec2State(ctx.twin)[collection][key] as Ec2State[C][string] | undefined;
  if (!resource || !isVisible(resource, ctx) || resource.ownerId !== ctx.caller.accountId) throw notFound(key);
  return resource;
}

/** Resources of a collection the caller owns in the call's region (visible ones only). */
export function ownedList<C extends Collection>(ctx: CallContext, collection: C): Ec2State[C][string][] {
  const mine = ownerIndex(ec2State(ctx.twin)[collection] as Record<string, Owned>).get(ctx.caller.accountId);
  const out: Ec2State[C][string][] = [];
  if (mine) for (const r of mine.values()) if (isVisible(r, ctx)) out.push(r as Ec2State[C][string]);
  return out;
}

/**
 * Resolves a Describe call's id list: every id must name a resource in `pool` (else the NotFound of the first
 * missing id, as AWS answers), then keeps only those.
 */
export function selectIds<T extends { id: string }>(pool: T[], ids: string[] | undefined): T[] {
  if (!ids || ids.length === 0) return pool;
  const byId = new Map(pool.map((r) => [r.id, r]));
  const out: T[] = [];
  for (const id of ids) {
    const found = byId.get(id);
    if (!found) throw notFound(id);
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

// ---- snapshot order ------------------------------------------------------------------------------------------------

/** A copy sorted by id: the order of every list in a snapshot. */
export function sortedById<T extends { id: string }>(items: Iterable<T>): T[] {
  return [...items].sort((a, b) => a.id.localeCompare(b.id));
}

/** A security group rule as a snapshot shows it (`description: null` where it has none). */
export function ruleSnapshot(r: SecurityGroupRule) {
  return {
    id: r.id,
    isEgress: r.isEgress,
    protocol: r.protocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    cidr: r.cidr,
    description: r.description ?? null,
  };
}

/** Those whose state (read by `stateOf`) is not `deleted`, sorted by id: a snapshot omits what is gone. */
export function presentById<T extends { id: string }>(items: Iterable<T>, stateOf: (item: T) => string): T[] {
  return sortedById([...items].filter((item) => stateOf(item) !== 'deleted'));
}

// ---- lazily computed states ----------------------------------------------------------------------------------------

export function stateAt(timeline: Transition[], now: number): string {
  let state = timeline[0]?.state ?? 'unknown';
  for (const t of timeline) if (t.at <= now) state = t.state;
  return state;
}

/** The time the timeline enters `state` (the first such entry), if it does. */
export function timeOf(timeline: Transition[], state: string): number | undefined {
  return timeline.find((t) => t.state === state)?.at;
}

/** Replaces the future of a timeline (entries after `now`) with `next`. */
export function transition(timeline: Transition[], now: number, next: Transition[]): void {
  for (let i = timeline.length - 1; i >= 0; i -= 1) if (timeline[i]!.at > now) timeline.splice(i, 1);
  timeline.push(...next);
}

// ---- CIDRs ---------------------------------------------------------------------------------------------------------

export function parseCidr(cidr: string): { start: number; size: number; prefix: number } | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
  const size = 2 ** (32 - prefix);
  return { start: ip - (ip % size), size, prefix };
}

/** An IPv6 CIDR (`2600:1f18:abc:de00::/56`) as 128-bit numbers; undefined for anything else. */
export function parseIpv6Cidr(cidr: string): { start: bigint; size: bigint; prefix: number } | undefined {
  if (!cidr.includes(':') || !ipaddr.isValidCIDR(cidr)) return undefined;
  const [address, prefix] = ipaddr.parseCIDR(cidr);
  if (address.kind() !== 'ipv6' || address.toString().includes('.')) return undefined;
  const ip = BigInt(`0x${Buffer.from(address.toByteArray()).toString('hex')}`);
  const size = 1n << BigInt(128 - prefix);
  return { start: ip - (ip % size), size, prefix };
}

type AnyCidr = Readonly<{ v6: boolean; start: bigint; size: bigint }>;

/** Parsed CIDRs by text (a pure function of the text; route and rule checks parse the same few thousand again). */
const parsedCidrs = new Map<string, AnyCidr | undefined>();

/** Either family as bigints (for containment and overlap: blocks of different families never meet). */
function parseAny(cidr: string): AnyCidr | undefined {
  if (parsedCidrs.has(cidr)) return parsedCidrs.get(cidr);
  const v4 = parseCidr(cidr);
  const v6 = v4 ? undefined : parseIpv6Cidr(cidr);
  const parsed = v4
    ? Object.freeze({ v6: false, start: BigInt(v4.start), size: BigInt(v4.size) })
    : v6
      ? Object.freeze({ v6: true, start: v6.start, size: v6.size })
      : undefined;
  if (parsedCidrs.size >= 100_000) parsedCidrs.clear();
  parsedCidrs.set(cidr, parsed);
  return parsed;
}

export const isIpv6Cidr = (cidr: string) => parseIpv6Cidr(cidr) !== undefined;

export function cidrContains(outer: string, inner: string): boolean {
  const a = parseAny(outer);
  const b = parseAny(inner);
  return !!a && !!b && a.v6 === b.v6 && b.start >= a.start && b.start + b.size <= a.start + a.size;
}

export function cidrOverlaps(x: string, y: string): boolean {
  const a = parseAny(x);
  const b = parseAny(y);
  return !!a && !!b && a.v6 === b.v6 && a.start < b.start + b.size && b.start < a.start + a.size;
}

/**
 * The form AWS shows an IPv6 block in: host bits cleared, lower case, zeros compressed (RFC 5952), e.g.
 * `2600:1F18:0abc:de00:0::1/56` -> `2600:1f18:abc:de00::/56`.
 */
export function canonicalIpv6Cidr(cidr: string): string | undefined {
  const c = parseIpv6Cidr(cidr);
  if (!c) return undefined;
  const hex = c.start.toString(16).padStart(32, '0');
  const bytes = [...Buffer.from(hex, 'hex')];
  return `${ipaddr.fromByteArray(bytes).toString()}/${c.prefix}`;
}

/** The `n`-th /`prefix` block inside `outer` (IPv6), canonical. */
export function ipv6Subblock(outer: string, prefix: number, n: bigint): string {
  const o = parseIpv6Cidr(outer)!;
  const start = o.start + n * (1n << BigInt(128 - prefix));
  const bytes = [...Buffer.from(start.toString(16).padStart(32, '0'), 'hex')];
  return `${ipaddr.fromByteArray(bytes).toString()}/${prefix}`;
}

/** The canonical form AWS stores (host bits cleared), e.g. 10.0.1.7/16 -> 10.0.0.0/16. */
export function canonicalCidr(cidr: string): string | undefined {
  const c = parseCidr(cidr);
  if (!c) return undefined;
  const s = c.start;
  return `${s >>> 24}.${(s >>> 16) & 255}.${(s >>> 8) & 255}.${s & 255}/${c.prefix}`;
}

// ---- tags ----------------------------------------------------------------------------------------------------------

/** EventBridge/ARN resource type of an id. */
export function resourceTypeOf(id: string): string | undefined {
  if (id.startsWith('vpc-')) return 'vpc';
  if (id.startsWith('subnet-')) return 'subnet';
  if (id.startsWith('sg-')) return 'security-group';
  if (id.startsWith('rtb-')) return 'route-table';
  if (id.startsWith('tgw-attach-')) return 'transit-gateway-attachment';
  if (id.startsWith('tgw-rtb-')) return 'transit-gateway-route-table';
  if (id.startsWith('tgw-')) return 'transit-gateway';
  if (id.startsWith('vpce-svc-')) return 'vpc-endpoint-service';
  if (id.startsWith('vpce-')) return 'vpc-endpoint';
  return undefined;
}

export function collectionOf(id: string): Collection | undefined {
  const type = resourceTypeOf(id);
  const map: Record<string, Collection> = {
    vpc: 'vpcs',
    subnet: 'subnets',
    'security-group': 'securityGroups',
    'route-table': 'routeTables',
    'transit-gateway-attachment': 'attachments',
    'transit-gateway-route-table': 'tgwRouteTables',
    'transit-gateway': 'transitGateways',
    'vpc-endpoint-service': 'endpointServices',
    'vpc-endpoint': 'endpoints',
  };
  return type ? map[type] : undefined;
}

/**
 * Validates tags as EC2 does (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions):
 * key 1-128 characters, value 0-256, the `aws:` prefix reserved.
 */
export function validateTags(tags: Tag[] | undefined): { key: string; value: string }[] {
  return (tags ?? []).map((tag) => {
    const key = tag.Key ?? '';
    const value = tag.Value ?? '';
    if (key.length < 1 || key.length > 128) {
      throw errors.invalidParameter(`Tag key must be between 1 and 128 characters: '${key.slice(0, 140)}'`);
    }
    if (value.length > 256) {
      throw errors.invalidParameter(`Tag value exceeds the maximum length of 256 characters for key '${key}'`);
    }
    if (key.toLowerCase().startsWith('aws:')) {
      throw errors.invalidParameter(`Tag keys starting with 'aws:' are reserved for internal use`);
    }
    return { key, value };
  });
}

/** Applies a tag write and emits the "Tag Change on Resource" event when something changed. */
export function writeTags(
  ctx: CallContext,
  resource: Owned,
  change: { set?: { key: string; value: string }[]; remove?: { key: string; value?: string }[] },
): void {
  const before = { ...resource.tags };
  const after = { ...resource.tags };
  for (const { key, value } of change.set ?? []) after[key] = value;
  for (const { key, value } of change.remove ?? []) {
    // DeleteTags with a value deletes the tag only when the value matches
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteTags.html).
    if (key in after && (value === undefined || after[key] === value)) delete after[key];
  }
  if (Object.keys(after).length > quotas(ctx.twin).userTagsPerResource) {
    throw err('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  }
  resource.tags = after;
  emitTagChange(ctx, resource, before);
}

/**
 * Emits "Tag Change on Resource" with the keys added, changed or removed and the full tags after. A write that changes
 * nothing emits nothing: the event lists "new, updated, or deleted tag keys"
 * (https://docs.aws.amazon.com/tag-editor/latest/userguide/tag-monitor.html).
 */
export function emitTagChange(ctx: CallContext, resource: Owned, before: Record<string, string>): void {
  const after = resource.tags;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed = [...keys].filter((k) => before[k] !== after[k]);
  const resourceType = resourceTypeOf(resource.id);
  if (changed.length === 0 || !resourceType) return;
  ctx.twin.emitTagChange({
    accountId: resource.ownerId,
    region: resource.region,
    service: 'ec2',
    resourceType,
    resourceId: resource.id,
    changedKeys: changed,
    tagsAfter: after,
  });
}

/**
 * Tags given at creation (TagSpecifications for `resourceType`). Other resource types in the list are refused, as
 * EC2 refuses a tag specification for a type the operation does not create.
 */
export function creationTags(specs: TagSpecification[] | undefined, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const spec of specs ?? []) {
    if (spec.ResourceType !== resourceType) {
      throw errors.invalidParameter(`'${spec.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
    for (const { key, value } of validateTags(spec.Tags)) tags[key] = value;
  }
  // 50 user tags per resource, not adjustable (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html).
  if (Object.keys(tags).length > DEFAULT_QUOTAS.userTagsPerResource) {
    throw err('TagLimitExceeded', 'The maximum number of Tags for a resource has been reached.');
  }
  return tags;
}

/**
 * Tags applied at creation change the resource's tags from none to these: AWS emits the tag-change event for "any
 * change to a tag including individual service APIs" (https://docs.aws.amazon.com/tag-editor/latest/userguide/tag-monitor.html).
 */
export function emitCreationTags(ctx: CallContext, resource: Owned): void {
  emitTagChange(ctx, resource, {});
}

export function tagList(tags: Record<string, string>): Tag[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

// ---- filters and pagination ----------------------------------------------------------------------------------------

function glob(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

export type FilterFields<T> = Record<string, (resource: T) => (string | undefined)[] | string | undefined>;

/**
 * Applies Describe filters: values within a filter are ORed, filters are ANDed, `*` and `?` are wildcards;
 * `tag:<key>` and `tag-key` work on every taggable resource. An unknown filter name is refused (loudly) like AWS does.
 */
export function applyFilters<T extends { tags?: Record<string, string> }>(
  items: T[],
  filters: Filter[] | undefined,
  fields: FilterFields<T>,
): T[] {
  let out = items;
  for (const filter of filters ?? []) {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    let pick: (item: T) => (string | undefined)[];
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      pick = (item) => [item.tags?.[key]];
    } else if (name === 'tag-key') {
      pick = (item) => Object.keys(item.tags ?? {});
    } else if (name === 'tag-value') {
      pick = (item) => Object.values(item.tags ?? {});
    } else {
      const field = fields[name];
      if (!field) throw errors.invalidParameter(`The filter '${name}' is invalid`);
      pick = (item) => {
        const v = field(item);
        return Array.isArray(v) ? v : [v];
      };
    }
    out = out.filter((item) => {
      const actual = pick(item).filter((v): v is string => v !== undefined);
      return values.some((want) => actual.some((a) => glob(want, a)));
    });
  }
  return out;
}

/** MaxResults/NextToken pagination (MaxResults 5-1000 as most EC2 describes document). */
export function paginate<T>(
  items: T[],
  input: { MaxResults?: number; NextToken?: string },
  range: { min: number; max: number } = { min: 5, max: 1000 },
): { page: T[]; NextToken?: string } {
  let offset = 0;
  if (input.NextToken) {
    const m = /^twin:(\d+)$/.exec(Buffer.from(input.NextToken, 'base64').toString('utf8'));
    if (!m) throw err('InvalidPaginationToken', `The pagination token '${input.NextToken}' is invalid or expired.`);
    offset = Number(m[1]);
  }
  if (input.MaxResults === undefined) return { page: items.slice(offset) };
  if (input.MaxResults < range.min || input.MaxResults > range.max) {
    throw errors.invalidParameter(
      `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Parameter must be between ${range.min} and ${range.max}.`,
    );
  }
  const end = offset + input.MaxResults;
  const page = items.slice(offset, end);
  return end < items.length ? { page, NextToken: Buffer.from(`twin:${end}`).toString('base64') } : { page };
}

// ---- CloudTrail -----------------------------------------------------------------------------------------------------

/** Emits the CloudTrail "AWS API Call via CloudTrail" event of an EC2 call (CreateVpc, DeleteVpc). */
export function emitApiCall(
  ctx: CallContext,
  eventName: string,
  requestParameters: Record<string, unknown>,
  responseElements: Record<string, unknown> | null,
): void {
  const time = new Date(ctx.now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const eventID = ctx.twin.newUuid();
  const event: ApiCallEvent = {
    version: '0',
    id: ctx.twin.newUuid(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.ec2',
    account: ctx.caller.accountId,
    time,
    region: ctx.region,
    resources: [],
    detail: {
      eventSource: 'ec2.amazonaws.com',
      eventName,
      awsRegion: ctx.region,
      userIdentity: {
        type: ctx.caller.sessionToken ? 'AssumedRole' : 'IAMUser',
        arn: ctx.caller.arn,
        accountId: ctx.caller.accountId,
      },
      requestParameters,
      responseElements,
      eventID,
      eventTime: time,
    },
  };
  ctx.twin.emit(event);
}

// ---- RAM ------------------------------------------------------------------------------------------------------------

type SharedWith = (twin: Twin, resourceArn: string, accountId: string, now: number) => boolean;

/** The RAM model, loaded lazily: it imports this module's accessors. */
const ramModule = lazyModule(() => require('../ram') as { isResourceSharedWith?: SharedWith });

/** True when RAM shares the resource with the account (and the share is usable at `now`). */
export function isSharedWith(twin: Twin, resourceArn: string, accountId: string, now: number): boolean {
  const ram = ramModule();
  return typeof ram.isResourceSharedWith === 'function'
    ? ram.isResourceSharedWith(twin, resourceArn, accountId, now)
    : false;
}

export function tgwArn(tgw: { id: string; ownerId: string; region: string }): string {
  return `arn:aws:ec2:${tgw.region}:${tgw.ownerId}:transit-gateway/${tgw.id}`;
}
