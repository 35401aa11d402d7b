import { DeleteRouteCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { routeDestinationOf, routeDestinationParam } from '#shared/cidr';
import { isAwsError } from '#shared/errors';
import { logger } from '#shared/logger';
import type { Plan } from '#shared/plan';
import { recordingProgress } from '#shared/progress';
import { forgetInRecord, getRecord, type RegistryTable } from '#shared/registry';
import type { RouteRecord } from '#shared/registry/model';
import { routesOf, routeTarget } from '#shared/spoke-routes';
import type { RemovalTarget } from '#shared/vpc-ref';
import type { RouteRemovalResult } from './contract';

/**
 * RemoveSpokeRoutes (offboarding) and PruneSpokeRoutes (after a change): deletes the spoke routes the registry record
 * says spokelink created, except those the plan still wants. Only a route that still goes to the hub's TGW is
 * deleted: a route someone has pointed elsewhere since is no longer spokelink's and is reported, never touched.
 * Routes of a deleted VPC went with it. Each route leaves the record as it goes (write-through).
 */

export interface RouteRemovalDeps {
  /** EC2 client of the spoke role in the VPC's account and region. */
  spokeEc2: () => Promise<EC2Client>;
  transitGatewayId: string;
  registry: RegistryTable;
  now: () => number;
}

const key = (r: RouteRecord) => `${r.routeTableId}|${r.destinationCidr}`;

/** The routes a plan wants (every route table of the VPC x every hub destination). */
export function wantedRoutes(plan: Plan | undefined): Set<string> {
  const out = new Set<string>();
  if (!plan) return out;
  for (const routeTableId of plan.routeTableIds) {
    for (const destinationCidr of plan.destinations) out.add(key({ routeTableId, destinationCidr }));
  }
  return out;
}

/** Removes the recorded routes that `keep` (the plan of a change) does not want; all of them when offboarding. */
export async function removeSpokeRoutes(vpc: RemovalTarget, keep: Plan | undefined, deps: RouteRemovalDeps) {
  const result: RouteRemovalResult = { removed: [], vanished: [], notOurs: [], retained: [] };
  const record = await getRecord(deps.registry, vpc.vpcId);
  const wanted = wantedRoutes(keep);
  const candidates = (record?.routes ?? []).filter((r) => !wanted.has(key(r)));
  if (candidates.length === 0) return result;

  if (!vpc.exists) {
    // A deleted VPC's route tables, and their routes, were deleted with it.
    result.vanished.push(...candidates);
    await forgetInRecord(deps.registry, vpc.vpcId, 'routes', candidates, deps.now());
    return result;
  }
  if (!vpc.spokeReachable) {
    result.retained.push(...candidates);
    return result;
  }

  const forget = () =>
    forgetInRecord(
      deps.registry,
      vpc.vpcId,
      'routes',
      [...result.removed, ...result.vanished, ...result.notOurs.map(({ target: _t, ...r }) => r)],
      deps.now(),
    );
  await recordingProgress(
    'the routes removed',
    async () => {
      const ec2 = await deps.spokeEc2();
      const tableIds = [...new Set(candidates.map((r) => r.routeTableId))].sort();
      const tables = await routesOf(ec2, tableIds);

      for (const route of candidates) {
        const found = tables
          .get(route.routeTableId)
          ?.find((r) => routeDestinationOf(r) === route.destinationCidr && r.Origin !== 'EnableVgwRoutePropagation');
        if (!found) {
          result.vanished.push(route);
        } else if (found.TransitGatewayId !== deps.transitGatewayId) {
          const target = routeTarget(found);
          logger.warn('a recorded route now points elsewhere: left alone', { ...route, target });
          result.notOurs.push({ ...route, target });
        } else {
          try {
            await ec2.send(
              new DeleteRouteCommand({
                RouteTableId: route.routeTableId,
                ...routeDestinationParam(route.destinationCidr),
              }),
            );
            result.removed.push(route);
          } catch (error) {
            if (!isAwsError(error, 'InvalidRoute.NotFound', 'InvalidRouteTableID.NotFound')) throw error;
            result.vanished.push(route);
          }
        }
      }
    },
    forget,
  );
  return result;
}
