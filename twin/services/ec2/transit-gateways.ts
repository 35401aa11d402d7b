import type {
  AcceptTransitGatewayVpcAttachmentRequest,
  AssociateTransitGatewayRouteTableRequest,
  CreateTransitGatewayRequest,
  CreateTransitGatewayRouteRequest,
  CreateTransitGatewayRouteTableRequest,
  CreateTransitGatewayVpcAttachmentRequest,
  DeleteTransitGatewayRouteRequest,
  DeleteTransitGatewayVpcAttachmentRequest,
  DescribeTransitGatewayAttachmentsRequest,
  DescribeTransitGatewayRouteTablesRequest,
  DescribeTransitGatewaysRequest,
  DescribeTransitGatewayVpcAttachmentsRequest,
  DisableTransitGatewayRouteTablePropagationRequest,
  DisassociateTransitGatewayRouteTableRequest,
  EnableTransitGatewayRouteTablePropagationRequest,
  Filter,
  GetTransitGatewayAttachmentPropagationsRequest,
  GetTransitGatewayRouteTableAssociationsRequest,
  GetTransitGatewayRouteTablePropagationsRequest,
  ModifyTransitGatewayVpcAttachmentRequest,
  RejectTransitGatewayVpcAttachmentRequest,
  TransitGatewayAttachment as SdkAttachment,
  TransitGatewayRoute as SdkTgwRoute,
  TransitGatewayRouteTable as SdkTgwRouteTable,
  TransitGateway as SdkTransitGateway,
  TransitGatewayVpcAttachment as SdkVpcAttachment,
  SearchTransitGatewayRoutesRequest,
  TagSpecification,
} from '@aws-sdk/client-ec2';
import { errors } from '../../errors';
import type { Twin } from '../../twin';
import type { CallContext, OperationHandler } from '../../types';
import {
  addAttachment,
  applyFilters,
  attachmentsEverMade,
  attachmentsOfVpc,
  canonicalCidr,
  canonicalIpv6Cidr,
  cidrContains,
  cidrOverlaps,
  creationTags,
  type Ec2State,
  ec2State,
  emitCreationTags,
  err,
  incorrectState,
  isSharedWith,
  isVisible,
  notFound,
  owned,
  paginate,
  presentById,
  putResource,
  quotas,
  refuseUnmodeled,
  requireParam,
  selectIds,
  sortedById,
  stateAt,
  type TgwAttachment,
  type TgwLink,
  type TgwRouteTable,
  type TgwStaticRoute,
  type TransitGateway,
  tagList,
  tgwArn,
  timeOf,
  transition,
} from './model';

// ---- visibility ------------------------------------------------------------------------------------------------------

/** A TGW the caller owns, or one RAM shares with it (past the share's visibility delay). */
function canSee(ctx: CallContext, tgw: TransitGateway): boolean {
  return (
    isVisible(tgw, ctx) &&
    (tgw.ownerId === ctx.caller.accountId || isSharedWith(ctx.twin, tgwArn(tgw), ctx.caller.accountId, ctx.now))
  );
}

function visibleTgw(ctx: CallContext, id: string | undefined): TransitGateway {
  const key = requireParam(id, 'TransitGatewayId');
  const tgw = ec2State(ctx.twin).transitGateways[key];
  if (!tgw || !canSee(ctx, tgw)) throw notFound(key);
  return tgw;
}

/**
 * A VPC attachment is seen by the VPC's owner and the TGW's owner in the attachment's region; a peering attachment
 * by the requester TGW's owner in its region and by the accepter TGW's owner in the peer region (one id, two sides:
 * https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html).
 */
function attachmentVisible(ctx: CallContext, att: TgwAttachment): boolean {
  const s = ec2State(ctx.twin);
  const tgw = s.transitGateways[att.transitGatewayId];
  if (att.peering) {
    if (ctx.now < att.visibleAt) return false;
    const requester = tgw?.ownerId === ctx.caller.accountId && ctx.region === att.region;
    const accepter = att.peering.peerAccountId === ctx.caller.accountId && ctx.region === att.peering.peerRegion;
    if (!requester && !accepter) return false;
  } else {
    // The owner check first: it is the cheap one, and it rules out most attachments of a large TGW for a spoke.
    if (att.vpcOwnerId !== ctx.caller.accountId && tgw?.ownerId !== ctx.caller.accountId) return false;
    if (!isVisible(att, ctx)) return false;
  }
  // Deleted attachments stay describable for a while, then disappear.
  const deletedAt = timeOf(att.timeline, 'deleted');
  return !(deletedAt !== undefined && ctx.now >= deletedAt + s.settings.deletedRetentionMs);
}

/**
 * A visible attachment; `kind` narrows it for the calls of one kind (a VPC attachment call on a peering attachment,
 * or the reverse, does not find it: twin's choice, AWS documents no code for it).
 */
export function visibleAttachment(ctx: CallContext, id: string | undefined, kind?: 'vpc' | 'peering'): TgwAttachment {
  const key = requireParam(id, 'TransitGatewayAttachmentId');
  const att = ec2State(ctx.twin).attachments[key];
  if (!att || !attachmentVisible(ctx, att)) throw notFound(key);
  if (kind !== undefined && resourceOf(att).type !== kind) throw notFound(key);
  return att;
}

/** Whether an attachment is one of `tgwId`'s: a VPC attachment of it, or a peering attachment of either side. */
export function attachedTo(att: TgwAttachment, tgwId: string): boolean {
  return att.transitGatewayId === tgwId || att.peering?.peerTransitGatewayId === tgwId;
}

/** What an attachment attaches, as AWS names it (ResourceType, ResourceId, ResourceOwnerId). */
export function resourceOf(att: TgwAttachment): { type: 'vpc' | 'peering'; id: string; ownerId: string } {
  return att.peering
    ? { type: 'peering', id: att.peering.peerTransitGatewayId, ownerId: att.peering.peerAccountId }
    : { type: 'vpc', id: att.vpcId, ownerId: att.vpcOwnerId };
}

/** Only the TGW owner manages its route tables: for anyone else they do not exist. */
function ownedRouteTable(ctx: CallContext, id: string | undefined): TgwRouteTable {
  return owned(ctx, 'tgwRouteTables', id, 'TransitGatewayRouteTableId');
}

// ---- lazily computed states --------------------------------------------------------------------------------------------

export function attachmentState(att: TgwAttachment, now: number): string {
  return stateAt(att.timeline, now);
}

const LIVE = new Set(['available', 'modifying']);

/** State of an association (`associating|associated|disassociating`) or propagation (`enabling|enabled|disabling`). */
function linkState(s: Ec2State, link: TgwLink, now: number, kind: 'association' | 'propagation'): string | undefined {
  const att = s.attachments[link.attachmentId];
  if (!att) return undefined;
  const attState = attachmentState(att, now);
  if (attState === 'deleted' || (link.goneAt !== undefined && now >= link.goneAt)) return undefined;
  if ((link.removingAt !== undefined && now >= link.removingAt) || attState === 'deleting') {
    return kind === 'association' ? 'disassociating' : 'disabling';
  }
  if (LIVE.has(attState) && now >= link.readyAt) return kind === 'association' ? 'associated' : 'enabled';
  return kind === 'association' ? 'associating' : 'enabling';
}

/**
 * A route table's links (associations or propagations) by attachment, in the list's order: an index beside each list,
 * which only grows (a link is never removed from it: `goneAt` ends it), caught up with what was appended since its last
 * use. One attachment's association or propagations are then found without walking a table's thousands of links.
 */
const linkIndexes = new WeakMap<TgwLink[], { indexed: number; byAttachment: Map<string, TgwLink[]> }>();

function linksOf(table: TgwRouteTable, kind: 'association' | 'propagation', attachmentId: string): readonly TgwLink[] {
  const links = kind === 'association' ? table.associations : table.propagations;
  let index = linkIndexes.get(links);
  if (!index || index.indexed > links.length) {
    index = { indexed: 0, byAttachment: new Map() };
    linkIndexes.set(links, index);
  }
  for (; index.indexed < links.length; index.indexed += 1) {
    const link = links[index.indexed]!;
    const list = index.byAttachment.get(link.attachmentId);
    if (list) list.push(link);
    else index.byAttachment.set(link.attachmentId, [link]);
  }
  return index.byAttachment.get(attachmentId) ?? [];
}

function liveLinks(s: Ec2State, table: TgwRouteTable, kind: 'association' | 'propagation', now: number) {
  const links = kind === 'association' ? table.associations : table.propagations;
  return links.flatMap((link) => {
    const state = linkState(s, link, now, kind);
    return state ? [{ link, state, att: s.attachments[link.attachmentId]! }] : [];
  });
}

/**
 * An attachment has at most one live link of a kind with a TGW: one being removed (`disassociating`/`disabling`) is
 * IncorrectState until it is gone, any other is `duplicate`.
 */
function requireNoLiveLink(
  att: TgwAttachment,
  found: { state: string } | undefined,
  kind: 'association' | 'propagation',
  duplicate: () => Error,
): void {
  const removing = kind === 'association' ? 'disassociating' : 'disabling';
  if (found?.state === removing) throw incorrectState(att.id, removing);
  if (found) throw duplicate();
}

/** A link (association or propagation) asked for now: associating/enabling until `associationMs` on. */
function newLink(ctx: CallContext, att: TgwAttachment): TgwLink {
  return { attachmentId: att.id, createdAt: ctx.now, readyAt: ctx.now + ec2State(ctx.twin).settings.associationMs };
}

/**
 * Starts removing the caller's live link (association or propagation) of an attachment with its route table: only a
 * settled link (`associated`/`enabled`) can be removed; it is `disassociating`/`disabling` until `associationMs` on.
 */
function removeLink(
  ctx: CallContext,
  input: { TransitGatewayRouteTableId?: string; TransitGatewayAttachmentId?: string },
  kind: 'association' | 'propagation',
  notFound: (att: TgwAttachment, table: TgwRouteTable) => Error,
): { att: TgwAttachment; table: TgwRouteTable } {
  const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
  const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId);
  const s = ec2State(ctx.twin);
  const found = liveLinks(s, table, kind, ctx.now).find((l) => l.att.id === att.id);
  if (!found) throw notFound(att, table);
  const settled = kind === 'association' ? 'associated' : 'enabled';
  if (found.state !== settled) throw incorrectState(att.id, found.state);
  found.link.removingAt = ctx.now;
  found.link.goneAt = ctx.now + s.settings.associationMs;
  return { att, table };
}

function associationOf(s: Ec2State, att: TgwAttachment, now: number, tgwId = att.transitGatewayId) {
  for (const table of Object.values(s.tgwRouteTables)) {
    if (table.transitGatewayId !== tgwId) continue;
    // The first live association link of this attachment (liveLinks(...).find(...), without the table's others).
    for (const link of linksOf(table, 'association', att.id)) {
      const state = linkState(s, link, now, 'association');
      if (state) return { table, state, link };
    }
  }
  return undefined;
}

interface PropagatedRoute {
  cidr: string;
  attachment: TgwAttachment;
}

/**
 * Propagated routes of a TGW route table: each enabled propagation of an available attachment brings its VPC's CIDRs,
 * in the order the propagations were enabled. A CIDR that overlaps one already propagated by another attachment is not
 * propagated: the later attachment loses
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayVpcAttachment.html).
 */
/**
 * The last propagated routes computed per route table: each enabled propagation in order (its attachment and CIDRs,
 * as a key) and the number of routes after it. The routes are a pure function of that ordered list, so a call whose
 * list starts with the same entries continues from there (propagations are enabled in time order: a busy table only
 * appends) instead of redoing the quadratic overlap check over thousands of attachments.
 */
const propagationMemo = new WeakMap<
  TgwRouteTable,
  { keys: string[]; atts: TgwAttachment[]; ends: number[]; routes: PropagatedRoute[] }
>();

function propagatedRoutes(s: Ec2State, table: TgwRouteTable, now: number): PropagatedRoute[] {
  const links = liveLinks(s, table, 'propagation', now)
    .filter((l) => l.state === 'enabled')
    .sort((a, b) => a.link.createdAt - b.link.createdAt || a.att.createdAt - b.att.createdAt);
  const entries = links.map(({ att }) => {
    const vpc = s.vpcs[att.vpcId];
    // IPv6 blocks propagate only from an attachment with Ipv6Support enabled
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayVpcAttachmentRequestOptions.html).
    const ipv6 = att.ipv6Support === 'enable' ? (vpc?.ipv6Blocks ?? []).map((b) => b.cidr) : [];
    const cidrs = [...(vpc?.cidrBlocks ?? []), ...ipv6];
    return { att, cidrs, key: `${att.id} ${cidrs.join(' ')}` };
  });
  const memo = propagationMemo.get(table);
  let same = 0;
  while (
    memo &&
    same < entries.length &&
    same < memo.keys.length &&
    memo.keys[same] === entries[same]!.key &&
    memo.atts[same] === entries[same]!.att
  ) {
    same += 1;
  }
  const routes = memo && same > 0 ? memo.routes.slice(0, memo.ends[same - 1]) : [];
  const ends = memo && same > 0 ? memo.ends.slice(0, same) : [];
  for (const { att, cidrs } of entries.slice(same)) {
    for (const cidr of cidrs) {
      if (routes.some((r) => r.attachment !== att && cidrOverlaps(r.cidr, cidr))) continue;
      routes.push({ cidr, attachment: att });
    }
    ends.push(routes.length);
  }
  propagationMemo.set(table, { keys: entries.map((e) => e.key), atts: entries.map((e) => e.att), ends, routes });
  return routes.slice();
}

/** A route of a TGW route table as AWS shows it. */
export interface TableRoute {
  cidr: string;
  attachment?: TgwAttachment;
  type: 'static' | 'propagated';
  state: 'active' | 'blackhole';
}

/**
 * Every route of a TGW route table: its static routes, then the propagated routes whose destination no static route
 * has. Static routes take precedence over propagated routes for the same destination
 * (https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html, "Route evaluation order"). A static
 * route whose attachment is gone (deleting, deleted, failed) or that was created as a blackhole is a `blackhole`
 * route: it stays, drops the traffic and counts against the quota until it is deleted
 * (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-route-tables.html).
 */
export function tableRoutes(
  s: Ec2State,
  table: TgwRouteTable,
  now: number,
  /** Only these routes (a search's own filters, read before any route is built; the same routes in the same order). */
  among?: RoutesAmong,
): TableRoute[] {
  const statics: TableRoute[] = [];
  for (const r of among ? staticRoutesAmong(table, among) : table.staticRoutes) {
    const attachment = r.attachmentId ? s.attachments[r.attachmentId] : undefined;
    const live = attachment !== undefined && LIVE.has(attachmentState(attachment, now));
    statics.push({
      cidr: r.cidr,
      ...(attachment ? { attachment } : {}),
      type: 'static',
      state: live ? 'active' : 'blackhole',
    });
  }
  const propagated: TableRoute[] = unshadowedPropagations(s, table, now)
    .filter((p) => !among || isAmong(among, p.cidr, p.attachment.id))
    .map((p) => ({ cidr: p.cidr, attachment: p.attachment, type: 'propagated', state: 'active' }));
  return [...statics, ...propagated];
}

/**
 * Each table's static routes by attachment and by CIDR (positions in `table.staticRoutes`): an index beside the list,
 * built on first use and extended when the list grows (CreateTransitGatewayRoute appends), rebuilt when it is
 * replaced (DeleteTransitGatewayRoute filters it into a new list). A route search for one VPC's routes then reads its
 * few routes, not a full TGW's thousands.
 */
const staticIndexes = new WeakMap<
  TgwStaticRoute[],
  { indexed: number; byAttachment: Map<string, number[]>; byCidr: Map<string, number[]> }
>();

function staticIndex(routes: TgwStaticRoute[]) {
  let index = staticIndexes.get(routes);
  if (!index) {
    index = { indexed: 0, byAttachment: new Map(), byCidr: new Map() };
    staticIndexes.set(routes, index);
  }
  const add = (map: Map<string, number[]>, key: string, at: number) => {
    const list = map.get(key);
    if (list) list.push(at);
    else map.set(key, [at]);
  };
  for (; index.indexed < routes.length; index.indexed += 1) {
    const r = routes[index.indexed]!;
    if (r.attachmentId !== undefined) add(index.byAttachment, r.attachmentId, index.indexed);
    add(index.byCidr, r.cidr, index.indexed);
  }
  return index;
}

/** Routes to these attachments and with these CIDRs: each set given narrows (neither: every route). */
interface RoutesAmong {
  attachmentIds?: ReadonlySet<string>;
  cidrs?: ReadonlySet<string>;
}

const isAmong = (among: RoutesAmong, cidr: string, attachmentId: string | undefined) =>
  (!among.attachmentIds || (attachmentId !== undefined && among.attachmentIds.has(attachmentId))) &&
  (!among.cidrs || among.cidrs.has(cidr));

/** The static routes of a table `among` names (`isAmong`), in the table's order, read from the index. */
function staticRoutesAmong(table: TgwRouteTable, among: RoutesAmong): TgwStaticRoute[] {
  const routes = table.staticRoutes;
  const index = staticIndex(routes);
  const positions = (map: Map<string, number[]>, keys: ReadonlySet<string>) =>
    new Set([...keys].flatMap((k) => map.get(k) ?? []));
  let picked: Set<number> | undefined;
  if (among.attachmentIds) picked = positions(index.byAttachment, among.attachmentIds);
  if (among.cidrs) {
    const byCidr = positions(index.byCidr, among.cidrs);
    picked = picked ? new Set([...picked].filter((i) => byCidr.has(i))) : byCidr;
  }
  if (!picked) return routes;
  return [...picked].sort((a, b) => a - b).map((i) => routes[i]!);
}

/** A table's static route of `cidr` as `tableRoutes` shows it, if it has one. */
function staticRouteOf(s: Ec2State, table: TgwRouteTable, cidr: string, now: number): TableRoute | undefined {
  return tableRoutes(s, table, now, { cidrs: new Set([cidr]) }).find((r) => r.type === 'static');
}

/** The propagated routes a table shows: those whose CIDR no static route of the table has (static routes win). */
function unshadowedPropagations(s: Ec2State, table: TgwRouteTable, now: number): PropagatedRoute[] {
  const propagated = propagatedRoutes(s, table, now);
  // A table without propagations (spokelink disables them) has nothing to compare with its thousands of static routes.
  if (propagated.length === 0) return propagated;
  const staticCidrs = new Set(table.staticRoutes.map((r) => r.cidr));
  return propagated.filter((p) => !staticCidrs.has(p.cidr));
}

/** How many routes a table has (`tableRoutes(...).length`, without building them). */
function routeCount(s: Ec2State, table: TgwRouteTable, now: number): number {
  return table.staticRoutes.length + unshadowedPropagations(s, table, now).length;
}

function routesOfTgw(s: Ec2State, tgwId: string, now: number): number {
  return Object.values(s.tgwRouteTables)
    .filter((t) => t.transitGatewayId === tgwId)
    .reduce((n, t) => n + routeCount(s, t, now), 0);
}

/** RouteLimitExceeded past 10,000 routes per TGW (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html). */
function checkRouteQuota(s: Ec2State, twin: Twin, tgwId: string, adding: number, now: number): void {
  if (routesOfTgw(s, tgwId, now) + adding > quotas(twin).routesPerTransitGateway) {
    throw err('RouteLimitExceeded', `Transit gateway ${tgwId} has reached its route limit.`);
  }
}

/** Starts the `pending` phase: `available` (or `failed`, see settings) after attachmentPendingMs. */
function startPending(twin: Twin, s: Ec2State, att: TgwAttachment, now: number): void {
  const readyAt = now + twin.draw(twin.timings.attachmentPendingMs);
  const p = s.settings.attachmentFailureProbability;
  const fails = p > 0 && twin.random() < p;
  transition(att.timeline, now, [
    { at: now, state: 'pending' },
    { at: readyAt, state: fails ? 'failed' : 'available' },
  ]);
  // Default association/propagation, as the TGW's options say: they take effect once the attachment is available.
  const tgw = s.transitGateways[att.transitGatewayId]!;
  const link = (): TgwLink => ({ attachmentId: att.id, createdAt: now, readyAt: now });
  if (tgw.defaultRouteTableAssociation === 'enable' && tgw.associationDefaultRouteTableId) {
    s.tgwRouteTables[tgw.associationDefaultRouteTableId]?.associations.push(link());
  }
  if (tgw.defaultRouteTablePropagation === 'enable' && tgw.propagationDefaultRouteTableId) {
    s.tgwRouteTables[tgw.propagationDefaultRouteTableId]?.propagations.push(link());
  }
}

/** Non-deleted attachments (every state but `deleted` counts against quotas and duplicates). */
export function nonDeleted(
  s: Ec2State,
  now: number,
  where: (a: TgwAttachment) => boolean,
  pool: readonly TgwAttachment[] = Object.values(s.attachments),
): TgwAttachment[] {
  return pool.filter((a) => where(a) && attachmentState(a, now) !== 'deleted');
}

// ---- views -----------------------------------------------------------------------------------------------------------

function tgwView(ctx: CallContext, tgw: TransitGateway): SdkTransitGateway {
  return {
    TransitGatewayId: tgw.id,
    TransitGatewayArn: tgwArn(tgw),
    State: stateAt(tgw.timeline, ctx.now) as SdkTransitGateway['State'],
    OwnerId: tgw.ownerId,
    ...(tgw.description !== undefined ? { Description: tgw.description } : {}),
    CreationTime: new Date(tgw.createdAt),
    Options: {
      AmazonSideAsn: tgw.amazonSideAsn,
      AutoAcceptSharedAttachments: tgw.autoAcceptSharedAttachments,
      DefaultRouteTableAssociation: tgw.defaultRouteTableAssociation,
      ...(tgw.associationDefaultRouteTableId
        ? { AssociationDefaultRouteTableId: tgw.associationDefaultRouteTableId }
        : {}),
      DefaultRouteTablePropagation: tgw.defaultRouteTablePropagation,
      ...(tgw.propagationDefaultRouteTableId
        ? { PropagationDefaultRouteTableId: tgw.propagationDefaultRouteTableId }
        : {}),
      VpnEcmpSupport: 'enable',
      DnsSupport: 'enable',
      MulticastSupport: 'disable',
      SecurityGroupReferencingSupport: 'disable',
    },
    // Tags are not shared with the accounts a TGW is shared with.
    Tags: tgw.ownerId === ctx.caller.accountId ? tagList(tgw.tags) : [],
  };
}

function routeTableView(s: Ec2State, table: TgwRouteTable): SdkTgwRouteTable {
  const tgw = s.transitGateways[table.transitGatewayId];
  return {
    TransitGatewayRouteTableId: table.id,
    TransitGatewayId: table.transitGatewayId,
    State: 'available',
    DefaultAssociationRouteTable: tgw?.associationDefaultRouteTableId === table.id,
    DefaultPropagationRouteTable: tgw?.propagationDefaultRouteTableId === table.id,
    CreationTime: new Date(table.createdAt),
    Tags: tagList(table.tags),
  };
}

function vpcAttachmentView(ctx: CallContext, att: TgwAttachment): SdkVpcAttachment {
  return {
    TransitGatewayAttachmentId: att.id,
    TransitGatewayId: att.transitGatewayId,
    VpcId: att.vpcId,
    VpcOwnerId: att.vpcOwnerId,
    State: attachmentState(att, ctx.now) as SdkVpcAttachment['State'],
    SubnetIds: [...att.subnetIds],
    CreationTime: new Date(att.createdAt),
    Options: {
      DnsSupport: 'enable',
      SecurityGroupReferencingSupport: 'enable',
      Ipv6Support: att.ipv6Support ?? 'disable',
      ApplianceModeSupport: 'disable',
    },
    // Tags belong to the account that wrote them (the attachment's creator).
    Tags: att.ownerId === ctx.caller.accountId ? tagList(att.tags) : [],
  };
}

function attachmentView(ctx: CallContext, att: TgwAttachment): SdkAttachment {
  const s = ec2State(ctx.twin);
  const tgw = s.transitGateways[att.transitGatewayId];
  // The caller's side of a peering: the accepter sees its own TGW's association.
  const side =
    att.peering && ctx.region === att.peering.peerRegion ? att.peering.peerTransitGatewayId : att.transitGatewayId;
  const association = associationOf(s, att, ctx.now, side);
  return {
    TransitGatewayAttachmentId: att.id,
    TransitGatewayId: att.transitGatewayId,
    TransitGatewayOwnerId: tgw?.ownerId,
    ResourceOwnerId: resourceOf(att).ownerId,
    ResourceType: resourceOf(att).type,
    ResourceId: resourceOf(att).id,
    State: attachmentState(att, ctx.now) as SdkAttachment['State'],
    ...(association
      ? {
          Association: {
            TransitGatewayRouteTableId: association.table.id,
            State: association.state as 'associated',
          },
        }
      : {}),
    CreationTime: new Date(att.createdAt),
    Tags: att.ownerId === ctx.caller.accountId ? tagList(att.tags) : [],
  };
}

function visibleAttachments(ctx: CallContext, ids: string[] | undefined, filters?: Filter[]): TgwAttachment[] {
  const s = ec2State(ctx.twin);
  const all = s.attachments;
  if (ids && ids.length > 0) {
    // The same answer as selectIds over every visible attachment (ids order, no repeats, NotFound for an id that is
    // absent or invisible to the caller), without walking a TGW's thousands of attachments per describe.
    const out: TgwAttachment[] = [];
    for (const id of ids) {
      const att = Object.hasOwn(all, id) ? all[id] : undefined;
      if (!att || !attachmentVisible(ctx, att)) throw notFound(id);
      if (!out.includes(att)) out.push(att);
    }
    return out;
  }
  // A filter naming one VPC (`vpc-id`, or `resource-id` with a VPC id: a peering attachment's resource is a TGW) keeps
  // that VPC's attachments alone: they are read from the VPC's index, in the record's order, the same ones the filter
  // would keep of the whole record (applyFilters still applies it), without walking a TGW's thousands.
  const vpcFilter = filters?.find(
    (f) =>
      (f.Name === 'vpc-id' || f.Name === 'resource-id') && f.Values?.length === 1 && f.Values[0]!.startsWith('vpc-'),
  );
  const pool = vpcFilter ? attachmentsOfVpc(s, vpcFilter.Values![0]!) : Object.values(all);
  return pool.filter((a) => attachmentVisible(ctx, a));
}

const attachmentFilters = (ctx: CallContext) => ({
  'transit-gateway-attachment-id': (a: TgwAttachment) => a.id,
  'transit-gateway-id': (a: TgwAttachment) => a.transitGatewayId,
  'vpc-id': (a: TgwAttachment) => (a.peering ? undefined : a.vpcId),
  'resource-id': (a: TgwAttachment) => resourceOf(a).id,
  'resource-owner-id': (a: TgwAttachment) => resourceOf(a).ownerId,
  'resource-type': (a: TgwAttachment) => resourceOf(a).type,
  'transit-gateway-owner-id': (a: TgwAttachment) => ec2State(ctx.twin).transitGateways[a.transitGatewayId]?.ownerId,
  state: (a: TgwAttachment) => attachmentState(a, ctx.now),
  'association.transit-gateway-route-table-id': (a: TgwAttachment) =>
    associationOf(ec2State(ctx.twin), a, ctx.now)?.table.id,
  'association.state': (a: TgwAttachment) => associationOf(ec2State(ctx.twin), a, ctx.now)?.state,
});

function linkView(att: TgwAttachment, table: TgwRouteTable, state: string) {
  return {
    TransitGatewayAttachmentId: att.id,
    ResourceId: resourceOf(att).id,
    ResourceType: resourceOf(att).type,
    TransitGatewayRouteTableId: table.id,
    State: state,
  };
}

function staticRouteView(r: TableRoute): SdkTgwRoute {
  return {
    DestinationCidrBlock: r.cidr,
    ...(r.attachment
      ? {
          TransitGatewayAttachments: [
            {
              ResourceId: resourceOf(r.attachment).id,
              TransitGatewayAttachmentId: r.attachment.id,
              ResourceType: resourceOf(r.attachment).type,
            },
          ],
        }
      : {}),
    Type: r.type,
    State: r.state,
  };
}

// ---- operations --------------------------------------------------------------------------------------------------------

/**
 * One page of a TGW route table's associations or propagations (its owner only), with the filters both
 * Get...Associations and Get...Propagations accept.
 */
function routeTableLinks(
  ctx: CallContext,
  input: GetTransitGatewayRouteTableAssociationsRequest | GetTransitGatewayRouteTablePropagationsRequest,
  kind: 'association' | 'propagation',
) {
  const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
  const s = ec2State(ctx.twin);
  const filtered = applyFilters(
    liveLinks(s, table, kind, ctx.now).map((l) => ({ ...l, tags: {} })),
    input.Filters,
    {
      'transit-gateway-attachment-id': (l) => l.att.id,
      'resource-id': (l) => resourceOf(l.att).id,
      'resource-type': (l) => resourceOf(l.att).type,
    },
  );
  const { page, NextToken } = paginate(filtered, input);
  const rows = page.map((l) => ({
    TransitGatewayAttachmentId: l.att.id,
    ResourceId: resourceOf(l.att).id,
    ResourceType: resourceOf(l.att).type,
    State: l.state,
  }));
  return { rows, NextToken };
}

export const transitGatewayOperations: Record<string, OperationHandler> = {
  CreateTransitGateway(ctx, input: CreateTransitGatewayRequest) {
    const s = ec2State(ctx.twin);
    const mine = Object.values(s.transitGateways).filter(
      (t) =>
        t.ownerId === ctx.caller.accountId && t.region === ctx.region && stateAt(t.timeline, ctx.now) !== 'deleted',
    );
    if (mine.length >= quotas(ctx.twin).transitGatewaysPerAccount) {
      // Quota 5 per account (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html); AWS documents
      // no specific error code for it: twin's choice, see docs/twin-ec2.md.
      throw err('TransitGatewayLimitExceeded', 'You have reached the maximum number of transit gateways.');
    }
    const o = input.Options ?? {};
    const flag = (v: string | undefined, dflt: 'enable' | 'disable') => (v === undefined ? dflt : (v as 'enable'));
    const tgw: TransitGateway = {
      id: ctx.twin.newId('tgw'),
      ownerId: ctx.caller.accountId,
      region: ctx.region,
      tags: creationTags(input.TagSpecifications, 'transit-gateway'),
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      description: input.Description,
      amazonSideAsn: o.AmazonSideAsn ?? 64512,
      // Defaults (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayRequestOptions.html):
      // AutoAcceptSharedAttachments disable, default association/propagation enable.
      autoAcceptSharedAttachments: flag(o.AutoAcceptSharedAttachments, 'disable'),
      defaultRouteTableAssociation: flag(o.DefaultRouteTableAssociation, 'enable'),
      defaultRouteTablePropagation: flag(o.DefaultRouteTablePropagation, 'enable'),
      timeline: [
        { at: ctx.now, state: 'pending' },
        { at: ctx.now + ctx.twin.draw(ctx.twin.timings.attachmentPendingMs), state: 'available' },
      ],
    };
    putResource(s, 'transitGateways', tgw);
    if (tgw.defaultRouteTableAssociation === 'enable' || tgw.defaultRouteTablePropagation === 'enable') {
      const table: TgwRouteTable = {
        id: ctx.twin.newId('tgw-rtb'),
        ownerId: tgw.ownerId,
        region: tgw.region,
        tags: {},
        createdAt: ctx.now,
        visibleAt: tgw.visibleAt,
        transitGatewayId: tgw.id,
        isDefault: true,
        associations: [],
        propagations: [],
        staticRoutes: [],
      };
      putResource(s, 'tgwRouteTables', table);
      if (tgw.defaultRouteTableAssociation === 'enable') tgw.associationDefaultRouteTableId = table.id;
      if (tgw.defaultRouteTablePropagation === 'enable') tgw.propagationDefaultRouteTableId = table.id;
    }
    emitCreationTags(ctx, tgw);
    return { TransitGateway: tgwView(ctx, tgw) };
  },

  DescribeTransitGateways(ctx, input: DescribeTransitGatewaysRequest) {
    const pool = Object.values(ec2State(ctx.twin).transitGateways).filter((t) => canSee(ctx, t));
    const tgws = applyFilters(selectIds(pool, input.TransitGatewayIds), input.Filters, {
      'transit-gateway-id': (t) => t.id,
      'owner-id': (t) => t.ownerId,
      state: (t) => stateAt(t.timeline, ctx.now),
      'options.auto-accept-shared-attachments': (t) => t.autoAcceptSharedAttachments,
      'options.default-route-table-association': (t) => t.defaultRouteTableAssociation,
      'options.default-route-table-propagation': (t) => t.defaultRouteTablePropagation,
    });
    const { page, NextToken } = paginate(tgws, input);
    return { TransitGateways: page.map((t) => tgwView(ctx, t)), NextToken };
  },

  CreateTransitGatewayRouteTable(ctx, input: CreateTransitGatewayRouteTableRequest) {
    const tgw = visibleTgw(ctx, input.TransitGatewayId);
    if (tgw.ownerId !== ctx.caller.accountId) {
      throw errors.accessDenied('ec2', 'CreateTransitGatewayRouteTable', ctx.caller.arn, tgwArn(tgw));
    }
    const s = ec2State(ctx.twin);
    const count = Object.values(s.tgwRouteTables).filter((t) => t.transitGatewayId === tgw.id).length;
    if (count >= quotas(ctx.twin).routeTablesPerTransitGateway) {
      // 20 per TGW (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html); no documented code.
      throw err(
        'TransitGatewayRouteTableLimitExceeded',
        `Transit gateway ${tgw.id} has reached its route table limit.`,
      );
    }
    const table: TgwRouteTable = {
      id: ctx.twin.newId('tgw-rtb'),
      ownerId: tgw.ownerId,
      region: tgw.region,
      tags: creationTags(input.TagSpecifications, 'transit-gateway-route-table'),
      createdAt: ctx.now,
      visibleAt: ctx.now + ctx.twin.consistencyLagMs,
      transitGatewayId: tgw.id,
      isDefault: false,
      associations: [],
      propagations: [],
      staticRoutes: [],
    };
    putResource(s, 'tgwRouteTables', table);
    emitCreationTags(ctx, table);
    return { TransitGatewayRouteTable: { ...routeTableView(s, table), State: 'pending' } };
  },

  DescribeTransitGatewayRouteTables(ctx, input: DescribeTransitGatewayRouteTablesRequest) {
    const s = ec2State(ctx.twin);
    const pool = Object.values(s.tgwRouteTables).filter((t) => isVisible(t, ctx) && t.ownerId === ctx.caller.accountId);
    const tables = applyFilters(selectIds(pool, input.TransitGatewayRouteTableIds), input.Filters, {
      'transit-gateway-id': (t) => t.transitGatewayId,
      'transit-gateway-route-table-id': (t) => t.id,
      'default-association-route-table': (t) =>
        String(s.transitGateways[t.transitGatewayId]?.associationDefaultRouteTableId === t.id),
      'default-propagation-route-table': (t) =>
        String(s.transitGateways[t.transitGatewayId]?.propagationDefaultRouteTableId === t.id),
      state: () => 'available',
    });
    const { page, NextToken } = paginate(tables, input);
    return { TransitGatewayRouteTables: page.map((t) => routeTableView(s, t)), NextToken };
  },

  AssociateTransitGatewayRouteTable(ctx, input: AssociateTransitGatewayRouteTableRequest) {
    const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
    const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId);
    if (!attachedTo(att, table.transitGatewayId)) {
      throw errors.invalidParameter(`${att.id} is not attached to the transit gateway of ${table.id}`);
    }
    const state = attachmentState(att, ctx.now);
    if (state !== 'available') throw incorrectState(att.id, state);
    const s = ec2State(ctx.twin);
    // Each side of a peering associates it with one of its own route tables.
    const current = associationOf(s, att, ctx.now, table.transitGatewayId);
    requireNoLiveLink(att, current, 'association', () =>
      err('Resource.AlreadyAssociated', `Transit Gateway Attachment ${att.id} is already associated to a route table.`),
    );
    table.associations.push(newLink(ctx, att));
    return { Association: linkView(att, table, 'associating') };
  },

  DisassociateTransitGatewayRouteTable(ctx, input: DisassociateTransitGatewayRouteTableRequest) {
    const { att, table } = removeLink(ctx, input, 'association', (a, t) =>
      err('InvalidAssociation.NotFound', `Association of ${a.id} with ${t.id} does not exist.`),
    );
    return { Association: linkView(att, table, 'disassociating') };
  },

  EnableTransitGatewayRouteTablePropagation(ctx, input: EnableTransitGatewayRouteTablePropagationRequest) {
    const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
    const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId);
    if (att.transitGatewayId !== table.transitGatewayId) {
      throw errors.invalidParameter(`${att.id} is not attached to the transit gateway of ${table.id}`);
    }
    // Nothing propagates across a peering: "static routes only"
    // (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-peering.html). AWS documents no code: twin's choice.
    if (att.peering) {
      throw errors.invalidParameter(
        `${att.id} is a peering attachment: it supports static routes only, not propagation.`,
      );
    }
    const state = attachmentState(att, ctx.now);
    if (state !== 'available') throw incorrectState(att.id, state);
    const s = ec2State(ctx.twin);
    const existing = liveLinks(s, table, 'propagation', ctx.now).find((l) => l.att.id === att.id);
    requireNoLiveLink(att, existing, 'propagation', () =>
      err('TransitGatewayRouteTablePropagation.Duplicate', `Propagation of ${att.id} to ${table.id} already exists.`),
    );
    checkRouteQuota(s, ctx.twin, table.transitGatewayId, s.vpcs[att.vpcId]?.cidrBlocks.length ?? 0, ctx.now);
    table.propagations.push(newLink(ctx, att));
    return { Propagation: linkView(att, table, 'enabling') };
  },

  DisableTransitGatewayRouteTablePropagation(ctx, input: DisableTransitGatewayRouteTablePropagationRequest) {
    const { att, table } = removeLink(ctx, input, 'propagation', (a, t) =>
      err('TransitGatewayRouteTablePropagation.NotFound', `Propagation of ${a.id} to ${t.id} does not exist.`),
    );
    return { Propagation: linkView(att, table, 'disabling') };
  },

  GetTransitGatewayAttachmentPropagations(ctx, input: GetTransitGatewayAttachmentPropagationsRequest) {
    const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId);
    const s = ec2State(ctx.twin);
    const rows = Object.values(s.tgwRouteTables).flatMap((table) =>
      linksOf(table, 'propagation', att.id).flatMap((link) => {
        const state = linkState(s, link, ctx.now, 'propagation');
        return state ? [{ TransitGatewayRouteTableId: table.id, State: state, tags: {} }] : [];
      }),
    );
    const filtered = applyFilters(rows, input.Filters, {
      'transit-gateway-route-table-id': (r) => r.TransitGatewayRouteTableId,
    });
    const { page, NextToken } = paginate(filtered, input);
    return {
      TransitGatewayAttachmentPropagations: page.map(({ TransitGatewayRouteTableId, State }) => ({
        TransitGatewayRouteTableId,
        State,
      })),
      NextToken,
    };
  },

  GetTransitGatewayRouteTableAssociations(ctx, input: GetTransitGatewayRouteTableAssociationsRequest) {
    const { rows, NextToken } = routeTableLinks(ctx, input, 'association');
    return { Associations: rows, NextToken };
  },

  GetTransitGatewayRouteTablePropagations(ctx, input: GetTransitGatewayRouteTablePropagationsRequest) {
    const { rows, NextToken } = routeTableLinks(ctx, input, 'propagation');
    return { TransitGatewayRouteTablePropagations: rows, NextToken };
  },

  SearchTransitGatewayRoutes(ctx, input: SearchTransitGatewayRoutesRequest) {
    const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
    // Filters are required (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SearchTransitGatewayRoutes.html).
    if (!input.Filters?.length) throw errors.missingParameter('Filters');
    const s = ec2State(ctx.twin);
    // The attachment and exact-match filters narrow the table's routes before they are built (applyFilters and the
    // route-search filters below still decide): a search for one VPC's routes does not build a TGW's thousands.
    const valuesOf = (name: string) => {
      const f = input.Filters!.find((x) => x.Name === name);
      return f ? new Set(f.Values ?? []) : undefined;
    };
    const attachmentIds = valuesOf('attachment.transit-gateway-attachment-id');
    const exact = valuesOf('route-search.exact-match');
    const among = { ...(attachmentIds ? { attachmentIds } : {}), ...(exact ? { cidrs: exact } : {}) };
    const rows = tableRoutes(s, table, ctx.now, among).map((r) => ({ ...r, tags: {} }));
    const filtered = applyFilters(
      rows,
      input.Filters.filter((f) => !f.Name?.startsWith('route-search.')),
      {
        type: (r) => r.type,
        state: (r) => r.state,
        'attachment.transit-gateway-attachment-id': (r) => r.attachment?.id,
        'attachment.resource-id': (r) => (r.attachment ? resourceOf(r.attachment).id : undefined),
        'attachment.resource-type': (r) => (r.attachment ? resourceOf(r.attachment).type : undefined),
      },
    ).filter((r) =>
      input
        .Filters!.filter((f) => f.Name?.startsWith('route-search.'))
        .every((f) => {
          const values = f.Values ?? [];
          switch (f.Name) {
            case 'route-search.exact-match':
              return values.includes(r.cidr);
            case 'route-search.subnet-of-match':
              return values.some((v) => cidrContains(v, r.cidr));
            case 'route-search.supernet-of-match':
              return values.some((v) => cidrContains(r.cidr, v));
            case 'route-search.longest-prefix-match':
              return values.some((v) => cidrContains(r.cidr, v));
            default:
              throw errors.invalidParameter(`The filter '${f.Name}' is invalid`);
          }
        }),
    );
    const max = input.MaxResults ?? 1000;
    const routes: SdkTgwRoute[] = filtered.slice(0, max).map(staticRouteView);
    return { Routes: routes, AdditionalRoutesAvailable: filtered.length > max };
  },

  CreateTransitGatewayRoute(ctx, input: CreateTransitGatewayRouteRequest) {
    const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
    const given = requireParam(input.DestinationCidrBlock, 'DestinationCidrBlock');
    // DestinationCidrBlock takes IPv4 and IPv6 alike
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayRoute.html).
    const cidr = canonicalCidr(given) ?? canonicalIpv6Cidr(given);
    if (!cidr) throw errors.invalidParameter(`Value (${given}) for parameter destinationCidrBlock is invalid.`);
    const s = ec2State(ctx.twin);
    const blackhole = input.Blackhole === true;
    if (blackhole === (input.TransitGatewayAttachmentId !== undefined)) {
      throw err('InvalidParameterCombination', 'Specify either a transit gateway attachment or a blackhole route.');
    }
    let attachmentId: string | undefined;
    if (!blackhole) {
      const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId);
      if (!attachedTo(att, table.transitGatewayId)) {
        throw errors.invalidParameter(`${att.id} is not attached to the transit gateway of ${table.id}`);
      }
      // Twin's choice: a route to an attachment that is not available yet (or any more) is refused as the
      // association and propagation calls refuse it, rather than accepted.
      const state = attachmentState(att, ctx.now);
      if (!LIVE.has(state)) throw incorrectState(att.id, state);
      attachmentId = att.id;
    }
    // One static route per destination and table; AWS answers RouteAlreadyExists
    // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
    if (staticRouteOf(s, table, cidr, ctx.now)) {
      throw err('RouteAlreadyExists', `Route ${cidr} already exists in Transit Gateway Route Table ${table.id}.`);
    }
    checkRouteQuota(s, ctx.twin, table.transitGatewayId, 1, ctx.now);
    table.staticRoutes.push({ cidr, ...(attachmentId ? { attachmentId } : {}), createdAt: ctx.now });
    const route = staticRouteOf(s, table, cidr, ctx.now)!;
    return { Route: staticRouteView(route) };
  },

  DeleteTransitGatewayRoute(ctx, input: DeleteTransitGatewayRouteRequest) {
    const table = ownedRouteTable(ctx, input.TransitGatewayRouteTableId);
    const given = requireParam(input.DestinationCidrBlock, 'DestinationCidrBlock');
    const cidr = canonicalCidr(given) ?? canonicalIpv6Cidr(given);
    const s = ec2State(ctx.twin);
    const route = cidr === undefined ? undefined : staticRouteOf(s, table, cidr, ctx.now);
    if (!route) {
      // AWS documents no code for a missing static route: twin's choice, see docs/twin-ec2.md.
      throw err(
        'InvalidRoute.NotFound',
        `No route with destination ${cidr} in Transit Gateway Route Table ${table.id}.`,
      );
    }
    table.staticRoutes = table.staticRoutes.filter((r) => r.cidr !== cidr);
    return { Route: { ...staticRouteView(route), State: 'deleted' } };
  },

  CreateTransitGatewayVpcAttachment(ctx, input: CreateTransitGatewayVpcAttachmentRequest) {
    const subnetIds = input.SubnetIds ?? [];
    requireParam(input.VpcId, 'VpcId');
    if (subnetIds.length === 0) throw errors.missingParameter('SubnetIds');
    // Right after a RAM share the TGW stays invisible to the spoke: InvalidTransitGatewayID.NotFound (aws-facts).
    const tgw = visibleTgw(ctx, input.TransitGatewayId);
    // Only the VPC's owner can attach it: the hub cannot attach a spoke's VPC (it does not see it).
    const vpc = owned(ctx, 'vpcs', input.VpcId, 'VpcId');
    const tgwState = stateAt(tgw.timeline, ctx.now);
    if (tgwState !== 'available') throw incorrectState(tgw.id, tgwState);
    const zones = new Set<string>();
    for (const id of subnetIds) {
      const subnet = owned(ctx, 'subnets', id, 'SubnetIds');
      if (subnet.vpcId !== vpc.id) throw errors.invalidParameter(`Subnet ${id} does not belong to VPC ${vpc.id}`);
      // One subnet per Availability Zone (API reference, SubnetIds).
      if (zones.has(subnet.availabilityZone)) throw err('DuplicateSubnetsInSameZone', 'Duplicate Subnets for same AZ');
      zones.add(subnet.availabilityZone);
    }
    const ipv6Support = attachmentIpv6Support(
      input.Options?.Ipv6Support,
      vpc.id,
      subnetIds.map((id) => ec2State(ctx.twin).subnets[id]!),
    );
    const s = ec2State(ctx.twin);
    const ofVpc = attachmentsOfVpc(s, vpc.id);
    if (nonDeleted(s, ctx.now, (a) => a.transitGatewayId === tgw.id, ofVpc).length > 0) {
      throw err(
        'DuplicateTransitGatewayAttachment',
        `${tgw.id} has non-deleted Transit Gateway Attachments with same VPC ID.`,
      );
    }
    // 5 TGW attachments per VPC; 5,000 per TGW (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html).
    // AWS documents no error code for these quotas: twin's choice, see docs/twin-ec2.md.
    if (nonDeleted(s, ctx.now, () => true, ofVpc).length >= quotas(ctx.twin).attachmentsPerVpc) {
      throw err(
        'TransitGatewayAttachmentLimitExceeded',
        `VPC ${vpc.id} has reached the maximum number of transit gateway attachments (${quotas(ctx.twin).attachmentsPerVpc}).`,
      );
    }
    const perTgw = quotas(ctx.twin).attachmentsPerTransitGateway;
    if (
      attachmentsEverMade(s, tgw.id) >= perTgw &&
      nonDeleted(s, ctx.now, (a) => a.transitGatewayId === tgw.id).length >= perTgw
    ) {
      throw err(
        'TransitGatewayAttachmentLimitExceeded',
        `Transit gateway ${tgw.id} has reached the maximum number of attachments (${quotas(ctx.twin).attachmentsPerTransitGateway}).`,
      );
    }
    const att = newAttachment(ctx, input.TagSpecifications, {
      transitGatewayId: tgw.id,
      vpcId: vpc.id,
      vpcOwnerId: vpc.ownerId,
      subnetIds: [...subnetIds],
      ipv6Support,
    });
    addAttachment(s, att);
    const crossAccount = tgw.ownerId !== vpc.ownerId;
    if (crossAccount && tgw.autoAcceptSharedAttachments === 'disable') {
      att.timeline.push({ at: ctx.now, state: 'pendingAcceptance' });
    } else {
      startPending(ctx.twin, s, att, ctx.now);
    }
    emitCreationTags(ctx, att);
    return { TransitGatewayVpcAttachment: vpcAttachmentView(ctx, att) };
  },

  ModifyTransitGatewayVpcAttachment(ctx, input: ModifyTransitGatewayVpcAttachmentRequest) {
    const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId, 'vpc');
    // The VPC's owner modifies its attachment (the options are the VPC side's).
    if (att.ownerId !== ctx.caller.accountId) {
      throw errors.accessDenied('ec2', 'ModifyTransitGatewayVpcAttachment', ctx.caller.arn, att.id);
    }
    if ((input.AddSubnetIds?.length ?? 0) > 0 || (input.RemoveSubnetIds?.length ?? 0) > 0) {
      throw new Error('twin: ModifyTransitGatewayVpcAttachment AddSubnetIds/RemoveSubnetIds is not modeled');
    }
    const o = input.Options ?? {};
    refuseUnmodeled('ModifyTransitGatewayVpcAttachment Options', o, [
      'DnsSupport',
      'ApplianceModeSupport',
      'SecurityGroupReferencingSupport',
    ]);
    const state = attachmentState(att, ctx.now);
    if (state !== 'available') throw incorrectState(att.id, state);
    const s = ec2State(ctx.twin);
    if (o.Ipv6Support !== undefined) {
      att.ipv6Support = attachmentIpv6Support(
        o.Ipv6Support,
        att.vpcId,
        att.subnetIds.map((id) => s.subnets[id]!),
      );
      // `modifying` then `available` again; AWS publishes no duration: twin timing, settings.associationMs.
      transition(att.timeline, ctx.now, [
        { at: ctx.now, state: 'modifying' },
        { at: ctx.now + s.settings.associationMs, state: 'available' },
      ]);
    }
    return { TransitGatewayVpcAttachment: vpcAttachmentView(ctx, att) };
  },

  DescribeTransitGatewayVpcAttachments(ctx, input: DescribeTransitGatewayVpcAttachmentsRequest) {
    const atts = applyFilters(
      visibleAttachments(ctx, input.TransitGatewayAttachmentIds, input.Filters).filter((a) => !a.peering),
      input.Filters,
      attachmentFilters(ctx),
    );
    const { page, NextToken } = paginate(atts, input);
    return { TransitGatewayVpcAttachments: page.map((a) => vpcAttachmentView(ctx, a)), NextToken };
  },

  DescribeTransitGatewayAttachments(ctx, input: DescribeTransitGatewayAttachmentsRequest) {
    const atts = applyFilters(
      visibleAttachments(ctx, input.TransitGatewayAttachmentIds, input.Filters),
      input.Filters,
      attachmentFilters(ctx),
    );
    const { page, NextToken } = paginate(atts, input);
    return { TransitGatewayAttachments: page.map((a) => attachmentView(ctx, a)), NextToken };
  },

  AcceptTransitGatewayVpcAttachment(ctx, input: AcceptTransitGatewayVpcAttachmentRequest) {
    const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId, 'vpc');
    tgwOwnerOnly(ctx, att, 'AcceptTransitGatewayVpcAttachment');
    requirePendingAcceptance(ctx, att);
    startPending(ctx.twin, ec2State(ctx.twin), att, ctx.now);
    return { TransitGatewayVpcAttachment: vpcAttachmentView(ctx, att) };
  },

  RejectTransitGatewayVpcAttachment(ctx, input: RejectTransitGatewayVpcAttachmentRequest) {
    const att = rejectAttachment(ctx, input.TransitGatewayAttachmentId, 'vpc', (a) =>
      tgwOwnerOnly(ctx, a, 'RejectTransitGatewayVpcAttachment'),
    );
    return { TransitGatewayVpcAttachment: vpcAttachmentView(ctx, att) };
  },

  DeleteTransitGatewayVpcAttachment(ctx, input: DeleteTransitGatewayVpcAttachmentRequest) {
    // Either owner (the VPC's or the TGW's) may delete an attachment.
    return { TransitGatewayVpcAttachment: vpcAttachmentView(ctx, deleteAttachment(ctx, input, 'vpc')) };
  },
};

/** What a new attachment's kind decides; the rest `newAttachment` fills in. */
type AttachmentKindFields = Omit<
  TgwAttachment,
  'id' | 'ownerId' | 'region' | 'tags' | 'createdAt' | 'visibleAt' | 'timeline'
>;

/**
 * A new attachment (either kind) of the caller's in the call's region, with its creation tags, visible after the
 * twin's consistency lag and with an empty timeline; the caller stores it and starts its timeline.
 */
export function newAttachment(
  ctx: CallContext,
  tagSpecifications: TagSpecification[] | undefined,
  fields: AttachmentKindFields,
): TgwAttachment {
  return {
    id: ctx.twin.newId('tgw-attach'),
    ownerId: ctx.caller.accountId,
    region: ctx.region,
    tags: creationTags(tagSpecifications, 'transit-gateway-attachment'),
    createdAt: ctx.now,
    visibleAt: ctx.now + ctx.twin.consistencyLagMs,
    ...fields,
    timeline: [],
  };
}

/** Only the TGW owner accepts or rejects a VPC attachment (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-transit-gateways.html#tgw-accept-reject). */
function tgwOwnerOnly(ctx: CallContext, att: TgwAttachment, action: string): void {
  const tgw = ec2State(ctx.twin).transitGateways[att.transitGatewayId]!;
  if (tgw.ownerId !== ctx.caller.accountId) throw errors.accessDenied('ec2', action, ctx.caller.arn, att.id);
}

/** An attachment is accepted or rejected only while it is `pendingAcceptance` (either kind). */
export function requirePendingAcceptance(ctx: CallContext, att: TgwAttachment): void {
  const state = attachmentState(att, ctx.now);
  if (state !== 'pendingAcceptance') throw incorrectState(att.id, state);
}

/**
 * Rejects a `pendingAcceptance` attachment of the kind, once `mayReject` lets the caller: `rejecting`, `rejected`,
 * then `deleted`.
 */
export function rejectAttachment(
  ctx: CallContext,
  id: string | undefined,
  kind: 'vpc' | 'peering',
  mayReject: (att: TgwAttachment) => void,
): TgwAttachment {
  const att = visibleAttachment(ctx, id, kind);
  mayReject(att);
  requirePendingAcceptance(ctx, att);
  const rejectedAt = ctx.now + ec2State(ctx.twin).settings.associationMs;
  transition(att.timeline, ctx.now, [
    { at: ctx.now, state: 'rejecting' },
    { at: rejectedAt, state: 'rejected' },
    { at: rejectedAt + ctx.twin.draw(ctx.twin.timings.attachmentDeletingMs), state: 'deleted' },
  ]);
  return att;
}

/** Deletes an attachment of the kind: `deleting`, then `deleted`; only from the states AWS deletes from. */
export function deleteAttachment(
  ctx: CallContext,
  input: { TransitGatewayAttachmentId?: string },
  kind: 'vpc' | 'peering',
): TgwAttachment {
  const att = visibleAttachment(ctx, input.TransitGatewayAttachmentId, kind);
  const state = attachmentState(att, ctx.now);
  if (!['available', 'pendingAcceptance', 'failed', 'rejected'].includes(state)) throw incorrectState(att.id, state);
  transition(att.timeline, ctx.now, [
    { at: ctx.now, state: 'deleting' },
    { at: ctx.now + ctx.twin.draw(ctx.twin.timings.attachmentDeletingMs), state: 'deleted' },
  ]);
  return att;
}

/** A TGW attachment that names no attachment of the twin. */
export class UnknownAttachmentError extends Error {
  override name = 'UnknownAttachmentError';
}

/**
 * Fault hook: the attachment goes to `failed` now (whatever it was about to become). For tests and simulations of
 * AWS failing an attachment; see also `Ec2Settings.attachmentFailureProbability`.
 */
export function failAttachment(twin: Twin, attachmentId: string): void {
  const att = ec2State(twin).attachments[attachmentId];
  if (!att) throw new UnknownAttachmentError(`twin: no TGW attachment ${attachmentId}`);
  transition(att.timeline, twin.now(), [{ at: twin.now(), state: 'failed' }]);
}

/** Snapshot views (computed at `now`). */
export function tgwSnapshot(s: Ec2State, now: number) {
  const tgws = sortedById(Object.values(s.transitGateways)).map((tgw) => ({
    id: tgw.id,
    ownerId: tgw.ownerId,
    region: tgw.region,
    state: stateAt(tgw.timeline, now),
    options: {
      autoAcceptSharedAttachments: tgw.autoAcceptSharedAttachments,
      defaultRouteTableAssociation: tgw.defaultRouteTableAssociation,
      defaultRouteTablePropagation: tgw.defaultRouteTablePropagation,
      associationDefaultRouteTableId: tgw.associationDefaultRouteTableId ?? null,
      propagationDefaultRouteTableId: tgw.propagationDefaultRouteTableId ?? null,
    },
    tags: tgw.tags,
    routeTables: sortedById(Object.values(s.tgwRouteTables).filter((t) => t.transitGatewayId === tgw.id)).map((t) => ({
      id: t.id,
      default: t.isDefault,
      tags: t.tags,
      associations: liveLinks(s, t, 'association', now)
        .map((l) => ({ attachmentId: l.att.id, state: l.state }))
        .sort((a, b) => a.attachmentId.localeCompare(b.attachmentId)),
      propagations: liveLinks(s, t, 'propagation', now)
        .map((l) => ({ attachmentId: l.att.id, state: l.state }))
        .sort((a, b) => a.attachmentId.localeCompare(b.attachmentId)),
      routes: tableRoutes(s, t, now).map((r) => ({
        cidr: r.cidr,
        attachmentId: r.attachment?.id ?? null,
        type: r.type,
        state: r.state,
      })),
    })),
  }));
  const present = presentById(Object.values(s.attachments), (a) => attachmentState(a, now));
  const attachments = present
    .filter((a) => !a.peering)
    .map((a) => ({
      id: a.id,
      transitGatewayId: a.transitGatewayId,
      vpcId: a.vpcId,
      vpcOwnerId: a.vpcOwnerId,
      state: attachmentState(a, now),
      subnetIds: a.subnetIds,
      ...(a.ipv6Support === 'enable' ? { ipv6Support: 'enable' } : {}),
      tags: a.tags,
    }));
  const peeringAttachments = present
    .filter((a) => a.peering)
    .map((a) => ({
      id: a.id,
      transitGatewayId: a.transitGatewayId,
      region: a.region,
      ...a.peering!,
      state: attachmentState(a, now),
      tags: a.tags,
    }));
  return {
    transitGateways: tgws,
    transitGatewayAttachments: attachments,
    ...(peeringAttachments.length > 0 ? { transitGatewayPeeringAttachments: peeringAttachments } : {}),
  };
}

/**
 * The attachment's Ipv6Support, or the error AWS answers. The attachment puts a network interface in each of its
 * subnets, and "the transit gateway uses one IP address from each specified subnet"
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayVpcAttachment.html): an IPv6-only
 * subnet cannot host one (Transit Gateway guide, "Transit gateway attachments to a VPC", limits: attachment subnets
 * need IPv4, https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html). With Ipv6Support the interface "receives an
 * IPv6 address" (API_CreateTransitGatewayVpcAttachmentRequestOptions), so every subnet needs an IPv6 CIDR; AWS
 * documents no error code for either: twin's choice, InvalidParameterValue.
 */
function attachmentIpv6Support(
  asked: string | undefined,
  vpcId: string,
  subnets: readonly { id: string; cidrBlock?: string; ipv6CidrBlock?: string }[],
): 'enable' | 'disable' {
  const ipv6Only = subnets.find((x) => !x.cidrBlock);
  if (ipv6Only) {
    throw errors.invalidParameter(
      `Subnet ${ipv6Only.id} of ${vpcId} is IPv6-only: a transit gateway attachment needs an IPv4 CIDR in its subnets.`,
    );
  }
  if (asked === undefined || asked === 'disable') return 'disable';
  if (asked !== 'enable') throw errors.invalidParameter(`Value (${asked}) for parameter ipv6Support is invalid.`);
  const noIpv6 = subnets.find((x) => !x.ipv6CidrBlock);
  if (noIpv6) {
    throw errors.invalidParameter(
      `Subnet ${noIpv6.id} of ${vpcId} has no IPv6 CIDR block: IPv6 support needs one in every attachment subnet.`,
    );
  }
  return 'enable';
}
