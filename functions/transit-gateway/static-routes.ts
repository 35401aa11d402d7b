import {
  CreateTransitGatewayRouteCommand,
  DeleteTransitGatewayRouteCommand,
  type EC2Client,
  SearchTransitGatewayRoutesCommand,
} from '@aws-sdk/client-ec2';
import type { HubConfig } from '#shared/config';
import { ConflictError, isAwsError } from '#shared/errors';

/**
 * The hub's return routes to a spoke VPC are static routes for the CIDRs spokelink validated and claimed, never
 * propagations: a propagated attachment brings whatever CIDRs its VPC has now, including a range the tenant added
 * after validation (AssociateVpcCidrBlock) that belongs to another VPC. A static route takes precedence over a
 * propagated one for the same destination (https://docs.aws.amazon.com/vpc/latest/tgw/how-transit-gateways-work.html,
 * "Route evaluation order"), and a CIDR nobody validated simply has no route. Each claimed CIDR is one route in each
 * of the segment's `propagationRouteTableIds`, counted against the TGW's 10,000 routes
 * (https://docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html).
 */

export interface StaticRoute {
  routeTableId: string;
  cidr: string;
  attachmentId?: string;
  state: string;
}

/** Route tables spokelink may hold static routes in: every segment's `propagationRouteTableIds`, sorted. */
export function hubRouteTableIds(config: HubConfig): string[] {
  return [...new Set(Object.values(config.segments).flatMap((s) => s.propagationRouteTableIds))].sort();
}

/** Static routes of `tableIds` to any of `attachmentIds` (active or blackhole: a deleted attachment's stay). */
export async function staticRoutesTo(
  ec2: EC2Client,
  tableIds: readonly string[],
  attachmentIds: readonly string[],
): Promise<StaticRoute[]> {
  if (attachmentIds.length === 0) return [];
  const wanted = new Set(attachmentIds);
  const perTable = await Promise.all(
    tableIds.map(async (routeTableId) => {
      // SearchTransitGatewayRoutes has no NextToken: at most MaxResults (1,000) routes, far more than one VPC's.
      const { Routes = [] } = await ec2.send(
        new SearchTransitGatewayRoutesCommand({
          TransitGatewayRouteTableId: routeTableId,
          Filters: [
            { Name: 'type', Values: ['static'] },
            { Name: 'attachment.transit-gateway-attachment-id', Values: [...wanted] },
          ],
          MaxResults: 1000,
        }),
      );
      return Routes.flatMap((r) => {
        const attachmentId = r.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId;
        // Checked again here: an implementation that ignores the attachment filter must not make others' routes ours.
        if (r.Type !== 'static' || !r.DestinationCidrBlock || !attachmentId || !wanted.has(attachmentId)) return [];
        return [{ routeTableId, cidr: r.DestinationCidrBlock, attachmentId, state: r.State ?? '' }];
      });
    }),
  );
  return perTable.flat();
}

/** The static route of `cidr` in a table, whoever it points to. */
async function staticRouteAt(ec2: EC2Client, routeTableId: string, cidr: string): Promise<StaticRoute | undefined> {
  const { Routes = [] } = await ec2.send(
    new SearchTransitGatewayRoutesCommand({
      TransitGatewayRouteTableId: routeTableId,
      Filters: [
        { Name: 'type', Values: ['static'] },
        { Name: 'route-search.exact-match', Values: [cidr] },
      ],
    }),
  );
  const found = Routes.find((r) => r.DestinationCidrBlock === cidr && r.Type === 'static');
  if (!found) return undefined;
  const attachmentId = found.TransitGatewayAttachments?.[0]?.TransitGatewayAttachmentId;
  return { routeTableId, cidr, ...(attachmentId ? { attachmentId } : {}), state: found.State ?? '' };
}

async function deleteRoute(ec2: EC2Client, route: { routeTableId: string; cidr: string }): Promise<void> {
  try {
    await ec2.send(
      new DeleteTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: route.routeTableId,
        DestinationCidrBlock: route.cidr,
      }),
    );
  } catch (error) {
    if (!isAwsError(error, 'InvalidRoute.NotFound')) throw error;
  }
}

/**
 * Creates the static route `cidr` -> `attachmentId`. A static route of that destination already there is ours (done),
 * a blackhole (a deleted attachment's leftover: the claim says the CIDR is this VPC's now, so it is replaced), or an
 * active route to another attachment: ConflictError, never overwritten. Returns the route's state as AWS answered it
 * (CreateTransitGatewayRoute's `Route.State`, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTransitGatewayRoute.html,
 * or the search's when it existed).
 */
async function createRoute(
  ec2: EC2Client,
  routeTableId: string,
  cidr: string,
  attachmentId: string,
): Promise<{ state: string; created: boolean }> {
  const create = async () => {
    const answer = await ec2.send(
      new CreateTransitGatewayRouteCommand({
        TransitGatewayRouteTableId: routeTableId,
        DestinationCidrBlock: cidr,
        TransitGatewayAttachmentId: attachmentId,
      }),
    );
    return { state: answer?.Route?.State ?? 'unknown', created: true };
  };
  try {
    return await create();
  } catch (error) {
    if (!isAwsError(error, 'RouteAlreadyExists')) throw error;
  }
  const existing = await staticRouteAt(ec2, routeTableId, cidr);
  // Gone again meanwhile (not ours to say it is active): the caller's confirmation reads it.
  if (!existing) return { state: 'unknown', created: false };
  // Ours already (an earlier attempt made it and its answer was lost): not made by this call.
  if (existing.attachmentId === attachmentId) return { state: existing.state, created: false };
  if (existing.state !== 'blackhole') {
    throw new ConflictError(
      `TGW route conflict: ${routeTableId} routes ${cidr} to ${existing.attachmentId ?? 'another target'} (not to ${attachmentId})`,
    );
  }
  await deleteRoute(ec2, existing);
  return create();
}

/** What setStaticRoutes changed, and the wanted routes whose state (as answered or read) is not `active`. */
export interface StaticRoutesOutcome {
  changes: string[];
  /** `<table> <cidr> <state>` of each wanted route not seen `active`: none means every one was. */
  notActive: string[];
}

/**
 * Makes the static routes of `attachmentId` exactly `cidrs` in each of `tables`, and none in the other tables of
 * `allTables` (a segment change): routes are added before others are removed. Returns what changed and which wanted
 * routes were not seen `active`.
 */
export async function setStaticRoutes(
  ec2: EC2Client,
  args: { attachmentId: string; cidrs: readonly string[]; tables: readonly string[]; allTables: readonly string[] },
  /** The attachment's static routes in `tables` and `allTables`, when the caller read them already. */
  found?: Promise<StaticRoute[]>,
): Promise<StaticRoutesOutcome> {
  const changes: string[] = [];
  const notActive: string[] = [];
  const searched = [...new Set([...args.tables, ...args.allTables])].sort();
  const existing = await (found ?? staticRoutesTo(ec2, searched, [args.attachmentId]));
  for (const table of [...args.tables].sort()) {
    for (const cidr of args.cidrs) {
      const there = existing.find((r) => r.routeTableId === table && r.cidr === cidr);
      const { state, created } = there
        ? { state: there.state, created: false }
        : await createRoute(ec2, table, cidr, args.attachmentId);
      if (created) changes.push(`route ${cidr} in ${table}`);
      if (state !== 'active') notActive.push(`${table} ${cidr} ${state}`);
    }
  }
  for (const route of existing) {
    if (args.tables.includes(route.routeTableId) && args.cidrs.includes(route.cidr)) continue;
    await deleteRoute(ec2, route);
    changes.push(`route ${route.cidr} removed from ${route.routeTableId}`);
  }
  return { changes, notActive };
}

/** Deletes every static route of `attachmentIds` in `tables` (offboarding and rollback, before the attachment). */
export async function removeStaticRoutes(
  ec2: EC2Client,
  tables: readonly string[],
  attachmentIds: readonly string[],
): Promise<StaticRoute[]> {
  const routes = await staticRoutesTo(ec2, tables, attachmentIds);
  for (const route of routes) await deleteRoute(ec2, route);
  return routes;
}
