import { type EC2Client, paginateDescribeVpcEndpoints } from '@aws-sdk/client-ec2';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { HubConfig } from '#shared/config';
import { bareZoneId, bareZoneName, zonesOfVpc } from '#shared/hosted-zones';
import type { SelfServed, ZonePlan } from '#shared/plan';
import type { VpcRef } from '#shared/vpc-ref';

/**
 * A VPC that already serves a catalog service itself (README "Placement", "Served by the VPC itself"): the name the
 * hub's zone would answer is already answered in the VPC by
 * - its own private hosted zone of that name, associated with the VPC (AWS allows one zone of a name per VPC:
 *   AssociateVPCWithHostedZone answers ConflictingDomainExists, so the hub's zone could never be associated), or
 * - its own interface endpoint for that service with private DNS on (AWS answers the name from a zone it manages for
 *   the endpoint, and refuses a same-named zone for the VPC:
 *   https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html).
 * Such a service is skipped (no hub zone, no Profile entry relied on, no hub security group rule, no spoke endpoint of
 * spokelink's) and reported, and the VPC's other services are connected. Read as the VPC's owner (the spoke read role)
 * under the VPC's lease, from what exists, never from tags: a tenant's claim by tag counts for nothing, and an
 * endpoint spokelink recorded for the VPC (`recordedEndpointIds`) is spokelink's, never the tenant's. The state is the
 * tenant's to change at any moment: each validation reads it again, so a VPC that stops serving a service gets it
 * from the hub at its next onboarding run (a tag change, the reconcile's repair). A zone of the hub's (the catalog's or
 * any endpoint shard's, `hubZoneIds`) associated with the VPC is spokelink's doing, never the VPC's own.
 */
export async function selfServedServices(
  spoke: { ec2: EC2Client; route53: Route53Client },
  target: VpcRef,
  config: Pick<HubConfig, 'endpoints'>,
  zones: readonly ZonePlan[],
  recordedEndpointIds: ReadonlySet<string>,
  hubZoneIds: ReadonlySet<string>,
): Promise<SelfServed[]> {
  if (zones.length === 0) return [];
  const [associated, endpoints] = await Promise.all([
    zonesOfVpc(spoke.route53, target.vpcId, target.region),
    ownEndpointsWithPrivateDns(spoke.ec2, target.vpcId, recordedEndpointIds),
  ]);
  const found = new Map<string, SelfServed>();
  for (const zone of zones) {
    if (found.has(zone.endpoint)) continue;
    const own = associated.find(
      (z) => bareZoneName(z.Name ?? '') === zone.zoneName && !hubZoneIds.has(bareZoneId(z.HostedZoneId ?? '')),
    );
    if (own) {
      found.set(zone.endpoint, { endpoint: zone.endpoint, by: 'zone', id: bareZoneId(own.HostedZoneId ?? '') });
      continue;
    }
    const serviceName = config.endpoints[zone.endpoint]?.serviceName;
    const endpoint = endpoints.find(
      (e) => (serviceName !== undefined && e.serviceName === serviceName) || e.dnsNames.includes(zone.zoneName),
    );
    if (endpoint) found.set(zone.endpoint, { endpoint: zone.endpoint, by: 'endpoint', id: endpoint.id });
  }
  return [...found.values()].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
}

/** The VPC's interface endpoints with private DNS on that spokelink did not make, and that are not going away. */
async function ownEndpointsWithPrivateDns(
  ec2: EC2Client,
  vpcId: string,
  recordedEndpointIds: ReadonlySet<string>,
): Promise<{ id: string; serviceName: string; dnsNames: string[] }[]> {
  const out: { id: string; serviceName: string; dnsNames: string[] }[] = [];
  const pages = paginateDescribeVpcEndpoints({ client: ec2 }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] });
  for await (const page of pages) {
    for (const e of page.VpcEndpoints ?? []) {
      const state = String(e.State ?? '').toLowerCase();
      if (!e.VpcEndpointId || e.VpcId !== vpcId || recordedEndpointIds.has(e.VpcEndpointId)) continue;
      if (e.PrivateDnsEnabled !== true || ['deleting', 'deleted', 'rejected', 'failed', 'expired'].includes(state)) {
        continue;
      }
      out.push({
        id: e.VpcEndpointId,
        serviceName: e.ServiceName ?? '',
        dnsNames: (e.DnsEntries ?? []).map((d) => bareZoneName(d.DnsName ?? '')),
      });
    }
  }
  return out;
}

/** `kinesis-streams, sts` for the status detail. */
export function selfServedText(selfServed: readonly Pick<SelfServed, 'endpoint'>[]): string {
  return selfServed.map((s) => s.endpoint).join(',');
}
