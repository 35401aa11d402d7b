import {
  DescribeRouteTablesCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcsCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { AlreadyConnectedError } from '#shared/errors';
import { bareZoneId, zonesOfVpc } from '#shared/hosted-zones';
import type { Plan } from '#shared/plan';
import type { ConsumerRecord } from '#shared/registry/model';
import { spokeRouteNeeds } from '#shared/spoke-routes';
import { StatusTag } from '#shared/tags';

/**
 * The cheap no-op: a duplicate or out-of-order event for a VPC that is already connected as it asks ends after
 * ValidateAndPlan (AlreadyConnectedError, caught into the `EndBecauseAlreadyConnected` Succeed state) instead of
 * re-running the whole onboarding, flipping the status to `onboarding` and renaming `spokelink:execution`.
 *
 * It is cut short only when all of these hold (else the onboarding runs as before):
 * - the execution was not started by the reconcile (a repair run is never cut short);
 * - the VPC's status tag says `connected` (a `failed` VPC re-tagged is retried in full) and no other execution holds
 *   its lease;
 * - the registry record is `connected` with exactly what the plan wants: segment, services, CIDRs, subnets' route
 *   tables x hub destinations, zones, security group rules, endpoint service principals;
 * - a cheap drift check is clean: the recorded attachment is `available` and `associated` with the segment's table,
 *   every spoke route to a hub destination goes to the TGW, and the VPC is associated with every planned zone.
 */

export interface UnchangedDeps {
  spoke: () => Promise<{ ec2: EC2Client; route53: Route53Client }>;
  hubEc2: EC2Client;
  /** The VPC's lease holder, if a live one. */
  leaseHolder: (vpcId: string) => Promise<string | undefined>;
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** What the record lacks or has more than the plan wants (empty: the same). */
function recordDiffers(plan: Plan, record: ConsumerRecord): string | undefined {
  const checks: [string, string[], string[]][] = [
    ['segment', [plan.segment], [record.segment]],
    ['services', plan.services, record.services],
    ['local services', plan.localServices ?? [], record.localServices ?? []],
    ['services the VPC serves itself', (plan.selfServed ?? []).map((s) => s.endpoint), record.selfServed ?? []],
    ['cidrs', plan.cidrs, record.cidrs],
    // A block added since (the plan quarantines it): never a no-op, the run must say `quarantined`.
    ['quarantine', (plan.quarantine ?? []).map((q) => q.cidr), (record.quarantine ?? []).map((q) => q.cidr)],
    [
      'routes',
      plan.routeTableIds.flatMap((t) => plan.destinations.map((d) => `${t} ${d}`)),
      record.routes.map((r) => `${r.routeTableId} ${r.destinationCidr}`),
    ],
    ['zones', plan.zones.map((z) => z.zoneId), record.zones.map((z) => z.zoneId)],
    [
      'profile',
      plan.profile ? [plan.profile.profileId] : [],
      (record.profileAssociations ?? []).map((p) => p.profileId),
    ],
    [
      'rules',
      plan.securityGroupRules.map((r) => `${r.groupId} ${r.cidr} ${r.port}`),
      record.securityGroupRules.map((r) => `${r.groupId} ${r.cidr} ${r.port}`),
    ],
    [
      'principals',
      plan.endpointServices.map((s) => `${s.serviceId} ${plan.principal}`),
      record.endpointServicePrincipals.map((p) => `${p.serviceId} ${p.principal}`),
    ],
  ];
  return checks.find(([, want, have]) => !same(want, have))?.[0];
}

/**
 * Throws AlreadyConnectedError when the request changes nothing and nothing drifted; returns why not otherwise
 * (for the log).
 */
export async function checkUnchanged(
  plan: Plan,
  record: ConsumerRecord | undefined,
  origin: string | undefined,
  deps: UnchangedDeps,
): Promise<string> {
  if (origin === 'reconcile') return 'started by the reconcile';
  if (record?.status !== 'connected' || !record.attachmentId) return 'not a connected member';
  const differs = recordDiffers(plan, record);
  if (differs) return `the request changes the ${differs}`;

  const spoke = await deps.spoke();
  const { Vpcs } = await spoke.ec2.send(new DescribeVpcsCommand({ VpcIds: [plan.vpcId] }));
  const status = Vpcs?.[0]?.Tags?.find((t) => t.Key === StatusTag.status)?.Value;
  if (status !== 'connected') return `the status tag says ${status ?? 'nothing'}`;
  const holder = await deps.leaseHolder(plan.vpcId);
  if (holder) return `another execution holds the VPC (${holder})`;

  const [attachment, tables, zones] = await Promise.all([
    deps.hubEc2.send(
      new DescribeTransitGatewayAttachmentsCommand({ TransitGatewayAttachmentIds: [record.attachmentId] }),
    ),
    spoke.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [...plan.routeTableIds] })),
    zonesOfVpc(spoke.route53, plan.vpcId, plan.region),
  ]);
  const att = attachment.TransitGatewayAttachments?.[0];
  if (
    att?.State !== 'available' ||
    att.Association?.State !== 'associated' ||
    att.Association.TransitGatewayRouteTableId !== plan.associationRouteTableId
  ) {
    return `attachment ${record.attachmentId} is not available and associated with ${plan.associationRouteTableId}`;
  }
  const routes = new Map((tables.RouteTables ?? []).map((t) => [t.RouteTableId ?? '', t.Routes ?? []]));
  const needs = spokeRouteNeeds(plan.routeTableIds, plan.destinations, plan.transitGatewayId, routes);
  if (needs.missing.length > 0 || needs.conflicts.length > 0) return 'a spoke route is missing or points elsewhere';
  const associated = new Set(zones.map((z) => bareZoneId(z.HostedZoneId ?? '')));
  if (plan.zones.some((z) => !associated.has(z.zoneId))) return 'a zone association is missing';

  throw new AlreadyConnectedError(
    `${plan.vpcId} is already connected as it asks (segment ${plan.segment}, services ` +
      `${plan.services.join(',') || 'none'}) and nothing drifted: nothing to do`,
  );
}
