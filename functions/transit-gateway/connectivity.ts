import { type EC2Client, paginateDescribeRouteTables, SearchTransitGatewayRoutesCommand } from '@aws-sdk/client-ec2';
import { GetChangeCommand, type Route53Client } from '@aws-sdk/client-route-53';
import { routeDestinationOf } from '#shared/cidr';
import { AssociationPendingError, ConnectivityPendingError } from '#shared/errors';
import type { Plan } from '#shared/plan';
import { GetProfileAssociationCommand, type Route53ProfilesClient } from '../../sdk/client-route53profiles';
import type { ConnectivityResult } from './contract';
import { describeAttachment } from './transit-gateway';

/**
 * WaitForConnectivity: `connected` means a packet can flow and a name resolves. AWS applies each change
 * asynchronously, so before the status says so this step checks, and the ASL retries it while anything is pending:
 * - the attachment's association with the segment's TGW route table is `associated` (not `associating`);
 * - in each TGW route table that must reach the VPC, a route to each VPC CIDR through the attachment is `active`
 *   (SearchTransitGatewayRoutes: a propagated route exists only once the propagation is `enabled`; a static route to
 *   the attachment counts the same);
 * - each spoke route to a hub destination through the TGW is `active` (not `blackhole`);
 * - each zone association change this execution made is `INSYNC` (Route 53 GetChange, asked by the spoke account that
 *   made it: https://docs.aws.amazon.com/Route53/latest/APIReference/API_GetChange.html);
 * - in DNS mode `profile`, the VPC's association with the hub's Profile is `COMPLETE` (GetProfileAssociation, by the
 *   VPC's account: the Profile's owner cannot read it).
 * It changes nothing. The checks stop at the first group that is pending: the spoke's (its own account's buckets),
 * then the hub's association, then the hub's routes. The hub's EC2 describe bucket is one per account and region for
 * every onboarding at once (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html), so a poll reads
 * the hub only when nothing on the spoke's side is pending, and reads each hub fact once. The routes are not searched
 * when AssociateAndPropagate saw each of them `active` (`routesActive`: CreateTransitGatewayRoute answers a route's
 * state, and only the hub, under this VPC's lease, changes its static routes); they stay active while the attachment
 * does, which the association read checks to be `available`.
 */

export interface ConnectivityDeps {
  hubEc2: EC2Client;
  /** Clients of the spoke role in the VPC's account and region. */
  spoke: () => Promise<{ ec2: EC2Client; route53: Route53Client }>;
  /** Route 53 Profiles as the spoke role (profile mode only). */
  spokeProfiles?: () => Promise<Route53ProfilesClient>;
}

/** What AssociateZones made: the Route 53 changes, and in profile mode the Profile association. */
export interface DnsChanges {
  changeIds: readonly string[];
  profileAssociationId?: string | undefined;
}

export async function confirmConnectivity(
  plan: Plan,
  attachmentId: string,
  dns: DnsChanges,
  deps: ConnectivityDeps,
  /** AssociateAndPropagate saw every static route of the VPC `active` in this execution. */
  routesActive = false,
): Promise<ConnectivityResult> {
  const zoneChangeIds = dns.changeIds;
  const spoke = await deps.spoke();
  // The spoke's own conditions first, in the VPC account's buckets: while one is pending the hub is not read at all
  // (its EC2 buckets are shared by every onboarding: docs/performance.md, "The migration day in DNS mode profile").
  const spokeSide = await Promise.all([
    spokeRoutesPending(plan, spoke.ec2),
    changesPending(zoneChangeIds, spoke.route53),
    profilePending(dns.profileAssociationId, deps),
  ]);
  pendingIf(spokeSide.flat());
  // Then the hub, one fact at a time: the association (one describe), and only once it is associated the routes
  // (one search per table, together), so a poll while the association is `associating` costs one hub read.
  const association = await associationPending(plan, attachmentId, deps.hubEc2);
  if (association.associating) {
    // The one wait left, which AWS ends within seconds: polled every second (AssociationPendingError).
    throw new AssociationPendingError(`not in effect yet: ${association.pending.join('; ')}`);
  }
  pendingIf(association.pending);
  if (!routesActive) pendingIf(await tgwRoutesPending(plan, attachmentId, deps.hubEc2));
  const routes = routesActive ? 'active when created' : 'active';
  return {
    confirmed: [
      `association with ${plan.associationRouteTableId} associated`,
      ...plan.propagationRouteTableIds.map((id) => `routes to ${plan.cidrs.join(', ')} ${routes} in ${id}`),
      `${plan.routeTableIds.length * plan.destinations.length} spoke route(s) active`,
      `${zoneChangeIds.length} zone association change(s) INSYNC`,
      ...(dns.profileAssociationId ? [`Profile association ${dns.profileAssociationId} COMPLETE`] : []),
    ],
  };
}

function pendingIf(pending: readonly string[]): void {
  if (pending.length > 0) throw new ConnectivityPendingError(`not in effect yet: ${pending.join('; ')}`);
}

/** What of the attachment is not in effect; `associating` when that is only its association, on its way. */
async function associationPending(
  plan: Plan,
  attachmentId: string,
  ec2: EC2Client,
): Promise<{ pending: string[]; associating: boolean }> {
  const { Association, State } = await describeAttachment(ec2, attachmentId);
  if (State !== 'available') return { pending: [`attachment ${attachmentId} is ${State}`], associating: false };
  const target = plan.associationRouteTableId;
  if (Association?.TransitGatewayRouteTableId === target && Association.State === 'associated') {
    return { pending: [], associating: false };
  }
  const ours = Association?.TransitGatewayRouteTableId === target;
  return {
    pending: [`association of ${attachmentId} with ${target} is ${ours ? Association.State : 'absent'}`],
    associating: ours && Association.State === 'associating',
  };
}

async function tgwRoutesPending(plan: Plan, attachmentId: string, ec2: EC2Client): Promise<string[]> {
  const perTable = await Promise.all(
    plan.propagationRouteTableIds.map(async (tableId) => {
      const { Routes = [] } = await ec2.send(
        new SearchTransitGatewayRoutesCommand({
          TransitGatewayRouteTableId: tableId,
          Filters: [
            { Name: 'attachment.transit-gateway-attachment-id', Values: [attachmentId] },
            { Name: 'route-search.exact-match', Values: [...plan.cidrs] },
            { Name: 'state', Values: ['active'] },
          ],
        }),
      );
      const active = new Set(Routes.filter((r) => r.State === 'active').map((r) => r.DestinationCidrBlock));
      const missing = plan.cidrs.filter((cidr) => !active.has(cidr));
      return missing.length > 0 ? [`route to ${missing.join(', ')} in ${tableId} not active`] : [];
    }),
  );
  return perTable.flat();
}

async function spokeRoutesPending(plan: Plan, ec2: EC2Client): Promise<string[]> {
  if (plan.routeTableIds.length === 0 || plan.destinations.length === 0) return [];
  const pending: string[] = [];
  const pages = paginateDescribeRouteTables({ client: ec2 }, { RouteTableIds: [...plan.routeTableIds] });
  for await (const page of pages) {
    for (const table of page.RouteTables ?? []) {
      for (const cidr of plan.destinations) {
        const route = table.Routes?.find(
          (r) => routeDestinationOf(r) === cidr && r.TransitGatewayId === plan.transitGatewayId,
        );
        if (route?.State !== 'active') {
          pending.push(`spoke route ${table.RouteTableId} ${cidr} is ${route?.State ?? 'absent'}`);
        }
      }
    }
  }
  return pending;
}

/** The changes' statuses, asked together (one round trip on the critical path). */
async function changesPending(changeIds: readonly string[], route53: Route53Client): Promise<string[]> {
  const statuses = await Promise.all(
    changeIds.map(async (id) => ({
      id,
      status: (await route53.send(new GetChangeCommand({ Id: id }))).ChangeInfo?.Status,
    })),
  );
  return statuses.filter((c) => c.status !== 'INSYNC').map((c) => `zone association change ${c.id} is ${c.status}`);
}

async function profilePending(associationId: string | undefined, deps: ConnectivityDeps): Promise<string[]> {
  if (associationId === undefined) return [];
  if (!deps.spokeProfiles) throw new Error('WaitForConnectivity: a Profile association needs the Profiles client');
  const client = await deps.spokeProfiles();
  const { ProfileAssociation } = await client.send(
    new GetProfileAssociationCommand({ ProfileAssociationId: associationId }),
  );
  return ProfileAssociation?.Status === 'COMPLETE'
    ? []
    : [`Profile association ${associationId} is ${ProfileAssociation?.Status}`];
}
