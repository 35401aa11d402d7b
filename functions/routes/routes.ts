import { CreateRouteCommand, type EC2Client, paginateDescribeRouteTables, type Route } from '@aws-sdk/client-ec2';
import { routeDestinationOf, routeDestinationParam } from '#shared/cidr';
import { ConflictError, isAwsError, quotaErrorOf } from '#shared/errors';
import type { Plan } from '#shared/plan';
import { recordingProgress } from '#shared/progress';
import { mergeIntoRecord, type RegistryTable } from '#shared/registry';
import { isStaticRoute, routeConflictText, routeTarget, spokeRouteNeeds } from '#shared/spoke-routes';
import type { RoutesResult } from './contract';

/**
 * CreateSpokeRoutes: in every route table of the plan, a route to each hub destination through the TGW. A route that
 * already goes to this TGW is kept; one that goes anywhere else is never overwritten: ConflictError naming the route
 * table, the CIDR and the other target, and no route is created by this call.
 */

export interface RoutesDeps {
  /** EC2 client of the spoke role in the VPC's account and region. */
  spokeEc2: () => Promise<EC2Client>;
  registry: RegistryTable;
  now: () => number;
}

async function routesByTable(ec2: EC2Client, tableIds: string[]): Promise<Map<string, Route[]>> {
  const out = new Map<string, Route[]>();
  for await (const page of paginateDescribeRouteTables({ client: ec2 }, { RouteTableIds: tableIds })) {
    for (const table of page.RouteTables ?? []) {
      if (table.RouteTableId) out.set(table.RouteTableId, table.Routes ?? []);
    }
  }
  return out;
}

function conflictError(plan: Plan, conflicts: { routeTableId: string; cidr: string; target: string }[]): ConflictError {
  return new ConflictError(`route conflict: ${routeConflictText(plan.transitGatewayId, conflicts)}`);
}

/** Creates the missing routes; records every route that goes to the TGW (even when it fails half-way). */
export async function createSpokeRoutes(plan: Plan, deps: RoutesDeps): Promise<RoutesResult> {
  const ec2 = await deps.spokeEc2();
  const result: RoutesResult = { created: [], existing: [] };
  if (plan.routeTableIds.length === 0 || plan.destinations.length === 0) return result;

  const record = async () => {
    const routes = [...result.existing, ...result.created];
    await mergeIntoRecord(deps.registry, plan.vpcId, 'routes', routes, deps.now());
  };

  await recordingProgress(
    'the routes made',
    async () => {
      const tables = await routesByTable(ec2, plan.routeTableIds);
      const { missing, existing, conflicts } = spokeRouteNeeds(
        plan.routeTableIds,
        plan.destinations,
        plan.transitGatewayId,
        tables,
      );
      result.existing.push(...existing);
      if (conflicts.length > 0) throw conflictError(plan, conflicts);

      for (const route of missing) {
        try {
          await ec2.send(
            new CreateRouteCommand({
              RouteTableId: route.routeTableId,
              ...routeDestinationParam(route.destinationCidr),
              TransitGatewayId: plan.transitGatewayId,
            }),
          );
          result.created.push(route);
        } catch (error) {
          if (!isAwsError(error, 'RouteAlreadyExists')) {
            throw quotaErrorOf(error, `route in ${route.routeTableId}`) ?? error;
          }
          // Created meanwhile: ours (a retried invocation) or someone else's.
          const now = (await routesByTable(ec2, [route.routeTableId])).get(route.routeTableId) ?? [];
          const found = now.filter(isStaticRoute).find((r) => routeDestinationOf(r) === route.destinationCidr);
          if (found?.TransitGatewayId !== plan.transitGatewayId) {
            throw conflictError(plan, [
              {
                routeTableId: route.routeTableId,
                cidr: route.destinationCidr,
                target: found ? routeTarget(found) : '?',
              },
            ]);
          }
          result.existing.push(route);
        }
      }
    },
    record,
  );
  return result;
}
