import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateVpcEndpointCommand,
  DeleteSecurityGroupCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  type EC2Client,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { isIpv6Cidr } from '#shared/cidr';
import type { HubConfig } from '#shared/config';
import { isAwsError, SpokeEndpointConflictError, SpokeEndpointDeletingError } from '#shared/errors';
import type { Plan } from '#shared/plan';
import { changeRecordItems, forgetInRecord, getRecord, type RegistryTable } from '#shared/registry';
import { ruleDescription, type SpokeEndpointRecord } from '#shared/registry/model';
import { MANAGED_TAG } from '#shared/tags';
import type { RemovalTarget } from '#shared/vpc-ref';
import type { SpokeEndpointRemovalResult, SpokeEndpointResult } from './contract';
import { privateDnsAtCreation } from './moves';

/**
 * CreateSpokeEndpoints: for each local service of the plan (placement `spoke`, README "Placement"), an interface
 * endpoint in the spoke VPC, made through the spoke role (the VPC's owner): in the attachment subnets (one per AZ), with
 * a security group of its own admitting the VPC's own CIDRs on the service's ports, private DNS on (the VPC resolves
 * the service's regional name to it; the hub's zone of that name is never associated: the plan leaves it out; off
 * while a move from the hub still holds that zone, ./moves.ts), the
 * catalog's endpoint policy, and spokelink's tags. What is made is recorded at once (group first, then endpoint), so
 * offboarding and rollback delete exactly the recorded ids (`removeSpokeEndpoints`), never what tags claim.
 *
 * Idempotent: a recorded endpoint that still exists is kept; CreateVpcEndpoint carries a ClientToken derived from the
 * VPC, the service and the membership, so a retried call whose first response was lost returns the same endpoint
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Run_Instance_Idempotency.html).
 */

export interface SpokeEndpointDeps {
  config: Pick<HubConfig, 'prefix' | 'endpoints'>;
  /** EC2 as the spoke role (write, this VPC). */
  spokeEc2: () => Promise<EC2Client>;
  registry: RegistryTable;
  now: () => number;
}

/** Creates the local services' endpoints the record does not hold yet (see the module comment). */
export async function createSpokeEndpoints(plan: Plan, deps: SpokeEndpointDeps): Promise<SpokeEndpointResult> {
  const result: SpokeEndpointResult = { created: [], existing: [] };
  const local = plan.localServices ?? [];
  if (local.length === 0) return result;
  const record = await getRecord(deps.registry, plan.vpcId);
  const recorded = new Map((record?.spokeEndpoints ?? []).map((e) => [e.endpoint, e]));
  const ec2 = await deps.spokeEc2();
  const live = await liveEndpointIds(ec2, plan.vpcId);
  for (const name of local) {
    const entry = deps.config.endpoints[name];
    if (!entry?.serviceName) throw new Error(`spoke endpoint ${name}: the catalog gives no serviceName`);
    const known = recorded.get(name);
    if (known?.vpcEndpointId && live.has(known.vpcEndpointId)) {
      result.existing.push(known);
      continue;
    }
    const tags = [MANAGED_TAG, { Key: 'Name', Value: `${deps.config.prefix}-${name}` }];
    const securityGroupId = known?.securityGroupId ?? (await createGroup(ec2, plan, name, tags));
    if (!known) await record_(deps, plan.vpcId, { endpoint: name, securityGroupId });
    await admitVpc(ec2, securityGroupId, plan, entry.ports);
    let vpcEndpointId: string;
    try {
      const { VpcEndpoint } = await ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: plan.vpcId,
          ServiceName: entry.serviceName,
          SubnetIds: plan.attachmentSubnetIds,
          SecurityGroupIds: [securityGroupId],
          // Off while the VPC still holds the hub's zone of the service (a move: ./moves.ts turns it on after).
          PrivateDnsEnabled: privateDnsAtCreation(record, name),
          ...(entry.endpointPolicy ? { PolicyDocument: JSON.stringify(entry.endpointPolicy) } : {}),
          ClientToken: `${plan.vpcId}-${name}-${record?.createdAt ?? ''}`.slice(0, 64),
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tags }],
        }),
      );
      vpcEndpointId = VpcEndpoint?.VpcEndpointId ?? '';
    } catch (error) {
      if (isPrivateDnsConflict(error)) {
        throw new SpokeEndpointConflictError(
          `${plan.vpcId} already holds the private DNS name of ${name} (its own zone or endpoint): the local ` +
            'endpoint cannot take private DNS',
        );
      }
      throw error;
    }
    const made = { endpoint: name, securityGroupId, vpcEndpointId };
    await record_(deps, plan.vpcId, made);
    result.created.push(made);
  }
  return result;
}

/**
 * Offboarding, rollback and pruning: deletes the recorded endpoints (and then their groups) whose service `keep` (a
 * change's plan) no longer places in the spoke; every one when offboarding. Only recorded ids are ever deleted. A
 * group is deleted once its endpoint is `deleted` (AWS answers DependencyViolation before): a group still held stays
 * recorded and is reported, and the next removal (a retry, the reconcile) deletes it.
 */
export async function removeSpokeEndpoints(
  vpc: RemovalTarget,
  keep: Plan | undefined,
  deps: Omit<SpokeEndpointDeps, 'config'>,
): Promise<SpokeEndpointRemovalResult> {
  const result: SpokeEndpointRemovalResult = { deleted: [], vanished: [], groupsPending: [] };
  const record = await getRecord(deps.registry, vpc.vpcId);
  const wanted = new Set(keep?.localServices ?? []);
  const candidates = (record?.spokeEndpoints ?? []).filter((e) => !wanted.has(e.endpoint));
  if (candidates.length === 0) return result;
  if (vpc.exists === false) {
    // Endpoints must be deleted before their VPC can be: a deleted VPC took them with it.
    await forgetInRecord(deps.registry, vpc.vpcId, 'spokeEndpoints', candidates, deps.now());
    return { ...result, vanished: candidates };
  }
  if (!vpc.spokeReachable) return { ...result, unreachable: candidates };
  const ec2 = await deps.spokeEc2();
  const ids = candidates.flatMap((e) => (e.vpcEndpointId ? [e.vpcEndpointId] : []));
  if (ids.length > 0) {
    const { Unsuccessful } = await ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ids }));
    const failed = (Unsuccessful ?? []).filter((u) => u.Error?.Code !== 'InvalidVpcEndpointId.NotFound');
    if (failed.length > 0) {
      throw new Error(
        `DeleteVpcEndpoints: ${failed.map((u) => `${u.ResourceId} ${u.Error?.Code}: ${u.Error?.Message}`).join('; ')}`,
      );
    }
  }
  const gone: SpokeEndpointRecord[] = [];
  for (const e of candidates) {
    try {
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: e.securityGroupId }));
      gone.push(e);
    } catch (error) {
      if (isAwsError(error, 'InvalidGroup.NotFound')) gone.push(e);
      else if (isAwsError(error, 'DependencyViolation')) result.groupsPending.push(e.securityGroupId);
      else throw error;
    }
  }
  // An endpoint whose group is still held stays recorded without its endpoint id: only the group is left to delete.
  const pending = candidates.filter((e) => result.groupsPending.includes(e.securityGroupId));
  await changeRecordItems(
    deps.registry,
    vpc.vpcId,
    {
      spokeEndpoints: {
        drop: gone,
        put: pending.map(({ endpoint, securityGroupId }) => ({ endpoint, securityGroupId })),
      },
    },
    deps.now(),
  );
  result.deleted = gone;
  if (result.groupsPending.length > 0) {
    throw new SpokeEndpointDeletingError(
      `security group(s) ${result.groupsPending.join(', ')} still held by endpoints being deleted`,
    );
  }
  return result;
}

/**
 * EC2's answer to private DNS on an endpoint whose name the VPC already holds (a same-named zone associated, or
 * another endpoint with private DNS): `InvalidParameter` "private-dns-enabled cannot be set because there is already a
 * conflicting DNS domain for <name> in the VPC <vpc>" (not Route 53's ConflictingDomainExists; twin/services/ec2/
 * endpoints.ts cites the sources).
 */
export function isPrivateDnsConflict(error: unknown): boolean {
  return isAwsError(error, 'InvalidParameter') && /conflicting DNS domain/i.test(String((error as Error).message));
}

/** The endpoints of the VPC that exist and are not being deleted. */
async function liveEndpointIds(ec2: EC2Client, vpcId: string): Promise<Set<string>> {
  const { VpcEndpoints } = await ec2.send(
    new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }),
  );
  return new Set(
    (VpcEndpoints ?? [])
      .filter((e) => !['deleting', 'deleted'].includes(String(e.State).toLowerCase()))
      .flatMap((e) => (e.VpcEndpointId ? [e.VpcEndpointId] : [])),
  );
}

async function createGroup(
  ec2: EC2Client,
  plan: Plan,
  name: string,
  tags: readonly { Key: string; Value: string }[],
): Promise<string> {
  const { GroupId } = await ec2.send(
    new CreateSecurityGroupCommand({
      VpcId: plan.vpcId,
      // Unique per membership: a group left by an earlier one (or a tenant's of the same name) never collides.
      GroupName: `spokelink-${name}-${plan.fence?.token ?? 0}`,
      Description: `spokelink ${name} interface endpoint, open to the own CIDRs of ${plan.vpcId}`,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [...tags] }],
    }),
  );
  if (!GroupId) throw new Error('CreateSecurityGroup returned no GroupId');
  return GroupId;
}

/** Ingress from the VPC's own (validated) CIDRs on the service's ports. */
async function admitVpc(ec2: EC2Client, groupId: string, plan: Plan, ports: number[]): Promise<void> {
  const { cidrs } = plan;
  const Description = ruleDescription(plan.vpcId, plan.accountId);
  const permissions: IpPermission[] = ports.map((port) => ({
    IpProtocol: 'tcp',
    FromPort: port,
    ToPort: port,
    IpRanges: cidrs.filter((c) => !isIpv6Cidr(c)).map((CidrIp) => ({ CidrIp, Description })),
    Ipv6Ranges: cidrs.filter(isIpv6Cidr).map((CidrIpv6) => ({ CidrIpv6, Description })),
  }));
  try {
    await ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: permissions }));
  } catch (error) {
    if (!isAwsError(error, 'InvalidPermission.Duplicate')) throw error;
  }
}

function record_(deps: SpokeEndpointDeps, vpcId: string, item: SpokeEndpointRecord) {
  return changeRecordItems(deps.registry, vpcId, { spokeEndpoints: { put: [item] } }, deps.now());
}
