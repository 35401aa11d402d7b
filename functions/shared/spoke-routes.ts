import { type EC2Client, paginateDescribeRouteTables, type Route } from '@aws-sdk/client-ec2';
import { routeDestinationOf } from './cidr';
import type { RouteRecord } from './registry/model';

/**
 * The spoke routes spokelink needs: in each route table of the VPC's subnets, a route to each hub destination through
 * the hub's TGW. One reading of a route table, shared by ValidateAndPlan (a conflict refuses the request before
 * anything is built) and CreateSpokeRoutes (which re-reads, for the races that slip through).
 */

/** Where a route goes (its target id), for conflicts and the drift report. */
export function routeTarget(route: Route): string {
  return (
    route.TransitGatewayId ??
    route.VpcPeeringConnectionId ??
    route.NatGatewayId ??
    route.GatewayId ??
    route.NetworkInterfaceId ??
    route.InstanceId ??
    route.LocalGatewayId ??
    route.CarrierGatewayId ??
    route.CoreNetworkArn ??
    route.EgressOnlyInternetGatewayId ??
    'another target'
  );
}

/** Static routes only: a route propagated from a virtual private gateway yields to a static one, it is no conflict. */
export const isStaticRoute = (route: Route) => route.Origin !== 'EnableVgwRoutePropagation';

export interface RouteConflict {
  routeTableId: string;
  cidr: string;
  target: string;
}

export interface SpokeRouteNeeds {
  /** Routes to create. */
  missing: RouteRecord[];
  /** Routes that already go to the TGW. */
  existing: RouteRecord[];
  /** Routes to a destination that go anywhere else: spokelink never overwrites them. */
  conflicts: RouteConflict[];
}

/** Compares the static routes of each table (`tables`: table id -> routes) with the routes spokelink needs. */
export function spokeRouteNeeds(
  routeTableIds: readonly string[],
  destinations: readonly string[],
  transitGatewayId: string,
  tables: ReadonlyMap<string, Route[]>,
): SpokeRouteNeeds {
  const out: SpokeRouteNeeds = { missing: [], existing: [], conflicts: [] };
  for (const routeTableId of routeTableIds) {
    const routes = (tables.get(routeTableId) ?? []).filter(isStaticRoute);
    for (const cidr of destinations) {
      const route = routes.find((r) => routeDestinationOf(r) === cidr);
      if (!route) out.missing.push({ routeTableId, destinationCidr: cidr });
      else if (route.TransitGatewayId === transitGatewayId) out.existing.push({ routeTableId, destinationCidr: cidr });
      else out.conflicts.push({ routeTableId, cidr, target: routeTarget(route) });
    }
  }
  return out;
}

/** `<table> routes <cidr> to <target>; ... (not to <tgw>); spokelink never overwrites a route: ...`. */
export function routeConflictText(transitGatewayId: string, conflicts: readonly RouteConflict[]): string {
  const list = conflicts.map((c) => `${c.routeTableId} routes ${c.cidr} to ${c.target}`).join('; ');
  return (
    `${list} (not to ${transitGatewayId}); spokelink never overwrites a route: remove it or change the hub ` +
    'destinations'
  );
}

/**
 * Routes of the given route tables, by table id. A filter, not RouteTableIds: a table deleted meanwhile is simply absent
 * instead of failing the call.
 */
export async function routesOf(ec2: EC2Client, tableIds: readonly string[]): Promise<Map<string, Route[]>> {
  const out = new Map<string, Route[]>();
  if (tableIds.length === 0) return out;
  const Filters = [{ Name: 'route-table-id', Values: [...tableIds] }];
  for await (const page of paginateDescribeRouteTables({ client: ec2 }, { Filters })) {
    for (const t of page.RouteTables ?? []) if (t.RouteTableId) out.set(t.RouteTableId, t.Routes ?? []);
  }
  return out;
}
