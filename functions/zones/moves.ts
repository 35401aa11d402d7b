import { DescribeVpcEndpointsCommand, type EC2Client, ModifyVpcEndpointCommand } from '@aws-sdk/client-ec2';
import { isAwsError, SpokeEndpointPendingError } from '#shared/errors';
import type { Plan } from '#shared/plan';
import type { ConsumerRecord } from '#shared/registry/model';

/**
 * Moving a service between the hub and the spoke on a connected VPC (a change of `spokelink:local-services`), in the
 * safest order AWS allows: a VPC can hold a name only once (a private hosted zone of the name, or an endpoint's private
 * DNS: https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html), so the two never overlap, and the
 * gap between them is as short as one Lambda invocation makes it (docs/lifecycle.md, "Moving a service"):
 * - hub -> spoke: CreateSpokeEndpoints creates the endpoint with private DNS off while the hub's zone of that name is
 *   still associated (`privateDnsAtCreation`: the endpoint is ready, nothing changes for the VPC yet);
 *   WaitForConnectivity; then PruneZoneAssociations disassociates the hub's zone and at once turns the endpoint's
 *   private DNS on (`enableMovedPrivateDns`, ModifyVpcEndpoint).
 * - spoke -> hub: AssociateZones turns the private DNS of the VPC's spokelink endpoint off (`releaseMovedPrivateDns`)
 *   and at once associates the hub's zone; PruneZoneAssociations then deletes the endpoint by its recorded id.
 * Only endpoint ids the registry recorded are modified, never what tags claim.
 */

/** Private DNS for a new local endpoint: off while the VPC still holds the hub's zone of that service (a move). */
export function privateDnsAtCreation(record: Pick<ConsumerRecord, 'zones'> | undefined, endpoint: string): boolean {
  return !(record?.zones ?? []).some((z) => z.endpoint === endpoint);
}

export interface MoveDeps {
  /** EC2 as the spoke role (write, this VPC). */
  spokeEc2: () => Promise<EC2Client>;
}

/**
 * hub -> spoke, before the hub's zones are disassociated (PruneZoneAssociations): the recorded endpoints of the plan's
 * local services whose private DNS is off (made during a move), read now so that nothing but the disassociation stands
 * between it and `enableMovedPrivateDns`. Throws SpokeEndpointPendingError while one whose hub zone the record still
 * holds is not `available` (its private DNS would not answer yet: the name would not resolve).
 */
export async function endpointsAwaitingPrivateDns(
  plan: Plan,
  record: Pick<ConsumerRecord, 'zones' | 'spokeEndpoints'> | undefined,
  deps: MoveDeps,
): Promise<string[]> {
  const local = new Set(plan.localServices ?? []);
  const recorded = (record?.spokeEndpoints ?? []).filter((e) => e.vpcEndpointId && local.has(e.endpoint));
  if (recorded.length === 0) return [];
  const off = await liveEndpoints(
    await deps.spokeEc2(),
    recorded.map((e) => e.vpcEndpointId!),
  ).then((all) => all.filter((e) => !e.privateDns));
  const moving = new Set(recorded.filter((e) => !privateDnsAtCreation(record, e.endpoint)).map((e) => e.vpcEndpointId));
  const notReady = off.filter((e) => moving.has(e.id) && e.state !== 'available');
  if (notReady.length > 0) {
    throw new SpokeEndpointPendingError(
      `${notReady.map((e) => `${e.id} (${e.state})`).join(', ')} not available yet: the hub's zone of its service ` +
        'stays associated until it is',
    );
  }
  return off.map((e) => e.id);
}

/**
 * hub -> spoke, right after the hub's zones were disassociated: turns private DNS on for each of `awaiting`
 * (endpointsAwaitingPrivateDns) whose service the record no longer holds a hub zone for (a retained disassociation
 * would make EC2 refuse it). Returns the endpoint ids enabled.
 */
export async function enableMovedPrivateDns(
  awaiting: readonly string[],
  record: Pick<ConsumerRecord, 'zones' | 'spokeEndpoints'> | undefined,
  deps: MoveDeps,
): Promise<string[]> {
  const free = new Set(
    (record?.spokeEndpoints ?? []).filter((e) => privateDnsAtCreation(record, e.endpoint)).map((e) => e.vpcEndpointId),
  );
  const ids = awaiting.filter((id) => free.has(id));
  if (ids.length === 0) return [];
  const ec2 = await deps.spokeEc2();
  for (const id of ids) await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: true }));
  return ids;
}

/**
 * spoke -> hub, before the hub's zones are associated (AssociateZones): turns private DNS off on each recorded
 * endpoint of a service the plan now serves from the hub (its zone is in the plan), so that the VPC no longer holds
 * the name. Returns the endpoint ids released. The endpoint itself is deleted by PruneZoneAssociations, by its
 * recorded id, once the hub's zone is in effect.
 */
export async function releaseMovedPrivateDns(
  plan: Plan,
  record: Pick<ConsumerRecord, 'spokeEndpoints'> | undefined,
  deps: MoveDeps,
): Promise<string[]> {
  const toHub = new Set(plan.zones.map((z) => z.endpoint));
  const ids = (record?.spokeEndpoints ?? []).flatMap((e) =>
    e.vpcEndpointId && toHub.has(e.endpoint) ? [e.vpcEndpointId] : [],
  );
  if (ids.length === 0) return [];
  const ec2 = await deps.spokeEc2();
  const on = (await liveEndpoints(ec2, ids)).filter((e) => e.privateDns).map((e) => e.id);
  for (const id of on) await ec2.send(new ModifyVpcEndpointCommand({ VpcEndpointId: id, PrivateDnsEnabled: false }));
  return on;
}

/** Among `ids`, the endpoints that exist and are not going away (an id that names nothing any more is skipped). */
async function liveEndpoints(
  ec2: EC2Client,
  ids: readonly string[],
): Promise<{ id: string; state: string; privateDns: boolean }[]> {
  try {
    const { VpcEndpoints } = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [...ids] }));
    return (VpcEndpoints ?? [])
      .map((e) => ({
        id: e.VpcEndpointId ?? '',
        state: String(e.State).toLowerCase(),
        privateDns: !!e.PrivateDnsEnabled,
      }))
      .filter((e) => e.id && !['deleting', 'deleted'].includes(e.state));
  } catch (error) {
    if (!isAwsError(error, 'InvalidVpcEndpointId.NotFound')) throw error;
    // One unknown id fails the whole describe: ask one by one.
    if (ids.length === 1) return [];
    return (await Promise.all(ids.map((id) => liveEndpoints(ec2, [id])))).flat();
  }
}
